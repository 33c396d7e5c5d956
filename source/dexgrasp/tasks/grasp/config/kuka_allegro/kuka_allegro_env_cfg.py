"""The grasp task on a Kuka iiwa arm with an Allegro hand: robot, actions, cameras, and the three registered tasks.

:class:`KukaAllegroGraspEnvCfg` binds the robot to the robot-agnostic base
(:class:`dexgrasp.tasks.grasp.grasp_env_cfg.GraspEnvCfg`): the robot at its reset pose, its 11-D action space,
and the names the base leaves missing (hand bodies, arm and finger joints, the assisted-start arm pose). The
tasks differ in what the policy observes: the privileged state (:class:`GraspStateEnvCfg`), one depth image
(:class:`GraspDepthEnvCfg`) or a stereo RGB pair (:class:`GraspStereoRGBEnvCfg`).
"""

from __future__ import annotations

from isaaclab.assets import ArticulationCfg
from isaaclab.controllers import DifferentialIKControllerCfg
from isaaclab.managers import SceneEntityCfg
from isaaclab.sensors import ContactSensorCfg
from isaaclab.utils import configclass
from isaaclab_tasks.utils import PresetCfg

from dexgrasp.assets import hand_synergies
from dexgrasp.assets.kuka_allegro import (
    ARM_JOINT_NAMES,
    FINGERTIP_BODY_NAMES,
    HAND_JOINT_NAMES,
    KUKA_ALLEGRO_CFG,
    PALM_BODY_NAME,
    PALM_DOWN_FINGERS_POS_Y_QUAT_XYZW,
)

from ... import mdp
from ...grasp_env_cfg import GraspEnvCfg
from ...mdp_cfg import GraspRewardsCfg, RewardsCfg
from ...observations_cfg import DepthObservationsCfg, StateObservationsCfg, StereoObservationsCfg
from ...scene_cfg import GraspSceneCfg
from .camera_cfg import DEPTH_RIG, STEREO_RIG, camera_cfg, camera_pose_event, stereo_pair_cfg

HAND_BODIES = [PALM_BODY_NAME] + FINGERTIP_BODY_NAMES
"""The hand's keypoints: palm first, then the fingertips."""

START_JOINT_POS = {
    "iiwa7_joint_1": -0.85,
    "iiwa7_joint_2": 0.0,
    "iiwa7_joint_3": 0.76,
    "iiwa7_joint_4": 1.25,
    "iiwa7_joint_5": -1.76,
    "iiwa7_joint_6": 0.90,
    "iiwa7_joint_7": 0.64,
    "(index|middle|ring)_joint_0": 0.0,
    "(index|middle|ring)_joint_[1-3]": 0.3,
    "thumb_joint_0": 1.396,
    "thumb_joint_1": 0.601,
    "thumb_joint_2": 0.338,
    "thumb_joint_3": 0.608,
}
"""Reset pose of the reference task: the palm high (z ~0.88 m) beside the drop column, fingers relaxed.

The reference's thumb_joint_0 of 1.5 rad lies past the joint's upper limit (1.396), where the simulator would
clamp it; it is written at the limit here.
"""

ASSISTED_ARM_POSE = (-2.12, 1.64, 1.38, 1.58, -2.97, 1.03, 1.37)
"""Arm joints with the palm down over the workspace centre at (-0.545, 0.094, 0.391): its pinch point lies 4 cm
above the table top, where assisted starts place the object (found by the task's own IK from the start pose)."""

RAISED_ARM_POSE = (-2.172, 1.507, 1.209, 1.493, -2.965, 1.07, 1.146)
"""Arm joints with the palm 11.7 cm above :data:`ASSISTED_ARM_POSE` (z 0.508): where the task's relative palm
action, stepping 1 cm up for 12 steps from an open assisted start, brought it (then held for 60 steps)."""

ASSISTED_GRIP = (
    *(-0.173, 0.882, 0.793, 0.024, -0.031, 1.082, -0.052, 1.44, 0.173, 0.739, 0.853, 0.499),
    *(1.364, 0.977, 0.23, 1.064),
)
"""Finger joints (:data:`hand_synergies.FINGER_JOINT_ORDER`) gripping the 6 cm cube in an assisted start: where the
zero hand action had closed them on it after 40 steps with the palm held at :data:`ASSISTED_ARM_POSE`."""


def with_start_pose(robot: ArticulationCfg) -> ArticulationCfg:
    """``robot`` starting every episode at :data:`START_JOINT_POS`."""
    return robot.replace(init_state=robot.init_state.replace(joint_pos=dict(START_JOINT_POS)))


@configclass
class KukaAllegroSceneCfg(GraspSceneCfg):
    robot: ArticulationCfg = with_start_pose(KUKA_ALLEGRO_CFG)


@configclass
class ActionsCfg:
    """11-D: palm pose (6) by differential IK + hand synergies (5)."""

    palm = mdp.PalmPoseActionCfg(
        asset_name="robot",
        joint_names=ARM_JOINT_NAMES,
        body_name=PALM_BODY_NAME,
        controller=DifferentialIKControllerCfg(command_type="pose", use_relative_mode=False, ik_method="dls"),
        nominal_quat=PALM_DOWN_FINGERS_POS_Y_QUAT_XYZW,
    )
    hand = mdp.HandSynergyActionCfg(
        asset_name="robot",
        joint_names=hand_synergies.FINGER_JOINT_ORDER,
        basis=hand_synergies.BASIS.tolist(),
        mean=hand_synergies.MEAN.tolist(),
        coefficient_bounds=hand_synergies.BOUNDS,
    )


