"""Kuka LBR iiwa 7 R800 arm with a right Allegro hand (v4), described from published kinematics.

Isaac Lab's stock Kuka-Allegro USD lives on a Nucleus server; this module builds an equivalent description from
the public ``iiwa7`` (iiwa_stack) and ``allegro_hand_right`` (Wonik/SimLab) URDF numbers -- link offsets, joint
axes, joint limits and approximate masses -- with primitive shapes instead of meshes, and writes it as USD with
``pxr`` only (no Isaac Sim, no network). Importing this module needs only ``numpy``; authoring needs ``pxr``.

Frames (metres, z up, robot base at the world origin):

* With all arm joints at zero the arm points straight up; the flange is at z = 1.266 m and ``iiwa7_link_7`` has
  the world orientation.
* ``palm_link`` is the Allegro ``base_link`` frame: its origin is at the knuckle line (where the fingers start),
  the palm body extends 0.095 m along -z to the wrist, which sits on a 1 cm adapter on the flange. The hand is
  mounted without a twist, so at zero arm joints the palm frame equals the world frame translated to
  z = 1.371 m.
* In ``palm_link``: **+z is the finger direction**, **+x is the palm normal** (the side the fingers flex
  towards, and where the opposed thumb tip moves to as ``thumb_joint_0`` grows), +y points to the index/thumb
  side (the ring finger is on -y).
* Fingertip bodies ``<finger>_tip`` sit at the centre of the 12 mm fingertip spheres, fixed to ``<finger>_link_3``.
"""

from __future__ import annotations

import hashlib
import math
import os
import uuid
from pathlib import Path

import numpy as np

from .usd_authoring import (
    Geom,
    Joint,
    Link,
    RobotSpec,
    author_robot,
    box_inertia,
    capsule_between,
    chain_poses,
    quat_from_matrix,
    sphere_inertia,
    tree_filtered_pairs,
)

ASSET_FORMAT_VERSION = 1
"""Bumped by hand when the authoring changes in a way the source hash would not catch."""

ARM_JOINT_NAMES: list[str] = [f"iiwa7_joint_{i}" for i in range(1, 8)]
FINGER_NAMES: list[str] = ["index", "middle", "ring", "thumb"]
HAND_JOINT_NAMES: list[str] = [f"{f}_joint_{i}" for f in FINGER_NAMES for i in range(4)]
ROBOT_JOINT_NAMES: list[str] = ARM_JOINT_NAMES + HAND_JOINT_NAMES
ARM_LINK_NAMES: list[str] = [f"iiwa7_link_{i}" for i in range(8)]
PALM_BODY_NAME = "palm_link"
FINGERTIP_BODY_NAMES: list[str] = [f"{f}_tip" for f in FINGER_NAMES]
ROBOT_BODY_NAMES: list[str] = (
    ARM_LINK_NAMES
    + [PALM_BODY_NAME]
    + [name for f in FINGER_NAMES for name in (*(f"{f}_link_{i}" for i in range(4)), f"{f}_tip")]
)

# Joint limits, efforts and speeds. iiwa7: +-170/120/170/120/170/120/175 deg; torques 176/176/110/110/110/40/40
# N m and speeds 98/98/100/130/140/180/180 deg/s (KUKA data sheet). Allegro: URDF limits, ~0.7 N m per joint.
ARM_LIMITS_DEG = (170.0, 120.0, 170.0, 120.0, 170.0, 120.0, 175.0)
ARM_EFFORT = (176.0, 176.0, 110.0, 110.0, 110.0, 40.0, 40.0)
ARM_VELOCITY = tuple(math.radians(v) for v in (98.0, 98.0, 100.0, 130.0, 140.0, 180.0, 180.0))
HAND_EFFORT = 0.7
HAND_VELOCITY = 9.52
FINGER_LIMITS = ((-0.47, 0.47), (-0.196, 1.61), (-0.174, 1.709), (-0.227, 1.618))
THUMB_LIMITS = ((0.263, 1.396), (-0.105, 1.163), (-0.189, 1.644), (-0.162, 1.719))

FLANGE_HEIGHT = 1.266
MOUNT_THICKNESS = 0.01
PALM_LENGTH = 0.095
FINGERTIP_RADIUS = 0.012

_GREY = (0.55, 0.55, 0.57)
_DARK = (0.25, 0.25, 0.27)
_ORANGE = (0.95, 0.42, 0.05)
_BLACK = (0.08, 0.08, 0.08)
_WHITE = (0.95, 0.95, 0.95)

