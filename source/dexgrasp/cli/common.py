"""Argument handling shared by the command-line tools: validation before anything expensive starts."""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import sys

from dexgrasp.tasks.grasp.config.kuka_allegro import DEPTH, TASK_IDS

TASKS = TASK_IDS
DEFAULT_TASK = DEPTH


class UsageError(ValueError):
    """Bad input from the user; reported as one line and exit status 2."""


def settings_from(cls, args: argparse.Namespace, **given):
    """A job's settings dataclass (:mod:`dexgrasp.jobs`) filled from the options of the same names; ``given``
    holds the fields an option names otherwise or that the command line computes. One mapping for every tool, so
    an option added to a job reaches it by its name."""
    named = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if hasattr(args, f.name)}
    return cls(**{**named, **given})


def add_task_args(parser: argparse.ArgumentParser, default_task: str | None = DEFAULT_TASK) -> None:
    """Task arguments; ``--device`` comes with Isaac Lab's launcher arguments (cpu, cuda or cuda:N)."""
    parser.add_argument("--task", default=default_task, help=f"task id, one of: {', '.join(TASKS)}")
    add_env_args(parser)
    parser.add_argument("--rl_library", choices=("rsl_rl", "skrl"), default="rsl_rl")


def add_env_args(
    parser: argparse.ArgumentParser,
    num_envs_help: str = "number of environments (total)",
    seed_help: str = "random seed",
) -> None:
    """``--num_envs`` and ``--seed``, unset by default (each tool sizes and seeds what the user leaves open)."""
    parser.add_argument("--num_envs", type=int, default=None, help=num_envs_help)
    parser.add_argument("--seed", type=int, default=None, help=seed_help)


def add_launcher_options(parser: argparse.ArgumentParser, **defaults) -> argparse.ArgumentParser:
    """Isaac Lab's launcher arguments (``--device``, ``--headless``, ...) with ``--device`` left unset, so that each
    tool resolves its own default (:func:`resolve_device`); ``defaults`` sets other defaults the tool needs."""
    from isaaclab.app import add_launcher_args

    add_launcher_args(parser)
    parser.set_defaults(device=None, **defaults)
    return parser


def add_topology_args(parser: argparse.ArgumentParser) -> None:
    """``--topology`` and the device lists of the multi-process topologies, shared by train and distill."""
    from dexgrasp.topologies import TOPOLOGIES

    topo = parser.add_argument_group("topology")
    topo.add_argument("--topology", choices=TOPOLOGIES, default="single", help="where simulation and learner run")
    topo.add_argument(
        "--sim_devices", default=None, help="disaggregated: simulation devices, e.g. cuda:0,cuda:1 or cpu,cpu"
    )
    topo.add_argument("--learner_device", default=None, help="disaggregated: learner device(s), e.g. cuda:3")
    topo.add_argument("--devices", default=None, help="data_parallel: one process per device, e.g. cuda:0,cuda:1")
    topo.add_argument(
        "--worker_timeout", type=float, default=60.0, help="seconds before a silent process fails the run"
    )


CPU_NUM_ENVS = {"state": 64, "images": 8}
"""Environments of a run that simulates on the CPU only and names no ``--num_envs``: the tasks' defaults (thousands)
are sized for GPUs, and on a CPU they would build for minutes and train for hours before a first line of progress."""


def size_for_cpu(args: argparse.Namespace) -> None:
    """Set ``args.num_envs`` to :data:`CPU_NUM_ENVS` when it is unset and every simulation device is the CPU, and
    say so."""
    if args.num_envs is not None:
        return
    named = {"disaggregated": args.sim_devices, "data_parallel": args.devices}.get(args.topology)
    devices = [d.strip() for d in named.split(",")] if named else [resolve_device(args.device)]
    if not all(d == "cpu" for d in devices):
        return
    args.num_envs = CPU_NUM_ENVS["state" if "-State" in args.task else "images"]
    if os.environ.get("RANK", "0") != "0":  # a data-parallel rank: the first one says it
        return
    print(
        f"[dexgrasp] simulating on the CPU: {args.num_envs} environments (the task's default is sized for GPUs;"
        " --num_envs sets it)",
        flush=True,
    )


def add_policy_args(parser: argparse.ArgumentParser, checkpoint_help: str, modular: bool = False) -> None:
    """``--checkpoint`` or ``--policy scripted`` (the scripted grasp expert), and with ``modular`` also
    ``--policy modular``; see :func:`check_policy_args`."""
    parser.add_argument("--checkpoint", default=None, help=checkpoint_help)
    help_text = "'scripted': the scripted grasp expert (privileged simulator state, no checkpoint)"
    if modular:
        help_text += (
            "; 'modular': the scripted expert acting on the object position that the --checkpoint student's"
            " position head reads from its images, instead of the simulator's"
        )
    parser.add_argument(
        "--policy",
        choices=("checkpoint", "scripted", "modular") if modular else ("checkpoint", "scripted"),
        default="checkpoint",
        help=help_text,
    )


