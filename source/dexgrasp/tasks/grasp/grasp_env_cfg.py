"""Configurations of the Kuka-Allegro grasp tasks: state teacher, end-to-end depth, stereo RGB student.

All three share one scene (robot, table, one object per environment), one action space, rewards, resets and
curriculum; they differ in what the policy observes. Settings that shape the scene (image size, depth range,
object set, robot source) are plain fields, selectable by Isaac Lab presets (``presets=res64``) or overrides
(``env.image.width=48``); :class:`dexgrasp.tasks.grasp.grasp_env.GraspEnv` applies them to the scene when
the environment is built, so an override given after the configuration was constructed still takes effect.
"""

from __future__ import annotations

import isaaclab.sim as sim_utils
from isaaclab.assets import ArticulationCfg, AssetBaseCfg, RigidObjectCfg
from isaaclab.controllers import DifferentialIKControllerCfg
from isaaclab.envs import ManagerBasedRLEnvCfg
from isaaclab.managers import CurriculumTermCfg as CurrTerm
from isaaclab.managers import EventTermCfg as EventTerm
from isaaclab.managers import ObservationGroupCfg as ObsGroup
from isaaclab.managers import ObservationTermCfg as ObsTerm
from isaaclab.managers import RewardTermCfg as RewTerm
from isaaclab.managers import SceneEntityCfg
from isaaclab.managers import TerminationTermCfg as DoneTerm
from isaaclab.scene import InteractiveSceneCfg
from isaaclab.sensors import CameraCfg
from isaaclab.utils import configclass
from isaaclab_newton.physics import MJWarpSolverCfg, NewtonCfg, NewtonCollisionPipelineCfg, NewtonShapeCfg
from isaaclab_physx.physics import PhysxCfg
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

from . import mdp
from .camera_cfg import CAMERA_POS, CAMERA_QUAT_ROS_WXYZ, STEREO_BASELINE, camera_cfg, stereo_pair_cfg

HAND_BODIES = [PALM_BODY_NAME] + FINGERTIP_BODY_NAMES
TABLE_SIZE = (0.725, 1.16, 0.03)
TABLE_TOP = 0.25
TABLE_CENTER = (-0.21 - TABLE_SIZE[0] / 2, 0.668 - TABLE_SIZE[1] / 2, TABLE_TOP - TABLE_SIZE[2] / 2)
WORKSPACE_CENTER = (-0.55, 0.1)
WORKSPACE_SIZE = (0.5, 0.8)
SPAWN_HEIGHT = 0.5
"""World height objects are dropped from (about 0.25 m above the table top, below the goal at 0.75 m)."""

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


def with_start_pose(robot: ArticulationCfg) -> ArticulationCfg:
    """``robot`` starting every episode at :data:`START_JOINT_POS`."""
    return robot.replace(init_state=robot.init_state.replace(joint_pos=dict(START_JOINT_POS)))


##
# Settings that shape the scene
##


@configclass
class ImageCfg:
    """Image size of every camera of the task [pixels]."""

    width: int = 160
    height: int = 120


@configclass
class ImageSizeCfg(PresetCfg):
    res32 = ImageCfg(width=32, height=32)
    res64 = ImageCfg(width=64, height=64)
    res160x120 = ImageCfg(width=160, height=120)
    res320x240 = ImageCfg(width=320, height=240)
    default = res160x120


@configclass
class ObjectSetCfg:
    """Which objects the environments grasp."""

    source: str = "procedural"
    """``"procedural"`` (seeded primitives), ``"cube"`` (one 6 cm cube) or ``"folder"`` (user meshes)."""
    num_objects: int = 16
    seed: int = 0
    size_range: tuple[float, float] = (0.03, 0.15)
    folder: str | None = None
    """Folder of ``.usd``/``.usda`` meshes when ``source == "folder"``."""
    density: float = 500.0
    """Object density [kg/m^3] (the reference's, about that of wood): mass grows with size."""


@configclass
class ObjectSetPresetCfg(PresetCfg):
    procedural = ObjectSetCfg()
    cube = ObjectSetCfg(source="cube")
    default = procedural