_HALF_PI = math.pi / 2.0

# (xyz, rpy) of iiwa7 joints 1..7 in the parent link frame (iiwa_stack iiwa7 URDF).
_ARM_ORIGINS = (
    ((0.0, 0.0, 0.15), (0.0, 0.0, 0.0)),
    ((0.0, 0.0, 0.19), (_HALF_PI, 0.0, math.pi)),
    ((0.0, 0.21, 0.0), (_HALF_PI, 0.0, math.pi)),
    ((0.0, 0.0, 0.19), (_HALF_PI, 0.0, 0.0)),
    ((0.0, 0.21, 0.0), (-_HALF_PI, math.pi, 0.0)),
    ((0.0, 0.0607, 0.19), (_HALF_PI, 0.0, 0.0)),
    ((0.0, 0.081, 0.0607), (-_HALF_PI, math.pi, 0.0)),
)

# (mass [kg], centre of mass, principal inertia) of iiwa7 links 0..7 in their link frames (iiwa_stack iiwa7 URDF).
# Link 7 carries the hand adapter as well.
_ARM_INERTIA = (
    (5.0, (-0.1, 0.0, 0.07), (0.05, 0.06, 0.03)),
    (4.0, (0.0, -0.03, 0.12), (0.1, 0.09, 0.02)),
    (4.0, (0.0003, 0.059, 0.042), (0.05, 0.018, 0.044)),
    (3.0, (0.0, 0.03, 0.13), (0.08, 0.075, 0.01)),
    (2.7, (0.0, 0.067, 0.034), (0.03, 0.01, 0.029)),
    (1.7, (0.0001, 0.021, 0.076), (0.02, 0.018, 0.005)),
    (1.8, (0.0, 0.0006, 0.0004), (0.005, 0.0036, 0.0047)),
    (0.4, (0.0, 0.0, 0.03), (0.0012, 0.0012, 0.0008)),
)

# Primitive shapes of the arm in world coordinates at q = 0: (kind, radius, z0, z1, colour).
_ARM_SHAPES_WORLD = (
    (("cylinder", 0.09, 0.0, 0.15, _GREY),),
    (("capsule", 0.065, 0.19, 0.34, _ORANGE),),
    (("capsule", 0.065, 0.36, 0.50, _ORANGE),),
    (("capsule", 0.06, 0.57, 0.74, _ORANGE),),
    (("capsule", 0.06, 0.76, 0.90, _ORANGE),),
    (("capsule", 0.055, 0.97, 1.12, _ORANGE),),
    (("capsule", 0.055, 1.135, 1.165, _ORANGE),),
    (
        ("cylinder", 0.042, 1.20, FLANGE_HEIGHT, _GREY),
        ("cylinder", 0.047, FLANGE_HEIGHT, FLANGE_HEIGHT + MOUNT_THICKNESS, _DARK),
    ),
)

# Allegro right hand (v4): finger base offsets in the palm frame, link lengths and masses (URDF).
_FINGER_BASES = {
    "index": ((0.0, 0.0435, -0.001542), (-0.08726646255, 0.0, 0.0)),
    "middle": ((0.0, 0.0, 0.0007), (0.0, 0.0, 0.0)),
    "ring": ((0.0, -0.0435, -0.001542), (0.08726646255, 0.0, 0.0)),
}
_FINGER_LENGTHS = (0.0164, 0.054, 0.0384, 0.0267)
_FINGER_MASSES = (0.0119, 0.065, 0.0355, 0.0096)
_THUMB_BASE = ((-0.0182, 0.019333, -0.045987), (0.0, -1.65806278845, -1.5707963259))
_THUMB_J1_OFFSET = (-0.027, 0.005, 0.0399)
_THUMB_LENGTHS = (0.0177, 0.0514, 0.0423)
_THUMB_MASSES = (0.0176, 0.0119, 0.038, 0.0388)
_TIP_MASS = 0.0168
_PALM_MASS = 0.4154
_PALM_BOX = ((0.0408, 0.113, PALM_LENGTH), (-0.0093, 0.0, -PALM_LENGTH / 2.0))
_LINK_WIDTH = (0.0196, 0.0275)


def _box_link(name: str, mass: float, size, center, color=_BLACK, **kw) -> Link:
    geom = Geom("box", tuple(size), tuple(center), color=color)
    return Link(name, mass, tuple(center), box_inertia(mass, size), (geom,), **kw)


