"""A scripted grasp expert: a top-down pinch from privileged state, through the task's own 11-D action.

It approaches above the object with the hand in its open pinch preshape, descends until the pinch point (where
the thumb and the index and middle fingertips meet, :data:`~dexgrasp.assets.hand_synergies.PINCH_POINT`) is at
the object's centre, closes the grasp synergy, lifts to the goal and holds; if the object slips out, the hand
opens and it starts over. It proves that the robot model and physics can grasp, serves as a data source that
needs no RL, and teaches students by DAgger. Everything it reads is simulator state, so it runs in the
simulation process.

It keeps no memory: each action is a function of the current state alone (object and palm positions, the palm's
speed, the finger joint positions and speeds), so the label of a state is the same whoever drove the episode
there. A student trained by DAgger visits states the expert never would; an expert with phases and time-outs
would label the same state "descend", "close" or "approach" depending on its own history, and the student would
learn their mean. The descent is continuous in the horizontal error (the further off, the higher the hand stays), so the
labels have no jump a small network must fit exactly.

Nor does a label depend on the policy's own last action. The hand commands the squeeze at once (its joint PD
closes it in a fraction of a second) and lifts once the fingers, measured by their closure coefficient, have
closed on the object and stopped; the lift target leads the palm by a bounded step towards the goal, so the
label changes by a step, not a jump from the grasp height to the goal height. An earlier version ramped the
closure command from its last value and lifted when the command reached the end of the ramp: a student that
learned to repeat its last closure command, short by one step of the ramp, stalled half closed and never lifted.
"""

from __future__ import annotations

import isaaclab.utils.math as math_utils
import torch
from isaaclab.managers import ManagerTermBase
from isaaclab.utils import configclass

from dexgrasp.assets import hand_synergies

from .scene_cfg import TABLE_TOP

APPROACH, DESCEND, CLOSE, LIFT = range(4)
PHASES = ("approach", "descend", "close", "lift")


@configclass
class ScriptedExpertCfg:
    """The expert's tolerances and heights: the environment's ``scripted_expert`` setting
    (``env.scripted_expert.align_tolerance=0.03``), read by every expert the environment builds."""

    hover: float = 0.12
    """Height of the approach point above the grasp point [m]."""
    align_scale: float = 0.03
    """Horizontal palm error at which the hand stays at the full hover height; below it, it descends in
    proportion [m]."""
    align_tolerance: float = 0.015
    """Horizontal palm error below which the hand may close [m]."""
    grasp_tolerance: float = 0.015
    """Palm distance to the grasp pose at which the hand closes [m]."""
    settled_tolerance: float = 0.04
    """... or this close, once the palm has stopped (the fingers rest on the object or the table) [m]."""
    settled_speed: float = 0.02
    """Palm speed below which it counts as stopped [m/s]."""
    min_clearance: float = 0.02
    """Lowest pinch point above the table top, so the fingertips clear it [m]."""
    hold_distance: float = 0.05
    """Object to pinch point distance within which the object counts as in the hand [m]."""
    closing_started: float = 0.05
    """Measured closure coefficient (synergy 1 of the finger joint positions) above which the hand is closing."""
    min_grip: float = 0.3
    """Measured closure coefficient the fingers must reach before the hand may lift."""
    settled_finger_speed: float = 0.3
    """Fastest finger joint speed at which the fingers count as stopped on the object [rad/s]."""
    lift_step: float = 0.05
    """How far ahead of the palm the lift target leads it towards the goal pose [m]."""
    position_error: float = 0.0
    """Std of an error on the object's horizontal position (x and y) that the expert acts on, drawn per coordinate
    at each episode's start and kept through the episode [m]. 0 (the default) acts on the exact position. A student
    that reads the position from a depth image is off by 2-3 cm in x and y and well under 1 cm in height (the object
    rests on the table); this measures how much of the grasp survives that."""


