"""``scripts/distill.py``: distil a state or depth teacher into a stereo RGB or depth student.

Online (DAgger): ``--teacher T.pt``; offline from recorded episodes: ``--dataset D.hdf5`` (repeatable),
followed by online DAgger when ``--teacher`` and ``--max_iterations`` are given too. Arguments this tool
does not know are Isaac Lab overrides (``presets=res32``, ``agent.student.trunk=resnet18``,
``agent.algorithm.beta_iterations=50``). Prints ``student_checkpoint: <path>`` last.
"""

from __future__ import annotations

import argparse
import sys
import time

from dexgrasp.tasks.grasp.config.kuka_allegro import DEPTH, STATE, STEREO

from . import common
from .common import UsageError
from .viewer_args import viewer_from_args

STUDENT_TASKS = (STEREO, DEPTH, STATE)
"""Students; the state task learns from the scripted expert only (behaviour cloning before PPO)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Distil a teacher policy into a student.", fromfile_prefix_chars="@")
    parser.add_argument("--task", default=STUDENT_TASKS[0], help=f"student task, one of: {', '.join(STUDENT_TASKS)}")
    parser.add_argument(
        "--teacher",
        default=None,
        help="checkpoint of a state or depth policy (scripts/train.py), or 'scripted' for the scripted expert",
    )
    parser.add_argument("--dataset", action="append", default=[], help="episodes of scripts/record.py (repeatable)")
    parser.add_argument("--offline_epochs", type=float, default=1.0, help="passes over the datasets")
    parser.add_argument("--max_iterations", type=int, default=None, help="online DAgger iterations")
    common.add_env_args(parser, "environments (online) or replay lanes (offline)", "random seed")
    parser.add_argument("--log_dir", default=None, help="run folder (default: logs/rsl_rl_distill/<experiment>/<time>)")
    parser.add_argument("--resume", default=None, help="student checkpoint of scripts/distill.py to go on from")
    common.add_topology_args(parser)
    return common.add_launcher_options(parser)


def parse(argv: list[str]):
    args, overrides = common.parse_command(build_parser(), argv)
    if args.task not in STUDENT_TASKS:
        raise UsageError(f"'{args.task}' is not a student task; distil into one of: {', '.join(STUDENT_TASKS)}")
    from dexgrasp.topologies.devices import data_parallel_devices, disaggregated_layout

    common.size_for_cpu(args)
    args.layout = None
    if args.topology == "disaggregated":
        if args.teacher is None:
            raise UsageError("--topology disaggregated distils online: give a --teacher")
        try:
            args.layout = disaggregated_layout(args.sim_devices, args.learner_device, args.num_envs)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    elif args.sim_devices is not None or args.learner_device is not None:
        raise UsageError("--sim_devices/--learner_device need --topology disaggregated")
    args.device_list = None
    if args.topology == "data_parallel":
        if args.teacher is None or args.dataset:
            raise UsageError("--topology data_parallel distils online only: give a --teacher and no --dataset")
        try:
            args.device_list = data_parallel_devices(args.devices)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    elif args.devices is not None:
        raise UsageError("--devices needs --topology data_parallel")
    if args.teacher is None and not args.dataset:
        raise UsageError("give --teacher (online DAgger) or --dataset (offline), or both")
    if args.max_iterations is not None and args.teacher is None:
        raise UsageError("online iterations (--max_iterations) need a --teacher to label the student's steps")
    common.check_positive("--max_iterations", args.max_iterations)
    if args.offline_epochs <= 0:
        raise UsageError(f"--offline_epochs must be positive, got {args.offline_epochs}")
    args.device = common.resolve_device(args.device) if args.topology == "single" else "cpu"
    return args, overrides


def main(argv: list[str]) -> int:
    args, overrides = parse(argv)
    from dexgrasp.datasets import DatasetError
    from dexgrasp.jobs.distill import DistillSettings, plan, run
    from dexgrasp.runs import latest_checkpoint
    from dexgrasp.tasks.grasp.distill_tasks import VariantError
    from dexgrasp.topologies.torchrun import in_torchrun, relaunch

    settings = common.settings_from(
        DistillSettings,
        args,
        datasets=list(args.dataset),
        overrides=list(overrides),
        viewer=viewer_from_args(args),
        devices=args.device_list,
    )
    try:
        run_plan = plan(settings)
    except (DatasetError, VariantError) as exc:
        raise UsageError(str(exc)) from exc
    except ValueError as exc:  # settings that cannot build a scene
        raise UsageError(str(exc).splitlines()[0]) from exc
    start = time.time()
    if args.device_list is not None:
        if in_torchrun():  # one of the processes
            run(run_plan)
            return 0
        code = relaunch("dexgrasp.cli.distill", [*argv, "--log_dir", run_plan.log_dir], len(args.device_list))
        if code != 0:
            return code
        checkpoint = latest_checkpoint(run_plan.log_dir)
    else:
        checkpoint = run(run_plan)
    print(f"distillation finished in {time.time() - start:.1f} s")
    print(f"student_checkpoint: {checkpoint}")
    return 0


def cli() -> int:
    return common.run_cli(main)


if __name__ == "__main__":  # torchrun starts the data-parallel processes as ``python -m dexgrasp.cli.distill``
    sys.exit(cli())
