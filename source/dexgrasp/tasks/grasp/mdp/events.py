"""Event terms of the grasp task, every randomisation on the curriculum's schedule.

At ADR level 0 nothing is randomised: the object spawns upright at the workspace centre, the robot at its
start pose, physics at nominal values, no pushes. Each randomisation widens linearly with the level to the
reference's full range at level 1.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import isaaclab.utils.math as math_utils
import torch
from isaaclab.managers import EventTermCfg, ManagerTermBase, SceneEntityCfg

from .level import curriculum_level

if TYPE_CHECKING:
    from isaaclab.envs import ManagerBasedRLEnv

__all__ = [
    "scheduled_randomization",
    "reset_object_scheduled",
    "reset_robot_scheduled",
    "push_object_near_hand",
    "support_object",
    "randomize_camera_pose",
    "assisted_start",
    "assisted_share",
]


def _widen(nominal: tuple[float, float], full: tuple[float, float], level: float) -> tuple[float, float]:
    return tuple(n + level * (f - n) for n, f in zip(nominal, full))


class scheduled_randomization(ManagerTermBase):  # noqa: N801 - Isaac Lab names event terms like functions
    """An Isaac Lab randomisation term whose ranges widen from ``nominal`` (level 0) to ``full`` (level 1).

    Params: ``term`` (the Isaac Lab event term, function or class), ``params`` (its fixed arguments),
    ``ranges`` (argument name -> (nominal range, full range)) and ``rebuild``. A class term gets the widened ranges
    as call arguments; ``rebuild`` is for the terms that read their ranges once, when they are built, and ignore
    the call's (Newton's ``randomize_rigid_body_material``): such a term is built again whenever the level widens
    its ranges, or it would keep the nominal ones at every level.
    """

    def __init__(self, cfg: EventTermCfg, env: ManagerBasedRLEnv):
        super().__init__(cfg, env)
        inner = dict(cfg.params["params"])
        for key, value in inner.items():
            if isinstance(value, SceneEntityCfg):  # a fresh copy: the configuration may be resolved more than once
                fields = ("joint_names", "body_names", "preserve_order")
                inner[key] = SceneEntityCfg(value.name, **{f: getattr(value, f) for f in fields})
                inner[key].resolve(env.scene)
                inner[key].finalize(env.device)
        self._env, self._mode, self._params = env, cfg.mode, inner
        self._built_with = {name: r[0] for name, r in cfg.params["ranges"].items()}
        self._term = self._build(cfg.params["term"], self._built_with)

    def _build(self, term, ranges: dict):
        if not isinstance(term, type):
            return term
        return term(EventTermCfg(func=term, mode=self._mode, params={**self._params, **ranges}), self._env)

    def __call__(
        self, env: ManagerBasedRLEnv, env_ids: torch.Tensor, term, params: dict, ranges: dict, rebuild: bool = False
    ) -> None:
        level = curriculum_level(env)
        widened = {name: _widen(nominal, full, level) for name, (nominal, full) in ranges.items()}
        if rebuild and widened != self._built_with:
            self._term, self._built_with = self._build(term, widened), widened
        self._term(env, env_ids, **self._params, **widened)


def reset_object_scheduled(
    env: ManagerBasedRLEnv,
    env_ids: torch.Tensor,
    center: tuple[float, float],
    size: tuple[float, float],
    height: float,
    rotation: float,
    asset_cfg: SceneEntityCfg = SceneEntityCfg("object"),
) -> None:
    """Drop the object from ``height`` (world z) over the workspace, at rest.

    As in the reference: x and y uniform in a box around ``center`` whose width is ``size`` times the level, and a
    rotation about x then y, each uniform within +-``rotation`` times the level (upright at the centre at level 0).
    ``size`` (0, 0) or ``rotation`` 0 switch one of the two off, to measure what each costs a policy.
    """
    obj = env.scene[asset_cfg.name]
    level = curriculum_level(env)
    n = len(env_ids)
    pose = torch.zeros(n, 7, device=env.device)
    spread = torch.tensor(size, device=env.device) * level
    pose[:, :2] = torch.tensor(center, device=env.device) + (torch.rand(n, 2, device=env.device) - 0.5) * spread
    pose[:, 2] = height
    pose[:, :3] += env.scene.env_origins[env_ids]
    angles = (2.0 * torch.rand(n, 2, device=env.device) - 1.0) * rotation * level
    x_axis = torch.tensor([1.0, 0.0, 0.0], device=env.device).expand(n, 3)
    y_axis = torch.tensor([0.0, 1.0, 0.0], device=env.device).expand(n, 3)
    pose[:, 3:] = math_utils.quat_mul(
        math_utils.quat_from_angle_axis(angles[:, 0], x_axis), math_utils.quat_from_angle_axis(angles[:, 1], y_axis)
    )
    obj.write_root_pose_to_sim_index(root_pose=pose, env_ids=env_ids)
    obj.write_root_velocity_to_sim_index(root_velocity=torch.zeros(n, 6, device=env.device), env_ids=env_ids)


def reset_robot_scheduled(
    env: ManagerBasedRLEnv,
    env_ids: torch.Tensor,
    position_noise: float,
    velocity_noise: float,
    asset_cfg: SceneEntityCfg = SceneEntityCfg("robot"),
) -> None:
    """Start pose plus uniform joint position and velocity offsets within +-noise times the level."""
    from isaaclab.envs.mdp import reset_joints_by_offset

    level = curriculum_level(env)
    pos, vel = position_noise * level, velocity_noise * level
    reset_joints_by_offset(env, env_ids, (-pos, pos), (-vel, vel), asset_cfg)


def push_object_near_hand(
    env: ManagerBasedRLEnv,
    env_ids: torch.Tensor,
    max_accel: float,
    hand_distance: float,
    hand_cfg: SceneEntityCfg,
) -> None:
    """Every interval, a random force on the object of up to ``max_accel`` times its mass (scaled by the level).

    As in the reference, the force acts only while the palm is within ``hand_distance`` of the object, so it tests
    the grasp rather than kicking a resting object away; it is held until the next interval. It is also scaled by
    the share of its weight the object has (``env.object_weight``, the weight curriculum): a push keeps the
    reference's ratio to the weight, so it does not launch a partly held-up object off the table (at a tenth of
    its weight, a push of 5 m/s^2 would, and such flights would count as lifts).
    """
    obj = env.scene["object"]
    level = curriculum_level(env)
    if level <= 0.0 or len(env_ids) == 0:
        return
    palm = env.scene[hand_cfg.name].data.body_pos_w.torch[env_ids, hand_cfg.body_ids[0]]
    near = torch.linalg.norm(palm - obj.data.root_pos_w.torch[env_ids], dim=-1) < hand_distance
    mass = obj.data.body_mass.torch[env_ids, 0]
    accel = level * env.object_weight * max_accel * torch.rand(len(env_ids), device=env.device) * near
    direction = torch.nn.functional.normalize(torch.randn(len(env_ids), 3, device=env.device), dim=-1)
    _hold_force_on_object(env, env_ids, (direction * (mass * accel)[:, None])[:, None, :] + _support(env, env_ids))


def _hold_force_on_object(env: ManagerBasedRLEnv, env_ids: torch.Tensor, forces: torch.Tensor) -> None:
    """Apply ``forces`` ``(len(env_ids), 1, 3)``, in the world frame, to the object's centre of mass at every physics
    step until they are set again. World frame: Isaac Lab's composer takes body-frame forces by default, so a support
    set "up" at reset would push a tilted or rotated object sideways."""
    env.scene["object"].permanent_wrench_composer.set_forces_and_torques_index(
        forces=forces, torques=torch.zeros_like(forces), body_ids=slice(None), env_ids=env_ids, is_global=True
    )


def _support(env: ManagerBasedRLEnv, env_ids: torch.Tensor) -> torch.Tensor:
    """``(len(env_ids), 1, 3)``: the upward force that leaves the object ``env.object_weight`` of its weight."""
    obj = env.scene["object"]
    lift = (1.0 - env.object_weight) * obj.data.body_mass.torch[env_ids, 0] * -float(env.sim.cfg.gravity[2])
    return torch.nn.functional.pad(lift[:, None, None], (2, 0))


def support_object(env: ManagerBasedRLEnv, env_ids: torch.Tensor) -> None:
    """Hold up part of the object's weight in the episodes that start (the weight curriculum,
    :class:`~dexgrasp.tasks.grasp.mdp.curriculum.ObjectWeight`); nothing while the object weighs all it does.

    After the mass randomisation, so the force matches the episode's mass; pushes add to it.
    """
    if env.object_weight >= 1.0 or len(env_ids) == 0:
        return
    _hold_force_on_object(env, env_ids, _support(env, env_ids))


def randomize_camera_pose(
    env: ManagerBasedRLEnv,
    env_ids: torch.Tensor,
    position_range: float,
    rotation_range_deg: float,
    rig: dict[str, float],
    pos: tuple[float, float, float],
    quat_ros_wxyz: tuple[float, float, float, float],
) -> None:
    """Move the camera rig per episode: +-``position_range`` metres and +-``rotation_range_deg`` about each axis.

    Both widen with the level (the reference pose at level 0). ``rig`` maps each camera of the scene to its
    offset along the rig's right axis (the stereo pair moves as one rigid body).
    """
    level = curriculum_level(env)
    cameras = {name: env.scene.sensors[name] for name in rig if name in env.scene.sensors}
    if not cameras or len(env_ids) == 0:
        return
    n = len(env_ids)
    w, x, y, z = quat_ros_wxyz
    base = torch.tensor([x, y, z, w], device=env.device).expand(n, 4)
    angles = (2.0 * torch.rand(n, 3, device=env.device) - 1.0) * math.radians(rotation_range_deg) * level
    jitter = math_utils.quat_from_euler_xyz(angles[:, 0], angles[:, 1], angles[:, 2])
    quat = math_utils.quat_mul(base, jitter)
    center = torch.tensor(pos, device=env.device) + (2.0 * torch.rand(n, 3, device=env.device) - 1.0) * (
        position_range * level
    )
    center = center + env.scene.env_origins[env_ids]
    right = math_utils.quat_apply(quat, torch.tensor([1.0, 0.0, 0.0], device=env.device).expand(n, 3))
    for name, camera in cameras.items():
        camera.set_world_poses(center + rig[name] * right, quat, env_ids=env_ids, convention="ros")


def assisted_share(share: float, fade_level: float | None, level: float) -> float:
    """The share of episodes an assisted start takes at ADR ``level``: ``share``, falling linearly to none as the
    level rises to ``fade_level`` (None: no fading), so the helping hand fades out as the policy gets better."""
    if fade_level is None:
        return share
    return share * max(0.0, 1.0 - level / fade_level)


def assisted_start(
    env: ManagerBasedRLEnv,
    env_ids: torch.Tensor,
    arm_joint_names: list[str],
    arm_joint_pos: tuple[float, ...],
    finger_joint_names: list[str],
    preshape: tuple[float, ...],
    grip: tuple[float, ...],
    grip_width: float,
    object_pos: tuple[float, float, float],
    closure_per_metre: float,
    table_top: float,
    max_height: float,
    open_share: float = 0.0,
    raised_arm_joint_pos: tuple[float, ...] | None = None,
    open_raise: tuple[float, float] = (0.0, 0.0),
    raised_offset: float = 0.0,
    raised_yaw: float = 0.0,
) -> None:
    """Start a share of episodes (``env.cfg.assisted_start_share``) with the object gripped by the hand.

    Like Isaac Lab's Lift tasks' assisted resets: the arm is placed where the pinch point of the hand lies at
    ``object_pos`` (``arm_joint_pos``) and the fingers are closed on the object: ``grip`` is the posture in which
    the task's zero hand action holds an object ``grip_width`` wide, and other widths move the fingers from the open
    ``preshape`` along the same line, in proportion to ``1 - width * closure_per_metre``. A policy whose mean action
    is about zero, as a new one is, then already lifts the object when it raises the palm, so PPO meets holding
    and lifting before it has found them. With the fingers open around the object instead, a palm that rises
    at once leaves the object behind before the fingers close: ``open_share`` of the assisted starts are such
    starts (the fingers in the open ``preshape``), a rung between a gripped start and a normal one where the
    policy has to close the hand before it raises the palm. A normal start's hand has to come down to the object
    first: an open start can be raised towards ``raised_arm_joint_pos`` (the arm with the open hand higher above the
    object, the object on the table below it) by a fraction drawn from ``open_raise`` per episode (arm joints
    interpolated, which keeps the palm over the object for a short rise), so the policy meets the descent, the
    closing and the lift in that order, from heights that reach towards where a normal start's hand stops. A
    normal start's object is rarely right below the pinch point and square to it: a raised start can move the
    object by up to ``raised_offset`` metres in x and y and turn it by up to ``raised_yaw`` radians about the
    vertical, both in proportion to the drawn rise (an object beside or turned under a hand that is still around
    it would meet the fingers), so the policy has to align the hand before it descends. Objects taller than
    ``max_height`` start normally; shorter ones rest on ``table_top`` if their centre would lie below it. These
    episodes are marked in the episode metrics and logged apart.
    """
    share = assisted_share(env.cfg.assisted_start_share, env.cfg.assisted_start_fade_level, curriculum_level(env))
    if share <= 0.0 or len(env_ids) == 0:
        return
    from .observations import object_descriptor

    size = object_descriptor(env)[env_ids, -3:]  # (x, y, z) extent; y lies across the pinch when upright
    fits = size[:, 2] <= max_height  # taller objects would reach into the palm
    ids = env_ids[(torch.rand(len(env_ids), device=env.device) < share) & fits]
    if len(ids) == 0:
        return
    robot, obj = env.scene["robot"], env.scene["object"]
    n = len(ids)
    size = object_descriptor(env)[ids, -3:]
    closure = (1.0 - size[:, 1] * closure_per_metre) / (1.0 - grip_width * closure_per_metre)
    opened = torch.zeros(n, dtype=torch.bool, device=env.device)
    if open_share > 0.0:  # no draw otherwise: runs without open starts keep their random sequence
        opened = torch.rand(n, device=env.device) < open_share
        closure = torch.where(opened, 0.0, closure)
    open_fingers = torch.tensor(preshape, device=env.device, dtype=torch.float32)
    gripping = torch.tensor(grip, device=env.device, dtype=torch.float32)
    fingers = open_fingers + closure.clamp(min=0.0)[:, None] * (gripping - open_fingers)
    finger_ids, _ = robot.find_joints(finger_joint_names, preserve_order=True)
    limits = robot.data.soft_joint_pos_limits.torch[ids][:, finger_ids]  # narrow objects close past the grip
    fingers = torch.clamp(fingers, limits[..., 0], limits[..., 1])
    arm_ids, _ = robot.find_joints(arm_joint_names, preserve_order=True)
    q = robot.data.default_joint_pos.torch[ids].clone()
    q[:, arm_ids] = torch.tensor(arm_joint_pos, device=env.device)
    rise = torch.zeros(n, 1, device=env.device)
    if raised_arm_joint_pos is not None and open_raise[1] > 0.0:
        low, high = open_raise
        rise = (low + (high - low) * torch.rand(n, 1, device=env.device)) * opened[:, None]
        q[:, arm_ids] += rise * (torch.tensor(raised_arm_joint_pos, device=env.device) - q[:, arm_ids])
    q[:, finger_ids] = fingers
    robot.write_joint_position_to_sim_index(position=q, env_ids=ids)
    robot.write_joint_velocity_to_sim_index(velocity=torch.zeros_like(q), env_ids=ids)
    pose = torch.zeros(n, 7, device=env.device)
    pose[:, :3] = torch.tensor(object_pos, device=env.device)
    pose[:, 2] = torch.maximum(pose[:, 2], table_top + size[:, 2] / 2 + 0.002)
    pose[:, :3] += env.scene.env_origins[ids]
    pose[:, 6] = 1.0
    if raised_offset > 0.0:  # no draw otherwise, as for open_share
        pose[:, :2] += (2.0 * torch.rand(n, 2, device=env.device) - 1.0) * raised_offset * rise
    if raised_yaw > 0.0:
        yaw = (2.0 * torch.rand(n, device=env.device) - 1.0) * raised_yaw * rise[:, 0]
        z_axis = torch.tensor([0.0, 0.0, 1.0], device=env.device).expand(n, 3)
        pose[:, 3:] = math_utils.quat_from_angle_axis(yaw, z_axis)
    obj.write_root_pose_to_sim_index(root_pose=pose, env_ids=ids)
    obj.write_root_velocity_to_sim_index(root_velocity=torch.zeros(n, 6, device=env.device), env_ids=ids)
    env.episode_metrics.assisted[ids] = True
