"""Rewards, terminations, resets and randomisations, and the curriculum of the grasp task.

Every randomisation grows with the curriculum (ADR) level, from none at level 0 to the reference's full range
at level 1. Robot-specific names (the hand's bodies and joints, the arm's joints, the poses of an assisted start)
are left :data:`~dataclasses.MISSING`; a robot binding fills them (:mod:`dexgrasp.tasks.grasp.config`).
"""

from __future__ import annotations

import math
from dataclasses import MISSING

from isaaclab.managers import CurriculumTermCfg as CurrTerm
from isaaclab.managers import EventTermCfg as EventTerm
from isaaclab.managers import RewardTermCfg as RewTerm
from isaaclab.managers import SceneEntityCfg
from isaaclab.managers import TerminationTermCfg as DoneTerm
from isaaclab.utils import configclass
from isaaclab_tasks.utils import PresetCfg

from . import mdp
from .observations_cfg import HAND
from .scene_cfg import SPAWN_HEIGHT, TABLE_TOP, WORKSPACE_CENTER, WORKSPACE_SIZE


@configclass
class RewardsCfg:
    """The reference's reward (DextrAH: reach, goal, lift, finger curl), preset ``dextrah``, the default."""

    reach = RewTerm(func=mdp.reach_object, weight=1.0, params={"sharpness": 10.0, "hand_cfg": HAND})
    goal = RewTerm(func=mdp.object_to_goal, weight=5.0, params={"sharpness": (15.0, 20.0)})
    lift = RewTerm(func=mdp.lift_object, weight=1.0, params={"sharpness": 8.5, "scale": (5.0, 0.0)})
    lifted = RewTerm(func=mdp.object_lifted, weight=0.0, params={"minimal_height": 0.04, "table_top": TABLE_TOP})
    """Off (the reference has no such term); ``env.rewards.lifted.weight`` turns it on for training from scratch."""
    finger_curl = RewTerm(
        func=mdp.finger_curl,
        weight=-1.0,
        params={
            "curled": MISSING,  # the hand's curled posture (one value per finger joint)
            "scale": (0.01, 0.005),
            "asset_cfg": SceneEntityCfg("robot", joint_names=MISSING, preserve_order=True),
        },
    )


CONTACT_FORCE = 0.5
"""Newtons a fingertip must press on the object to count as touching it."""


def _in_grasp(**params) -> dict:
    """``params`` with the contact sensors a grasp is judged by (names filled by the robot binding)."""
    return {"thumb_sensor": MISSING, "finger_sensors": MISSING, "threshold": CONTACT_FORCE, **params}


@configclass
class GraspRewardsCfg:
    """A reward for learning to grasp from scratch (preset ``grasp``), where holding the object pays more than
    hovering beside it.

    Reach is measured from the pinch point, contact (the thumb and one more finger on the object, from the
    fingertips' contact sensors) pays on its own, lift pays from the first centimetres and goal tracking only with
    the object grasped and lifted; a bonus pays every step the object is within the success radius of the goal.
    A hand hovering 6 cm from the object earns about 0.55 a step; one holding it on the table about 1.8, and lifting
    it 10 cm adds 5.
    """

    reach = RewTerm(func=mdp.pinch_reach, weight=1.0, params={"sharpness": 10.0, "hand_cfg": MISSING})
    tips = RewTerm(func=mdp.fingertip_reach, weight=0.0, params={"sharpness": 20.0, "hand_cfg": MISSING})
    """Closing the fingertips on the object; off by default (weight 0), ``env.rewards.tips.weight=1`` turns it on."""
    contact = RewTerm(func=mdp.grasp_contact, weight=1.0, params=_in_grasp())
    lift = RewTerm(
        func=mdp.lift_in_grasp, weight=5.0, params=_in_grasp(table_top=TABLE_TOP, start=0.01, full=0.11)
    )
    goal = RewTerm(
        func=mdp.goal_in_grasp,
        weight=5.0,
        params=_in_grasp(sharpness=10.0, table_top=TABLE_TOP, lifted_above=0.02),
    )
    success = RewTerm(func=mdp.object_at_goal, weight=10.0, params={"radius": 0.1})


