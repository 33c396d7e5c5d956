"""``scripts/position_probe.py``: where an image student's object-position estimate comes from, and how far off it is.

Rolls the planned episodes of ``--seed`` at ``--level`` out, driven by the scripted expert (``--drive expert``, the
states the student learned from) or by the modular policy (``--drive modular``: the expert's controller on the
student's own estimate), and writes ``summary.json`` into ``--out``: the estimate's error per axis, over the whole
rollout and per stage of the episode, and how much of it follows the student's arm and how much its image
(:mod:`dexgrasp.evaluation.position_probe`). Arguments this tool does not know are Isaac Lab overrides.
"""

from __future__ import annotations

import argparse
import os

from . import common
from .common import UsageError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Where an image student's object-position estimate comes from.")
    common.add_task_args(parser)
    parser.add_argument("--checkpoint", required=True, help="student checkpoint of scripts/distill.py")
    parser.add_argument("--drive", choices=("expert", "modular"), default="expert", help="who acts in the rollout")
    parser.add_argument("--steps", type=int, default=240, help="steps to roll out")
    parser.add_argument("--every", type=int, default=10, help="probe the estimate every this many steps")
    common.add_evaluation_args(parser, episodes=None)
    parser.add_argument("--out", default=os.path.join("logs", "position_probe"), help="folder for summary.json")
    return common.add_launcher_options(parser, num_envs=16)


def main(argv: list[str]) -> int:
    args, overrides = common.parse_command(build_parser(), argv)
    for name in ("--steps", "--every"):
        common.check_positive(name, getattr(args, name[2:]))
    common.check_evaluation_args(args)
    if args.num_envs < 2:
        raise UsageError("--num_envs must be 2 or more: the probe swaps observations between environments")
    args.device = common.resolve_device(args.device)

    from dexgrasp.envs.factory import load_cfgs, open_env
    from dexgrasp.envs.overrides import checkpoint_overrides
    from dexgrasp.evaluation.position_probe import position_probe
    from dexgrasp.evaluation.rollout import CheckpointPolicy, start_plan
    from dexgrasp.learners.distillation.policy import has_position_head
    from dexgrasp.runs import check_checkpoint, source_commit

    meta = check_checkpoint(args.checkpoint, args.task)
    if not has_position_head(meta):
        raise UsageError(f"{args.checkpoint} is not a student of scripts/distill.py with an object-position head")
    try:
        overrides = checkpoint_overrides(args.task, "rsl_rl", meta, overrides)
        env_cfg, agent_cfg = load_cfgs(args.task, "rsl_rl", overrides, args.num_envs, args.device, args.seed, play=True)
    except ValueError as exc:
        raise UsageError(str(exc).splitlines()[0]) from exc
    common.evaluation_cfg(env_cfg, args)
    with open_env(args.task, env_cfg, args.device, enable_cameras=True) as env:
        start_plan(env.unwrapped, env_cfg.seed, args.num_envs, args.level)  # before the wrapper resets the scene
        policy = CheckpointPolicy(env, env_cfg, agent_cfg, "modular", args.checkpoint, args.device)
        info = {"task": args.task, "checkpoint": args.checkpoint, "level": args.level, "seed": env_cfg.seed}
        info.update(objects=args.objects, commit=source_commit(), device=args.device)
        summary = position_probe(policy.env, policy.policy, args.steps, args.every, args.drive, args.out, info)
    for stage, row in summary["error"].items():
        print(f"error {stage:14s} rms x {row['x']:.4f} y {row['y']:.4f} z {row['z']:.4f} m ({row['samples']} readings)")
    for part, row in summary["follows"].items():
        print(
            f"follows the {part:5s}: slope {row['slope']:+.2f} (shift {row['mean_shift_m']:.3f} m for sources"
            f" {row['mean_source_distance_m']:.3f} m apart)"
        )
    print(f"summary: {os.path.join(os.path.abspath(args.out), 'summary.json')}")
    return 0


def cli() -> int:
    return common.run_cli(main)