def _tip_link(name: str) -> Link:
    geom = Geom("sphere", (FINGERTIP_RADIUS,), color=_WHITE)
    return Link(name, _TIP_MASS, (0.0, 0.0, 0.0), sphere_inertia(_TIP_MASS, FINGERTIP_RADIUS), (geom,))


def _arm_links(arm_joints: list[Joint], gravity_compensation: bool) -> list[Link]:
    """Arm links with shapes converted from the world-frame layout at q = 0 into each link frame."""
    skeleton = RobotSpec("arm", tuple(Link(n, 1.0, (0, 0, 0), (1, 1, 1)) for n in ARM_LINK_NAMES), tuple(arm_joints))
    poses = chain_poses(skeleton)
    links = []
    for i, name in enumerate(ARM_LINK_NAMES):
        inv = np.linalg.inv(poses[name])
        geoms = []
        for kind, radius, z0, z1, color in _ARM_SHAPES_WORLD[i]:
            p0 = (inv @ np.array([0.0, 0.0, z0, 1.0]))[:3]
            p1 = (inv @ np.array([0.0, 0.0, z1, 1.0]))[:3]
            capsule = capsule_between(p0, p1, radius, color)
            if kind == "capsule":
                geoms.append(capsule)
            else:
                geoms.append(Geom("cylinder", (radius, capsule.size[1]), capsule.pos, capsule.quat, color))
        mass, com, inertia = _ARM_INERTIA[i]
        links.append(Link(name, mass, com, inertia, tuple(geoms), gravcomp=gravity_compensation and i > 0))
    return links


def build_spec(gravity_compensation: bool = True) -> RobotSpec:
    """The Kuka-Allegro description as data.

    Args:
        gravity_compensation: Cancel gravity on the arm links and the palm (``mjc:gravcomp``), as the iiwa's
            own controller does with its dynamic model. The fingers and fingertips stay under gravity.
    """
    joints: list[Joint] = []
    for i, (xyz, rpy) in enumerate(_ARM_ORIGINS):
        lim = math.radians(ARM_LIMITS_DEG[i])
        joints.append(
            Joint(
                ARM_JOINT_NAMES[i], ARM_LINK_NAMES[i], ARM_LINK_NAMES[i + 1], xyz, rpy, "Z", -lim, lim,
                ARM_EFFORT[i], ARM_VELOCITY[i], stiffness=600.0, damping=60.0,
            )
        )  # fmt: skip
    links = _arm_links(joints, gravity_compensation)

    palm_size, palm_center = _PALM_BOX
    links.append(_box_link(PALM_BODY_NAME, _PALM_MASS, palm_size, palm_center, gravcomp=gravity_compensation))
    palm_offset = 0.045 + MOUNT_THICKNESS + PALM_LENGTH
    joints.append(Joint("palm_mount", ARM_LINK_NAMES[-1], PALM_BODY_NAME, (0.0, 0.0, palm_offset), axis=None))

    def hand_joint(name, parent, child, xyz, rpy, axis, limits):
        return Joint(name, parent, child, xyz, rpy, axis, limits[0], limits[1], HAND_EFFORT, HAND_VELOCITY, 3.0, 0.1)

    for finger, (base_xyz, base_rpy) in _FINGER_BASES.items():
        parent, xyz, rpy = PALM_BODY_NAME, base_xyz, base_rpy
        for i in range(4):
            child = f"{finger}_link_{i}"
            length = _FINGER_LENGTHS[i]
            links.append(_box_link(child, _FINGER_MASSES[i], (*_LINK_WIDTH, length), (0.0, 0.0, length / 2.0)))
            axis = "Y" if i else "Z"  # abduction about z, then three flexion joints about y
            joints.append(hand_joint(f"{finger}_joint_{i}", parent, child, xyz, rpy, axis, FINGER_LIMITS[i]))
            parent, xyz, rpy = child, (0.0, 0.0, length), (0.0, 0.0, 0.0)
        links.append(_tip_link(f"{finger}_tip"))
        joints.append(Joint(f"{finger}_tip_mount", parent, f"{finger}_tip", xyz, axis=None))

    # Thumb: a rotating base (link 0) that carries the abduction joint, then three links like a finger.
    j1 = np.asarray(_THUMB_J1_OFFSET)
    base_size = (0.0358, 0.034, 0.0455)
    base_center = tuple(j1 / 2.0)
    links.append(_box_link("thumb_link_0", _THUMB_MASSES[0], base_size, base_center))
    joints.append(hand_joint("thumb_joint_0", PALM_BODY_NAME, "thumb_link_0", *_THUMB_BASE, "-X", THUMB_LIMITS[0]))
    parent, xyz = "thumb_link_0", _THUMB_J1_OFFSET
    for i, length in enumerate(_THUMB_LENGTHS, start=1):
        child = f"thumb_link_{i}"
        shape_len = length - FINGERTIP_RADIUS if i == 3 else length
        links.append(_box_link(child, _THUMB_MASSES[i], (*_LINK_WIDTH, shape_len), (0.0, 0.0, shape_len / 2.0)))
        axis = "Y" if i > 1 else "Z"
        joints.append(hand_joint(f"thumb_joint_{i}", parent, child, xyz, (0.0, 0.0, 0.0), axis, THUMB_LIMITS[i]))
        parent, xyz = child, (0.0, 0.0, length)
    links.append(_tip_link("thumb_tip"))
    joints.append(Joint("thumb_tip_mount", parent, "thumb_tip", xyz, axis=None))

    spec = RobotSpec("kuka_allegro", tuple(links), tuple(joints))
    # The thumb base sits inside the palm housing and its first links graze the palm box and the wrist adapter
    # on link 7 by construction; the real parts are shaped to clear each other.
    extra = [(PALM_BODY_NAME, f"thumb_link_{i}") for i in range(3)]
    extra += [(ARM_LINK_NAMES[-1], f"thumb_link_{i}") for i in range(4)]
    pairs = sorted(set(tree_filtered_pairs(spec, hops=2)) | {tuple(sorted(p)) for p in extra})
    return RobotSpec(spec.name, spec.links, spec.joints, tuple(pairs))  # type: ignore[arg-type]


