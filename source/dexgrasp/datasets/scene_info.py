"""What a dataset records about the scene: camera intrinsics and poses, stereo baseline, object pose.

Reads configuration objects and scene data by attribute, so it needs no Isaac Lab import.
"""

from __future__ import annotations

import math

import torch

CAMERAS = ("depth_camera", "left_camera", "right_camera")


def camera_metadata(env_cfg) -> dict:
    """Per camera of the scene: size, pinhole intrinsics ``K`` (pixels), pose in the environment frame."""
    cameras = {}
    for name in CAMERAS:
        cam = getattr(env_cfg.scene, name, None)
        if cam is None:
            continue
        width, height = env_cfg.image.width, env_cfg.image.height
        spawn = cam.spawn
        fx = width * spawn.focal_length / spawn.horizontal_aperture
        vertical = spawn.vertical_aperture or spawn.horizontal_aperture * height / width
        fy = height * spawn.focal_length / vertical
        cameras[name] = {
            "width": width,
            "height": height,
            "K": [[fx, 0.0, width / 2], [0.0, fy, height / 2], [0.0, 0.0, 1.0]],
            "data_types": list(cam.data_types),
            "position": list(cam.offset.pos),
            "orientation_xyzw": list(cam.offset.rot),
            "convention": cam.offset.convention,
            "clipping_range": list(spawn.clipping_range),
        }
    return cameras


def stereo_baseline(cameras: dict) -> float | None:
    if "left_camera" not in cameras or "right_camera" not in cameras:
        return None
    return math.dist(cameras["left_camera"]["position"], cameras["right_camera"]["position"])


def object_pose(env) -> torch.Tensor:
    """Object position in the environment frame and orientation (x, y, z, w): ``(num_envs, 7)``."""
    data = env.scene["object"].data
    return torch.cat([data.root_pos_w.torch - env.scene.env_origins, data.root_quat_w.torch], dim=-1)
