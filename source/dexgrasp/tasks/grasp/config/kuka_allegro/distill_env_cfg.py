"""Environment variants for distillation: one scene provides the teacher's inputs and the student's.

A student task (stereo RGB or depth) gains the observation groups its teacher was trained on, plus the
object position as the target of the student's auxiliary head:

* ``policy`` (proprioception), and the student's images (``left_rgb``/``right_rgb`` or ``depth``) stay as
  in the student task, so a distilled student plays in the plain student task unchanged;
* a state teacher reads ``teacher``: the state task's ``policy`` group under another name;
* a depth teacher reads ``policy`` + ``depth`` exactly as in the depth task, so the stereo scene gains the
  depth camera;
* the scripted expert's labels arrive as ``teacher_action_mean`` and ``teacher_action_std``, computed in the
  simulation process (:mod:`dexgrasp.tasks.grasp.scripted_expert`), the same groups recorded labels use;
* ``object_pos``: noise-free object position (environment frame).

Episodes also end after ``success_hold_s`` seconds with the object inside the success region, so a
distillation run does not spend steps on a grasp that is already done.
"""

from __future__ import annotations

from isaaclab.managers import ObservationGroupCfg as ObsGroup
from isaaclab.managers import ObservationTermCfg as ObsTerm
from isaaclab.utils import configclass

from ...mdp_cfg import DistillTerminationsCfg
from ...observations_cfg import (
    DepthImageCfg,
    DepthObservationsCfg,
    ObjectPositionCfg,
    StateObservationsCfg,
    StereoObservationsCfg,
    TeacherPolicyCfg,
    rgb_group,
)
from ...scripted_expert import expert_action, expert_action_std
from .camera_cfg import DEPTH_RIG, STEREO_RIG, camera_cfg, join_camera_rig, stereo_pair_cfg
from .kuka_allegro_env_cfg import GraspDepthEnvCfg, GraspStateEnvCfg, GraspStereoRGBEnvCfg


@configclass
class StereoWithStateTeacherObservationsCfg(StereoObservationsCfg):
    teacher: TeacherPolicyCfg = TeacherPolicyCfg()
    object_pos: ObjectPositionCfg = ObjectPositionCfg()


@configclass
class StereoWithDepthTeacherObservationsCfg(StereoObservationsCfg):
    depth: DepthImageCfg = DepthImageCfg()
    object_pos: ObjectPositionCfg = ObjectPositionCfg()


@configclass
class DepthWithStateTeacherObservationsCfg(DepthObservationsCfg):
    teacher: TeacherPolicyCfg = TeacherPolicyCfg()
    object_pos: ObjectPositionCfg = ObjectPositionCfg()


def add_depth_camera(env_cfg) -> None:
    """Give a scene the depth task's camera and its ``depth`` group, so a depth policy finds its inputs there.

    Where the scene moves a camera rig per episode (the stereo pair), the depth camera joins the rig at its centre, the
    depth task's camera position: a depth teacher then sees its camera moved as in its own task, and at the moment its
    student's cameras see, rather than from a fixed pose the student's rig has left."""
    env_cfg.scene.depth_camera = camera_cfg("DepthCamera", ["distance_to_image_plane"])
    env_cfg.observations.depth = DepthImageCfg()
    join_camera_rig(env_cfg, DEPTH_RIG)


def add_every_policy_camera(env_cfg) -> None:
    """Give a scene the cameras of every policy it lacks: the depth task's camera (:func:`add_depth_camera`) and the
    stereo pair with its ``left_rgb``/``right_rgb`` groups, those joining the scene's camera rig where it has one.
    For pictures of what each policy sees at one moment (``scripts/play.py --all_cameras``); the policy still acts
    on its own groups."""
    if getattr(env_cfg.scene, "depth_camera", None) is None:
        add_depth_camera(env_cfg)
    if getattr(env_cfg.scene, "left_camera", None) is None:
        env_cfg.scene.left_camera, env_cfg.scene.right_camera = stereo_pair_cfg()
        env_cfg.observations.left_rgb = rgb_group("left_camera")
        env_cfg.observations.right_rgb = rgb_group("right_camera")
        join_camera_rig(env_cfg, STEREO_RIG)


