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

from ..episode_metrics import object_distance_to
from .level import curriculum_level, scheduled

if TYPE_CHECKING:
    from isaaclab.envs import ManagerBasedRLEnv

__all__ = [
    "GoalHeight",
    "ObjectWeight",
    "GraspADR",
    "curriculum_level",
    "episode_success",
    "get_curriculum_state",
    "scheduled",
    "set_curriculum_state",
    "object_goal_distance",
    "object_training_goal_distance",
]


def object_goal_distance(env: ManagerBasedRLEnv) -> torch.Tensor:
    """Distance of each environment's object to the goal position (shape ``(num_envs,)``)."""
    return env.episode_metrics.goal_distance(env)


def _env_ids(env: ManagerBasedRLEnv, env_ids: Sequence[int] | slice) -> torch.Tensor:
    """``env_ids`` as a tensor of indices."""
    if isinstance(env_ids, slice):
        return torch.arange(env.num_envs, device=env.device)[env_ids]
    return torch.as_tensor(env_ids, device=env.device, dtype=torch.long)


def _finished_episodes(env: ManagerBasedRLEnv, env_ids: Sequence[int] | slice) -> torch.Tensor:
    """The environments of ``env_ids`` whose episode ends at this reset (the first reset after start-up ends none)."""
    ids = _env_ids(env, env_ids)
    return ids[env.episode_length_buf[ids] > 0]


def _normal_starts(env: ManagerBasedRLEnv, finished: torch.Tensor) -> torch.Tensor:
    """The episodes of ``finished`` that started normally: an assisted start (object placed in the hand) says
    nothing of what the policy can do on the task's own starts, so the curricula do not count it."""
    return finished[~env.episode_metrics.last_assisted[finished]]


def object_training_goal_distance(env: ManagerBasedRLEnv) -> torch.Tensor:
    """Distance of each environment's object to the goal the rewards pay for (``env.training_goal``): the task's goal,
    unless the :class:`GoalHeight` curriculum holds it lower."""
    return object_distance_to(env, env.training_goal)


class GoalHeight(ManagerTermBase):
    """A curriculum on goal height for training from scratch: the goal that rewards and the policy's observation use
    (``env.training_goal``, one per environment) starts at ``start_height`` and rises by ``step`` each time a window
    of ``min_episodes`` finished episodes reaches ``success_threshold`` at the goals they were paid for, up to the
    task's goal. With ``low_height`` set, each episode draws its goal height uniformly between ``low_height`` and
    the curriculum's height, so the policy has to read the goal it observes, and a policy trained this way meets no
    goal it has not seen when evaluated at the task's (``start_height`` at the task's goal height draws every height
    from the start). It logs the height and the last window's rate.

    Near the table the task's lift and goal terms barely grow with height (the goal is 0.5 m up); a low goal
    pays for the first centimetres of a lift. Success, the episode metrics and the ADR level keep the task's own
    goal: what success means does not change, and an evaluation without this curriculum sees the task's goal.
    ``start_height`` None (the default) leaves the goal where the task puts it and logs nothing. An episode keeps
    the goal it started with when the height rises. In a multi-process topology each simulation process keeps its
    own goal height; checkpoints do not keep it (a resumed run starts from ``start_height`` again).
    """

    def __init__(self, cfg, env: ManagerBasedRLEnv):
        super().__init__(cfg, env)
        self._top = float(env.cfg.goal_pos[2])
        start, low = cfg.params.get("start_height"), cfg.params.get("low_height")
        if start is not None and not 0.0 < start <= self._top:
            raise ValueError(f"goal_height start_height {start} must lie above 0 and at most the goal's {self._top}")
        if low is not None and (start is None or not 0.0 < low <= start):
            raise ValueError(f"goal_height low_height {low} needs a start_height at or above it (got {start})")
        self.height = start
        """The highest goal height the episodes that start now are paid for."""
        if start is not None:
            env.training_goal[:, 2] = start
        self._window = _Window()

    def __call__(
        self,
        env: ManagerBasedRLEnv,
        env_ids: Sequence[int],
        start_height: float | None,
        step: float,
        success_threshold: float,
        min_episodes: int,
        success_radius: float,
        low_height: float | None = None,
    ) -> dict[str, float] | None:
        if start_height is None:
            return None
        # called before the scene resets: the finished episodes' objects lie where they ended, at their own goals
        finished = _finished_episodes(env, env_ids)
        reached = int((object_training_goal_distance(env)[finished] < success_radius).sum())
        if self._window.passed(reached, len(finished), min_episodes, success_threshold):
            self.height = min(self.height + step, self._top)
        ids = _env_ids(env, env_ids)
        if low_height is None:
            env.training_goal[ids, 2] = self.height
        else:
            draw = torch.rand(len(ids), device=env.device)
            env.training_goal[ids, 2] = low_height + (self.height - low_height) * draw
        return {"height": self.height, "success_rate": self._window.last_rate}


