"""Offline distillation inputs: which recorded arrays a student needs, and the replay environment over them."""

from __future__ import annotations

import math

from dexgrasp.datasets import DatasetError, DatasetFile, EpisodeStream, open_datasets, schema
from dexgrasp.envs.replay import ReplayVecEnv
from dexgrasp.tasks.grasp.distill_tasks import DistillVariant, variant_by_env_id, variant_for


def required_keys(variant: DistillVariant, aux_group: str | None) -> list[str]:
    groups = list(variant.student_groups) + ([aux_group] if aux_group else [])
    return [schema.obs_key(g) for g in groups] + [schema.TEACHER_MEAN, schema.TEACHER_STD, schema.REWARDS, schema.DONES]


def dataset_variant(path: str, task: str) -> DistillVariant:
    """The distillation variant a dataset was recorded in (its teacher's kind decides it)."""
    found = DatasetFile(path)
    try:
        if found.task != task:
            raise DatasetError(f"{path} holds episodes of '{found.task}', not '{task}'")
        variant = variant_by_env_id(found.meta.get("env_id", ""))
        if variant is None and found.meta.get("teacher_task"):
            variant = variant_for(task, found.meta["teacher_task"])
        if variant is None:
            raise DatasetError(f"{path} has no teacher labels: record it with --teacher")
        return variant
    finally:
        found.close()


def open_replay(
    paths: list[str], variant: DistillVariant, aux_group: str | None, lanes: int | None, device: str, seed: int
) -> tuple[ReplayVecEnv, list[DatasetFile]]:
    """The replay environment over ``paths`` (checked: task, teacher labels, groups, shapes)."""
    keys = required_keys(variant, aux_group)
    files = open_datasets(paths, variant.task, keys)
    num_episodes = sum(len(f.episodes) for f in files)
    stream = EpisodeStream(files, keys, num_lanes=lanes or min(num_episodes, 16), seed=seed)
    groups = list(variant.student_groups) + ([aux_group] if aux_group else [])
    num_actions = files[0].keys[schema.ACTIONS][0][0]
    return ReplayVecEnv(stream, groups, num_actions, device), files


def iterations_for(passes: float, env: ReplayVecEnv, steps_per_env: int) -> int:
    """Learning iterations that go through the recorded data ``passes`` times."""
    return max(1, math.ceil(passes * env.steps_per_pass / (env.num_envs * steps_per_env)))
