"""Camera rigs of the grasp task: one depth camera, or a stereo pair of RGB cameras, fixed to the world.

Intrinsics follow the reference camera (focal length 23.59 mm, horizontal aperture 21.02 mm: about 48 deg
horizontal field of view; clipping 0.01-2 m). The camera stands at the reference position, about 0.9 m from
the workspace centre, and looks at that centre; the stereo pair straddles the same point along the camera's
right axis, ``baseline`` apart. Images are tiled across environments by the renderer (one render call for
the whole scene).
"""

from __future__ import annotations

import isaaclab.sim as sim_utils
import numpy as np
from isaaclab.sensors import CameraCfg
from isaaclab_newton.renderers import NewtonWarpRendererCfg

CAMERA_POS = (-0.724, -0.689, 0.637)
"""Reference camera position in the robot base frame [m]."""
LOOK_AT = (-0.55, 0.1, 0.3)
"""Workspace centre the camera looks at [m]."""
STEREO_BASELINE = 0.055
FOCAL_LENGTH = 23.59
HORIZONTAL_APERTURE = 21.02
CLIPPING_RANGE = (0.01, 2.0)


def look_at_ros(eye, target, up=(0.0, 0.0, 1.0)) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """Rotation of a ROS-convention camera (x right, y down, z forward) at ``eye`` looking at ``target``.

    Returns the rotation matrix (columns: camera x, y, z in world axes) and its quaternion (x, y, z, w).
    """
    eye, target, up = (np.asarray(v, dtype=float) for v in (eye, target, up))
    z = target - eye
    z /= np.linalg.norm(z)
    x = np.cross(z, up)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    rot = np.stack([x, y, z], axis=1)
    return rot, _quat_xyzw(rot)


def _quat_xyzw(m: np.ndarray) -> tuple[float, float, float, float]:
    w = np.sqrt(max(0.0, 1.0 + m[0, 0] + m[1, 1] + m[2, 2])) / 2
    x = np.copysign(np.sqrt(max(0.0, 1.0 + m[0, 0] - m[1, 1] - m[2, 2])) / 2, m[2, 1] - m[1, 2])
    y = np.copysign(np.sqrt(max(0.0, 1.0 - m[0, 0] + m[1, 1] - m[2, 2])) / 2, m[0, 2] - m[2, 0])
    z = np.copysign(np.sqrt(max(0.0, 1.0 - m[0, 0] - m[1, 1] + m[2, 2])) / 2, m[1, 0] - m[0, 1])
    return (float(x), float(y), float(z), float(w))


def camera_cfg(
    name: str, data_types: list[str], width: int, height: int, eye=CAMERA_POS, shift: float = 0.0
) -> CameraCfg:
    """A world-fixed camera looking at the workspace, shifted ``shift`` metres along its right axis."""
    rot, quat = look_at_ros(eye, LOOK_AT)
    pos = np.asarray(eye) + shift * rot[:, 0]
    return CameraCfg(
        prim_path="{ENV_REGEX_NS}/" + name,
        offset=CameraCfg.OffsetCfg(pos=tuple(float(v) for v in pos), rot=quat, convention="ros"),
        data_types=data_types,
        width=width,
        height=height,
        update_period=0.0,
        spawn=sim_utils.PinholeCameraCfg(
            focal_length=FOCAL_LENGTH, horizontal_aperture=HORIZONTAL_APERTURE, clipping_range=CLIPPING_RANGE
        ),
        renderer_cfg=NewtonWarpRendererCfg(),
    )


def stereo_pair_cfg(width: int, height: int, baseline: float = STEREO_BASELINE) -> tuple[CameraCfg, CameraCfg]:
    """Left and right RGB cameras, ``baseline`` apart, straddling the reference camera position."""
    return (
        camera_cfg("LeftCamera", ["rgb"], width, height, shift=-baseline / 2),
        camera_cfg("RightCamera", ["rgb"], width, height, shift=baseline / 2),
    )


RESOLUTIONS = {"res32": (32, 32), "res64": (64, 64), "res160x120": (160, 120), "res320x240": (320, 240)}
"""Named image sizes (width, height) selectable as presets; 160x120 is the usual training size."""
