"""``scripts/record.py``: roll a policy out and write whole episodes to an HDF5 dataset.

The acting policy (``--checkpoint``) is a trained RSL-RL policy or a distilled student. A teacher labels
every step with its action mean and std: ``--teacher``, or the acting policy itself when it is a state or
depth policy recording in a student task (its episodes then teach offline). The scene is the student task's
distillation variant whenever a teacher of another task is involved, so every policy finds its groups.
Arguments this tool does not know are Isaac Lab overrides (``presets=res32``). See ``docs/datasets.md``.
"""

from __future__ import annotations

import argparse
import os

from . import common
from .common import UsageError
from .viewer_args import viewer_from_args


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Record episodes of a policy to an HDF5 dataset.")
    parser.add_argument(
        "--task", default=None, help=f"task to record (default: the policy's), one of: {', '.join(common.TASKS)}"
    )
    common.add_policy_args(parser, "acting policy: scripts/train.py or scripts/distill.py")
    parser.add_argument("--teacher", default=None, help="state or depth policy labelling every step")
    parser.add_argument(
        "--head_labels",
        default=None,
        help="distilled student with an object-position head (scripts/distill.py, e.g. of the depth task): record the"
        " object position its head reads from each frame as obs/head_object_pos, a label for another student's head",
    )
    parser.add_argument("--episodes", type=int, default=8, help="episodes to store")
    parser.add_argument("--output", required=True, help="HDF5 file to write (.hdf5)")
    parser.add_argument("--max_episodes", type=int, default=None, help="episodes to roll out at most (stored or not)")
    parser.add_argument("--max_gb", type=float, default=None, help="stop once the file is this large [GB]")
    parser.add_argument("--success_only", action="store_true", help="store successful episodes only")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    common.add_env_args(parser, "environments (default: min(episodes, 4))", "random seed")
    return common.add_launcher_options(parser)


def parse(argv: list[str]):
    args, overrides = common.parse_command(build_parser(), argv)
    common.check_positive("--episodes", args.episodes)
    common.check_positive("--max_episodes", args.max_episodes)
    common.check_policy_args(args)
    if args.policy == "scripted" and args.teacher is not None:
        raise UsageError("the scripted expert labels its own episodes: --teacher goes with --checkpoint only")
    if args.head_labels is not None and not os.path.isfile(args.head_labels):
        raise UsageError(f"--head_labels {args.head_labels} is not a file")
    if args.max_gb is not None and args.max_gb <= 0:
        raise UsageError(f"--max_gb must be positive, got {args.max_gb}")
    if not args.output.endswith((".hdf5", ".h5")):
        raise UsageError(f"--output must be an .hdf5 file, got {args.output}")
    if os.path.isdir(args.output):
        raise UsageError(f"output {args.output} is a folder")
    if os.path.exists(args.output) and not args.overwrite:
        raise UsageError(f"output {args.output} exists; pass --overwrite to replace it")
    args.device = common.resolve_device(args.device)
    return args, overrides


def main(argv: list[str]) -> int:
    args, overrides = parse(argv)
    from dexgrasp.datasets import DatasetError
    from dexgrasp.jobs.record import RecordSettings, load_env_cfg, record, resolve
    from dexgrasp.learners.distillation.teacher import check_teacher_fits
    from dexgrasp.runs import CheckpointError

    settings = common.settings_from(RecordSettings, args, overrides=list(overrides), viewer=None)
    try:
        setup = resolve(settings)
        env_cfg = load_env_cfg(setup, settings)
    except CheckpointError:
        raise
    except ValueError as exc:  # no scene for this policy and teacher, or settings that cannot build one
        raise UsageError(str(exc).splitlines()[0]) from exc
    if setup.teacher_spec is not None:
        check_teacher_fits(setup.teacher_spec, env_cfg)
    try:
        settings.viewer = viewer_from_args(args)
        summary = record(setup, settings, env_cfg)
    except DatasetError as exc:
        raise UsageError(str(exc)) from exc
    rate = summary.successes / summary.stored if summary.stored else 0.0
    print(
        f"recorded {summary.stored} episodes ({summary.steps} steps, success rate {rate:.2f}) of {summary.finished}"
        f" finished in {summary.seconds:.1f} s; {summary.size_bytes / 1e6:.2f} MB; stopped: {summary.stop_reason}"
    )
    print(f"dataset: {os.path.abspath(args.output)}")
    return 0


def cli() -> int:
    return common.run_cli(main)
