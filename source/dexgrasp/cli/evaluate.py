"""``scripts/evaluate.py``: a teacher and its distilled student on the same episodes, side by side.

Both run the episodes of one plan (``--seed``, ``--level``, ``--objects``; :mod:`dexgrasp.evaluation.episode_plan`).
Writes ``comparison.csv`` and ``comparison.md`` (success rate with its 95% interval, episode length and reward of
each), ``paired.json`` (the paired difference, its object-bootstrap interval and the exact McNemar p-value) and,
per policy, the episodes, statistics and ``frames.png`` (the stereo pair, and the depth image when the teacher is a
depth policy) into ``--out``. With ``--visibility`` each episode also records how much of the object the student's
cameras showed (``object_share``, ``object_hidden`` in ``episodes.csv``), and ``observability.json`` sets that
beside whether teacher and student agree on the episode. Arguments this tool does not know are Isaac Lab overrides.
"""

from __future__ import annotations

import argparse
import json
import os

from . import common
from .common import UsageError
from .viewer_args import viewer_from_args


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Evaluate a teacher and its student on the same seeds.")
    parser.add_argument("--task", default="DexGrasp-KukaAllegro-StereoRGB-v0", help="the student's task")
    parser.add_argument(
        "--teacher", required=True, help="teacher checkpoint (scripts/train.py), or 'scripted' for the scripted expert"
    )
    parser.add_argument("--student", required=True, help="student checkpoint (scripts/distill.py)")
    common.add_evaluation_args(parser, episodes=16)
    common.add_env_args(
        parser, "environments (default: one per object, 4 at least)", "seed the episodes are drawn from"
    )
    parser.add_argument(
        "--out", default=os.path.join("logs", "evaluate"), help="folder for the table, statistics and frames"
    )
    parser.add_argument("--video", action="store_true", help="also write an MP4 of environment 0 per policy")
    parser.add_argument(
        "--visibility", action="store_true", help="record how much of the object the student's cameras show"
    )
    return common.add_launcher_options(parser)


def main(argv: list[str]) -> int:
    args, overrides = common.parse_command(build_parser(), argv)
    common.check_evaluation_args(args)
    args.device = common.resolve_device(args.device)

    from dexgrasp.evaluation.compare import evaluate_pair
    from dexgrasp.evaluation.visibility import request_object_pixels
    from dexgrasp.learners.distillation.config import LIBRARY, load_variant_cfgs
    from dexgrasp.learners.distillation.teacher import check_teacher_fits, read_teacher
    from dexgrasp.envs.overrides import checkpoint_overrides
    from dexgrasp.runs import check_checkpoint
    from dexgrasp.tasks.grasp.distill_tasks import variant_for

    teacher = read_teacher(args.teacher)
    meta = check_checkpoint(args.student, args.task, LIBRARY)
    try:
        variant = variant_for(args.task, teacher.task)
        overrides = checkpoint_overrides(variant.env_id, "rsl_rl", meta, overrides)
        env_cfg, _ = load_variant_cfgs(variant, overrides, None, args.device, args.seed, play=True)
        cameras = request_object_pixels(env_cfg) if args.visibility else None
    except ValueError as exc:
        raise UsageError(str(exc).splitlines()[0]) from exc
    common.evaluation_cfg(env_cfg, args)
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
        level=args.level,
        cameras=cameras,
    )
    for row in rows:
        print(
            f"{row['policy']}: episodes {row['episodes']}, success_rate {row['success_rate']:.4f},"
            f" mean_length {row['mean_length']:.1f}, mean_return {row['mean_return']:.4f}"
        )
    with open(os.path.join(args.out, "paired.json")) as f:
        paired = json.load(f)["success"]
    print(
        f"teacher - student: {paired['difference']:+.4f} (95% CI over objects {paired['difference_ci95_object_bootstrap']}),"
        f" McNemar p {paired['mcnemar_p']:.4g}"
    )
    if cameras:
        with open(os.path.join(args.out, "observability.json")) as f:
            observed = json.load(f)
        for outcome, cell in observed["outcomes"].items():
            share = cell["mean_object_share"]
            print(f"{outcome:12s} {cell['episodes']:4d} episodes, object share of the student's images "
                  + ("-" if share is None else f"{share:.2%}, hidden {cell['mean_object_hidden']:.0%} of steps"))
        for view, cell in observed["student_view"].items():
            print(f"object {view.replace('_', ' ')} in the student's images: {cell['episodes']} episodes, teacher"
                  f" {cell['teacher_successes']} successes, student {cell['student_successes']}")
    print(f"comparison: {os.path.join(os.path.abspath(args.out), 'comparison.md')}")
    return 0


def cli() -> int:
    return common.run_cli(main)