def palm_down_quat(finger_direction=(-1.0, 0.0, 0.0)) -> tuple[float, float, float, float]:
    """World orientation ``(w, x, y, z)`` of ``palm_link`` with the palm normal pointing down (-z) and the
    fingers along the horizontal ``finger_direction``."""
    z = np.asarray(finger_direction, dtype=float)
    z /= np.linalg.norm(z)
    x = np.array([0.0, 0.0, -1.0])
    return quat_from_matrix(np.stack([x, np.cross(z, x), z], axis=1))


# ---------------------------------------------------------------------------------------------------------------------
# File cache
# ---------------------------------------------------------------------------------------------------------------------

_SOURCE_FILES = ("kuka_allegro_usd.py", "usd_authoring.py")


def content_version() -> str:
    """Hash of the authoring code and format version: a new hash means a new file."""
    digest = hashlib.sha256(f"format={ASSET_FORMAT_VERSION}".encode())
    here = Path(__file__).resolve().parent
    for name in _SOURCE_FILES:
        try:
            digest.update((here / name).read_bytes())
        except OSError:
            digest.update(repr(build_spec()).encode())
    return digest.hexdigest()[:12]


def asset_dir() -> Path:
    """``$DEXGRASP_ASSET_DIR`` if set, else ``~/.cache/dexgrasp/assets``."""
    env = os.environ.get("DEXGRASP_ASSET_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "dexgrasp" / "assets"


def expected_usd_path() -> str:
    """Where :func:`kuka_allegro_usd_path` puts the file for this code version (nothing is written)."""
    return str(asset_dir() / f"kuka_allegro_{content_version()}.usda")


def write_usd(path: str | os.PathLike, gravity_compensation: bool = True) -> None:
    """Author the robot into ``path`` atomically (write a sibling temp file, then ``os.replace``)."""
    from pxr import Usd, UsdGeom, UsdPhysics

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stage = Usd.Stage.CreateInMemory()
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    UsdPhysics.SetStageKilogramsPerUnit(stage, 1.0)
    author_robot(stage, build_spec(gravity_compensation))
    layer = stage.GetRootLayer()
    layer.customLayerData = {"dexgrasp:asset": "kuka_allegro", "dexgrasp:content_version": content_version()}
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp{path.suffix}")
    try:
        if not layer.Export(str(tmp)):
            raise OSError(f"could not write {tmp}")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def kuka_allegro_usd_path() -> str:
    """Path of the authored Kuka-Allegro USD, writing it first if this code version has no file yet.

    The content version is part of the file name, so an existing file is always current; concurrent callers
    may both author it, but each replaces the file atomically with identical content.
    """
    path = expected_usd_path()
    if not os.path.isfile(path):
        write_usd(path)
    return path