@configclass
class PhysicsCfg(PresetCfg):
    """Physics backends: Newton MJWarp (kitless, CPU or CUDA) by default; PhysX with Isaac Sim installed."""

    newton = NewtonCfg(
        solver_cfg=MJWarpSolverCfg(
            solver="newton",
            integrator="implicitfast",
            njmax=800,
            nconmax=200,
            # a high impedance ratio makes friction stiff against normal force: without it a pinched object creeps
            # out of the fingers at about 1 cm/s (pyramidal cone; the elliptic cone holds too but steps 4.7x slower)
            impratio=10.0,
            cone="pyramidal",
            iterations=100,
            ls_iterations=50,
            use_mujoco_contacts=False,
        ),
        collision_cfg=NewtonCollisionPipelineCfg(rigid_contact_max=20000),
        default_shape_cfg=NewtonShapeCfg(),
        num_substeps=2,
    )
    physx = PhysxCfg(bounce_threshold_velocity=0.01)
    default = newton


##
# Scene
##


@configclass
class GraspSceneCfg(InteractiveSceneCfg):
    """Robot at the origin, table in front of it along -x, one object per environment, lights, floor."""

    robot: ArticulationCfg = with_start_pose(KUKA_ALLEGRO_CFG)
    table = AssetBaseCfg(
        prim_path="{ENV_REGEX_NS}/Table",
        spawn=sim_utils.CuboidCfg(
            size=TABLE_SIZE,
            collision_props=sim_utils.UsdPhysicsCollisionCfg(),
            visual_material=sim_utils.PreviewSurfaceCfg(diffuse_color=(0.45, 0.32, 0.22)),
        ),
        init_state=AssetBaseCfg.InitialStateCfg(pos=TABLE_CENTER),
    )
    object: RigidObjectCfg = RigidObjectCfg(
        prim_path="{ENV_REGEX_NS}/Object",
        spawn=None,  # set from the object set by GraspEnv
        init_state=RigidObjectCfg.InitialStateCfg(pos=(WORKSPACE_CENTER[0], WORKSPACE_CENTER[1], SPAWN_HEIGHT)),
    )
    floor = AssetBaseCfg(
        prim_path="{ENV_REGEX_NS}/Floor",
        spawn=sim_utils.CuboidCfg(
            size=(2.5, 2.5, 0.02),
            collision_props=sim_utils.UsdPhysicsCollisionCfg(),
            visual_material=sim_utils.PreviewSurfaceCfg(diffuse_color=(0.6, 0.6, 0.6)),
        ),
        init_state=AssetBaseCfg.InitialStateCfg(pos=(-0.5, 0.0, -0.01)),
    )
    light = AssetBaseCfg(
        prim_path="/World/Light", spawn=sim_utils.DomeLightCfg(intensity=1500.0, color=(1.0, 1.0, 1.0))
    )


##
# MDP
##


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


def _noisy(noise: float, bias: float) -> mdp.ScheduledNoiseModelCfg:
    """Per-step noise and per-episode bias, both growing from nothing at ADR level 0 to these widths at level 1."""
    return mdp.ScheduledNoiseModelCfg(noise=noise, bias=bias)


_HAND = SceneEntityCfg("robot", body_names=HAND_BODIES, preserve_order=True)


@configclass
class ProprioCfg(ObsGroup):
    """What the robot knows of itself, with sensor noise and per-episode bias: every policy sees it.

    Noise widths at ADR level 1 are the reference's (joints 0.08 rad noise and bias, velocities 0.18 and
    0.08 rad/s; object position 0.03 and 0.02 m, orientation 0.1 and 0.08).
    """

    joint_pos = ObsTerm(func=mdp.joint_pos, noise=_noisy(0.08, 0.08))
    joint_vel = ObsTerm(func=mdp.joint_vel, noise=_noisy(0.18, 0.08))
    hand_pos = ObsTerm(func=mdp.body_pos_env, params={"asset_cfg": _HAND}, noise=_noisy(0.01, 0.01))
    hand_vel = ObsTerm(func=mdp.body_lin_vel, params={"asset_cfg": _HAND}, noise=_noisy(0.05, 0.0))
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
    hand_pos = ObsTerm(func=mdp.body_pos_env, params={"asset_cfg": _HAND})
    hand_vel = ObsTerm(func=mdp.body_lin_vel, params={"asset_cfg": _HAND})
    goal = ObsTerm(func=mdp.goal_position)
    last_action = ObsTerm(func=mdp.last_action)
    object_pos = ObsTerm(func=mdp.object_pos_env)
    object_quat = ObsTerm(func=mdp.object_quat)
    object_shape = ObsTerm(func=mdp.object_descriptor)
    object_vel = ObsTerm(func=mdp.object_velocity)
    joint_torque = ObsTerm(func=mdp.joint_effort, scale=0.05)

    def __post_init__(self):
        self.enable_corruption = False
        self.concatenate_terms = True


