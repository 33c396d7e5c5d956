"""Termination terms of the grasp task."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from isaaclab.managers import ManagerTermBase

from .curriculum import object_goal_distance

if TYPE_CHECKING:
    from isaaclab.envs import ManagerBasedRLEnv
    from isaaclab.managers import TerminationTermCfg

__all__ = ["ObjectHeldAtGoal", "object_out_of_workspace"]


def object_out_of_workspace(
    env: ManagerBasedRLEnv, center: tuple[float, float], size: tuple[float, float], min_height: float
) -> torch.Tensor:
    """The object left the x/y workspace box or fell below ``min_height`` (positions in the env frame)."""
    pos = env.scene["object"].data.root_pos_w.torch - env.scene.env_origins
    c = torch.tensor(center, device=env.device)
    half = torch.tensor(size, device=env.device) / 2
    outside = (torch.abs(pos[:, :2] - c) > half).any(dim=-1)
    return outside | (pos[:, 2] < min_height)


class ObjectHeldAtGoal(ManagerTermBase):
    """True once the object has stayed within ``radius`` of the goal for ``hold_s`` seconds in a row.

    The distillation variants end episodes with it, so a run does not spend steps on a grasp that is done.
    """

    def __init__(self, cfg: TerminationTermCfg, env: ManagerBasedRLEnv):
        super().__init__(cfg, env)
        self._steps_in_region = torch.zeros(env.num_envs, dtype=torch.long, device=env.device)

    def reset(self, env_ids: Sequence[int] | None = None) -> None:
        self._steps_in_region[slice(None) if env_ids is None else env_ids] = 0

    def __call__(self, env: ManagerBasedRLEnv, radius: float, hold_s: float) -> torch.Tensor:
        inside = object_goal_distance(env) < radius
        self._steps_in_region = torch.where(inside, self._steps_in_region + 1, torch.zeros_like(self._steps_in_region))
        return self._steps_in_region * env.step_dt >= hold_s