class _Window:
    """Counts finished episodes and their successes in windows of at least ``min_episodes``."""

    def __init__(self) -> None:
        self._successes, self._episodes = 0, 0
        self.last_rate = 0.0
        """Share of the last full window's episodes that succeeded."""

    def passed(self, successes: int, episodes: int, min_episodes: int, threshold: float) -> bool:
        """Add episodes; True when this closes a window whose success rate reaches ``threshold``."""
        self._successes += successes
        self._episodes += episodes
        if self._episodes < min_episodes:
            return False
        self.last_rate = self._successes / self._episodes
        self._successes, self._episodes = 0, 0
        return self.last_rate >= threshold


class ObjectWeight(ManagerTermBase):
    """A curriculum on the object's weight for training from scratch, in the style of dexsuite's gravity curriculum:
    an upward force of ``(1 - w) m g`` holds up part of the object's weight (``env.object_weight`` = w, applied at
    each reset by :func:`~dexgrasp.tasks.grasp.mdp.events.support_object`). w starts at ``start_scale`` and rises
    by ``step`` each time ``success_threshold`` of a window of ``min_episodes`` finished episodes with a normal
    start end with the object held: lifted the task's ``lift_height`` and still up when the episode ends
    (``episode_metrics.last_held``).

    A light object stays in a loose grip and rises with a weak lift, so the first grasps that lift pay before the
    hand can hold the full weight; the object gets heavier as soon as the policy holds it, whether or not it carries
    it to a goal yet, so the grip it learns is one for the real weight. ``start_scale`` None (the default) keeps the
    full weight and logs nothing: an evaluation always sees the real object. Like :class:`GoalHeight`, each
    simulation process keeps its own scale and checkpoints do not keep it.
    """

    def __init__(self, cfg, env: ManagerBasedRLEnv):
        super().__init__(cfg, env)
        start = cfg.params.get("start_scale")
        if start is not None and not 0.0 <= start <= 1.0:
            raise ValueError(f"object_weight start_scale {start} must lie in [0, 1]")
        env.object_weight = 1.0 if start is None else float(start)
        self._window = _Window()

    def __call__(
        self,
        env: ManagerBasedRLEnv,
        env_ids: Sequence[int],
        start_scale: float | None,
        step: float,
        success_threshold: float,
        min_episodes: int,
    ) -> dict[str, float] | None:
        if start_scale is None:
            return None
        finished = _normal_starts(env, _finished_episodes(env, env_ids))
        held = int(env.episode_metrics.last_held[finished].sum())
        if self._window.passed(held, len(finished), min_episodes, success_threshold):
            env.object_weight = min(env.object_weight + step, 1.0)
        return {"scale": env.object_weight, "success_rate": self._window.last_rate}


class GraspADR(ManagerTermBase):
    """Success-rate driven curriculum (ADR): its parameters configure ``env.curriculum``'s rule.

    The curriculum manager calls it on every reset, before the scene is reset; the environment has just judged
    the finished episodes (:class:`~dexgrasp.tasks.grasp.episode_metrics.EpisodeMetrics`: success is the object
    within the success radius of the goal at the end). Episodes with an assisted start do not count. It logs the
    level and the last window's success rate.
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
        finished = _normal_starts(env, _finished_episodes(env, env_ids))
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
