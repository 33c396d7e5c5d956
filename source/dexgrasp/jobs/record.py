"""Recording: a policy's episodes, labelled by a teacher, into an HDF5 dataset (``scripts/record.py``).

The acting policy is a trained RSL-RL policy, a distilled student or the scripted expert; a teacher labels every
step with its action mean and std (see ``docs/datasets.md``). :func:`resolve` decides who acts and who labels in
which scene before any simulator starts; :func:`record` rolls out in one process (the ``single`` topology).
"""

from __future__ import annotations

import datetime
import os
import sys
from dataclasses import dataclass, field


@dataclass
class RecordSettings:
    """A recording as ``scripts/record.py`` asks for it."""

    task: str | None
    policy: str
    """"checkpoint" or "scripted"."""
    checkpoint: str | None
    output: str
    device: str
    teacher: str | None = None
    head_labels: str | None = None
    """A distilled student whose head's reading of the object's position is recorded beside the simulator's."""
    episodes: int = 8
    max_episodes: int | None = None
    max_gb: float | None = None
    success_only: bool = False
    overwrite: bool = False
    num_envs: int | None = None
    seed: int | None = None
    overrides: list[str] = field(default_factory=list)
    viewer: object = None


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


def resolve(s: RecordSettings) -> Setup:
    """Check the acting policy and the teacher against the task; choose the scene (no simulator needed)."""
    from dexgrasp.learners.distillation.config import LIBRARY
    from dexgrasp.learners.distillation.policy import has_position_head
    from dexgrasp.learners.distillation.teacher import TEACHER_TASKS, read_policy, read_teacher
    from dexgrasp.runs import CheckpointError, read_metadata
    from dexgrasp.tasks.grasp.distill_tasks import SCRIPTED, STATE, variant_for

    if s.head_labels and not has_position_head(read_metadata(s.head_labels) or {}):
        raise CheckpointError(
            f"--head_labels {s.head_labels} is not a student of scripts/distill.py with a position head"
        )
    if s.policy == SCRIPTED:
        # a student task is recorded in its scripted-teacher scene, which adds the auxiliary head's label
        task = s.task or STATE
        variant = variant_for(task, SCRIPTED) if task != STATE else None
        return Setup(task, variant.env_id if variant else task, variant, SCRIPTED, None, None, actor_is_teacher=True)
    meta = read_metadata(s.checkpoint)
    if not meta:
        raise CheckpointError(f"policy {s.checkpoint} has no task metadata: not a checkpoint of this package")
    library = meta.get("library")
    if library not in ("rsl_rl", LIBRARY):
        raise CheckpointError(f"policy {s.checkpoint} was trained with {library}; recording needs rsl_rl or a student")
    task = s.task or meta["task"]
    teacher = read_teacher(s.teacher) if s.teacher else None
    actor = read_policy(s.checkpoint) if library == "rsl_rl" else None
    actor_teaches = actor is not None and meta["task"] != task
    if library == LIBRARY and meta["task"] != task:
        raise CheckpointError(f"student {s.checkpoint} belongs to task '{meta['task']}', not '{task}'")
    if actor_teaches and meta["task"] not in TEACHER_TASKS:
        raise CheckpointError(f"policy {s.checkpoint} belongs to task '{meta['task']}', not '{task}'")
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


def load_env_cfg(setup: Setup, s: RecordSettings):
    """The scene of ``setup`` with the settings applied (ValueError for settings that cannot build one)."""
    num_envs = s.num_envs or min(s.episodes, 4)
    overrides = s.overrides
    if s.checkpoint:  # the acting policy is rebuilt as it was trained
        from dexgrasp.envs.overrides import checkpoint_overrides
        from dexgrasp.runs import read_metadata

        overrides = checkpoint_overrides(setup.env_id, "rsl_rl", read_metadata(s.checkpoint), overrides)
    if setup.variant is not None:
        from dexgrasp.learners.distillation.config import load_variant_cfgs

        env_cfg, _ = load_variant_cfgs(setup.variant, overrides, num_envs, s.device, s.seed)
    else:
        from dexgrasp.envs.factory import load_cfgs

        env_cfg, _ = load_cfgs(setup.task, "rsl_rl", overrides, num_envs, s.device, s.seed)
    if s.head_labels:
        from dexgrasp.learners.distillation.head_labels import add_head_labels

        add_head_labels(env_cfg, s.head_labels)
    return env_cfg


