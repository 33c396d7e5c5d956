"""Environment variants for distillation: one scene provides the teacher's inputs and the student's.

A student task (stereo RGB or depth) gains the observation groups its teacher was trained on, plus the
object position as the target of the student's auxiliary head:

* ``policy`` (proprioception), and the student's images (``left_rgb``/``right_rgb`` or ``depth``) stay as
  in the student task, so a distilled student plays in the plain student task unchanged;
* a state teacher reads ``teacher``: the state task's ``policy`` group under another name;
* a depth teacher reads ``policy`` + ``depth`` exactly as in the depth task, so the stereo scene gains the
  depth camera;
* ``object_pos``: noise-free object position (environment frame).

Episodes also end after ``success_hold_s`` seconds with the object inside the success region, so a
distillation run does not spend steps on a grasp that is already done.
"""

from __future__ import annotations

from isaaclab.managers import ObservationGroupCfg as ObsGroup
from isaaclab.managers import ObservationTermCfg as ObsTerm
from isaaclab.managers import TerminationTermCfg as DoneTerm
from isaaclab.utils import configclass

from . import mdp
from .camera_cfg import camera_cfg
from .distill_terms import ObjectHeldAtGoal
from .grasp_env_cfg import (
    DepthImageCfg,
    DepthObservationsCfg,
    GraspDepthEnvCfg,
    GraspStereoRGBEnvCfg,
    StereoObservationsCfg,
    TeacherPolicyCfg,
    TerminationsCfg,
)


@configclass
class ObjectPositionCfg(ObsGroup):
    """Noise-free object position: the label of the student's auxiliary head, never a policy input."""

    object_pos = ObsTerm(func=mdp.object_pos_env)

    def __post_init__(self):
        self.enable_corruption = False
        self.concatenate_terms = True


@configclass
class DistillTerminationsCfg(TerminationsCfg):
    success_hold = DoneTerm(func=ObjectHeldAtGoal, params={"radius": 0.1, "hold_s": 2.0})


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
        self.scene.depth_camera = camera_cfg("DepthCamera", ["distance_to_image_plane"], 160, 120)


@configclass
class DepthFromStateEnvCfg(GraspDepthEnvCfg):
    """Depth student, state teacher."""

    observations: DepthWithStateTeacherObservationsCfg = DepthWithStateTeacherObservationsCfg()
    terminations: DistillTerminationsCfg = DistillTerminationsCfg()