@configclass
class RewardsPresetCfg(PresetCfg):
    """The reward, chosen by preset: ``dextrah`` (the reference's, the default) or ``grasp`` (from scratch)."""

    dextrah = RewardsCfg()
    grasp = GraspRewardsCfg()
    default = dextrah


@configclass
class TerminationsCfg:
    time_out = DoneTerm(func=mdp.time_out, time_out=True)
    object_out = DoneTerm(
        func=mdp.object_out_of_workspace,
        params={"center": WORKSPACE_CENTER, "size": WORKSPACE_SIZE, "min_height": 0.2},
    )


@configclass
class DistillTerminationsCfg(TerminationsCfg):
    """Distillation also ends episodes after ``hold_s`` seconds with the object held at the goal."""

    success_hold = DoneTerm(func=mdp.ObjectHeldAtGoal, params={"radius": 0.1, "hold_s": 2.0})


def _widening(term, params: dict, ranges: dict, mode: str = "reset", rebuild: bool = False) -> EventTerm:
    """An Isaac Lab randomisation whose ``ranges`` (nominal at level 0, full at level 1) follow the ADR level
    (``rebuild``: the term reads its ranges when it is built, see :class:`~.mdp.scheduled_randomization`)."""
    return EventTerm(
        func=mdp.scheduled_randomization,
        mode=mode,
        params={"term": term, "params": params, "ranges": ranges, "rebuild": rebuild},
    )


_FRICTION = {
    "static_friction_range": ((1.0, 1.0), (0.5, 1.2)),
    "dynamic_friction_range": ((1.0, 1.0), (0.5, 1.2)),
}


