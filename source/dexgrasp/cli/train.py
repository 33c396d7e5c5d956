"""``scripts/train.py``: train a grasp policy with RSL-RL or skrl.

Usage: ``python scripts/train.py --task DexGrasp-KukaAllegro-Depth-v0 --num_envs 8 --max_iterations 5 presets=res64``.
Arguments this tool does not know are Isaac Lab overrides (``env.episode_length_s=4``,
``agent.actor.rnn_hidden_dim=64``, ``presets=res32``).
"""

from __future__ import annotations

import argparse
import os
import sys

from dexgrasp.tasks.grasp.config.kuka_allegro import GUIDED_VARIANTS

from . import common
from .common import UsageError
from .viewer_args import add_viewer_args, viewer_from_args


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Train a Kuka-Allegro grasp policy.", fromfile_prefix_chars="@")
    common.add_task_args(parser)
    parser.add_argument("--max_iterations", type=int, default=None, help="learning iterations")
    parser.add_argument("--log_dir", default=None, help="run folder (default: logs/<library>/<experiment>/<time>)")
    parser.add_argument("--resume", default=None, help="checkpoint to continue from (same task)")
    parser.add_argument(
        "--init_actor",
        default=None,
        help="start the PPO actor from a student of scripts/distill.py (same task and model), e.g. behaviour cloning"
        " of the scripted expert (--topology single, rsl_rl)",
    )
    parser.add_argument(
        "--critic_warmup",
        type=int,
        default=0,
        help="with --init_actor: train only the critic for this many of the iterations, the actor held as cloned",
    )
    parser.add_argument(
        "--guide",
        action="store_true",
        help="PPO plus a decaying behaviour-cloning term on the scripted expert's labels, computed in the simulation"
        " (state or depth task, rsl_rl; weights: agent.algorithm.guide_coef, guide_decay, guide_epochs)",
    )
    common.add_topology_args(parser)
    parser.add_argument("--synchronous", action="store_true", help="disaggregated: no overlap of acting and simulation")
    add_viewer_args(parser)
    return common.add_launcher_options(parser)


def parse(argv: list[str]):
    args, overrides = common.parse_command(build_parser(), argv)
    common.check_positive("--max_iterations", args.max_iterations)
    if args.topology == "single":
        for flag in ("sim_devices", "learner_device", "devices"):
            if getattr(args, flag) is not None:
                raise UsageError(f"--{flag} needs --topology disaggregated or data_parallel")
    if args.init_actor is not None and (args.topology != "single" or args.rl_library != "rsl_rl" or args.resume):
        raise UsageError("--init_actor starts a new run of --topology single with rsl_rl (and no --resume)")
    if args.critic_warmup < 0 or args.critic_warmup and args.init_actor is None:
        raise UsageError("--critic_warmup takes a number of iterations >= 0, and --init_actor")
    if args.critic_warmup and args.max_iterations is not None and args.critic_warmup >= args.max_iterations:
        raise UsageError(f"--critic_warmup {args.critic_warmup} leaves none of the {args.max_iterations} iterations")
    if args.guide and (args.task not in GUIDED_VARIANTS or args.rl_library != "rsl_rl"):
        raise UsageError(
            f"--guide trains {', '.join(GUIDED_VARIANTS)} with rsl_rl, not {args.task} with {args.rl_library}"
        )
    if args.worker_timeout <= 0:
        raise UsageError(f"--worker_timeout must be positive, got {args.worker_timeout}")
    # the device of a multi-process topology comes from its device lists; configs are checked on the CPU
    args.device = common.resolve_device(args.device) if args.topology == "single" else "cpu"
    common.size_for_cpu(args)
    # under torchrun another rank of this run may already serve the port
    args.viewer = viewer_from_args(args, check_port="LOCAL_RANK" not in os.environ)
    return args, overrides


def main(argv: list[str]) -> int:
    args, overrides = parse(argv)
    from dexgrasp.jobs.train import TrainSettings, train
    from dexgrasp.topologies.devices import data_parallel_devices, disaggregated_layout

    layout = devices = None
    try:
        if args.topology == "data_parallel":
            devices = data_parallel_devices(args.devices)
        elif args.topology == "disaggregated":
            layout = disaggregated_layout(args.sim_devices, args.learner_device, args.num_envs)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if devices is not None:
        if args.rl_library != "rsl_rl":
            raise UsageError("--topology data_parallel trains with rsl_rl (skrl: use --topology single)")
        if args.num_envs is not None and args.num_envs < len(devices):
            raise UsageError(f"{len(devices)} data-parallel processes need at least {len(devices)} environments")
    if layout is not None and args.rl_library == "skrl" and layout.num_learners > 1:
        # skrl averages over processes only when it sees WORLD_SIZE, which a learner of this run must not see
        raise UsageError("skrl trains with one learner device; several learners (hybrid) need --rl_library rsl_rl")
    settings = common.settings_from(TrainSettings, args, overrides=overrides, layout=layout, devices=devices,
                                    argv=list(argv))  # fmt: skip
    return train(settings)


def cli() -> int:
    return common.run_cli(main)


if __name__ == "__main__":  # torchrun starts the data-parallel processes as ``python -m dexgrasp.cli.train``
    sys.exit(cli())