def add_evaluation_args(parser: argparse.ArgumentParser, episodes: int | None) -> None:
    """What an evaluation's episodes are: how many (unless ``episodes`` is None: one per environment), at which fixed
    curriculum level, on which object set. With the seed they fix the episodes
    (:mod:`dexgrasp.evaluation.episode_plan`)."""
    if episodes is not None:
        parser.add_argument("--episodes", type=int, default=episodes, help="episodes to evaluate")
    parser.add_argument(
        "--level", type=float, default=0.0, help="ADR level held for the whole evaluation, 0 (none) to 1 (full)"
    )
    parser.add_argument(
        "--objects",
        choices=("train", "heldout", "cube"),
        default=None,
        help="object set: the procedural training set, the held-out set, or the cube (default: the task's or presets')",
    )


def check_evaluation_args(args: argparse.Namespace) -> None:
    check_positive("--episodes", getattr(args, "episodes", None))
    if not 0.0 <= args.level <= 1.0:
        raise UsageError(f"--level must lie in [0, 1], got {args.level}")


def evaluation_cfg(env_cfg, args: argparse.Namespace) -> int:
    """Apply ``--objects`` to ``env_cfg`` and return the number of environments: ``--num_envs``, else enough for
    every object of the set to have one (at least 4 where the set is smaller). With fewer environments than
    objects, episodes are drawn over the objects the environments hold (the summary's ``objects_held``)."""
    from dexgrasp.tasks.grasp.scene_cfg import OBJECT_SETS, ObjectSetPresetCfg, object_count

    if args.objects is not None:
        env_cfg.objects = getattr(ObjectSetPresetCfg(), OBJECT_SETS[args.objects])
    count = object_count(env_cfg.objects)
    num_envs = args.num_envs or max(count, min(getattr(args, "episodes", 4), 4))
    if num_envs < count:
        print(
            f"[dexgrasp] warning: {num_envs} environments hold at most {num_envs} of the set's {count} objects;"
            f" the episodes are drawn over those (use --num_envs {count} or more to evaluate the whole set)",
            flush=True,
        )
    env_cfg.scene.num_envs = num_envs
    return num_envs


def check_policy_args(args: argparse.Namespace) -> None:
    if (args.policy == "scripted") == (args.checkpoint is not None):
        raise UsageError("give --checkpoint, or --policy scripted without one")


def parse_with_overrides(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """Known options, and the rest as Isaac Lab overrides (``presets=...``, ``env.x=...``); an unknown ``--flag``
    is a usage error rather than an override that would fail later."""
    args, overrides = parser.parse_known_args(argv)
    unknown = [a for a in overrides if a.startswith("--")]
    if unknown:
        raise UsageError(f"unknown option {unknown[0]}")
    return args, overrides


def parse_command(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """:func:`parse_with_overrides`, then the checks every tool shares: ``--task`` (where one is given) is a
    registered task and ``--num_envs`` (where the tool has it) is positive."""
    args, overrides = parse_with_overrides(parser, argv)
    if getattr(args, "task", None) is not None:
        check_task(args.task)
    check_positive("--num_envs", getattr(args, "num_envs", None))
    return args, overrides


def check_task(task: str) -> str:
    if task not in TASKS:
        raise UsageError(f"unknown task '{task}'; available: {', '.join(TASKS)}")
    return task


def check_positive(name: str, value: int | None) -> None:
    if value is not None and value < 1:
        raise UsageError(f"{name} must be a positive integer, got {value}")


def resolve_device(device: str | None) -> str:
    """A torch device string that exists on this machine."""
    from dexgrasp.topologies.devices import resolve_device as resolve

    try:
        return resolve(device)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def run_cli(main, argv: list[str] | None = None) -> int:
    """Run ``main(argv)``, turning usage errors into one line on stderr and exit status 2.

    When ``main`` is done the collector's objects are frozen: the interpreter's last collections would otherwise
    walk every object the simulation's modules hold, which kept a run stopped with Ctrl-C alive for seconds after
    its files were written."""
    from dexgrasp.jobs import SettingsError
    from dexgrasp.runs import CheckpointError

    try:
        return int(main(sys.argv[1:] if argv is None else argv) or 0)
    except (UsageError, SettingsError, CheckpointError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        gc.freeze()
