"""What each grasp policy observes: proprioception for all, the privileged object state for the state teacher,
one depth image or a stereo RGB pair for the image policies, and everything noise-free for the critic.

Robot-specific names are left :data:`~dataclasses.MISSING` (:data:`HAND`: the palm and fingertip bodies); a robot
binding fills them (:mod:`dexgrasp.tasks.grasp.config`). The depth range and image sizes come from the
environment's settings (:class:`dexgrasp.tasks.grasp.grasp_env_cfg.GraspEnvCfg`). Every group concatenates its
terms and is noise-free (Isaac Lab's defaults) unless it says otherwise.
"""

from __future__ import annotations

from dataclasses import MISSING

from isaaclab.managers import ObservationGroupCfg as ObsGroup
from isaaclab.managers import ObservationTermCfg as ObsTerm
from isaaclab.managers import SceneEntityCfg
from isaaclab.utils import configclass

from . import mdp

HAND = SceneEntityCfg("robot", body_names=MISSING, preserve_order=True)
"""The hand's keypoint bodies (palm first, then the fingertips), named by the robot binding."""


def _noisy(noise: float, bias: float) -> mdp.ScheduledNoiseModelCfg:
    """Per-step noise and per-episode bias, both growing from nothing at ADR level 0 to these widths at level 1."""
    return mdp.ScheduledNoiseModelCfg(noise=noise, bias=bias)


@configclass
class ProprioCfg(ObsGroup):
    """What the robot knows of itself, with sensor noise and per-episode bias: every policy sees it.

    Noise widths at ADR level 1 are the reference's (joints 0.08 rad noise and bias, velocities 0.18 and
    0.08 rad/s; object position 0.03 and 0.02 m, orientation 0.1 and 0.08).
    """

    joint_pos = ObsTerm(func=mdp.joint_pos, noise=_noisy(0.08, 0.08))
    joint_vel = ObsTerm(func=mdp.joint_vel, noise=_noisy(0.18, 0.08))
    hand_pos = ObsTerm(func=mdp.body_pos_env, params={"asset_cfg": HAND}, noise=_noisy(0.01, 0.01))
    hand_vel = ObsTerm(func=mdp.body_lin_vel, params={"asset_cfg": HAND}, noise=_noisy(0.05, 0.0))
    goal = ObsTerm(func=mdp.goal_position)
    last_action = ObsTerm(func=mdp.last_action)

    def __post_init__(self):
        self.enable_corruption = True
        self.concatenate_terms = True


@configclass
class TeacherPolicyCfg(ProprioCfg):
    """Proprioception plus the privileged object state the state teacher acts on."""

    object_pos = ObsTerm(func=mdp.object_pos_env, noise=_noisy(0.03, 0.02))
    object_quat = ObsTerm(func=mdp.object_quat, noise=_noisy(0.1, 0.08))
    object_shape = ObsTerm(func=mdp.object_descriptor)


@configclass
class CriticCfg(ObsGroup):
    """Asymmetric critic: everything noise-free, plus object velocity and measured joint torques."""

    joint_pos = ObsTerm(func=mdp.joint_pos)
    joint_vel = ObsTerm(func=mdp.joint_vel)
    hand_pos = ObsTerm(func=mdp.body_pos_env, params={"asset_cfg": HAND})
    hand_vel = ObsTerm(func=mdp.body_lin_vel, params={"asset_cfg": HAND})
    goal = ObsTerm(func=mdp.goal_position)
    last_action = ObsTerm(func=mdp.last_action)
    object_pos = ObsTerm(func=mdp.object_pos_env)
    object_quat = ObsTerm(func=mdp.object_quat)
    object_shape = ObsTerm(func=mdp.object_descriptor)
    object_vel = ObsTerm(func=mdp.object_velocity)
    joint_torque = ObsTerm(func=mdp.joint_effort, scale=0.05)


@configclass
class StateObservationsCfg:
    policy: TeacherPolicyCfg = TeacherPolicyCfg()
    critic: CriticCfg = CriticCfg()


@configclass
class DepthImageCfg(ObsGroup):
    """The depth camera's image; its ``depth_range`` is the environment's (set when the environment is built)."""

    depth = ObsTerm(
        func=mdp.depth_image,
        params={"sensor_cfg": SceneEntityCfg("depth_camera"), "augmentation": mdp.DepthAugmentationCfg()},
    )


@configclass
class DepthObservationsCfg:
    policy: ProprioCfg = ProprioCfg()
    depth: DepthImageCfg = DepthImageCfg()
    critic: CriticCfg = CriticCfg()


def rgb_group(sensor: str) -> ObsGroup:
    """One camera's RGB image, uint8, channel first."""

    @configclass
    class RgbCfg(ObsGroup):
        rgb = ObsTerm(
            func=mdp.image_rgb,
            params={
                "sensor_cfg": SceneEntityCfg(sensor),
                "data_type": "rgb",
                "normalize": False,
                "channel_first": True,
            },
        )

    return RgbCfg()


@configclass
class StereoObservationsCfg:
    policy: ProprioCfg = ProprioCfg()
    left_rgb: ObsGroup = rgb_group("left_camera")
    right_rgb: ObsGroup = rgb_group("right_camera")
    critic: CriticCfg = CriticCfg()


@configclass
class ObjectPositionCfg(ObsGroup):
    """Noise-free object position: the label of a distilled student's auxiliary head, never a policy input."""

    object_pos = ObsTerm(func=mdp.object_pos_env)
