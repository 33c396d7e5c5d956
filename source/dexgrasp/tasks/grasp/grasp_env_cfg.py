"""The grasp task's base configuration, whatever the robot: scene, rewards, resets, curriculum and settings.

:class:`GraspEnvCfg` leaves the robot, its actions and what the policy observes
:data:`~dataclasses.MISSING`: a robot binding (:mod:`dexgrasp.tasks.grasp.config`, e.g. ``kuka_allegro``) fills
them and derives the registered tasks (state teacher, end-to-end depth, stereo RGB student), which differ only in
what the policy observes. Settings that shape the scene (image size, depth range, object set, robot source) are
plain fields, selectable by Isaac Lab presets (``presets=res64``) or overrides (``env.image.width=48``);
:class:`dexgrasp.tasks.grasp.grasp_env.GraspEnv` applies them to the scene when the environment is built, so an
override given after the configuration was constructed still takes effect.
"""

from __future__ import annotations

from dataclasses import MISSING

from isaaclab.assets import ArticulationCfg
from isaaclab.envs import ManagerBasedRLEnvCfg
from isaaclab.utils import configclass
from isaaclab_newton.physics import MJWarpSolverCfg, NewtonCfg, NewtonCollisionPipelineCfg, NewtonShapeCfg
from isaaclab_physx.physics import PhysxCfg
from isaaclab_tasks.utils import PresetCfg

from .mdp_cfg import CurriculumCfg, EventsCfg, RewardsPresetCfg, TerminationsCfg
from .scene_cfg import (
    SPAWN_HEIGHT,
    GraspSceneCfg,
    ImageSizeCfg,
    ObjectSetPresetCfg,
)
from .scripted_expert import ScriptedExpertCfg


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


@configclass
class GraspEnvCfg(ManagerBasedRLEnvCfg):
    """Everything of a grasp task but the robot binding (robot, actions, observations, cameras)."""

    # lazy sensors render when the observations read them: once per policy step (eager updates render at every
    # physics substep, twice per step, for the same images)
    scene: GraspSceneCfg = GraspSceneCfg(num_envs=4096, env_spacing=2.5, lazy_sensor_update=True)
    observations: object = MISSING
    actions: object = MISSING
    rewards: RewardsPresetCfg = RewardsPresetCfg()
    terminations: TerminationsCfg = TerminationsCfg()
    events: EventsCfg = EventsCfg()
    curriculum: CurriculumCfg = CurriculumCfg()

    image: ImageSizeCfg = ImageSizeCfg()
    objects: ObjectSetPresetCfg = ObjectSetPresetCfg()
    depth_range: tuple[float, float] = (0.5, 1.3)
    """Working range of the depth camera [m]; depth is clipped to it and mapped to [0, 1]."""
    robot_source: str = "offline"
    """``"offline"``: the package's own robot description; ``"official"``: Isaac Lab's asset (downloads)."""
    goal_pos: tuple[float, float, float] = (-0.5, 0.0, 0.75)
    spawn_height: float = SPAWN_HEIGHT
    """World height objects are dropped from at each reset [m] (the reference's 0.5, below the goal)."""
    assisted_start_share: float = 0.0
    """Share of episodes that start with the object between the fingers (0 in the reference task). Their metrics
    are logged apart (``Metrics_assisted/``); success targets count only normal starts."""
    assisted_start_fade_level: float | None = None
    """The ADR level at which assisted starts have faded out (their share falls linearly from
    ``assisted_start_share`` at level 0); None keeps the share at every level."""
    lift_height: float = 0.1
    """An episode counts as lifted once the object rose this far above its lowest point [m] (a metric only)."""
    hand_bodies: list[str] = MISSING
    """The hand's keypoint bodies, palm first then the fingertips (the robot binding names them): the closest
    approach the episode metrics report is the largest of their distances to the object, whichever reward trains."""
    contacts_per_env: int = 2000
    """Collision-pipeline capacity per environment; sized to the scene (the default is far too big on CPU)."""
    scripted_expert: ScriptedExpertCfg = ScriptedExpertCfg()
    """The scripted expert's settings, wherever it acts or labels in this environment."""

    def __post_init__(self):
        self.decimation = 2  # 60 Hz policy and control
        self.episode_length_s = 10.0
        self.sim.dt = 1 / 120
        self.sim.render_interval = self.decimation
        self.sim.physics = PhysicsCfg()

    def contact_sensors(self) -> dict:
        """Scene name -> contact sensor configuration of each fingertip on the object, for the rewards that judge a
        grasp by contact (``thumb_sensor``/``finger_sensors`` parameters); a robot binding supplies them."""
        return {}

    def official_robot(self) -> ArticulationCfg:
        """The robot as Isaac Lab's own asset describes it (``robot_source="official"``); a robot binding that
        offers one overrides this."""
        raise ValueError(f"robot_source 'official' is not available for {type(self).__name__}")
