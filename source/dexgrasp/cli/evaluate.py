"""``scripts/evaluate.py``: a teacher and its distilled student on the same seeds, side by side.

Writes ``comparison.csv`` and ``comparison.md`` (success rate, episode length and reward of each) and, per
policy, the episodes, statistics and ``frames.png`` (the stereo pair, and the depth image when the teacher
is a depth policy) into ``--out``. Arguments this tool does not know are Isaac Lab overrides.
"""

from __future__ import annotations

import argparse
import os

from .common import UsageError, check_positive, check_task, parse_with_overrides, resolve_device, run_cli
from .viewer_args import viewer_from_args


def build_parser() -> argparse.ArgumentParser:
    from isaaclab.app import add_launcher_args

    parser = argparse.ArgumentParser(description="Evaluate a teacher and its student on the same seeds.")
    parser.add_argument("--task", default="DexGrasp-KukaAllegro-StereoRGB-v0", help="the student's task")
    parser.add_argument(
        "--teacher", required=True, help="teacher checkpoint (scripts/train.py), or 'scripted' for the scripted expert"
    )
    parser.add_argument("--student", required=True, help="student checkpoint (scripts/distill.py)")
    parser.add_argument("--episodes", type=int, default=8, help="episodes per policy")
    parser.add_argument("--num_envs", type=int, default=None, help="environments (default: min(episodes, 4))")
    parser.add_argument("--seed", type=int, default=None, help="seed both evaluations start from")
    parser.add_argument("--out", default="evaluate_out", help="folder for the table, statistics and frames")
    parser.add_argument("--video", action="store_true", help="also write an MP4 of environment 0 per policy")
    add_launcher_args(parser)
    parser.set_defaults(device=None)
    return parser


def main(argv: list[str]) -> int:
    args, overrides = parse_with_overrides(build_parser(), argv)
    check_task(args.task)
    check_positive("--episodes", args.episodes)
    check_positive("--num_envs", args.num_envs)
    args.device = resolve_device(args.device)

    from dexgrasp.evaluation.compare import evaluate_pair
    from dexgrasp.learners.distillation.config import LIBRARY, load_variant_cfgs
    from dexgrasp.learners.distillation.teacher import check_teacher_fits, read_teacher
    from dexgrasp.runs import check_checkpoint
    from dexgrasp.tasks.grasp.distill_tasks import variant_for

    teacher = read_teacher(args.teacher)
    check_checkpoint(args.student, args.task, LIBRARY)
    try:
        variant = variant_for(args.task, teacher.task)
        num_envs = args.num_envs or min(args.episodes, 4)
        env_cfg, _ = load_variant_cfgs(variant, overrides, num_envs, args.device, args.seed, play=True)
    except ValueError as exc:
        raise UsageError(str(exc).splitlines()[0]) from exc
    check_teacher_fits(teacher, env_cfg)
    args.seed = env_cfg.seed
    rows = evaluate_pair(
        variant,
        teacher,
        args.student,
        env_cfg,
        args.task,
        args.episodes,
        args.seed,
        args.out,
        args.device,
        video=args.video,
        viewer=viewer_from_args(args),
    )
    for row in rows:
        print(
            f"{row['policy']}: episodes {row['episodes']}, success_rate {row['success_rate']:.4f},"
            f" mean_length {row['mean_length']:.1f}, mean_return {row['mean_return']:.4f}"
        )
    print(f"comparison: {os.path.join(os.path.abspath(args.out), 'comparison.md')}")
    return 0


def cli() -> int:
    return run_cli(main)
