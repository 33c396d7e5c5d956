"""``scripts/label_gap.py``: a policy's actions next to the scripted expert's labels, in the states it reaches.

Writes ``summary.json`` (per phase of the expert: share of the steps, mean absolute gap of each part of the action),
``trace.csv`` and ``trace.png`` (palm height and hand closure of environment 0, policy against label) into
``--out``; with ``--visibility`` (a camera task) also the gaps by how much of the object the cameras show, and
``visibility.csv`` (one row per finished episode). See :mod:`dexgrasp.evaluation.label_gap`. Arguments this tool
does not know are Isaac Lab overrides; give the ones the policy was trained with (its observations must match).
"""

from __future__ import annotations

import argparse

from . import common
from .common import UsageError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="A policy's actions against the scripted expert's labels.")
    common.add_task_args(parser)
    parser.add_argument("--checkpoint", required=True, help="checkpoint written by scripts/train.py or distill.py")
    parser.add_argument("--steps", type=int, default=300, help="steps to roll out")
    parser.add_argument("--out", default="logs/label_gap", help="folder for the summary, trace and plot")
    parser.add_argument(
        "--visibility", action="store_true", help="also bin the gaps by the object's share of the camera images"
    )
    return common.add_launcher_options(parser, num_envs=16)


def main(argv: list[str]) -> int:
    args, overrides = common.parse_command(build_parser(), argv)
    common.check_positive("--steps", args.steps)
    args.device = common.resolve_device(args.device)

    from dexgrasp.envs.factory import has_cameras, load_cfgs, open_env
    from dexgrasp.envs.overrides import checkpoint_overrides
    from dexgrasp.evaluation.label_gap import label_gap
    from dexgrasp.evaluation.rollout import CheckpointPolicy
    from dexgrasp.evaluation.visibility import ObjectPixels, request_object_pixels
    from dexgrasp.runs import check_checkpoint

    meta = check_checkpoint(args.checkpoint, args.task)
    library = meta.get("library", "rsl_rl")
    if library not in ("rsl_rl", "rsl_rl_distill"):
        raise UsageError(f"{args.checkpoint} is a {library} checkpoint; this tool reads RSL-RL policies and students")
    try:
        overrides = checkpoint_overrides(args.task, "rsl_rl", meta, overrides)
        env_cfg, agent_cfg = load_cfgs(args.task, "rsl_rl", overrides, args.num_envs, args.device, args.seed, play=True)
        cameras = request_object_pixels(env_cfg) if args.visibility else None
    except ValueError as exc:
        raise UsageError(str(exc).splitlines()[0]) from exc
    # the policy is rebuilt as it was trained (a student carries its model in its checkpoint)
    agent_cfg = {**agent_cfg.to_dict(), **meta.get("agent_cfg", {}), "device": args.device}
    with open_env(args.task, env_cfg, args.device, enable_cameras=has_cameras(env_cfg)) as env:
        policy = CheckpointPolicy(env, env_cfg, agent_cfg, library, args.checkpoint, args.device)
        pixels = None if cameras is None else ObjectPixels(env.unwrapped, cameras)
        summary = label_gap(policy.env, policy.policy, args.steps, args.out, pixels)
    _print_gaps("", summary["phases"])
    _print_gaps("object ", summary.get("visibility", {}).get("bins", {}))
    return 0


def _print_gaps(prefix: str, rows: dict) -> None:
    """One line per row (an expert phase or a visibility bin): its share of the steps and its gaps."""
    for name, row in rows.items():
        gaps = ", ".join(f"{k[4:]} {v:.3f}" for k, v in row.items() if k.startswith("gap_") and v is not None)
        print(f"{prefix}{name:12s} {row['share_of_steps']:6.1%} of steps  gap: {gaps or '-'}")


def cli() -> int:
    return common.run_cli(main)
