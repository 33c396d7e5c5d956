"""Reward terms of the grasp task, with curriculum schedules.

Two sets use them (:mod:`dexgrasp.tasks.grasp.mdp_cfg`): the reference's (``dextrah``: reach, goal, lift, finger
curl) and one for learning from scratch (``grasp``: reach from the pinch point, contact, lift and goal gated on the
grasp, a success bonus), where holding the object pays more than hovering beside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from isaaclab.managers import SceneEntityCfg

from .curriculum import object_training_goal_distance
from .level import scheduled
from .observations import object_descriptor

if TYPE_CHECKING:
    from isaaclab.envs import ManagerBasedRLEnv

__all__ = [
    "reach_object",
    "object_to_goal",
    "lift_object",
    "object_lifted",
    "finger_curl",
    "pinch_reach",
    "fingertip_reach",
    "grasp_contact",
    "lift_in_grasp",
    "goal_in_grasp",
    "object_at_goal",
]


def reach_object(env: ManagerBasedRLEnv, sharpness: float, hand_cfg: SceneEntityCfg) -> torch.Tensor:
    """exp(-sharpness * d), d = the largest distance from the palm and fingertips to the object.

    Taking the largest distance rewards wrapping the whole hand around the object, not touching it with one
    finger.
    """
    hand_pos = env.scene[hand_cfg.name].data.body_pos_w.torch[:, hand_cfg.body_ids]
    obj_pos = env.scene["object"].data.root_pos_w.torch
    dist = torch.linalg.norm(hand_pos - obj_pos[:, None, :], dim=-1).amax(dim=-1)
    return torch.exp(-sharpness * dist)


def object_to_goal(env: ManagerBasedRLEnv, sharpness: tuple[float, float]) -> torch.Tensor:
    """exp(-s * |object - goal|), with s scheduled by the curriculum (sharper as it advances)."""
    return torch.exp(-scheduled(env, *sharpness) * object_training_goal_distance(env))


def lift_object(env: ManagerBasedRLEnv, sharpness: float, scale: tuple[float, float]) -> torch.Tensor:
    """exp(-sharpness * |object height - goal height|), scaled down to nothing as the curriculum advances.

    The weight of the term stays 1; the curriculum-scheduled factor lives here so the manager's per-term
    logging shows the reward actually paid.
    """
    obj_z = env.scene["object"].data.root_pos_w.torch[:, 2] - env.scene.env_origins[:, 2]
    err = torch.abs(obj_z - env.training_goal[:, 2])
    return scheduled(env, *scale) * torch.exp(-sharpness * err)


def object_lifted(env: ManagerBasedRLEnv, minimal_height: float, table_top: float) -> torch.Tensor:
    """1 while the object's lowest point is ``minimal_height`` above the table, else 0 (Isaac Lab Lift's bonus).

    The reference has no such term (its weight is 0 by default). Near the table the lift term barely grows with
    height, so PPO from scratch meets no reward for raising the object; this step gives it one. It also pays while
    a dropped object falls at the start of an episode, the same for every policy.
    """
    return (_object_rise(env, table_top) > minimal_height).float()


def finger_curl(
    env: ManagerBasedRLEnv, curled: dict[str, float], scale: tuple[float, float], asset_cfg: SceneEntityCfg
) -> torch.Tensor:
    """Scheduled squared distance of the finger joints to a curled posture (a negative weight regularises)."""
    robot = env.scene[asset_cfg.name]
    q = robot.data.joint_pos.torch[:, asset_cfg.joint_ids]
    names = [robot.joint_names[i] for i in asset_cfg.joint_ids]
    target = torch.tensor([curled.get(n, 0.0) for n in names], device=env.device)
    return scheduled(env, *scale) * torch.sum((q - target) ** 2, dim=-1)


def pinch_reach(env: ManagerBasedRLEnv, sharpness: float, hand_cfg: SceneEntityCfg) -> torch.Tensor:
    """exp(-sharpness * d), d from the object to the pinch point: halfway between the thumb tip (the last body of
    ``hand_cfg``, the fingertips) and the mean of the other fingertips.

    Unlike :func:`reach_object` (the farthest of palm and fingertips), the maximum sits where a pinch holds the
    object, so closing on it earns more than hovering over it.
    """
    tips = env.scene[hand_cfg.name].data.body_pos_w.torch[:, hand_cfg.body_ids]
    pinch = 0.5 * (tips[:, -1] + tips[:, :-1].mean(dim=1))
    return torch.exp(-sharpness * torch.linalg.norm(pinch - env.scene["object"].data.root_pos_w.torch, dim=-1))


def fingertip_reach(env: ManagerBasedRLEnv, sharpness: float, hand_cfg: SceneEntityCfg) -> torch.Tensor:
    """exp(-sharpness * d), d the mean distance from the fingertips (``hand_cfg``'s bodies) to the object.

    The pinch point (:func:`pinch_reach`) stays where it is while an open hand closes around the object; the
    fingertips come nearer, so this term pays for closing on it before any contact does (dexsuite's finger and
    thumb distances to the object play this part).
    """
    tips = env.scene[hand_cfg.name].data.body_pos_w.torch[:, hand_cfg.body_ids]
    distance = torch.linalg.norm(tips - env.scene["object"].data.root_pos_w.torch[:, None], dim=-1).mean(dim=1)
    return torch.exp(-sharpness * distance)


def _touching(env: ManagerBasedRLEnv, sensor_names: list[str], threshold: float) -> torch.Tensor:
    """``(num_envs, len(sensor_names))``: whether each contact sensor (filtered on the object) feels more than
    ``threshold`` newtons."""
    forces = [env.scene.sensors[name].data.force_matrix_w.torch.reshape(env.num_envs, -1, 3) for name in sensor_names]
    return torch.stack([torch.linalg.norm(f, dim=-1).amax(dim=-1) > threshold for f in forces], dim=1)


def grasp_contact(
    env: ManagerBasedRLEnv, thumb_sensor: str, finger_sensors: list[str], threshold: float
) -> torch.Tensor:
    """1 while the thumb and at least one other finger touch the object (dexsuite's good-contact condition)."""
    touching = _touching(env, [thumb_sensor, *finger_sensors], threshold)
    return (touching[:, 0] & touching[:, 1:].any(dim=1)).float()


def _object_rise(env: ManagerBasedRLEnv, table_top: float) -> torch.Tensor:
    """Height of the object's lowest point above the table (upright shape) [m]."""
    obj_z = env.scene["object"].data.root_pos_w.torch[:, 2] - env.scene.env_origins[:, 2]
    return obj_z - object_descriptor(env)[:, -1] / 2 - table_top


def lift_in_grasp(
    env: ManagerBasedRLEnv,
    table_top: float,
    start: float,
    full: float,
    thumb_sensor: str,
    finger_sensors: list[str],
    threshold: float,
) -> torch.Tensor:
    """While grasped: 0 below ``start`` metres off the table, rising linearly to 1 at ``full``.

    It pays from the first centimetres, where the reference's lift term pays almost nothing, and only in a
    grasp, so knocking the object up does not pay.
    """
    rise = ((_object_rise(env, table_top) - start) / (full - start)).clamp(0.0, 1.0)
    return rise * grasp_contact(env, thumb_sensor, finger_sensors, threshold)


def goal_in_grasp(
    env: ManagerBasedRLEnv,
    sharpness: float,
    table_top: float,
    lifted_above: float,
    thumb_sensor: str,
    finger_sensors: list[str],
    threshold: float,
) -> torch.Tensor:
    """exp(-sharpness * |object - goal|) while the object is grasped and ``lifted_above`` metres off the table: a
    resting object near the goal's foot earns nothing."""
    lifted = (_object_rise(env, table_top) > lifted_above).float()
    near = torch.exp(-sharpness * object_training_goal_distance(env))
    return near * lifted * grasp_contact(env, thumb_sensor, finger_sensors, threshold)


def object_at_goal(env: ManagerBasedRLEnv, radius: float) -> torch.Tensor:
    """1 while the object is within ``radius`` of the goal (the task's success condition, held each step)."""
    return (object_training_goal_distance(env) < radius).float()
