"""Observation terms of the grasp task: hand keypoints, object state and shape, goal, depth images."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from isaaclab.managers import SceneEntityCfg

if TYPE_CHECKING:
    from isaaclab.envs import ManagerBasedRLEnv

__all__ = [
    "body_pos_env",
    "body_lin_vel",
    "object_pos_env",
    "object_quat",
    "object_velocity",
    "object_descriptor",
    "goal_position",
    "depth_image",
]


def body_pos_env(env: ManagerBasedRLEnv, asset_cfg: SceneEntityCfg) -> torch.Tensor:
    """Positions of the selected bodies in the environment frame (the robot base sits at its origin)."""
    pos = env.scene[asset_cfg.name].data.body_pos_w.torch[:, asset_cfg.body_ids]
    return (pos - env.scene.env_origins[:, None, :]).reshape(env.num_envs, -1)


def body_lin_vel(env: ManagerBasedRLEnv, asset_cfg: SceneEntityCfg) -> torch.Tensor:
    """Linear velocities of the selected bodies (world axes, which are the base axes here)."""
    vel = env.scene[asset_cfg.name].data.body_lin_vel_w.torch[:, asset_cfg.body_ids]
    return vel.reshape(env.num_envs, -1)


def object_pos_env(env: ManagerBasedRLEnv) -> torch.Tensor:
    return env.scene["object"].data.root_pos_w.torch - env.scene.env_origins


def object_quat(env: ManagerBasedRLEnv) -> torch.Tensor:
    """Object orientation (x, y, z, w), sign-canonicalised (w >= 0) so equal rotations look equal."""
    q = env.scene["object"].data.root_quat_w.torch
    return torch.where(q[:, 3:] < 0, -q, q)


def object_velocity(env: ManagerBasedRLEnv) -> torch.Tensor:
    data = env.scene["object"].data
    return torch.cat([data.root_lin_vel_w.torch, data.root_ang_vel_w.torch], dim=-1)


def object_descriptor(env: ManagerBasedRLEnv) -> torch.Tensor:
    """Shape descriptor of each environment's object (kind one-hot and dimensions), from the object set."""
    table = getattr(env, "_grasp_object_descriptors", None)
    if table is None:
        descriptors = torch.tensor(env.cfg.object_descriptors, device=env.device, dtype=torch.float32)
        index = torch.arange(env.num_envs, device=env.device) % len(descriptors)
        table = env._grasp_object_descriptors = descriptors[index]
    return table


def goal_position(env: ManagerBasedRLEnv) -> torch.Tensor:
    return torch.tensor(env.cfg.goal_pos, device=env.device).expand(env.num_envs, 3)


def depth_image(env: ManagerBasedRLEnv, sensor_cfg: SceneEntityCfg, depth_range: tuple[float, float]) -> torch.Tensor:
    """Depth clipped to ``depth_range`` and mapped to [0, 1], channel first ``(B, 1, H, W)``.

    Pixels with no return (0, NaN or inf from the renderer) read as the far end of the range, as a real depth
    camera's invalid pixels are treated after clipping.
    """
    near, far = depth_range
    depth = env.scene.sensors[sensor_cfg.name].data.output["distance_to_image_plane"].torch
    depth = torch.where(torch.isfinite(depth) & (depth > 0), depth, torch.full_like(depth, far))
    depth = (depth.clamp(near, far) - near) / (far - near)
    return depth.permute(0, 3, 1, 2).contiguous()