class ScriptedGraspExpert:
    """Acts in every environment of a grasp environment from its simulator state; see the module docstring."""

    def __init__(self, env):
        self.env = env
        self.cfg: ScriptedExpertCfg = env.cfg.scripted_expert
        terms = env.action_manager.active_terms
        if terms != ["palm", "hand"]:
            raise ValueError(f"the scripted expert acts through the 11-D palm + synergy action, not {terms}")
        self._palm_term = env.action_manager.get_term("palm")
        if self._palm_term.cfg.relative_step is not None:
            raise ValueError(
                "the scripted expert sets absolute palm targets: leave env.actions.palm.relative_step unset"
            )
        self._hand_term = env.action_manager.get_term("hand")
        self._palm_id = env.scene["robot"].body_names.index("palm_link")
        device = env.device
        self.phase = torch.zeros(env.num_envs, dtype=torch.long, device=device)
        """What each environment's last action did (an index into :data:`PHASES`), for inspection only."""
        nominal = torch.tensor(self._palm_term.cfg.nominal_quat, device=device, dtype=torch.float32)
        pinch = torch.tensor(hand_synergies.PINCH_POINT, device=device)
        self._pinch_offset = math_utils.quat_apply(nominal[None], pinch[None])[0]
        """Pinch point relative to the palm, in world axes, with the palm at its nominal orientation."""
        self._open, self._closed = (
            self._hand_term.action_for(torch.tensor([c, 0.0, 0.0, 0.0, 0.0], device=device))
            for c in (hand_synergies.CLOSURE_OPEN, hand_synergies.CLOSURE_SQUEEZE)
        )
        self._finger_ids = self._hand_term._joint_ids
        self._closure_row = torch.linalg.pinv(self._hand_term._basis)[0]
        """Least-squares closure coefficient of a finger posture (row 0 of the action's basis pseudo-inverse)."""
        self._mean_posture = self._hand_term._mean
        self._position_error = torch.zeros(env.num_envs, 3, device=device)
        """The per-episode error on the object's position (:attr:`ScriptedExpertCfg.position_error`)."""
        self._error_generator = torch.Generator(device).manual_seed(env.cfg.seed or 0)
        """Its own random stream, so that an expert with an error meets the same episodes as the exact one."""

    def _palm_action(self, palm_target: torch.Tensor) -> torch.Tensor:
        low, high = self._palm_term._low, self._palm_term._high
        position = 2.0 * (palm_target - low[:3]) / (high[:3] - low[:3]) - 1.0
        return torch.cat([position, torch.zeros_like(position)], dim=-1).clamp(-1.0, 1.0)

    def _drawn_position_error(self) -> torch.Tensor:
        """The error each environment's episode acts with, drawn anew where an episode starts."""
        if self.cfg.position_error > 0.0:
            starts = self.env.episode_length_buf == 0
            draw = torch.randn(self._position_error.shape, generator=self._error_generator, device=self.env.device)
            draw[:, 2] = 0.0
            self._position_error[starts] = self.cfg.position_error * draw[starts]
        return self._position_error

    def palm_position(self) -> torch.Tensor:
        """The palm's position in the environment frame (the robot's own state)."""
        return self.env.scene["robot"].data.body_pos_w.torch[:, self._palm_id] - self.env.scene.env_origins

    def pinch_point(self) -> torch.Tensor:
        """Where the pinch closes (:data:`~dexgrasp.assets.hand_synergies.PINCH_POINT`), environment frame."""
        return self.palm_position() + self._pinch_offset

    def closure(self) -> torch.Tensor:
        """The fingers' measured closure coefficient (synergy 1 of their joint positions)."""
        fingers = self.env.scene["robot"].data.joint_pos.torch[:, self._finger_ids]
        return (fingers - self._mean_posture) @ self._closure_row

    @torch.no_grad()
    def act(self, object_pos: torch.Tensor | None = None) -> torch.Tensor:
        """Actions ``(num_envs, 11)`` in [-1, 1] for the current state; ``object_pos`` (environment frame), where
        given, replaces the simulator's object position (a modular policy's estimate from its camera)."""
        env, cfg = self.env, self.cfg
        origins = env.scene.env_origins
        if object_pos is None:
            obj = env.scene["object"].data.root_pos_w.torch - origins + self._drawn_position_error()
        else:
            obj = object_pos
        robot = env.scene["robot"].data
        palm = self.palm_position()
        palm_speed = torch.linalg.norm(robot.body_lin_vel_w.torch[:, self._palm_id], dim=-1)
        closure = self.closure()
        finger_speed = robot.joint_vel.torch[:, self._finger_ids].abs().amax(dim=-1)

        pinch_center = obj.clone()
        pinch_center[:, 2] = pinch_center[:, 2].clamp(min=TABLE_TOP + cfg.min_clearance)
        grasp = pinch_center - self._pinch_offset
        # the palm pose that holds the object at the goal, approached a bounded step at a time
        to_goal = torch.tensor(env.cfg.goal_pos, device=env.device) - obj
        lift = palm + to_goal * (
            cfg.lift_step / torch.linalg.norm(to_goal, dim=-1, keepdim=True).clamp(min=cfg.lift_step)
        )

        in_hand = torch.linalg.norm(palm + self._pinch_offset - obj, dim=-1) < cfg.hold_distance
        closing = closure > cfg.closing_started
        closed = (closure > cfg.min_grip) & (finger_speed < cfg.settled_finger_speed)
        misalignment = torch.linalg.norm((palm - grasp)[:, :2], dim=-1)
        to_grasp = torch.linalg.norm(palm - grasp, dim=-1)
        at_grasp = (misalignment < cfg.align_tolerance) & (
            (to_grasp < cfg.grasp_tolerance) | ((to_grasp < cfg.settled_tolerance) & (palm_speed < cfg.settled_speed))
        )

        phase = torch.where(misalignment < cfg.align_scale, DESCEND, APPROACH)
        phase[(at_grasp & ~closing) | (closing & in_hand)] = CLOSE
        phase[closed & in_hand] = LIFT
        self.phase = phase

        # approach and descent: above the grasp point, lower the better aligned
        height = cfg.hover * (misalignment / cfg.align_scale).clamp(max=1.0)
        target = grasp.clone()
        target[:, 2] += torch.where(phase == CLOSE, 0.0, height)
        target = torch.where((phase == LIFT)[:, None], lift, target)
        hand = self._open.expand(env.num_envs, -1).clone()
        hand[(phase == CLOSE) | (phase == LIFT)] = self._closed
        return torch.cat([self._palm_action(target), hand], dim=-1)


EXPERT_STD = 0.1
"""Action std the expert's labels carry: one for every dimension, so the distillation loss weighs them alike."""


class expert_action(ManagerTermBase):  # noqa: N801 - Isaac Lab names observation terms like functions
    """Observation term: the scripted expert's action, computed in the simulation process.

    It labels every step for distillation in any topology (the labels travel with the observations, as recorded
    labels do). The expert advances once per environment step however often the observations are computed.
    """

    def __init__(self, cfg, env):
        super().__init__(cfg, env)
        self._expert = ScriptedGraspExpert(env)
        self._step: int | None = None
        self._action: torch.Tensor | None = None

    def __call__(self, env) -> torch.Tensor:
        if self._step != env.common_step_counter or self._action is None:
            self._action = self._expert.act()
            self._step = env.common_step_counter
        return self._action


def expert_action_std(env) -> torch.Tensor:
    """Observation term: the std of the expert's labels (:data:`EXPERT_STD`)."""
    return torch.full((env.num_envs, env.action_manager.total_action_dim), EXPERT_STD, device=env.device)