def _label_group(func) -> ObsGroup:
    @configclass
    class LabelCfg(ObsGroup):
        label = ObsTerm(func=func)

    return LabelCfg()


def _with_expert_labels(observations: type) -> type:
    """``observations`` plus the scripted expert's label groups and the object position."""

    @configclass
    class WithScriptedTeacherCfg(observations):
        teacher_action_mean: ObsGroup = _label_group(expert_action)
        teacher_action_std: ObsGroup = _label_group(expert_action_std)
        object_pos: ObjectPositionCfg = ObjectPositionCfg()

    WithScriptedTeacherCfg.__name__ = observations.__name__.replace("Observations", "WithScriptedTeacherObservations")
    return WithScriptedTeacherCfg


StereoWithScriptedTeacherObservationsCfg = _with_expert_labels(StereoObservationsCfg)
DepthWithScriptedTeacherObservationsCfg = _with_expert_labels(DepthObservationsCfg)
StateWithScriptedTeacherObservationsCfg = _with_expert_labels(StateObservationsCfg)


@configclass
class StateFromScriptedEnvCfg(GraspStateEnvCfg):
    """State student, scripted expert teacher: behaviour cloning (DAgger) of the expert into a policy that PPO
    can start from (``scripts/train.py --init_actor``). Episodes run their full length, as in PPO."""

    observations: StateWithScriptedTeacherObservationsCfg = StateWithScriptedTeacherObservationsCfg()


@configclass
class StereoRGBFromScriptedEnvCfg(GraspStereoRGBEnvCfg):
    """Stereo RGB student, scripted expert teacher."""

    observations: StereoWithScriptedTeacherObservationsCfg = StereoWithScriptedTeacherObservationsCfg()
    terminations: DistillTerminationsCfg = DistillTerminationsCfg()


@configclass
class DepthFromScriptedEnvCfg(GraspDepthEnvCfg):
    """Depth student, scripted expert teacher."""

    observations: DepthWithScriptedTeacherObservationsCfg = DepthWithScriptedTeacherObservationsCfg()
    terminations: DistillTerminationsCfg = DistillTerminationsCfg()


@configclass
class DepthGuidedEnvCfg(GraspDepthEnvCfg):
    """The depth task with the scripted expert's labels riding along, for expert-guided PPO (``scripts/train.py
    --guide``): the policy trained in it is a policy of the depth task. Episodes run their full length, as in PPO."""

    observations: DepthWithScriptedTeacherObservationsCfg = DepthWithScriptedTeacherObservationsCfg()


@configclass
class StereoRGBFromStateEnvCfg(GraspStereoRGBEnvCfg):
    """Stereo RGB student, state teacher."""

    observations: StereoWithStateTeacherObservationsCfg = StereoWithStateTeacherObservationsCfg()
    terminations: DistillTerminationsCfg = DistillTerminationsCfg()


@configclass
class StereoRGBFromDepthEnvCfg(GraspStereoRGBEnvCfg):
    """Stereo RGB student, depth teacher: the stereo scene plus the depth task's camera."""

    observations: StereoWithDepthTeacherObservationsCfg = StereoWithDepthTeacherObservationsCfg()
    terminations: DistillTerminationsCfg = DistillTerminationsCfg()

    def __post_init__(self):
        super().__post_init__()
        add_depth_camera(self)


@configclass
class DepthFromStateEnvCfg(GraspDepthEnvCfg):
    """Depth student, state teacher."""

    observations: DepthWithStateTeacherObservationsCfg = DepthWithStateTeacherObservationsCfg()
    terminations: DistillTerminationsCfg = DistillTerminationsCfg()