@configclass
class EventsCfg:
    """Resets and randomisations, each growing with the ADR level to the reference's full range."""

    robot_friction = _widening(
        mdp.randomize_rigid_body_material,
        {"asset_cfg": SceneEntityCfg("robot", body_names=".*"), "restitution_range": (0.0, 0.0), "num_buckets": 64},
        _FRICTION,
        rebuild=True,  # Newton's material term keeps the friction range it was built with
    )
    object_friction = _widening(
        mdp.randomize_rigid_body_material,
        {"asset_cfg": SceneEntityCfg("object"), "restitution_range": (0.0, 0.0), "num_buckets": 64},
        _FRICTION,
        rebuild=True,  # Newton's material term keeps the friction range it was built with
    )
    object_mass = _widening(
        mdp.randomize_rigid_body_mass,
        {"asset_cfg": SceneEntityCfg("object"), "operation": "scale", "recompute_inertia": True, "min_mass": 1e-3},
        {"mass_distribution_params": ((1.0, 1.0), (0.5, 3.0))},
    )
    joint_gains = _widening(
        mdp.randomize_actuator_gains,
        {"asset_cfg": SceneEntityCfg("robot", joint_names=".*"), "operation": "scale"},
        {
            "stiffness_distribution_params": ((1.0, 1.0), (0.5, 2.0)),
            "damping_distribution_params": ((1.0, 1.0), (0.5, 2.0)),
        },
    )
    # joint friction torque [N m]: the reference scales per-joint coefficients (arm 1, fingers 0.01) by 0-5
    arm_joint_friction = _widening(
        mdp.randomize_joint_parameters,
        {"asset_cfg": SceneEntityCfg("robot", joint_names=MISSING), "operation": "abs"},
        {"friction_distribution_params": ((0.0, 0.0), (0.0, 5.0))},
    )
    hand_joint_friction = _widening(
        mdp.randomize_joint_parameters,
        {"asset_cfg": SceneEntityCfg("robot", joint_names=MISSING), "operation": "abs"},
        {"friction_distribution_params": ((0.0, 0.0), (0.0, 0.05))},
    )
    reset_robot = EventTerm(
        func=mdp.reset_robot_scheduled,
        mode="reset",
        params={"asset_cfg": SceneEntityCfg("robot"), "position_noise": 0.35, "velocity_noise": 1.0},
    )
    reset_object = EventTerm(
        func=mdp.reset_object_scheduled,
        mode="reset",
        params={"center": WORKSPACE_CENTER, "size": WORKSPACE_SIZE, "height": SPAWN_HEIGHT, "rotation": math.pi},
    )
    # last: it overrides the resets above in the share of episodes it assists
    assisted_start = EventTerm(
        func=mdp.assisted_start,
        mode="reset",
        params={
            "arm_joint_names": MISSING,
            "arm_joint_pos": MISSING,  # arm joints with the hand's pinch point just above the object
            "finger_joint_names": MISSING,
            "preshape": MISSING,  # finger joints of the open hand and of the hand gripping the cube
            "grip": MISSING,
            "grip_width": 0.06,
            "object_pos": (WORKSPACE_CENTER[0], WORKSPACE_CENTER[1] - 0.002, TABLE_TOP + 0.041),
            "closure_per_metre": 10.0,
            "table_top": TABLE_TOP,
            "max_height": 0.12,
            "open_share": 0.0,  # of the assisted starts: the fingers open around the object instead
            "raised_arm_joint_pos": None,  # the arm with the open hand higher above the object
            "open_raise": (0.0, 0.0),  # how far open starts are raised towards it (a fraction, drawn per episode)
            "raised_offset": 0.0,  # m: how far a fully raised start moves the object from below the hand
            "raised_yaw": 0.0,  # rad: how far a fully raised start turns the object about the vertical
        },
    )
    support_object = EventTerm(func=mdp.support_object, mode="reset")
    """Holds up part of the object's weight while the weight curriculum (``env.curriculum.object_weight``) is on."""
    push_object = EventTerm(
        func=mdp.push_object_near_hand,
        mode="interval",
        interval_range_s=(1.0, 1.0),
        params={
            "max_accel": 10.0,
            "hand_distance": 0.3,
            "hand_cfg": SceneEntityCfg("robot", body_names=MISSING),
        },
    )


def _off_until_started(term, start: str, step: float, success_threshold: float, **params) -> CurrTerm:
    """A from-scratch curriculum (:class:`~.mdp.ObjectWeight`, :class:`~.mdp.GoalHeight`): off while its ``start``
    parameter is None, then a ``step`` each time ``success_threshold`` of a window of 128 finished episodes meet its
    condition; ``params`` are the term's own."""
    return CurrTerm(
        func=term,
        params={start: None, "step": step, "success_threshold": success_threshold, "min_episodes": 128, **params},
    )


@configclass
class CurriculumCfg:
    adr = CurrTerm(
        func=mdp.GraspADR,
        params={
            "num_steps": 50,
            "success_threshold": 0.4,
            "min_episodes": 64,
            "success_radius": 0.1,
            "init_step": 0,
        },
    )
    object_weight = _off_until_started(mdp.ObjectWeight, "start_scale", step=0.1, success_threshold=0.3)
    """Off (``start_scale`` None); ``env.curriculum.object_weight.params.start_scale=0.3`` starts the object at 30 %
    of its weight for training from scratch, heavier each time 30 % of a window's episodes end with it held
    (:class:`~dexgrasp.tasks.grasp.mdp.curriculum.ObjectWeight`)."""
    goal_height = _off_until_started(
        mdp.GoalHeight, "start_height", step=0.05, success_threshold=0.4, success_radius=0.1, low_height=None
    )
    """Off (``start_height`` None); ``env.curriculum.goal_height.params.start_height=0.33`` starts the goal low for
    training from scratch, ``low_height`` draws each episode's goal height between it and the curriculum's
    (:class:`~dexgrasp.tasks.grasp.mdp.curriculum.GoalHeight`)."""