@configclass
class StateObservationsCfg:
    policy: TeacherPolicyCfg = TeacherPolicyCfg()
    critic: CriticCfg = CriticCfg()


@configclass
class DepthImageCfg(ObsGroup):
    depth = ObsTerm(
        func=mdp.depth_image,
        params={
            "sensor_cfg": SceneEntityCfg("depth_camera"),
            "depth_range": (0.5, 1.3),
            "augmentation": mdp.DepthAugmentationCfg(),
        },
    )

    def __post_init__(self):
        self.enable_corruption = False
        self.concatenate_terms = True


@configclass
class DepthObservationsCfg:
    policy: ProprioCfg = ProprioCfg()
    depth: DepthImageCfg = DepthImageCfg()
    critic: CriticCfg = CriticCfg()


def _rgb_group(sensor: str) -> ObsGroup:
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

        def __post_init__(self):
            self.enable_corruption = False
            self.concatenate_terms = True

    return RgbCfg()


@configclass
class StereoObservationsCfg:
    policy: ProprioCfg = ProprioCfg()
    left_rgb: ObsGroup = _rgb_group("left_camera")
    right_rgb: ObsGroup = _rgb_group("right_camera")
    critic: CriticCfg = CriticCfg()


@configclass
class RewardsCfg:
    reach = RewTerm(func=mdp.reach_object, weight=1.0, params={"sharpness": 10.0, "hand_cfg": _HAND})
    goal = RewTerm(func=mdp.object_to_goal, weight=5.0, params={"sharpness": (15.0, 20.0)})
    lift = RewTerm(func=mdp.lift_object, weight=1.0, params={"sharpness": 8.5, "scale": (5.0, 0.0)})
    finger_curl = RewTerm(
        func=mdp.finger_curl,
        weight=-1.0,
        params={
            "curled": hand_synergies.CURLED_POSTURE,
            "scale": (0.01, 0.005),
            "asset_cfg": SceneEntityCfg("robot", joint_names=HAND_JOINT_NAMES, preserve_order=True),
        },
    )


@configclass
class TerminationsCfg:
    time_out = DoneTerm(func=mdp.time_out, time_out=True)
    object_out = DoneTerm(
        func=mdp.object_out_of_workspace,
        params={"center": WORKSPACE_CENTER, "size": WORKSPACE_SIZE, "min_height": 0.2},
    )


def _widening(term, params: dict, ranges: dict, mode: str = "reset") -> EventTerm:
    """An Isaac Lab randomisation whose ``ranges`` (nominal at level 0, full at level 1) follow the ADR level."""
    return EventTerm(
        func=mdp.scheduled_randomization, mode=mode, params={"term": term, "params": params, "ranges": ranges}
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
    )
    object_friction = _widening(
        mdp.randomize_rigid_body_material,
        {"asset_cfg": SceneEntityCfg("object"), "restitution_range": (0.0, 0.0), "num_buckets": 64},
        _FRICTION,
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
        {"asset_cfg": SceneEntityCfg("robot", joint_names=ARM_JOINT_NAMES), "operation": "abs"},
        {"friction_distribution_params": ((0.0, 0.0), (0.0, 5.0))},
    )
    hand_joint_friction = _widening(
        mdp.randomize_joint_parameters,
        {"asset_cfg": SceneEntityCfg("robot", joint_names=HAND_JOINT_NAMES), "operation": "abs"},
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
        params={"center": WORKSPACE_CENTER, "size": WORKSPACE_SIZE, "height": SPAWN_HEIGHT},
    )
    # last: it overrides the resets above in the share of episodes it assists
    assisted_start = EventTerm(
        func=mdp.assisted_start,
        mode="reset",
        params={
            "arm_joint_pos": ASSISTED_ARM_POSE,
            "object_pos": (WORKSPACE_CENTER[0], WORKSPACE_CENTER[1] - 0.002, TABLE_TOP + 0.041),
            "closure_per_metre": 10.0,
            "table_top": TABLE_TOP,
            "max_height": 0.12,
        },
    )
    push_object = EventTerm(
        func=mdp.push_object_near_hand,
        mode="interval",
        interval_range_s=(1.0, 1.0),
        params={
            "max_accel": 10.0,
            "hand_distance": 0.3,
            "hand_cfg": SceneEntityCfg("robot", body_names=[PALM_BODY_NAME]),
        },
    )


