"""``scripts/train.py``: train a grasp policy with RSL-RL or skrl.

Usage: ``python scripts/train.py --task DexGrasp-KukaAllegro-Depth-v0 --num_envs 8 --max_iterations 5 presets=res64``.
Arguments this tool does not know are Isaac Lab overrides (``env.episode_length_s=4``,
``agent.actor.rnn_hidden_dim=64``, ``presets=res32``).
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import datetime

from dexgrasp.viewer import add_viewer_args, viewer_from_args

from .common import (
    TOPOLOGIES,
    UsageError,
    add_task_args,
    add_topology_args,
    check_positive,
    check_task,
    parse_with_overrides,
    resolve_device,
    run_cli,
)


def build_parser() -> argparse.ArgumentParser:
    from isaaclab.app import add_launcher_args

    parser = argparse.ArgumentParser(description="Train a Kuka-Allegro grasp policy.", fromfile_prefix_chars="@")
    add_task_args(parser)
    parser.add_argument("--max_iterations", type=int, default=None, help="learning iterations")
    parser.add_argument("--log_dir", default=None, help="run folder (default: logs/<library>/<experiment>/<time>)")
    parser.add_argument("--resume", default=None, help="checkpoint to continue from (same task)")
    parser.add_argument(
        "--init_actor",
        default=None,
        help="start the PPO actor from a student of scripts/distill.py (same task and model), e.g. behaviour cloning"
        " of the scripted expert (--topology single, rsl_rl)",
    )
    add_topology_args(parser, TOPOLOGIES)
    parser.add_argument("--synchronous", action="store_true", help="disaggregated: no overlap of acting and simulation")
    add_viewer_args(parser)
    add_launcher_args(parser)
    parser.set_defaults(device=None)
    return parser


def parse(argv: list[str]):
    parser = build_parser()
    args, overrides = parse_with_overrides(parser, argv)
    check_task(args.task)
    check_positive("--num_envs", args.num_envs)
    check_positive("--max_iterations", args.max_iterations)
    if args.topology == "single":
        for flag in ("sim_devices", "learner_device", "devices"):
            if getattr(args, flag) is not None:
                raise UsageError(f"--{flag} needs --topology disaggregated or data_parallel")
    if args.init_actor is not None and (args.topology != "single" or args.rl_library != "rsl_rl" or args.resume):
        raise UsageError("--init_actor starts a new run of --topology single with rsl_rl (and no --resume)")
    if args.worker_timeout <= 0:
        raise UsageError(f"--worker_timeout must be positive, got {args.worker_timeout}")
    # the device of a multi-process topology comes from its device lists; configs are checked on the CPU
    args.device = resolve_device(args.device) if args.topology == "single" else "cpu"
    # under torchrun another rank of this run may already serve the port
    args.viewer = viewer_from_args(args, check_port="LOCAL_RANK" not in os.environ)
    return args, overrides


def default_log_dir(library: str, experiment: str) -> str:
    return os.path.abspath(os.path.join("logs", library, experiment, datetime.now().strftime("%Y-%m-%d_%H-%M-%S")))


def main(argv: list[str]) -> int:
    args, overrides = parse(argv)
    from dexgrasp.training.checkpoint import check_checkpoint
    from dexgrasp.training.env_factory import load_cfgs

    if args.topology == "data_parallel":
        from dexgrasp.training import data_parallel

        try:
            devices = data_parallel.parse_devices(args.devices)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        if args.rl_library != "rsl_rl":
            raise UsageError("--topology data_parallel trains with rsl_rl (skrl: use --topology single)")
        if args.num_envs is not None and args.num_envs < len(devices):
            raise UsageError(f"{len(devices)} data-parallel processes need at least {len(devices)} environments")
        if not data_parallel.in_torchrun():
            if args.resume:
                check_checkpoint(args.resume, args.task, args.rl_library)
            try:  # fail fast, before torchrun starts a process per device
                load_cfgs(args.task, args.rl_library, overrides, args.num_envs, "cpu", args.seed)
            except ValueError as exc:
                raise UsageError(str(exc).splitlines()[0]) from exc
            if args.log_dir is None:
                argv = [*argv, "--log_dir", default_log_dir("rsl_rl", "dexgrasp")]
            return data_parallel.launch(argv, len(devices))
    layout = None
    if args.topology == "disaggregated":
        from dexgrasp.training.disaggregated import make_layout

        try:
            layout = make_layout(args)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        if args.rl_library == "skrl" and layout.num_learners > 1:
            # skrl averages over processes only when it sees WORLD_SIZE, which a learner of this run must not see
            raise UsageError("skrl trains with one learner device; several learners (hybrid) need --rl_library rsl_rl")
    if args.resume:
        check_checkpoint(args.resume, args.task, args.rl_library)
    if args.init_actor:
        student = check_checkpoint(args.init_actor, args.task, "rsl_rl_distill").get("student_model", {})
    try:
        env_cfg, agent_cfg = load_cfgs(args.task, args.rl_library, overrides, args.num_envs, args.device, args.seed)
    except ValueError as exc:
        raise UsageError(str(exc).splitlines()[0]) from exc
    if args.init_actor:
        actor = agent_cfg.actor.to_dict()
        if any(student.get(key) != actor.get(key) for key in ("class_name", "hidden_dims", "activation")):
            raise UsageError(
                f"student {args.init_actor} is a {student.get('class_name')} {student.get('hidden_dims')}, the actor a"
                f" {actor.get('class_name')} {actor.get('hidden_dims')} (the state student matches presets=mlp)"
            )
    if args.topology == "data_parallel":
        log_dir = args.log_dir or default_log_dir("rsl_rl", agent_cfg.experiment_name)
        os.makedirs(log_dir, exist_ok=True)
        data_parallel.train(args, env_cfg, agent_cfg, log_dir)
        return 0
    if layout is not None:
        from dexgrasp.training.disaggregated import train as train_disaggregated

        experiment = (
            agent_cfg.experiment_name if args.rl_library == "rsl_rl" else agent_cfg["agent"]["experiment"]["directory"]
        )
        log_dir = args.log_dir or default_log_dir(args.rl_library, experiment)
        os.makedirs(log_dir, exist_ok=True)
        return train_disaggregated(args, layout, env_cfg, agent_cfg, overrides, log_dir)
    if args.rl_library == "rsl_rl":
        from dexgrasp.training.train_rsl_rl import train
    else:
        from dexgrasp.training.train_skrl import train
    start = time.time()
    train(args, env_cfg, agent_cfg)
    print(f"training finished in {time.time() - start:.1f} s")
    return 0


def cli() -> int:
    return run_cli(main)
