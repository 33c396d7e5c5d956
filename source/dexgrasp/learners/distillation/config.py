"""Configurations of a distillation run: the variant's scene and learner, with the teacher filled in."""

from __future__ import annotations

import copy

from dexgrasp.tasks.grasp.distill_tasks import DistillVariant

from .recorded_teacher import MEAN_GROUP, STD_GROUP, RecordedTeacher
from .teacher import PolicySpec

LIBRARY = "rsl_rl_distill"
"""The ``library`` recorded in student checkpoints."""


def load_variant_cfgs(
    variant: DistillVariant,
    overrides: list[str],
    num_envs: int | None,
    device: str,
    seed: int | None,
    play: bool = False,
):
    """Scene and learner configurations of ``variant``, presets and overrides applied (no simulator needed).

    Raises ``ValueError`` for settings that cannot build a scene.
    """
    from dexgrasp.envs.factory import load_cfgs

    return load_cfgs(variant.env_id, "rsl_rl", overrides, num_envs, device, seed, play=play)


def online_train_cfg(agent_cfg, variant: DistillVariant, teacher: PolicySpec) -> dict:
    """RSL-RL's runner dictionary: the student of the variant, the teacher as it was trained."""
    cfg = _plain(agent_cfg)
    cfg["teacher"] = copy.deepcopy(teacher.model_cfg)
    cfg["obs_groups"] = {"student": list(variant.student_groups), "teacher": variant.teacher_groups(teacher.obs_groups)}
    return cfg


def offline_train_cfg(agent_cfg, variant: DistillVariant) -> dict:
    """The same learner, its teacher replaced by the labels recorded in the datasets."""
    cfg = _plain(agent_cfg)
    cfg["teacher"] = {"class_name": f"{RecordedTeacher.__module__}:{RecordedTeacher.__name__}"}
    cfg["obs_groups"] = {"student": list(variant.student_groups), "teacher": [MEAN_GROUP, STD_GROUP]}
    return cfg


def _plain(agent_cfg) -> dict:
    return copy.deepcopy(agent_cfg if isinstance(agent_cfg, dict) else agent_cfg.to_dict())