def camera_pose_event(rig: dict[str, float]) -> EventTerm:
    """Per-episode camera rig pose noise, up to the reference's +-3 cm and +-3 deg at ADR level 1."""
    return EventTerm(
        func=mdp.randomize_camera_pose,
        mode="reset",
        params={
            "position_range": 0.03,
            "rotation_range_deg": 3.0,
            "rig": rig,
            "pos": CAMERA_POS,
            "quat_ros_wxyz": CAMERA_QUAT_ROS_WXYZ,
        },
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


##
# Environments
##


@configclass
class GraspStateEnvCfg(ManagerBasedRLEnvCfg):
    """Privileged-state teacher: object pose and shape in the observation, asymmetric critic."""

    # lazy sensors render when the observations read them: once per policy step (eager updates render at every
    # physics substep, twice per step, for the same images)
    scene: GraspSceneCfg = GraspSceneCfg(num_envs=4096, env_spacing=2.5, lazy_sensor_update=True)
    observations: StateObservationsCfg = StateObservationsCfg()
    actions: ActionSpaceCfg = ActionSpaceCfg()
    rewards: RewardsCfg = RewardsCfg()
    terminations: TerminationsCfg = TerminationsCfg()
    events: EventsCfg = EventsCfg()
    curriculum: CurriculumCfg = CurriculumCfg()

    image: ImageSizeCfg = ImageSizeCfg()
    objects: ObjectSetPresetCfg = ObjectSetPresetCfg()
    depth_range: tuple[float, float] = (0.5, 1.3)
    """Working range of the depth camera [m]; depth is clipped to it and mapped to [0, 1]."""
    robot_source: str = "offline"
    """``"offline"``: the package's own Kuka-Allegro description; ``"official"``: Isaac Lab's asset (downloads)."""
    goal_pos: tuple[float, float, float] = (-0.5, 0.0, 0.75)
    spawn_height: float = SPAWN_HEIGHT
    """World height objects are dropped from at each reset [m] (the reference's 0.5, below the goal)."""
    assisted_start_share: float = 0.0
    """Share of episodes that start with the object between the fingers (0 in the reference task). Their metrics
    are logged apart (``Metrics_assisted/``); success targets count only normal starts."""
    lift_height: float = 0.1
    """An episode counts as lifted once the object rose this far above its lowest point [m] (a metric only)."""
    contacts_per_env: int = 2000
    """Collision-pipeline capacity per environment; sized to the scene (the default is far too big on CPU)."""

    def __post_init__(self):
        self.decimation = 2  # 60 Hz policy and control
        self.episode_length_s = 10.0
        self.sim.dt = 1 / 120
        self.sim.render_interval = self.decimation
        self.sim.physics = PhysicsCfg()


def _depth_camera() -> CameraCfg:
    return camera_cfg("DepthCamera", ["distance_to_image_plane"], 160, 120)


@configclass
class GraspDepthEnvCfg(GraspStateEnvCfg):
    """End-to-end depth policy: proprioception plus one depth image; the critic keeps the privileged state."""

    observations: DepthObservationsCfg = DepthObservationsCfg()

    def __post_init__(self):
        super().__post_init__()
        self.scene.depth_camera = _depth_camera()
        self.events.camera_pose = camera_pose_event({"depth_camera": 0.0})


@configclass
class GraspStereoRGBEnvCfg(GraspStateEnvCfg):
    """Stereo RGB student: proprioception plus left and right RGB images 55 mm apart."""

    observations: StereoObservationsCfg = StereoObservationsCfg()

    def __post_init__(self):
        super().__post_init__()
        self.scene.left_camera, self.scene.right_camera = stereo_pair_cfg(160, 120)
        self.events.camera_pose = camera_pose_event(
            {"left_camera": -STEREO_BASELINE / 2, "right_camera": STEREO_BASELINE / 2}
        )
