"""``scripts/record.py``: roll a policy out and write whole episodes to an HDF5 dataset.

The acting policy (``--checkpoint``) is a trained RSL-RL policy or a distilled student. A teacher labels
every step with its action mean and std: ``--teacher``, or the acting policy itself when it is a state or
depth policy recording in a student task (its episodes then teach offline). The scene is the student task's
distillation variant whenever a teacher of another task is involved, so every policy finds its groups.
Arguments this tool does not know are Isaac Lab overrides (``presets=res32``). See ``docs/datasets.md``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from dataclasses import dataclass

from dexgrasp.viewer import viewer_from_args

from .common import (
    TASKS,
    UsageError,
    add_policy_args,
    check_policy_args,
    check_positive,
    check_task,
    parse_with_overrides,
    resolve_device,
    run_cli,
)


def build_parser() -> argparse.ArgumentParser:
    from isaaclab.app import add_launcher_args

    parser = argparse.ArgumentParser(description="Record episodes of a policy to an HDF5 dataset.")
    parser.add_argument(
        "--task", default=None, help=f"task to record (default: the policy's), one of: {', '.join(TASKS)}"
    )
    add_policy_args(parser, "acting policy: scripts/train.py or scripts/distill.py")
    parser.add_argument("--teacher", default=None, help="state or depth policy labelling every step")
    parser.add_argument("--episodes", type=int, default=8, help="episodes to store")
    parser.add_argument("--output", required=True, help="HDF5 file to write (.hdf5)")
    parser.add_argument("--max_episodes", type=int, default=None, help="episodes to roll out at most (stored or not)")
    parser.add_argument("--max_gb", type=float, default=None, help="stop once the file is this large [GB]")
    parser.add_argument("--success_only", action="store_true", help="store successful episodes only")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    parser.add_argument("--num_envs", type=int, default=None, help="environments (default: min(episodes, 4))")
    parser.add_argument("--seed", type=int, default=None, help="random seed")
    add_launcher_args(parser)
    parser.set_defaults(device=None)
    return parser


@dataclass
class Setup:
    """Who acts, who labels, in which scene."""

    task: str
    env_id: str
    variant: object | None
    actor_library: str
    actor_spec: object | None
    teacher_spec: object | None
    actor_is_teacher: bool


def parse(argv: list[str]):
    args, overrides = parse_with_overrides(build_parser(), argv)
    if args.task is not None:
        check_task(args.task)
    check_positive("--episodes", args.episodes)
    check_positive("--num_envs", args.num_envs)
    check_positive("--max_episodes", args.max_episodes)
    check_policy_args(args)
    if args.policy == "scripted" and args.teacher is not None:
        raise UsageError("the scripted expert labels its own episodes: --teacher goes with --checkpoint only")
    if args.max_gb is not None and args.max_gb <= 0:
        raise UsageError(f"--max_gb must be positive, got {args.max_gb}")
    if not args.output.endswith((".hdf5", ".h5")):
        raise UsageError(f"--output must be an .hdf5 file, got {args.output}")
    if os.path.isdir(args.output):
        raise UsageError(f"output {args.output} is a folder")
    if os.path.exists(args.output) and not args.overwrite:
        raise UsageError(f"output {args.output} exists; pass --overwrite to replace it")
    args.device = resolve_device(args.device)
    return args, overrides


def resolve(args) -> Setup:
    """Check the acting policy and the teacher against the task; choose the scene (no simulator needed)."""
    from dexgrasp.distillation.config import LIBRARY
    from dexgrasp.distillation.teacher import TEACHER_TASKS, read_policy, read_teacher
    from dexgrasp.tasks.grasp.distill_tasks import SCRIPTED, STATE, variant_for
    from dexgrasp.training.checkpoint import CheckpointError, read_metadata

    if args.policy == SCRIPTED:
        # a student task is recorded in its scripted-teacher scene, which adds the auxiliary head's label
        task = args.task or STATE
        variant = variant_for(task, SCRIPTED) if task != STATE else None
        return Setup(task, variant.env_id if variant else task, variant, SCRIPTED, None, None, actor_is_teacher=True)
    meta = read_metadata(args.checkpoint)
    if not meta:
        raise CheckpointError(f"policy {args.checkpoint} has no task metadata: not a checkpoint of this package")
    library = meta.get("library")
    if library not in ("rsl_rl", LIBRARY):
        raise CheckpointError(
            f"policy {args.checkpoint} was trained with {library}; recording needs rsl_rl or a student"
        )
    task = args.task or meta["task"]
    teacher = read_teacher(args.teacher) if args.teacher else None
    actor = read_policy(args.checkpoint) if library == "rsl_rl" else None
    actor_teaches = actor is not None and meta["task"] != task
    if library == LIBRARY and meta["task"] != task:
        raise CheckpointError(f"student {args.checkpoint} belongs to task '{meta['task']}', not '{task}'")
    if actor_teaches and meta["task"] not in TEACHER_TASKS:
        raise CheckpointError(f"policy {args.checkpoint} belongs to task '{meta['task']}', not '{task}'")
    if actor_teaches and teacher is not None and teacher.task != meta["task"]:
        raise CheckpointError(
            f"one scene cannot serve a policy of '{meta['task']}' and a teacher of '{teacher.task}' in '{task}'"
        )
    teacher_task = teacher.task if teacher else (meta["task"] if actor_teaches else None)
    variant = variant_for(task, teacher_task) if teacher_task and teacher_task != task else None
    return Setup(
        task=task,
        env_id=variant.env_id if variant else task,
        variant=variant,
        actor_library=library,
        actor_spec=actor,
        teacher_spec=teacher if teacher else (actor if actor_teaches else None),
        actor_is_teacher=teacher is None and actor_teaches,
    )


def main(argv: list[str]) -> int:
    args, overrides = parse(argv)
    from dexgrasp.datasets import DatasetError
    from dexgrasp.distillation.teacher import check_teacher_fits
    from dexgrasp.training.checkpoint import CheckpointError

    try:
        setup = resolve(args)
        env_cfg = _load_env_cfg(setup, args, overrides)
    except CheckpointError:
        raise
    except ValueError as exc:  # no scene for this policy and teacher, or settings that cannot build one
        raise UsageError(str(exc).splitlines()[0]) from exc
    if setup.teacher_spec is not None:
        check_teacher_fits(setup.teacher_spec, env_cfg)
    try:
        summary = _record(setup, args, env_cfg)
    except DatasetError as exc:
        raise UsageError(str(exc)) from exc
    rate = summary.successes / summary.stored if summary.stored else 0.0
    print(
        f"recorded {summary.stored} episodes ({summary.steps} steps, success rate {rate:.2f}) of {summary.finished}"
        f" finished in {summary.seconds:.1f} s; {summary.size_bytes / 1e6:.2f} MB; stopped: {summary.stop_reason}"
    )
    print(f"dataset: {os.path.abspath(args.output)}")
    return 0


def _load_env_cfg(setup: Setup, args, overrides: list[str]):
    num_envs = args.num_envs or min(args.episodes, 4)
    if setup.variant is not None:
        from dexgrasp.distillation.config import load_variant_cfgs

        env_cfg, _ = load_variant_cfgs(setup.variant, overrides, num_envs, args.device, args.seed)
    else:
        from dexgrasp.training.env_factory import load_cfgs

        env_cfg, _ = load_cfgs(setup.task, "rsl_rl", overrides, num_envs, args.device, args.seed)
    return env_cfg


def _record(setup: Setup, args, env_cfg):
    import numpy as np
    import torch
    import yaml
    from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper
    from tqdm import tqdm

    import dexgrasp
    from dexgrasp.datasets import DatasetWriter, scene_info, schema
    from dexgrasp.datasets.recorder import Limits, record, step_rows
    from dexgrasp.distillation.policy import ExpertPolicy, FrozenPolicy, load_actor, load_student
    from dexgrasp.distillation.teacher import SCRIPTED_TEACHER
    from dexgrasp.tasks.grasp.mdp import episode_success
    from dexgrasp.training.env_factory import make_env, simulation

    with simulation(env_cfg, args.device, viewer=viewer_from_args(args)):
        env = make_env(setup.env_id, env_cfg)
        writer = None
        try:
            wrapped = RslRlVecEnvWrapper(env)
            unwrapped = env.unwrapped
            obs = wrapped.get_observations()
            num_actions = wrapped.num_actions
            if setup.actor_library == "scripted" and setup.variant is not None:
                # the scene computes the expert's actions as its label groups: act on those
                actor = FrozenPolicy(load_actor(SCRIPTED_TEACHER, obs, SCRIPTED_TEACHER.obs_groups, num_actions, "cpu"))
            elif setup.actor_library == "scripted":
                actor = ExpertPolicy(unwrapped)
            elif setup.actor_library == "rsl_rl":
                groups = setup.variant.teacher_groups(setup.actor_spec.obs_groups) if setup.actor_is_teacher else None
                model = load_actor(
                    setup.actor_spec, obs, groups or setup.actor_spec.obs_groups, num_actions, args.device
                )
            else:
                model = load_student(args.checkpoint, obs, num_actions, args.device)
            if setup.actor_library != "scripted":
                actor = FrozenPolicy(model)
            teacher = actor if setup.actor_is_teacher else None
            if args.teacher:
                spec = setup.teacher_spec
                groups = setup.variant.teacher_groups(spec.obs_groups) if setup.variant else spec.obs_groups
                teacher = FrozenPolicy(load_actor(spec, obs, groups, num_actions, args.device))
            zeros = torch.zeros(wrapped.num_envs, num_actions)
            rows = step_rows(obs, zeros, (zeros, zeros) if teacher else None, scene_info.object_pose(unwrapped))
            rows[schema.REWARDS] = np.zeros(wrapped.num_envs, dtype=np.float32)
            rows[schema.DONES] = np.zeros(wrapped.num_envs, dtype=bool)
            cameras = scene_info.camera_metadata(env_cfg)
            metadata = {
                "task": setup.task,
                "env_id": setup.env_id,
                "teacher_task": _teacher_task(setup) if teacher else None,
                "policy": {
                    "checkpoint": os.path.abspath(args.checkpoint) if args.checkpoint else None,
                    "library": setup.actor_library,
                },
                "teacher": {"checkpoint": setup.teacher_spec.checkpoint if setup.teacher_spec else None}
                if teacher
                else None,
                "keys": schema.key_spec({key: value[0] for key, value in rows.items()}),
                "num_actions": num_actions,
                "num_envs": wrapped.num_envs,
                "seed": env_cfg.seed,
                "step_dt": unwrapped.step_dt,
                "image_size": [env_cfg.image.width, env_cfg.image.height],
                "depth_range": list(env_cfg.depth_range),
                "cameras": cameras,
                "stereo_baseline": scene_info.stereo_baseline(cameras),
                "package_version": dexgrasp.__version__,
                "created": datetime.datetime.now().isoformat(timespec="seconds"),
            }
            env_yaml = yaml.dump(env_cfg.to_dict(), default_flow_style=False, sort_keys=False)
            writer = DatasetWriter(args.output, setup.task, metadata, env_yaml, overwrite=args.overwrite)
            print(f"[dexgrasp] recording {args.episodes} episodes of {setup.env_id} to {writer.path}")
            limits = Limits(
                args.episodes, args.max_episodes, args.max_gb * 1e9 if args.max_gb else None, args.success_only
            )
            with tqdm(total=args.episodes, desc="episodes", unit="ep", file=sys.stderr) as progress:
                return record(
                    wrapped,
                    actor,
                    teacher,
                    writer,
                    limits,
                    object_pose=lambda: scene_info.object_pose(unwrapped),
                    success=lambda: episode_success(unwrapped),
                    episode_attrs={"seed": env_cfg.seed},
                    progress=progress,
                )
        finally:
            if writer is not None:
                writer.close()
            env.close()


def _teacher_task(setup: Setup) -> str:
    return setup.teacher_spec.task if setup.teacher_spec is not None else setup.actor_library


def cli() -> int:
    return run_cli(main)
