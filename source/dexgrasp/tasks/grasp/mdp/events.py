"""Event terms of the grasp task: curriculum-scaled pushes of the object."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from isaaclab.managers import SceneEntityCfg

from .curriculum import curriculum_level

if TYPE_CHECKING:
    from isaaclab.envs import ManagerBasedRLEnv

__all__ = ["push_object_near_hand"]


def push_object_near_hand(
    env: ManagerBasedRLEnv,
    env_ids: torch.Tensor,
    max_accel: float,
    duration_s: float,
    hand_distance: float,
    hand_cfg: SceneEntityCfg,
) -> None:
    """Kick the object while the palm is near it: a velocity change of up to ``max_accel * duration_s``.

    The push strength grows with the curriculum level, so early training sees no disturbance.
    """
    level = curriculum_level(env)
    if level <= 0.0 or len(env_ids) == 0:
        return
    obj = env.scene["object"]
    palm = env.scene[hand_cfg.name].data.body_pos_w.torch[env_ids, hand_cfg.body_ids[0]]
    near = torch.linalg.norm(palm - obj.data.root_pos_w.torch[env_ids], dim=-1) < hand_distance
    ids = env_ids[near]
    if len(ids) == 0:
        return
    direction = torch.nn.functional.normalize(torch.randn(len(ids), 3, device=env.device), dim=-1)
    magnitude = level * max_accel * duration_s * torch.rand(len(ids), 1, device=env.device)
    vel = torch.cat([obj.data.root_lin_vel_w.torch[ids], obj.data.root_ang_vel_w.torch[ids]], dim=-1)
    vel[:, :3] += direction * magnitude
    obj.write_root_velocity_to_sim_index(root_velocity=vel, env_ids=ids)
