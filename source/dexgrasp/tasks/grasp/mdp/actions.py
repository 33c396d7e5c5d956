"""Action terms of the grasp task.

The default action is 11-D, as in the reference system: a bounded 6-D palm pose target (position and ZYX
Euler angles around a nominal palm-down orientation) reached by Isaac Lab's differential IK, plus 5 hand
synergy coefficients mapped linearly to the 16 finger joint targets. Both terms take actions in [-1, 1]
and map them affinely onto their bounds, so a policy's Gaussian lives in one scale for every dimension.
"""

from __future__ import annotations

from dataclasses import MISSING
from typing import TYPE_CHECKING

import isaaclab.utils.math as math_utils
import torch
from isaaclab.envs.mdp.actions.actions_cfg import DifferentialInverseKinematicsActionCfg
from isaaclab.envs.mdp.actions.task_space_actions import DifferentialInverseKinematicsAction
from isaaclab.managers import ActionTerm, ActionTermCfg
from isaaclab.utils import configclass

if TYPE_CHECKING:
    from isaaclab.envs import ManagerBasedEnv

__all__ = ["PalmPoseAction", "PalmPoseActionCfg", "HandSynergyAction", "HandSynergyActionCfg"]


def _affine(actions: torch.Tensor, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """Map [-1, 1] onto [low, high] per dimension (clamped)."""
    return low + (actions.clamp(-1.0, 1.0) + 1.0) * 0.5 * (high - low)


def hinged(actions: torch.Tensor, low: torch.Tensor, zero: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """Map [-1, 0] onto [low, zero] and [0, 1] onto [zero, high] per dimension (clamped)."""
    a = actions.clamp(-1.0, 1.0)
    return zero + torch.where(a < 0.0, a * (zero - low), a * (high - zero))


def unhinged(values: torch.Tensor, low: torch.Tensor, zero: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """The action in [-1, 1] that :func:`hinged` maps onto ``values`` (clamped to the bounds)."""
    below = (values - zero) / (zero - low).clamp_min(1e-9)
    above = (values - zero) / (high - zero).clamp_min(1e-9)
    return torch.where(values < zero, below, above).clamp(-1.0, 1.0)


class PalmPoseAction(DifferentialInverseKinematicsAction):
    """Palm pose target within bounds, tracked by differential IK on the arm joints.

    By default the action is the target itself (the bounds' box mapped onto [-1, 1]). With ``relative_step`` it is a
    step from the palm's measured pose, as Isaac Lab's relative IK actions are: the zero action holds the hand where
    it is, and exploration noise moves it by centimetres around where it is, not across the workspace.
    """

    cfg: PalmPoseActionCfg

    def __init__(self, cfg: PalmPoseActionCfg, env: ManagerBasedEnv):
        super().__init__(cfg, env)
        bounds = list(cfg.position_bounds) + [(-a, a) for a in cfg.euler_zyx_bounds]
        self._low = torch.tensor([b[0] for b in bounds], device=self.device)
        self._high = torch.tensor([b[1] for b in bounds], device=self.device)
        nominal = torch.tensor(cfg.nominal_quat, device=self.device, dtype=torch.float32)
        self._nominal = nominal.expand(self.num_envs, 4)
        self._pose_command = torch.zeros(self.num_envs, 7, device=self.device)
        self._last_target = torch.zeros(self.num_envs, len(self._joint_ids), device=self.device)
        self._target_stale = torch.ones(self.num_envs, dtype=torch.bool, device=self.device)
        self._target = torch.zeros(self.num_envs, 6, device=self.device)
        self._unset_target = torch.ones(self.num_envs, dtype=torch.bool, device=self.device)
        """With ``relative_step``: the target in force, and which environments take the measured pose as theirs."""
        metres, radians = cfg.relative_step or (0.0, 0.0)
        self._step_scale = torch.tensor([metres] * 3 + [radians] * 3, device=self.device)

    @property
    def action_dim(self) -> int:
        return 6

    def process_actions(self, actions: torch.Tensor):
        self._raw_actions[:] = actions
        ee_pos, ee_quat = self._compute_frame_pose()
        if self.cfg.relative_step is None:
            target = _affine(actions, self._low, self._high)
        else:
            target = self._stepped(actions.clamp(-1.0, 1.0), ee_pos)
        self._processed_actions[:] = target
        yaw, pitch, roll = target[:, 3], target[:, 4], target[:, 5]
        offset = math_utils.quat_from_euler_xyz(roll, pitch, yaw)  # R = Rz(yaw) Ry(pitch) Rx(roll): ZYX
        self._pose_command[:, :3] = target[:, :3]
        self._pose_command[:, 3:] = math_utils.quat_mul(offset, self._nominal)
        self._ik_controller.set_command(self._pose_command, ee_pos, ee_quat)

    def _stepped(self, actions: torch.Tensor, ee_pos: torch.Tensor) -> torch.Tensor:
        """The target (position, ZYX angles from the nominal orientation) moved by ``relative_step`` per unit
        action, within the bounds. Each episode it starts at the palm's measured position and the nominal
        orientation (where the zero action of absolute targets turns the palm too), then integrates the steps:
        re-anchoring it at the measured pose every step would let the palm sag and lag by the PD error."""
        fresh = self._unset_target.nonzero().flatten()
        if len(fresh) > 0:
            self._target[fresh] = torch.cat([ee_pos[fresh], torch.zeros(len(fresh), 3, device=self.device)], dim=-1)
            self._unset_target[fresh] = False
        self._target[:] = torch.maximum(torch.minimum(self._target + self._step_scale * actions, self._high), self._low)
        return self._target.clone()

    def apply_actions(self):
        """One damped-least-squares step towards the target, rate-limited and kept within the joint limits.

        A far target makes the IK step large; sent unfiltered it swings the arm fast enough to destabilise the
        light finger links. The rate limit (``max_joint_speed``) matches what a real arm controller would allow.
        It is counted from the last joint target, not from the measured joints: the PD tracking lag would
        otherwise cap the arm at a fraction of that speed.
        """
        ee_pos, ee_quat = self._compute_frame_pose()
        joint_pos = self._asset.data.joint_pos.torch[:, self._joint_ids]
        fresh = self._target_stale.nonzero().flatten()
        if len(fresh) > 0:
            self._last_target[fresh] = joint_pos[fresh]
            self._target_stale[fresh] = False
        limits = self._asset.data.soft_joint_pos_limits.torch[:, self._joint_ids]
        desired = joint_pos + self._limited_ik_step(ee_pos, ee_quat, joint_pos, limits)
        # scale the whole step (not each joint) so the arm still moves along the IK direction
        delta = desired - self._last_target
        largest = delta.abs().amax(dim=-1, keepdim=True)
        step = self.cfg.max_joint_speed * self._env.physics_dt
        desired = self._last_target + delta * torch.clamp(step / largest.clamp_min(1e-9), max=1.0)
        desired = torch.clamp(desired, limits[..., 0], limits[..., 1])
        self._last_target[:] = desired
        self._asset.set_joint_position_target_index(target=desired, joint_ids=self._joint_ids)

    def _limited_ik_step(self, ee_pos, ee_quat, joint_pos, limits) -> torch.Tensor:
        """Damped-least-squares joint step towards the pose command, re-solved without the joints at a limit.

        A joint at its limit that the step would push further cannot move; plain DLS would still count on it and
        the palm stalls (from the start pose the wrist reaches its limit on the way down). Dropping those joints'
        Jacobian columns and solving again lets the other joints carry the motion.
        """
        controller = self._ik_controller
        pos_err, rot_err = math_utils.compute_pose_error(
            ee_pos, ee_quat, controller.ee_pos_des, controller.ee_quat_des, rot_error_type="axis_angle"
        )
        error = torch.cat([pos_err, rot_err], dim=-1).unsqueeze(-1)
        jacobian = self._compute_frame_jacobian()
        lam = controller.cfg.ik_params["lambda_val"]

        def solve(jac: torch.Tensor) -> torch.Tensor:
            damping = lam**2 * torch.eye(jac.shape[1], device=jac.device)
            return (jac.mT @ torch.linalg.solve(jac @ jac.mT + damping, error)).squeeze(-1)

        step = solve(jacobian)
        margin = 1e-3
        blocked = ((joint_pos <= limits[..., 0] + margin) & (step < 0)) | (
            (joint_pos >= limits[..., 1] - margin) & (step > 0)
        )
        if blocked.any():
            step = torch.where(blocked.any(dim=-1, keepdim=True), solve(jacobian * ~blocked[:, None, :]), step)
        return step

    def reset(self, env_ids=None) -> None:
        """Forget the rate limiter's last target and a relative action's target: the next step starts from the reset
        joint positions and the palm's pose there."""
        super().reset(env_ids)
        ids = slice(None) if env_ids is None else env_ids
        self._target_stale[ids] = True
        self._unset_target[ids] = True


@configclass
class PalmPoseActionCfg(DifferentialInverseKinematicsActionCfg):
    """Palm pose target: position box and ZYX Euler offsets around ``nominal_quat`` (x, y, z, w)."""

    class_type: type[ActionTerm] = PalmPoseAction
    position_bounds: tuple[tuple[float, float], ...] = ((-1.2, 0.0), (-0.7, 0.7), (0.3, 1.0))
    """Palm position box [m] (reference x and y); z starts 5 cm above the table top so targets stay above it."""
    euler_zyx_bounds: tuple[float, float, float] = (0.785, 0.785, 0.785)
    nominal_quat: tuple[float, float, float, float] = MISSING
    max_joint_speed: float = 2.0
    """Largest arm joint speed the IK targets ask for [rad/s] (the iiwa7 allows 1.7-3.1)."""
    relative_step: tuple[float, float] | None = None
    """(metres, radians) the target moves from the palm's measured pose per step at a full action; None (the
    default): the action is the target itself, the bounds' box mapped onto [-1, 1]."""


class HandSynergyAction(ActionTerm):
    """Finger joint position targets from a few postural synergies: q = q_mean + B c, clamped to limits.

    The basis ``B`` (16 x k) and the coefficient bounds come from the configuration; see
    :mod:`dexgrasp.assets.hand_synergies` for how the default basis is built. With ``smoothing`` a > 0 the
    coefficients follow the actions as an exponential average, c_t = a c_(t-1) + (1 - a) c(action_t), so one noisy
    step of exploration moves the fingers by a fraction of its noise and does not open a closed hand. With
    ``zero_coefficients`` the zero action selects those coefficients instead of the middle of the bounds (each half
    of [-1, 1] then spans its side of the bounds), so a policy that has not learnt to use its fingers yet holds the
    hand in that posture: the open preshape keeps a hand that descends on an object from pushing it away.
    """

    cfg: HandSynergyActionCfg

    def __init__(self, cfg: HandSynergyActionCfg, env: ManagerBasedEnv):
        super().__init__(cfg, env)
        self._joint_ids, self._joint_names = self._asset.find_joints(cfg.joint_names, preserve_order=True)
        self._basis = torch.tensor(cfg.basis, device=self.device, dtype=torch.float32)  # (16, k)
        self._mean = torch.tensor(cfg.mean, device=self.device, dtype=torch.float32)
        self._low = torch.tensor(cfg.coefficient_bounds[0], device=self.device)
        self._high = torch.tensor(cfg.coefficient_bounds[1], device=self.device)
        zero = cfg.zero_coefficients
        self._zero = 0.5 * (self._low + self._high) if zero is None else torch.tensor(zero, device=self.device)
        if not bool(((self._low <= self._zero) & (self._zero <= self._high)).all()):
            raise ValueError(f"zero_coefficients {zero} lie outside the bounds {cfg.coefficient_bounds}")
        if self._basis.shape[0] != len(self._joint_ids):
            raise ValueError(f"Synergy basis has {self._basis.shape[0]} rows for {len(self._joint_ids)} joints.")
        if not 0.0 <= cfg.smoothing < 1.0:
            raise ValueError(f"hand synergy smoothing must lie in [0, 1), got {cfg.smoothing}")
        self._raw_actions = torch.zeros(self.num_envs, self.action_dim, device=self.device)
        self._processed_actions = torch.zeros(self.num_envs, len(self._joint_ids), device=self.device)
        self._coeffs = self._zero.expand(self.num_envs, -1).clone()
        """The coefficients in force (the zero action's at a reset)."""

    @property
    def action_dim(self) -> int:
        return self._basis.shape[1]

    @property
    def raw_actions(self) -> torch.Tensor:
        return self._raw_actions

    @property
    def processed_actions(self) -> torch.Tensor:
        return self._processed_actions

    def process_actions(self, actions: torch.Tensor):
        self._raw_actions[:] = actions
        a = self.cfg.smoothing
        self._coeffs = a * self._coeffs + (1.0 - a) * self.coefficients(actions)
        q = self._mean + self._coeffs @ self._basis.T
        limits = self._asset.data.soft_joint_pos_limits.torch[:, self._joint_ids]
        self._processed_actions[:] = torch.clamp(q, limits[..., 0], limits[..., 1])

    def apply_actions(self):
        self._asset.set_joint_position_target_index(target=self._processed_actions, joint_ids=self._joint_ids)

    def reset(self, env_ids=None) -> None:
        ids = slice(None) if env_ids is None else env_ids
        self._raw_actions[ids] = 0.0
        self._coeffs[ids] = self._zero

    def coefficients(self, actions: torch.Tensor) -> torch.Tensor:
        """The synergy coefficients an action in [-1, 1] selects."""
        return hinged(actions, self._low, self._zero, self._high)

    def action_for(self, coefficients: torch.Tensor) -> torch.Tensor:
        """The action in [-1, 1] that selects ``coefficients`` (the inverse of :meth:`coefficients`)."""
        return unhinged(coefficients, self._low, self._zero, self._high)


@configclass
class HandSynergyActionCfg(ActionTermCfg):
    class_type: type[ActionTerm] = HandSynergyAction
    joint_names: list[str] = MISSING
    basis: list[list[float]] = MISSING
    mean: list[float] = MISSING
    coefficient_bounds: tuple[list[float], list[float]] = MISSING
    smoothing: float = 0.0
    """Exponential averaging of the coefficients, in [0, 1): 0 (the default) takes each action as it comes."""
    zero_coefficients: list[float] | None = None
    """Coefficients the zero action selects (within the bounds); None (the default): the middle of the bounds."""
