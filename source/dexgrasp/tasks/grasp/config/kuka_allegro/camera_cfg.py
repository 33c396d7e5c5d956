"""Camera rigs of the grasp task: one depth camera, or a stereo pair of RGB cameras, fixed to the world.

Intrinsics and extrinsics follow the reference rig: focal length 23.59 mm, horizontal aperture 21.02 mm (about
48 deg horizontal field of view), clipping 0.01-2 m, at (-0.724, -0.689, 0.637) m in the robot base frame with
the ROS-convention orientation (w, x, y, z) = (0.516, -0.521, 0.537, 0.418). That camera is mounted on its side:
it looks along +y across the workspace, slightly down, and the image's right edge points at the table. The
stereo pair straddles the same pose along the camera's right axis, ``baseline`` apart. Images are tiled across
environments by the renderer (one render call for the whole scene). The pose is randomised per episode by
:func:`camera_pose_event` on the curriculum's schedule.
"""

from __future__ import annotations

from dataclasses import MISSING

import isaaclab.sim as sim_utils
import numpy as np
import torch
from isaaclab.managers import EventTermCfg as EventTerm
from isaaclab.sensors import CameraCfg
from isaaclab.utils.math import quat_from_matrix
from isaaclab_newton.renderers import NewtonWarpRendererCfg

from ... import mdp

CAMERA_POS = (-0.7236, -0.6886, 0.6367)
"""Reference camera position in the robot base frame [m]."""
CAMERA_QUAT_ROS_WXYZ = (0.51567701, -0.52073085, 0.53658829, 0.41831759)
"""Reference camera orientation, ROS convention (x right, y down, z forward), (w, x, y, z)."""
LOOK_AT = (-0.55, 0.1, 0.28)
"""Workspace centre on the table, where level-0 objects rest: in view of every camera [m]."""
STEREO_BASELINE = 0.055
STEREO_RIG = {"left_camera": -STEREO_BASELINE / 2, "right_camera": STEREO_BASELINE / 2}
"""The stereo pair as a camera rig: each camera and its shift along the reference camera's right axis [m]."""
DEPTH_RIG = {"depth_camera": 0.0}
"""The depth camera as a camera rig: one camera at the reference position."""
FOCAL_LENGTH = 23.59
HORIZONTAL_APERTURE = 21.02
CLIPPING_RANGE = (0.01, 2.0)


def rotation_matrix(quat_wxyz) -> np.ndarray:
    """Rotation matrix of a unit quaternion (w, x, y, z); columns are the rotated frame's axes."""
    w, x, y, z = (float(v) for v in quat_wxyz)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


CAMERA_ROT = rotation_matrix(CAMERA_QUAT_ROS_WXYZ)
"""Columns: the reference camera's x (image right), y (image down) and z (forward) axes in the base frame."""


def camera_cfg(
    name: str, data_types: list[str], width: int = MISSING, height: int = MISSING, shift: float = 0.0
) -> CameraCfg:
    """A world-fixed camera at the reference pose, shifted ``shift`` metres along its right axis.

    The image size of the task's cameras is the environment's setting (``env.image``), which
    :class:`~dexgrasp.tasks.grasp.grasp_env.GraspEnv` writes into every camera when it builds the scene.
    """
    pos = np.asarray(CAMERA_POS) + shift * CAMERA_ROT[:, 0]
    w, x, y, z = CAMERA_QUAT_ROS_WXYZ
    return _pinhole(name, data_types, width, height, pos, (x, y, z, w), FOCAL_LENGTH)


THIRD_PERSON_EYE = (-1.45, 0.65, 1.0)
THIRD_PERSON_TARGET = (-0.45, 0.05, 0.5)
"""A view from in front of the table, slightly above: the arm, the hand where it starts, the table and the object
in one frame [m, robot base frame]."""


def third_person_camera_cfg(width: int, height: int) -> CameraCfg:
    """An RGB camera for people, not policies: :data:`THIRD_PERSON_EYE` looking at :data:`THIRD_PERSON_TARGET`,
    about 60 deg wide, rendered by the tasks' Newton renderer at ``width`` x ``height`` (the scene keeps its size)."""
    rot = look_at_quat_ros(THIRD_PERSON_EYE, THIRD_PERSON_TARGET)
    return _pinhole("ThirdPersonCamera", ["rgb"], width, height, THIRD_PERSON_EYE, rot, 18.0, clip=(0.01, 5.0))


def look_at_quat_ros(eye, target) -> tuple[float, float, float, float]:
    """Orientation (x, y, z, w) of a camera at ``eye`` looking at ``target`` with the world's z up, in the ROS
    convention (x right, y down, z forward)."""
    forward = np.asarray(target, dtype=float) - np.asarray(eye, dtype=float)
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, (0.0, 0.0, 1.0))
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    x, y, z, w = quat_from_matrix(torch.tensor(np.stack([right, down, forward], axis=1))).tolist()
    return x, y, z, w


def _pinhole(name, data_types, width, height, pos, rot_xyzw, focal_length: float, clip=CLIPPING_RANGE) -> CameraCfg:
    """A camera of every environment at ``pos`` / ``rot_xyzw`` (ROS convention, environment frame)."""
    return CameraCfg(
        prim_path="{ENV_REGEX_NS}/" + name,
        offset=CameraCfg.OffsetCfg(pos=tuple(float(v) for v in pos), rot=tuple(rot_xyzw), convention="ros"),
        data_types=data_types,
        width=width,
        height=height,
        update_period=0.0,
        spawn=sim_utils.PinholeCameraCfg(
            focal_length=focal_length, horizontal_aperture=HORIZONTAL_APERTURE, clipping_range=clip
        ),
        renderer_cfg=NewtonWarpRendererCfg(),
    )


def stereo_pair_cfg(baseline: float = STEREO_BASELINE) -> tuple[CameraCfg, CameraCfg]:
    """Left and right RGB cameras, ``baseline`` apart, straddling the reference camera position."""
    return (
        camera_cfg("LeftCamera", ["rgb"], shift=-baseline / 2),
        camera_cfg("RightCamera", ["rgb"], shift=baseline / 2),
    )


def join_camera_rig(env_cfg, cameras: dict[str, float]) -> None:
    """Let the per-episode rig noise of ``env_cfg`` (its ``camera_pose`` event) move ``cameras`` too, at their
    shifts along the rig's right axis, so added cameras keep their pose relative to the scene's own; a scene
    without a rig is left as it is."""
    rig_event = getattr(env_cfg.events, "camera_pose", None)
    if rig_event is not None:
        rig_event.params["rig"] = {**rig_event.params["rig"], **cameras}


def camera_pose_event(rig: dict[str, float]) -> EventTerm:
    """Per-episode camera rig pose noise, up to the reference's +-3 cm and +-3 deg at ADR level 1.

    ``rig``: each camera of the rig and its shift along the reference camera's right axis [m].
    """
    return EventTerm(
        func=mdp.randomize_camera_pose,
        mode="reset",
        params={
            "position_range": 0.03,
            "rotation_range_deg": 3.0,
            "rig": dict(rig),
            "pos": CAMERA_POS,
            "quat_ros_wxyz": CAMERA_QUAT_ROS_WXYZ,
        },
    )
