"""Termination used by the distillation variants: the object has been held at the goal long enough."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from isaaclab.managers import ManagerTermBase

from .mdp import object_goal_distance

if TYPE_CHECKING:
    from isaaclab.envs import ManagerBasedRLEnv
    from isaaclab.managers import TerminationTermCfg


class ObjectHeldAtGoal(ManagerTermBase):
    """True once the object has stayed within ``radius`` of the goal for ``hold_s`` seconds in a row."""

    def __init__(self, cfg: TerminationTermCfg, env: ManagerBasedRLEnv):
        super().__init__(cfg, env)
        self._steps_in_region = torch.zeros(env.num_envs, dtype=torch.long, device=env.device)

    def reset(self, env_ids: Sequence[int] | None = None) -> None:
        self._steps_in_region[slice(None) if env_ids is None else env_ids] = 0

    def __call__(self, env: ManagerBasedRLEnv, radius: float, hold_s: float) -> torch.Tensor:
        inside = object_goal_distance(env) < radius
        self._steps_in_region = torch.where(inside, self._steps_in_region + 1, torch.zeros_like(self._steps_in_region))
        return self._steps_in_region * env.step_dt >= hold_s
