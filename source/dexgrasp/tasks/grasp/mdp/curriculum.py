"""The curriculum term of the grasp task, and accessors of the environment's curriculum and outcomes.

The level and the rule that advances it belong to the environment (``env.curriculum``,
:mod:`dexgrasp.tasks.grasp.grasp_curriculum`), so reward, event and observation terms read one number and a
learner that drives several simulation processes can read the outcomes and set the step. The term here is the
part Isaac Lab's curriculum manager calls: it reports the episodes that end and logs the level.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from isaaclab.managers import ManagerTermBase

from .level import curriculum_level, scheduled

if TYPE_CHECKING:
    from isaaclab.envs import ManagerBasedRLEnv

__all__ = [
    "GraspADR",
    "curriculum_level",
    "episode_success",
    "get_curriculum_state",
    "scheduled",
    "set_curriculum_state",
    "object_goal_distance",
]


def object_goal_distance(env: ManagerBasedRLEnv) -> torch.Tensor:
    """Distance of each environment's object to the goal position (shape ``(num_envs,)``)."""
    return env.episode_metrics.goal_distance(env)


class GraspADR(ManagerTermBase):
    """Success-rate driven curriculum (ADR): its parameters configure ``env.curriculum``'s rule.

    The curriculum manager calls it on every reset, before the scene is reset; the environment has just judged
    the finished episodes (:class:`~dexgrasp.tasks.grasp.episode_metrics.EpisodeMetrics`: success is the object
    within the success radius of the goal at the end). It logs the level and the last window's success rate.
    """

    def __call__(
        self,
        env: ManagerBasedRLEnv,
        env_ids: Sequence[int],
        num_steps: int,
        success_threshold: float,
        min_episodes: int,
        success_radius: float,
        init_step: int = 0,
    ) -> dict[str, float]:
        if isinstance(env_ids, slice):
            ids = torch.arange(env.num_envs, device=env.device)[env_ids]
        else:
            ids = torch.as_tensor(env_ids, device=env.device, dtype=torch.long)
        # the first reset after start-up is not the end of an episode
        finished = ids[env.episode_length_buf[ids] > 0]
        if len(finished) > 0:
            env.curriculum.record(int(episode_success(env)[finished].sum()), len(finished))
        return {"level": env.curriculum.level, "success_rate": env.curriculum.last_rate}


def episode_success(env: ManagerBasedRLEnv) -> torch.Tensor:
    """Per environment: whether its last finished episode ended with the object at the goal."""
    return env.episode_metrics.success


def get_curriculum_state(env: ManagerBasedRLEnv) -> dict:
    """The curriculum state to checkpoint or to share across simulation processes."""
    return env.curriculum.state()


def set_curriculum_state(env: ManagerBasedRLEnv, state: dict) -> None:
    """Restore a curriculum state saved by :func:`get_curriculum_state` (resume, lockstep)."""
    env.curriculum.load(state)
