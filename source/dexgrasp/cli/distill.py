"""``scripts/distill.py``: distil a state or depth teacher into a stereo RGB or depth student.

Online (DAgger): ``--teacher T.pt``; offline from recorded episodes: ``--dataset D.hdf5`` (repeatable),
followed by online DAgger when ``--teacher`` and ``--max_iterations`` are given too. Arguments this tool
does not know are Isaac Lab overrides (``presets=res32``, ``agent.student.trunk=resnet18``,
``agent.algorithm.beta_iterations=50``). Prints ``student_checkpoint: <path>`` last.
"""

from __future__ import annotations

import argparse
import glob
import os
import time

from .common import (
    TOPOLOGIES,
    UsageError,
    add_topology_args,
    check_positive,
    check_task,
    parse_with_overrides,
    resolve_device,
    run_cli,
)

STUDENT_TASKS = ("DexGrasp-KukaAllegro-StereoRGB-v0", "DexGrasp-KukaAllegro-Depth-v0", "DexGrasp-KukaAllegro-State-v0")
"""Students; the state task learns from the scripted expert only (behaviour cloning before PPO)."""


def build_parser() -> argparse.ArgumentParser:
    from isaaclab.app import add_launcher_args

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
    parser.add_argument("--num_envs", type=int, default=None, help="environments (online) or replay lanes (offline)")
    parser.add_argument("--seed", type=int, default=None, help="random seed")
    parser.add_argument("--log_dir", default=None, help="run folder (default: logs/rsl_rl_distill/<experiment>/<time>)")
    parser.add_argument("--resume", default=None, help="student checkpoint of scripts/distill.py to go on from")
    add_topology_args(parser, TOPOLOGIES)
    add_launcher_args(parser)
    parser.set_defaults(device=None)
    return parser


def parse(argv: list[str]):
    parser = build_parser()
    args, overrides = parse_with_overrides(parser, argv)
    check_task(args.task)
    if args.task not in STUDENT_TASKS:
        raise UsageError(f"'{args.task}' is not a student task; distil into one of: {', '.join(STUDENT_TASKS)}")
    args.layout = None
    if args.topology == "disaggregated":
        from dexgrasp.training.disaggregated import make_layout

        if args.teacher is None:
            raise UsageError("--topology disaggregated distils online: give a --teacher")
        try:
            args.layout = make_layout(args)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    elif args.sim_devices is not None or args.learner_device is not None:
        raise UsageError("--sim_devices/--learner_device need --topology disaggregated")
    args.device_list = None
    if args.topology == "data_parallel":
        from dexgrasp.training.data_parallel import parse_devices

        if args.teacher is None or args.dataset:
            raise UsageError("--topology data_parallel distils online only: give a --teacher and no --dataset")
        try:
            args.device_list = parse_devices(args.devices)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    elif args.devices is not None:
        raise UsageError("--devices needs --topology data_parallel")
    if args.teacher is None and not args.dataset:
        raise UsageError("give --teacher (online DAgger) or --dataset (offline), or both")
    if args.max_iterations is not None and args.teacher is None:
        raise UsageError("online iterations (--max_iterations) need a --teacher to label the student's steps")
    check_positive("--num_envs", args.num_envs)
    check_positive("--max_iterations", args.max_iterations)
    if args.offline_epochs <= 0:
        raise UsageError(f"--offline_epochs must be positive, got {args.offline_epochs}")
    args.device = resolve_device(args.device) if args.topology == "single" else "cpu"
    return args, overrides


def main(argv: list[str]) -> int:
    args, overrides = parse(argv)
    from dexgrasp.datasets import DatasetError
    from dexgrasp.distillation.single_process import plan, run
    from dexgrasp.tasks.grasp.distill_tasks import VariantError

    try:
        run_plan = plan(args, overrides)
    except (DatasetError, VariantError) as exc:
        raise UsageError(str(exc)) from exc
    except ValueError as exc:  # settings that cannot build a scene
        raise UsageError(str(exc).splitlines()[0]) from exc
    start = time.time()
    if args.device_list is not None:
        from dexgrasp.training.data_parallel import in_torchrun, launch

        if in_torchrun():  # one of the processes
            run(run_plan)
            return 0
        code = launch([*argv, "--log_dir", run_plan.log_dir], len(args.device_list), script="distill.py")
        if code != 0:
            return code
        checkpoints = sorted(glob.glob(os.path.join(run_plan.log_dir, "model_*.pt")), key=os.path.getmtime)
        checkpoint = checkpoints[-1] if checkpoints else None
    else:
        checkpoint = run(run_plan)
    print(f"distillation finished in {time.time() - start:.1f} s")
    print(f"student_checkpoint: {checkpoint}")
    return 0


def cli() -> int:
    return run_cli(main)