def record(setup: Setup, s: RecordSettings, env_cfg):
    """Roll out and write the dataset; returns the recorder's summary."""
    from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper

    from dexgrasp.topologies import RunSpec, single

    spec = RunSpec(task=setup.env_id, env_cfg=env_cfg, device=s.device, wrap=RslRlVecEnvWrapper, viewer=s.viewer)
    return single.run(spec, _record, {"setup": setup, "s": s, "env_cfg": env_cfg})


def _record(wrapped, setup: Setup, s: RecordSettings, env_cfg):
    import numpy as np
    import torch
    import yaml
    from tqdm import tqdm

    import dexgrasp
    from dexgrasp.datasets import DatasetWriter, scene_info, schema
    from dexgrasp.datasets.recorder import Limits, step_rows
    from dexgrasp.datasets.recorder import record as record_episodes
    from dexgrasp.learners.distillation.policy import ExpertPolicy, FrozenPolicy, load_actor, load_student
    from dexgrasp.learners.distillation.teacher import SCRIPTED_TEACHER
    from dexgrasp.tasks.grasp.mdp import episode_success

    writer = None
    try:
        unwrapped = wrapped.unwrapped
        obs = wrapped.get_observations()
        num_actions = wrapped.num_actions
        if setup.actor_library == "scripted" and setup.variant is not None:
            # the scene computes the expert's actions as its label groups: act on those
            actor = FrozenPolicy(load_actor(SCRIPTED_TEACHER, obs, SCRIPTED_TEACHER.obs_groups, num_actions, "cpu"))
        elif setup.actor_library == "scripted":
            actor = ExpertPolicy(unwrapped)
        elif setup.actor_library == "rsl_rl":
            groups = setup.variant.teacher_groups(setup.actor_spec.obs_groups) if setup.actor_is_teacher else None
            model = load_actor(setup.actor_spec, obs, groups or setup.actor_spec.obs_groups, num_actions, s.device)
        else:
            model = load_student(s.checkpoint, obs, num_actions, s.device)
        if setup.actor_library != "scripted":
            actor = FrozenPolicy(model)
        teacher = actor if setup.actor_is_teacher else None
        if s.teacher:
            spec = setup.teacher_spec
            groups = setup.variant.teacher_groups(spec.obs_groups) if setup.variant else spec.obs_groups
            teacher = FrozenPolicy(load_actor(spec, obs, groups, num_actions, s.device))
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
                "checkpoint": os.path.abspath(s.checkpoint) if s.checkpoint else None,
                "library": setup.actor_library,
            },
            "teacher": {"checkpoint": setup.teacher_spec.checkpoint if setup.teacher_spec else None}
            if teacher
            else None,
            "head_labels": {"checkpoint": os.path.abspath(s.head_labels)} if s.head_labels else None,
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
        writer = DatasetWriter(s.output, setup.task, metadata, env_yaml, overwrite=s.overwrite)
        print(f"[dexgrasp] recording {s.episodes} episodes of {setup.env_id} to {writer.path}")
        limits = Limits(s.episodes, s.max_episodes, s.max_gb * 1e9 if s.max_gb else None, s.success_only)
        with tqdm(total=s.episodes, desc="episodes", unit="ep", file=sys.stderr) as progress:
            return record_episodes(
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


def _teacher_task(setup: Setup) -> str:
    return setup.teacher_spec.task if setup.teacher_spec is not None else setup.actor_library
