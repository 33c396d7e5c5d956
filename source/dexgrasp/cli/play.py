"""``scripts/play.py``: run a trained grasp policy on planned episodes, report success and write camera frames.

The episodes are drawn from the seed (``--seed``, else the task's), at the ADR level ``--level`` held fixed, on the
object set ``--objects`` (:mod:`dexgrasp.evaluation.episode_plan`): the same seed gives the same episodes, another
seed others. Prints ``success_rate: <float>`` last, after episode statistics; writes ``summary.json`` (rates with 95%
Wilson intervals, the setting, the commit, the per-object table), ``episodes.csv`` (one row per episode),
``objects.csv`` and ``frames.png`` into ``--out``: environment 0 over its first successful episode (else its first),
each moment a third-person view beside the images the policy sees (depth colour-mapped, stereo pairs side by side;
the third-person view up to 64 environments). ``--video`` adds ``video.mp4``: environment 0 in real time from the
third-person camera, ``--video_size`` pixels. ``--all_cameras`` renders the depth camera and the stereo pair in
any task's scene, so ``frames.png`` shows what the state, depth and stereo policies see at the same moments.
"""

from __future__ import annotations

import argparse
import os

from . import common
from .common import UsageError
from .viewer_args import add_viewer_args, viewer_from_args


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Evaluate a Kuka-Allegro grasp policy.")
    common.add_task_args(parser)
    common.add_policy_args(parser, "checkpoint written by scripts/train.py or distill.py", modular=True)
    parser.add_argument(
        "--use_pretrained_checkpoint",
        action="store_true",
        help="play the policy shipped with the package for this task (source/dexgrasp/pretrained)",
    )
    common.add_evaluation_args(parser, episodes=16)
    parser.add_argument("--out", default=os.path.join("logs", "play"), help="folder for frames, video and statistics")
    parser.add_argument(
        "--video", action="store_true", help="also write an MP4 of environment 0 from a third-person camera"
    )
    parser.add_argument("--video_size", default="640x480", help="the video's WIDTHxHEIGHT in pixels")
    parser.add_argument(
        "--all_cameras",
        action="store_true",
        help="render every policy's cameras in this scene (depth, stereo left and right), so frames.png shows what "
        "each policy sees at each moment; the policy acts on its own observations",
    )
    parser.add_argument(
        "--stochastic",
        action="store_true",
        help="sample actions from the policy's distribution, as it acted in training (PPO checkpoints; default: its mean)",
    )
    add_viewer_args(parser)
    return common.add_launcher_options(parser, num_envs=None)


def main(argv: list[str]) -> int:
    args, overrides = common.parse_command(build_parser(), argv)
    common.check_evaluation_args(args)
    args.video_size = video_size(args.video_size)
    args.device = common.resolve_device(args.device)
    if args.use_pretrained_checkpoint:
        from dexgrasp.pretrained import pretrained_checkpoint

        if args.checkpoint is not None or args.policy == "scripted":
            raise UsageError("--use_pretrained_checkpoint replaces --checkpoint and --policy: give one of them")
        args.checkpoint = pretrained_checkpoint(args.task)
        print(f"[dexgrasp] pretrained checkpoint: {args.checkpoint}", flush=True)
    common.check_policy_args(args)
    args.viewer = viewer_from_args(args)

    from dexgrasp.envs.factory import load_cfgs
    from dexgrasp.envs.overrides import checkpoint_overrides
    from dexgrasp.evaluation.rollout import STOCHASTIC_LIBRARIES, evaluate, view_size_for
    from dexgrasp.learners.distillation.policy import has_position_head
    from dexgrasp.runs import check_checkpoint

    meta = check_checkpoint(args.checkpoint, args.task) if args.checkpoint else {"library": "scripted"}
    library = meta.get("library", "rsl_rl")
    if args.policy == "modular":
        if not has_position_head(meta):
            raise UsageError(
                f"--policy modular needs a student of scripts/distill.py with an object-position head: {args.checkpoint}"
            )
        library = "modular"
    if args.stochastic and library not in STOCHASTIC_LIBRARIES:
        raise UsageError(f"--stochastic needs a PPO checkpoint; this policy is {library}")
    try:
        # a distilled student (rsl_rl_distill) carries its model in its checkpoint; the task's agent is a stand-in
        agent_library = "rsl_rl" if library in ("rsl_rl_distill", "scripted", "modular") else library
        overrides = checkpoint_overrides(args.task, agent_library, meta, overrides)
        env_cfg, agent_cfg = load_cfgs(args.task, agent_library, overrides, None, args.device, args.seed, play=True)
    except ValueError as exc:
        raise UsageError(str(exc).splitlines()[0]) from exc
    num_envs = common.evaluation_cfg(env_cfg, args)
    if args.all_cameras:
        from dexgrasp.tasks.grasp.config.kuka_allegro.distill_env_cfg import add_every_policy_camera

        add_every_policy_camera(env_cfg)
    # the policy is rebuilt as it was trained (sizes may have been overridden at training time)
    if library == "rsl_rl":
        agent_cfg = {**agent_cfg.to_dict(), **meta.get("agent_cfg", {}), "device": args.device}
    else:
        agent_cfg = meta.get("agent_cfg", agent_cfg)
    evaluate(
        args.task,
        env_cfg,
        agent_cfg,
        library,
        args.checkpoint,
        episodes=args.episodes,
        out=args.out,
        device=args.device,
        video=args.video,
        viewer=args.viewer,
        stochastic=args.stochastic,
        level=args.level,
        seed=env_cfg.seed,
        view_size=view_size_for(num_envs, args.video_size if args.video else None),
        on_done=lambda summary: report(summary, args.out),
    )
    return 0


def report(summary: dict, out: str) -> None:
    """The evaluation's figures, ``success_rate: <float>`` last (scripts read it)."""
    for key in ("episodes", "level", "objects", "seed", "mean_length", "mean_return"):
        print(f"{key}: {summary[key]}")
    for key in ("lifted", "success"):
        low, high = summary[key]["ci95"]
        print(f"{key}: {summary[key]['k']}/{summary[key]['n']} (95% CI {low:.3f}-{high:.3f})")
    print(f"summary: {os.path.join(os.path.abspath(out), 'summary.json')}")
    print(f"success_rate: {summary['success_rate']:.4f}", flush=True)


def video_size(text: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT`` as two positive even integers (the video encoder's macro-blocks need even sizes)."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise UsageError(f"--video_size takes WIDTHxHEIGHT, e.g. 640x480, got {text}") from None
    if width < 2 or height < 2 or width % 2 or height % 2:
        raise UsageError(f"--video_size needs even sizes of 2 pixels or more, got {text}")
    return width, height


def cli() -> int:
    return common.run_cli(main)