@configclass
class JointTargetActionsCfg:
    """23-D variant: absolute joint position targets, [-1, 1] spanning each joint's limits."""

    joints = mdp.JointPositionToLimitsActionCfg(
        asset_name="robot", joint_names=ARM_JOINT_NAMES + HAND_JOINT_NAMES, preserve_order=True
    )


@configclass
class ActionSpaceCfg(PresetCfg):
    synergy = ActionsCfg()
    joint_targets = JointTargetActionsCfg()
    default = synergy


def _hand() -> SceneEntityCfg:
    return SceneEntityCfg("robot", body_names=HAND_BODIES, preserve_order=True)


CONTACT_SENSORS = {f"{tip.removesuffix('_tip')}_contact": tip for tip in FINGERTIP_BODY_NAMES}
"""Scene name -> fingertip body of the contact sensors the ``grasp`` reward reads (thumb last)."""


def _reward_sets(rewards) -> list:
    """The reward configurations to bind: every preset's while the preset is not chosen yet, else the chosen one."""
    if isinstance(rewards, PresetCfg):
        return [value for name, value in vars(rewards).items() if not name.startswith("_") and value is not None]
    return [rewards]


def _bind_rewards(rewards) -> None:
    if isinstance(rewards, RewardsCfg):
        rewards.reach.params["hand_cfg"] = _hand()
        rewards.finger_curl.params["curled"] = hand_synergies.CURLED_POSTURE
        rewards.finger_curl.params["asset_cfg"] = SceneEntityCfg(
            "robot", joint_names=HAND_JOINT_NAMES, preserve_order=True
        )
    elif isinstance(rewards, GraspRewardsCfg):
        rewards.reach.params["hand_cfg"] = SceneEntityCfg("robot", body_names=FINGERTIP_BODY_NAMES, preserve_order=True)
        rewards.tips.params["hand_cfg"] = SceneEntityCfg("robot", body_names=FINGERTIP_BODY_NAMES, preserve_order=True)
        *fingers, thumb = CONTACT_SENSORS
        for term in (rewards.contact, rewards.lift, rewards.goal):
            term.params.update(thumb_sensor=thumb, finger_sensors=fingers)


@configclass
class KukaAllegroGraspEnvCfg(GraspEnvCfg):
    """The grasp task's base with the Kuka-Allegro robot bound; the registered tasks add what the policy sees."""

    scene: KukaAllegroSceneCfg = KukaAllegroSceneCfg(num_envs=4096, env_spacing=2.5, lazy_sensor_update=True)
    actions: ActionSpaceCfg = ActionSpaceCfg()

    def __post_init__(self):
        super().__post_init__()
        # the names the base leaves to the robot, in every observation group that reads the hand's keypoints
        for group in self.observations.__dict__.values():
            for term in ("hand_pos", "hand_vel"):
                if getattr(group, term, None) is not None:
                    getattr(group, term).params["asset_cfg"] = _hand()
        self.hand_bodies = list(HAND_BODIES)
        for rewards in _reward_sets(self.rewards):
            _bind_rewards(rewards)
        self.events.arm_joint_friction.params["params"]["asset_cfg"] = SceneEntityCfg(
            "robot", joint_names=ARM_JOINT_NAMES
        )
        self.events.hand_joint_friction.params["params"]["asset_cfg"] = SceneEntityCfg(
            "robot", joint_names=HAND_JOINT_NAMES
        )
        self.events.assisted_start.params.update(
            arm_joint_names=ARM_JOINT_NAMES,
            arm_joint_pos=ASSISTED_ARM_POSE,
            raised_arm_joint_pos=RAISED_ARM_POSE,
            finger_joint_names=hand_synergies.FINGER_JOINT_ORDER,
            preshape=tuple(hand_synergies.PRESHAPE.tolist()),
            grip=ASSISTED_GRIP,
        )
        self.events.push_object.params["hand_cfg"] = SceneEntityCfg("robot", body_names=[PALM_BODY_NAME])

    def contact_sensors(self) -> dict[str, ContactSensorCfg]:
        """Each fingertip's contact with the object."""
        return {
            name: ContactSensorCfg(
                prim_path=f"{{ENV_REGEX_NS}}/Robot/{tip}", filter_prim_paths_expr=["{ENV_REGEX_NS}/Object"]
            )
            for name, tip in CONTACT_SENSORS.items()
        }

    def official_robot(self) -> ArticulationCfg:
        from dexgrasp.assets.kuka_allegro import KUKA_ALLEGRO_OFFICIAL_CFG

        return with_start_pose(KUKA_ALLEGRO_OFFICIAL_CFG())


@configclass
class GraspStateEnvCfg(KukaAllegroGraspEnvCfg):
    """Privileged-state teacher: object pose and shape in the observation, asymmetric critic."""

    observations: StateObservationsCfg = StateObservationsCfg()


@configclass
class GraspDepthEnvCfg(KukaAllegroGraspEnvCfg):
    """End-to-end depth policy: proprioception plus one depth image; the critic keeps the privileged state."""

    observations: DepthObservationsCfg = DepthObservationsCfg()

    def __post_init__(self):
        super().__post_init__()
        self.scene.depth_camera = camera_cfg("DepthCamera", ["distance_to_image_plane"])
        self.events.camera_pose = camera_pose_event(DEPTH_RIG)


@configclass
class GraspStereoRGBEnvCfg(KukaAllegroGraspEnvCfg):
    """Stereo RGB student: proprioception plus left and right RGB images 55 mm apart."""

    observations: StereoObservationsCfg = StereoObservationsCfg()

    def __post_init__(self):
        super().__post_init__()
        self.scene.left_camera, self.scene.right_camera = stereo_pair_cfg()
        self.events.camera_pose = camera_pose_event(STEREO_RIG)
