"""Automatic domain randomisation (ADR) for the grasp task.

One scalar, the curriculum *level* in [0, 1], drives every schedule of the task: object spawn width and
rotation, robot start noise, physics randomisation, object pushes, observation noise and bias, camera pose and
depth artefacts, reward sharpness and weights. Level 0 is an easy start with no randomisation at all. It advances by ``1 / num_steps`` whenever the success rate of the
episodes finished since the last decision passes a threshold. The level lives on the environment
(``env.grasp_curriculum_level``) so reward and event terms read one number, and so that a training runner
that drives several simulation processes can read it and write it back to keep them in lockstep
(:func:`get_curriculum_state` / :func:`set_curriculum_state`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from isaaclab.managers import ManagerTermBase

from .level import curriculum_level, scheduled
from .observations import ScheduledNoiseModel

if TYPE_CHECKING:
    from isaaclab.envs import ManagerBasedRLEnv
    from isaaclab.managers import CurriculumTermCfg

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
    return env.grasp_metrics.goal_distance(env)


class GraspADR(ManagerTermBase):
    """Success-rate driven curriculum.

    The curriculum manager calls it on every reset, before the scene is reset; the environment has just judged
    the finished episodes (:class:`~dexgrasp.tasks.grasp.episode_metrics.EpisodeMetrics`: success is the object
    within the success radius of the goal at the end). A follower (a simulation process of a multi-process run,
    whose level a learner decides for all) still measures its success rate; it only does not act on it.
    """

    def __init__(self, cfg: CurriculumTermCfg, env: ManagerBasedRLEnv):
        super().__init__(cfg, env)
        self._step = int(cfg.params.get("init_step", 0))
        self._num_steps = int(cfg.params["num_steps"])
        env.grasp_adr = self
        self.set_step(self._step)
        self._successes = 0
        self._episodes = 0
        self._last_rate = 0.0
        self.follower = False
        """When True the level is set from outside (a learner deciding over several simulation processes)."""
        self._outcomes = [0, 0]

    @property
    def state(self) -> dict:
        return {"step": self._step, "num_steps": self._num_steps}

    def drain_outcomes(self) -> tuple[int, int]:
        """(successes, episodes) finished since the last call."""
        outcomes, self._outcomes = tuple(self._outcomes), [0, 0]
        return outcomes

    def set_step(self, step: int) -> None:
        self._step = max(0, min(int(step), self._num_steps))
        level = self._step / self._num_steps
        self._env.grasp_curriculum_level = level
        for instance in getattr(self._env.observation_manager, "_group_obs_class_instances", []):
            if isinstance(instance, ScheduledNoiseModel):
                instance.level = level

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
            success = episode_success(env)[finished]
            self._successes += int(success.sum())
            self._episodes += len(finished)
            self._outcomes[0] += int(success.sum())
            self._outcomes[1] += len(finished)
        if self._episodes >= min_episodes:
            self._last_rate = self._successes / self._episodes
            if self._last_rate > success_threshold and not self.follower:
                self.set_step(self._step + 1)
            self._successes = self._episodes = 0
        return {"level": env.grasp_curriculum_level, "success_rate": self._last_rate}


def episode_success(env: ManagerBasedRLEnv) -> torch.Tensor:
    """Per environment: whether its last finished episode ended with the object at the goal."""
    return env.grasp_metrics.success


def _adr_term(env: ManagerBasedRLEnv) -> GraspADR | None:
    return getattr(env, "grasp_adr", None)


def get_curriculum_state(env: ManagerBasedRLEnv) -> dict:
    """The ADR state to checkpoint or to share across simulation processes."""
    term = _adr_term(env)
    return term.state if term is not None else {}


def set_curriculum_state(env: ManagerBasedRLEnv, state: dict) -> None:
    """Restore an ADR state saved by :func:`get_curriculum_state` (resume, lockstep)."""
    term = _adr_term(env)
    if term is not None and "step" in state:
        term.set_step(state["step"])
