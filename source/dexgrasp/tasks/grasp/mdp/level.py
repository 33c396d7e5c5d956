"""The curriculum level every scheduled term reads (kept apart so observation, event and reward terms import it
without importing the curriculum term itself)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from isaaclab.envs import ManagerBasedRLEnv


def curriculum_level(env: ManagerBasedRLEnv) -> float:
    """The ADR level in [0, 1] (``env.curriculum``, :class:`~dexgrasp.tasks.grasp.grasp_curriculum.GraspCurriculum`)."""
    return env.curriculum.level


def scheduled(env: ManagerBasedRLEnv, start: float, end: float) -> float:
    """Linear interpolation from ``start`` (level 0) to ``end`` (level 1)."""
    level = curriculum_level(env)
    return start + (end - start) * level
