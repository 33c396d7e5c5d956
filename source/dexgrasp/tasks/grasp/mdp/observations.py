"""Observation terms of the grasp task: hand keypoints, object state and shape, goal, depth images."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from isaaclab.managers import SceneEntityCfg
from isaaclab.utils import configclass
from isaaclab.utils.noise import NoiseModel, NoiseModelCfg

from .level import curriculum_level

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
    "ScheduledNoiseModel",
    "ScheduledNoiseModelCfg",
    "DepthAugmentationCfg",
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
    return env.object_descriptors


def goal_position(env: ManagerBasedRLEnv) -> torch.Tensor:
    """The goal the policy is trained towards: the task's goal, unless a goal-height curriculum holds it lower."""
    return env.training_goal


@configclass
class DepthAugmentationCfg:
    """Depth camera artefacts at full strength (ADR level 1), after the reference's depth augmentation.

    Each scales with the curriculum level: at level 0 the depth image is clean.
    """

    dropout: float = 0.0125 / 4
    """Share of pixels with no return (read as the far end of the range)."""
    random_value: float = 0.0125 / 4
    """Share of pixels replaced by a uniform value within the depth range."""
    correlated_std: float = 0.01
    """Standard deviation of a smooth noise field (1/8 of the image resolution, upsampled) [m]."""
    pixel_std: float = 0.002
    """Standard deviation of independent per-pixel noise [m]."""


def _augment_depth(depth: torch.Tensor, cfg: DepthAugmentationCfg, level: float, near: float, far: float):
    """Dropout, random values and correlated plus per-pixel noise on metric depth ``(B, 1, H, W)``."""
    b, _, h, w = depth.shape
    coarse = torch.randn(b, 1, max(1, h // 8), max(1, w // 8), device=depth.device)
    smooth = torch.nn.functional.interpolate(coarse, size=(h, w), mode="bilinear", align_corners=False)
    depth = depth + level * (cfg.correlated_std * smooth + cfg.pixel_std * torch.randn_like(depth))
    u = torch.rand_like(depth)
    random_values = near + (far - near) * torch.rand_like(depth)
    depth = torch.where(u < level * cfg.random_value, random_values, depth)
    dropped = (u >= level * cfg.random_value) & (u < level * (cfg.random_value + cfg.dropout))
    return torch.where(dropped, torch.full_like(depth, far), depth)


def depth_image(
    env: ManagerBasedRLEnv,
    sensor_cfg: SceneEntityCfg,
    depth_range: tuple[float, float],
    augmentation: DepthAugmentationCfg | None = None,
) -> torch.Tensor:
    """Depth clipped to ``depth_range`` and mapped to [0, 1], channel first ``(B, 1, H, W)``.

    Pixels with no return (0, NaN or inf from the renderer) read as the far end of the range, as a real depth
    camera's invalid pixels are treated after clipping. ``augmentation`` adds the camera's artefacts on the
    curriculum's schedule.
    """
    near, far = depth_range
    depth = env.scene.sensors[sensor_cfg.name].data.output["distance_to_image_plane"].torch
    depth = torch.where(torch.isfinite(depth) & (depth > 0), depth, torch.full_like(depth, far))
    depth = depth.permute(0, 3, 1, 2)
    level = curriculum_level(env)
    if augmentation is not None and level > 0.0:
        depth = _augment_depth(depth, augmentation, level, near, far)
    return ((depth.clamp(near, far) - near) / (far - near)).contiguous()


class ScheduledNoiseModel(NoiseModel):
    """Sensor noise on the curriculum's schedule, after the reference's observation noise.

    Per episode, each environment draws a noise width in [0, level * noise] and a bias in
    +-[0, level * bias] / 2 (one scalar for all components); every step then adds uniform noise within
    +-width and the bias. The environment sets :attr:`level` whenever its curriculum's step changes.
    """

    def __init__(self, cfg: ScheduledNoiseModelCfg, num_envs: int, device: str):
        super().__init__(cfg, num_envs, device)
        self.level = 0.0
        self._width = torch.zeros(num_envs, 1, device=device)
        self._bias = torch.zeros(num_envs, 1, device=device)

    def reset(self, env_ids=None):
        ids = slice(None) if env_ids is None else env_ids
        n = self._width[ids].shape[0]
        cfg = self._noise_model_cfg
        self._width[ids] = self.level * cfg.noise * torch.rand(n, 1, device=self._device)
        bias_width = self.level * cfg.bias * torch.rand(n, 1, device=self._device)
        self._bias[ids] = bias_width * (torch.rand(n, 1, device=self._device) - 0.5)

    def __call__(self, data: torch.Tensor) -> torch.Tensor:
        if self.level <= 0.0:
            return data
        return data + self._width * (2.0 * torch.rand_like(data) - 1.0) + self._bias


@configclass
class ScheduledNoiseModelCfg(NoiseModelCfg):
    class_type: type = ScheduledNoiseModel
    noise_cfg: None = None
    noise: float = 0.0
    """Largest per-step noise width at level 1 (observation units)."""
    bias: float = 0.0
    """Largest per-episode bias width at level 1 (observation units)."""
