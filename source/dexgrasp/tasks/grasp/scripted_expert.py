"""A scripted grasp expert: a top-down pinch from privileged state, through the task's own 11-D action.

It approaches above the object with the hand in its open pinch preshape, descends until the pinch point (where
the thumb and the index and middle fingertips meet, :data:`~dexgrasp.assets.hand_synergies.PINCH_POINT`) is at
the object's centre, closes the grasp synergy, lifts to the goal and holds; if the object slips out it starts
over. It proves that the robot model and physics can grasp, serves as a data source that needs no RL, and
teaches students by DAgger. Everything it reads is simulator state, so it runs in the simulation process.
"""

from __future__ import annotations

from dataclasses import dataclass

import isaaclab.utils.math as math_utils
import torch
from isaaclab.managers import ManagerTermBase

from dexgrasp.assets import hand_synergies

from .grasp_env_cfg import TABLE_TOP

APPROACH, DESCEND, CLOSE, LIFT = range(4)
PHASES = ("approach", "descend", "close", "lift")


@dataclass
class ScriptedExpertCfg:
    hover: float = 0.12
    """Height of the approach point above the grasp point [m]."""
    approach_tolerance: float = 0.03
    """Palm distance to the approach point that starts the descent [m]."""
    descend_tolerance: float = 0.015
    """Palm distance to the grasp pose that starts closing [m]."""
    phase_timeout_s: tuple[float, float, float] = (5.0, 2.0, 0.6)
    """Longest approach, descent and closing [s]; closing always takes its full time."""
    min_clearance: float = 0.02
    """Lowest pinch point above the table top, so the fingertips clear it [m]."""
    slip_distance: float = 0.08
    """Pinch point to object distance at which a lifted object counts as dropped (start over) [m]."""


class ScriptedGraspExpert:
    """Acts in every environment of a grasp environment from its simulator state; see the module docstring."""

    def __init__(self, env, cfg: ScriptedExpertCfg | None = None):
        self.env = env
        self.cfg = cfg or ScriptedExpertCfg()
        terms = env.action_manager.active_terms
        if terms != ["palm", "hand"]:
            raise ValueError(f"the scripted expert acts through the 11-D palm + synergy action, not {terms}")
        self._palm_term = env.action_manager.get_term("palm")
        robot = env.scene["robot"]
        self._palm_id = robot.body_names.index("palm_link")
        n, device = env.num_envs, env.device
        self.phase = torch.zeros(n, dtype=torch.long, device=device)
        self._phase_steps = torch.zeros(n, dtype=torch.long, device=device)
        self._grasp_offset = torch.zeros(n, 3, device=device)
        nominal = torch.tensor(self._palm_term.cfg.nominal_quat, device=device, dtype=torch.float32)
        pinch = torch.tensor(hand_synergies.PINCH_POINT, device=device)
        self._pinch_offset = math_utils.quat_apply(nominal[None], pinch[None])[0]
        """Pinch point relative to the palm, in world axes, with the palm at its nominal orientation."""
        self._open, self._closed = (
            torch.tensor(hand_synergies.coefficients_to_action([c, 0, 0, 0, 0]), device=device, dtype=torch.float32)
            for c in (hand_synergies.CLOSURE_OPEN, hand_synergies.CLOSURE_SQUEEZE)
        )
        self._timeouts = [round(t / env.step_dt) for t in self.cfg.phase_timeout_s]

    def reset(self, env_ids: torch.Tensor | None = None) -> None:
        ids = slice(None) if env_ids is None else env_ids
        self.phase[ids] = APPROACH
        self._phase_steps[ids] = 0

    def _palm_action(self, palm_target: torch.Tensor) -> torch.Tensor:
        low, high = self._palm_term._low, self._palm_term._high
        position = 2.0 * (palm_target - low[:3]) / (high[:3] - low[:3]) - 1.0
        return torch.cat([position, torch.zeros_like(position)], dim=-1).clamp(-1.0, 1.0)

    def _advance(self, mask: torch.Tensor, to: int) -> None:
        self.phase[mask] = to
        self._phase_steps[mask] = 0

    @torch.no_grad()
    def act(self) -> torch.Tensor:
        """Actions ``(num_envs, 11)`` in [-1, 1] for the current state."""
        env, cfg = self.env, self.cfg
        self.reset(torch.nonzero(env.episode_length_buf == 0).flatten())
        origins = env.scene.env_origins
        obj = env.scene["object"].data.root_pos_w.torch - origins
        palm = env.scene["robot"].data.body_pos_w.torch[:, self._palm_id] - origins
        pinch_center = obj.clone()
        pinch_center[:, 2] = pinch_center[:, 2].clamp(min=TABLE_TOP + cfg.min_clearance)
        grasp = pinch_center - self._pinch_offset
        above = grasp + torch.tensor([0.0, 0.0, cfg.hover], device=env.device)
        goal = torch.tensor(env.cfg.goal_pos, device=env.device)

        steps = self._phase_steps
        phase = self.phase
        self._advance(
            (phase == APPROACH)
            & ((torch.linalg.norm(palm - above, dim=-1) < cfg.approach_tolerance) | (steps >= self._timeouts[0])),
            DESCEND,
        )
        self._advance(
            (phase == DESCEND)
            & ((torch.linalg.norm(palm - grasp, dim=-1) < cfg.descend_tolerance) | (steps >= self._timeouts[1])),
            CLOSE,
        )
        closing_done = (phase == CLOSE) & (steps >= self._timeouts[2])
        self._grasp_offset[closing_done] = (palm - obj)[closing_done]
        self._advance(closing_done, LIFT)
        dropped = (phase == LIFT) & (torch.linalg.norm(palm + self._pinch_offset - obj, dim=-1) > cfg.slip_distance)
        self._advance(dropped, APPROACH)

        target = torch.where((phase == APPROACH)[:, None], above, grasp)
        target = torch.where((phase == LIFT)[:, None], goal + self._grasp_offset, target)
        fraction = (steps.float() / max(1, self._timeouts[2])).clamp(0.0, 1.0)[:, None]
        hand = self._open + fraction * (self._closed - self._open)
        hand = torch.where((phase == LIFT)[:, None], self._closed.expand_as(hand), hand)
        hand = torch.where((phase < CLOSE)[:, None], self._open.expand_as(hand), hand)
        self._phase_steps += 1
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
