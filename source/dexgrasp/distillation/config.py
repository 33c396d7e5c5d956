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
    from isaaclab_rl.rsl_rl import handle_deprecated_rsl_rl_cfg
    from isaaclab_rl.rsl_rl.utils import check_rsl_rl_version
    from isaaclab_tasks.utils import resolve_task_config

    from dexgrasp.tasks.grasp.grasp_env import validate_env_cfg

    env_cfg, agent_cfg = resolve_task_config(
        variant.env_id, "rsl_rl_cfg_entry_point", play_mode=play, overrides=list(overrides)
    )
    agent_cfg = handle_deprecated_rsl_rl_cfg(agent_cfg, check_rsl_rl_version())
    if num_envs is not None:
        env_cfg.scene.num_envs = num_envs
    env_cfg.sim.device = device
    agent_cfg.device = device
    if seed is not None:
        agent_cfg.seed = seed
    env_cfg.seed = agent_cfg.seed
    validate_env_cfg(env_cfg)
    return env_cfg, agent_cfg


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
