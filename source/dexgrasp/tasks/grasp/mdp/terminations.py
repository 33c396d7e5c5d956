"""Termination terms of the grasp task."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from isaaclab.envs import ManagerBasedRLEnv

__all__ = ["object_out_of_workspace"]


def object_out_of_workspace(
    env: ManagerBasedRLEnv, center: tuple[float, float], size: tuple[float, float], min_height: float
) -> torch.Tensor:
    """The object left the x/y workspace box or fell below ``min_height`` (positions in the env frame)."""
    pos = env.scene["object"].data.root_pos_w.torch - env.scene.env_origins
    c = torch.tensor(center, device=env.device)
    half = torch.tensor(size, device=env.device) / 2
    outside = (torch.abs(pos[:, :2] - c) > half).any(dim=-1)
    return outside | (pos[:, 2] < min_height)
