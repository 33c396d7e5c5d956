"""Automatic domain randomisation (ADR) for the grasp task.

One scalar, the curriculum *level* in [0, 1], drives every schedule of the task: reward sharpness and
weights, observation noise, object pushes. It advances by ``1 / num_steps`` whenever the success rate of the
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


def curriculum_level(env: ManagerBasedRLEnv) -> float:
    """The ADR level in [0, 1]; 0 before the curriculum term first runs."""
    return float(getattr(env, "grasp_curriculum_level", 0.0))


def scheduled(env: ManagerBasedRLEnv, start: float, end: float) -> float:
    """Linear interpolation from ``start`` (level 0) to ``end`` (level 1)."""
    level = curriculum_level(env)
    return start + (end - start) * level


def object_goal_distance(env: ManagerBasedRLEnv) -> torch.Tensor:
    """Distance of each environment's object to the goal position (shape ``(num_envs,)``)."""
    obj = env.scene["object"]
    goal = torch.tensor(env.cfg.goal_pos, device=env.device) + env.scene.env_origins
    return torch.linalg.norm(obj.data.root_pos_w.torch - goal, dim=-1)


class GraspADR(ManagerTermBase):
    """Success-rate driven curriculum; also the source of the logged success rate.

    The curriculum manager calls it on every reset, before the scene is reset, so the object still lies
    where the episode ended: an episode counts as a success when it ends with the object within
    ``success_radius`` of the goal.
    """

    def __init__(self, cfg: CurriculumTermCfg, env: ManagerBasedRLEnv):
        super().__init__(cfg, env)
        self._step = int(cfg.params.get("init_step", 0))
        self._num_steps = int(cfg.params["num_steps"])
        env.grasp_curriculum_level = self._step / self._num_steps
        env.grasp_adr = self
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
        self._env.grasp_curriculum_level = self._step / self._num_steps

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
            success = object_goal_distance(env)[finished] < success_radius
            episode_success(env)[finished] = success
            self._successes += int(success.sum())
            self._episodes += len(finished)
            self._outcomes[0] += int(success.sum())
            self._outcomes[1] += len(finished)
        if self._episodes >= min_episodes and not self.follower:
            self._last_rate = self._successes / self._episodes
            if self._last_rate > success_threshold:
                self.set_step(self._step + 1)
            self._successes = self._episodes = 0
        return {"level": env.grasp_curriculum_level, "success_rate": self._last_rate}


def episode_success(env: ManagerBasedRLEnv) -> torch.Tensor:
    """Per environment: whether its last finished episode ended with the object at the goal."""
    flags = getattr(env, "grasp_episode_success", None)
    if flags is None:
        flags = env.grasp_episode_success = torch.zeros(env.num_envs, dtype=torch.bool, device=env.device)
    return flags


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
