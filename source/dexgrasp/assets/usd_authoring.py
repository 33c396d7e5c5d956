"""Small helpers to author fixed-base articulations of primitive shapes with ``pxr`` UsdPhysics schemas.

The robot description is kept as plain data (:class:`Link`, :class:`Joint`, :class:`Geom`) so that it can be
hashed into a content version, checked without a simulator, and written into a USD stage that both Newton
(Isaac Lab's kitless backend) and PhysX can import. Only schemas that Newton's USD importer understands are used:
``ArticulationRootAPI``, ``RigidBodyAPI``, ``MassAPI``, ``CollisionAPI``, ``FilteredPairsAPI``, ``RevoluteJoint``,
``FixedJoint`` and angular ``DriveAPI``. Every collider is also drawn (``displayColor``) so that the same shapes
serve as visuals, which keeps the shape count, and therefore the CPU collision cost, low.

Conventions: metres, kilograms, radians in the data (USD revolute limits are written in degrees), quaternions
``(w, x, y, z)``, URDF-style joint origins (``xyz`` + ``rpy`` of the child frame in the parent frame at q = 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

Vec3 = tuple[float, float, float]
Quat = tuple[float, float, float, float]


@dataclass(frozen=True)
class Geom:
    """A primitive shape attached to a link, expressed in the link frame.

    ``size``: box ``(sx, sy, sz)`` full extents; capsule/cylinder ``(radius, height)`` along the local z axis
    (capsule height excludes the caps); sphere ``(radius,)``.
    """

    kind: str
    size: tuple[float, ...]
    pos: Vec3 = (0.0, 0.0, 0.0)
    quat: Quat = (1.0, 0.0, 0.0, 0.0)
    color: Vec3 = (0.5, 0.5, 0.5)
    collide: bool = True


@dataclass(frozen=True)
class Link:
    """A rigid body: mass properties in the link frame and its shapes."""

    name: str
    mass: float
    com: Vec3
    inertia: Vec3
    geoms: tuple[Geom, ...] = ()
    gravcomp: bool = False
    """Ask MuJoCo-based solvers to cancel gravity on this body (``mjc:gravcomp``), the way an arm controller
    with a dynamic model compensates its own weight."""


@dataclass(frozen=True)
class Joint:
    """A joint in URDF form. ``axis`` is ``"X"``, ``"Y"``, ``"Z"`` or their negations; ``None`` means fixed."""

    name: str
    parent: str
    child: str
    xyz: Vec3 = (0.0, 0.0, 0.0)
    rpy: Vec3 = (0.0, 0.0, 0.0)
    axis: str | None = "Z"
    lower: float = 0.0
    upper: float = 0.0
    effort: float = 0.0
    velocity: float = 0.0
    stiffness: float = 0.0
    """Drive stiffness [N m / rad] authored in the file; simulators usually overwrite it from actuator configs."""
    damping: float = 0.0
    """Drive damping [N m s / rad]."""


@dataclass(frozen=True)
class RobotSpec:
    """A fixed-base tree of links; ``links[0]`` is welded to the world at the origin."""

    name: str
    links: tuple[Link, ...]
    joints: tuple[Joint, ...]
    filtered_pairs: tuple[tuple[str, str], ...] = field(default=())


# ---------------------------------------------------------------------------------------------------------------------
# Small rigid-transform algebra (numpy, 4x4 homogeneous matrices)
# ---------------------------------------------------------------------------------------------------------------------


def rpy_matrix(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """URDF fixed-axis roll-pitch-yaw: ``R = Rz(yaw) @ Ry(pitch) @ Rx(roll)``."""
    cr, sr = math.cos(roll), math.sin(roll)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cy, sy = math.cos(yaw), math.sin(yaw)
    rx = np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    ry = np.array([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]])
    rz = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
    return rz @ ry @ rx


def transform(xyz: Sequence[float], rot: np.ndarray | None = None) -> np.ndarray:
    m = np.eye(4)
    if rot is not None:
        m[:3, :3] = rot
    m[:3, 3] = xyz
    return m


def quat_from_matrix(rot: np.ndarray) -> Quat:
    """Rotation matrix to a unit quaternion ``(w, x, y, z)`` with ``w >= 0``."""
    m = np.asarray(rot, dtype=float)
    tr = m[0, 0] + m[1, 1] + m[2, 2]
    if tr > 0.0:
        s = math.sqrt(tr + 1.0) * 2.0
        q = (0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s)
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = math.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2]) * 2.0
        q = ((m[2, 1] - m[1, 2]) / s, 0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s)
    elif m[1, 1] > m[2, 2]:
        s = math.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2]) * 2.0
        q = ((m[0, 2] - m[2, 0]) / s, (m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s)
    else:
        s = math.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1]) * 2.0
        q = ((m[1, 0] - m[0, 1]) / s, (m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s)
    qa = np.array(q)
    qa /= np.linalg.norm(qa)
    if qa[0] < 0.0:
        qa = -qa
    return tuple(float(v) for v in qa)  # type: ignore[return-value]


def quat_z_to(direction: Sequence[float]) -> Quat:
    """Quaternion ``(w, x, y, z)`` of the shortest rotation taking +z onto ``direction``."""
    d = np.asarray(direction, dtype=float)
    d = d / np.linalg.norm(d)
    z = np.array([0.0, 0.0, 1.0])
    c = float(np.dot(z, d))
    if c < -1.0 + 1e-9:
        return (0.0, 1.0, 0.0, 0.0)
    axis = np.cross(z, d)
    w = 1.0 + c
    q = np.array([w, *axis])
    q /= np.linalg.norm(q)
    return tuple(float(v) for v in q)  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------------------------------
# Shape and inertia helpers
# ---------------------------------------------------------------------------------------------------------------------


def capsule_between(p0: Sequence[float], p1: Sequence[float], radius: float, color: Vec3) -> Geom:
    """Capsule whose segment (cap centres) runs from ``p0`` to ``p1`` in the link frame."""
    a, b = np.asarray(p0, dtype=float), np.asarray(p1, dtype=float)
    length = float(np.linalg.norm(b - a))
    return Geom("capsule", (radius, length), tuple((a + b) / 2.0), quat_z_to(b - a), color)  # type: ignore[arg-type]


def box_inertia(mass: float, size: Sequence[float]) -> Vec3:
    sx, sy, sz = size
    return (mass * (sy**2 + sz**2) / 12.0, mass * (sx**2 + sz**2) / 12.0, mass * (sx**2 + sy**2) / 12.0)


def sphere_inertia(mass: float, radius: float) -> Vec3:
    i = 0.4 * mass * radius**2
    return (i, i, i)


def chain_poses(spec: RobotSpec) -> dict[str, np.ndarray]:
    """World pose of every link frame at q = 0 (the root link at the identity)."""
    poses = {spec.links[0].name: np.eye(4)}
    pending = list(spec.joints)
    while pending:
        progressed = False
        for joint in list(pending):
            if joint.parent in poses:
                poses[joint.child] = poses[joint.parent] @ transform(joint.xyz, rpy_matrix(*joint.rpy))
                pending.remove(joint)
                progressed = True
        if not progressed:
            raise ValueError(f"joints not connected to the root: {[j.name for j in pending]}")
    return poses


def tree_filtered_pairs(spec: RobotSpec, hops: int = 2) -> list[tuple[str, str]]:
    """Link pairs within ``hops`` joints of each other in the kinematic tree, plus siblings of one parent.

    These are the pairs whose primitive shapes overlap or graze at the joints; excluding them keeps contact
    forces to the pairs that can genuinely touch (for example fingertip against fingertip or palm).
    """
    adjacency: dict[str, set[str]] = {link.name: set() for link in spec.links}
    for joint in spec.joints:
        adjacency[joint.parent].add(joint.child)
        adjacency[joint.child].add(joint.parent)
    pairs: set[tuple[str, str]] = set()
    for start in adjacency:
        frontier, seen = {start}, {start}
        for _ in range(hops):
            frontier = {n for f in frontier for n in adjacency[f]} - seen
            seen |= frontier
        for other in seen - {start}:
            pairs.add(tuple(sorted((start, other))))  # type: ignore[arg-type]
    return sorted(pairs)


# ---------------------------------------------------------------------------------------------------------------------
# USD writer
# ---------------------------------------------------------------------------------------------------------------------


def _gf_quat(q: Sequence[float]):
    from pxr import Gf

    return Gf.Quatf(float(q[0]), Gf.Vec3f(float(q[1]), float(q[2]), float(q[3])))


def _set_pose(xformable, pos: Sequence[float], quat: Sequence[float], scale: Sequence[float] | None = None) -> None:
    from pxr import Gf, UsdGeom

    xformable.ClearXformOpOrder()
    xformable.AddTranslateOp(UsdGeom.XformOp.PrecisionDouble).Set(Gf.Vec3d(*[float(v) for v in pos]))
    xformable.AddOrientOp(UsdGeom.XformOp.PrecisionFloat).Set(_gf_quat(quat))
    if scale is not None:
        xformable.AddScaleOp(UsdGeom.XformOp.PrecisionFloat).Set(Gf.Vec3f(*[float(v) for v in scale]))


def _author_geom(stage, path: str, geom: Geom) -> None:
    from pxr import Gf, UsdGeom, UsdPhysics

    scale = None
    if geom.kind == "box":
        prim = UsdGeom.Cube.Define(stage, path)
        prim.CreateSizeAttr(1.0)
        scale = geom.size
        prim.CreateExtentAttr([Gf.Vec3f(-0.5, -0.5, -0.5), Gf.Vec3f(0.5, 0.5, 0.5)])
    elif geom.kind in ("capsule", "cylinder"):  # along z; a capsule's caps reach a radius beyond its height
        capsule = geom.kind == "capsule"
        prim = (UsdGeom.Capsule if capsule else UsdGeom.Cylinder).Define(stage, path)
        radius, height = (float(v) for v in geom.size)
        prim.CreateRadiusAttr(radius)
        prim.CreateHeightAttr(height)
        prim.CreateAxisAttr(UsdGeom.Tokens.z)
        ext = height / 2.0 + (radius if capsule else 0.0)
        prim.CreateExtentAttr([Gf.Vec3f(-radius, -radius, -ext), Gf.Vec3f(radius, radius, ext)])
    elif geom.kind == "sphere":
        prim = UsdGeom.Sphere.Define(stage, path)
        (radius,) = geom.size
        prim.CreateRadiusAttr(float(radius))
        prim.CreateExtentAttr([Gf.Vec3f(-radius), Gf.Vec3f(radius)])
    else:
        raise ValueError(f"unknown geometry kind {geom.kind!r}")
    _set_pose(prim, geom.pos, geom.quat, scale)
    prim.CreateDisplayColorAttr([Gf.Vec3f(*geom.color)])
    if geom.collide:
        UsdPhysics.CollisionAPI.Apply(prim.GetPrim())


def author_robot(stage, spec: RobotSpec, root_path: str | None = None) -> None:
    """Write ``spec`` under ``root_path`` (default ``/<spec.name>``) and make it the stage's default prim.

    Bodies are siblings under the root (no nested rigid bodies), placed at their q = 0 world poses; joints live
    under ``<root>/joints`` and are written parent-first in the order of ``spec.joints`` so that a depth-first
    importer keeps that order.
    """
    from pxr import Gf, Sdf, UsdGeom, UsdPhysics

    root_path = root_path or f"/{spec.name}"
    root = UsdGeom.Xform.Define(stage, root_path)
    stage.SetDefaultPrim(root.GetPrim())
    UsdPhysics.ArticulationRootAPI.Apply(root.GetPrim())

    poses = chain_poses(spec)
    link_paths = {link.name: f"{root_path}/{link.name}" for link in spec.links}

    for link in spec.links:
        pose = poses[link.name]
        body = UsdGeom.Xform.Define(stage, link_paths[link.name])
        _set_pose(body, pose[:3, 3], quat_from_matrix(pose[:3, :3]))
        prim = body.GetPrim()
        UsdPhysics.RigidBodyAPI.Apply(prim)
        mass_api = UsdPhysics.MassAPI.Apply(prim)
        mass_api.CreateMassAttr(float(link.mass))
        mass_api.CreateCenterOfMassAttr(Gf.Vec3f(*link.com))
        mass_api.CreateDiagonalInertiaAttr(Gf.Vec3f(*link.inertia))
        mass_api.CreatePrincipalAxesAttr(Gf.Quatf(1.0, 0.0, 0.0, 0.0))
        if link.gravcomp:
            prim.CreateAttribute("mjc:gravcomp", Sdf.ValueTypeNames.Float).Set(1.0)
        for i, geom in enumerate(link.geoms):
            _author_geom(stage, f"{link_paths[link.name]}/{geom.kind}_{i}", geom)

    pairs = list(spec.filtered_pairs)
    by_link: dict[str, list[str]] = {}
    for a, b in pairs:
        by_link.setdefault(a, []).append(b)
    for name, others in by_link.items():
        api = UsdPhysics.FilteredPairsAPI.Apply(stage.GetPrimAtPath(link_paths[name]))
        rel = api.CreateFilteredPairsRel()
        for other in others:
            rel.AddTarget(Sdf.Path(link_paths[other]))

    UsdGeom.Scope.Define(stage, f"{root_path}/joints")
    base = UsdPhysics.FixedJoint.Define(stage, f"{root_path}/joints/{spec.links[0].name}_world_fixed")
    base.CreateBody1Rel().SetTargets([Sdf.Path(link_paths[spec.links[0].name])])

    for joint in spec.joints:
        path = f"{root_path}/joints/{joint.name}"
        rot0 = rpy_matrix(*joint.rpy)
        rot1 = np.eye(3)
        if joint.axis is None:
            usd_joint = UsdPhysics.FixedJoint.Define(stage, path)
        else:
            usd_joint = UsdPhysics.RevoluteJoint.Define(stage, path)
            axis = joint.axis.lstrip("+-")
            if joint.axis.startswith("-"):
                # A negative axis is expressed by turning both joint frames half a turn about a perpendicular axis.
                flip = {"X": rpy_matrix(0, 0, math.pi), "Y": rpy_matrix(0, 0, math.pi), "Z": rpy_matrix(math.pi, 0, 0)}
                rot0 = rot0 @ flip[axis]
                rot1 = flip[axis]
            usd_joint.CreateAxisAttr(axis)
            usd_joint.CreateLowerLimitAttr(math.degrees(joint.lower))
            usd_joint.CreateUpperLimitAttr(math.degrees(joint.upper))
            drive = UsdPhysics.DriveAPI.Apply(usd_joint.GetPrim(), "angular")
            drive.CreateTypeAttr("force")
            # USD angular drive gains are per degree.
            drive.CreateStiffnessAttr(joint.stiffness * math.pi / 180.0)
            drive.CreateDampingAttr(joint.damping * math.pi / 180.0)
            drive.CreateMaxForceAttr(float(joint.effort))
            drive.CreateTargetPositionAttr(0.0)
            if joint.velocity > 0.0:
                usd_joint.GetPrim().CreateAttribute("physxJoint:maxJointVelocity", Sdf.ValueTypeNames.Float).Set(
                    math.degrees(joint.velocity)
                )
        usd_joint.CreateBody0Rel().SetTargets([Sdf.Path(link_paths[joint.parent])])
        usd_joint.CreateBody1Rel().SetTargets([Sdf.Path(link_paths[joint.child])])
        usd_joint.CreateLocalPos0Attr(Gf.Vec3f(*[float(v) for v in joint.xyz]))
        usd_joint.CreateLocalRot0Attr(_gf_quat(quat_from_matrix(rot0)))
        usd_joint.CreateLocalPos1Attr(Gf.Vec3f(0.0, 0.0, 0.0))
        usd_joint.CreateLocalRot1Attr(_gf_quat(quat_from_matrix(rot1)))
