"""A seeded procedural set of graspable objects, so the task runs with no downloaded meshes.

Each object is an Isaac Lab mesh primitive (box, cylinder, sphere, capsule, cone) of household size
(3-15 cm). The set is generated from a seed, so every process of a run builds the same set; the cloner lays the
objects out over the environments (Isaac Lab's sequential strategy: contiguous blocks), the environment reads that
layout back, and the observation carries each object's shape descriptor: a one-hot of its kind and its
bounding-box size.

Users with their own meshes point :func:`mesh_folder_objects` at a folder of ``.usd``/``.usda`` files.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass

import numpy as np

KINDS = ("box", "cylinder", "sphere", "capsule", "cone")


@dataclass(frozen=True)
class ObjectSpec:
    kind: str
    size: tuple[float, float, float]
    """Bounding-box extent (x, y, z) in metres."""
    params: dict

    @property
    def volume(self) -> float:
        """Volume of the solid [m^3] (its mass is this times the set's density)."""
        p = self.params
        if self.kind == "box":
            return float(np.prod(p["size"]))
        r = p["radius"]
        if self.kind == "sphere":
            return 4.0 / 3.0 * np.pi * r**3
        if self.kind == "capsule":
            return np.pi * r**2 * p["height"] + 4.0 / 3.0 * np.pi * r**3
        if self.kind == "cone":
            return np.pi * r**2 * p["height"] / 3.0
        return np.pi * r**2 * p["height"]

    @property
    def descriptor(self) -> list[float]:
        one_hot = [1.0 if k == self.kind else 0.0 for k in KINDS]
        return one_hot + [float(s) for s in self.size]


DESCRIPTOR_DIM = len(KINDS) + 3


def generate_object_specs(
    num_objects: int, seed: int, size_range: tuple[float, float] = (0.03, 0.15)
) -> list[ObjectSpec]:
    """``num_objects`` objects cycling through the kinds, with seeded sizes within ``size_range``."""
    rng = np.random.default_rng(seed)
    lo, hi = size_range
    specs = []
    for i in range(num_objects):
        kind = KINDS[i % len(KINDS)]
        a, b, c = (float(v) for v in rng.uniform(lo, hi, size=3))
        if kind == "box":
            b = min(b, 0.09)  # the side across the pinch (world y for an upright box) fits the open hand
            specs.append(ObjectSpec(kind, (a, b, c), {"size": (a, b, c)}))
        elif kind == "cylinder":
            r = min(a, 0.09) / 2
            specs.append(ObjectSpec(kind, (2 * r, 2 * r, c), {"radius": r, "height": c}))
        elif kind == "sphere":
            r = min(a, 0.09) / 2
            specs.append(ObjectSpec(kind, (2 * r, 2 * r, 2 * r), {"radius": r}))
        elif kind == "capsule":
            r = min(a, 0.07) / 2
            h = max(c - 2 * r, 0.01)
            specs.append(ObjectSpec(kind, (2 * r, 2 * r, h + 2 * r), {"radius": r, "height": h}))
        else:
            r = min(a, 0.09) / 2
            specs.append(ObjectSpec(kind, (2 * r, 2 * r, c), {"radius": r, "height": c}))
    return specs


def spawner_cfgs(specs: list[ObjectSpec], density: float = 500.0, static_friction: float = 1.0):
    """Isaac Lab spawner configurations for ``specs`` (imported lazily: needs Isaac Lab).

    Each object's mass is its volume times ``density`` (set explicitly, so every physics backend agrees).
    """
    import isaaclab.sim as sim_utils

    factories = {
        "box": sim_utils.MeshCuboidCfg,
        "cylinder": sim_utils.MeshCylinderCfg,
        "sphere": sim_utils.MeshSphereCfg,
        "capsule": sim_utils.MeshCapsuleCfg,
        "cone": sim_utils.MeshConeCfg,
    }
    colors = [(0.8, 0.2, 0.2), (0.2, 0.6, 0.9), (0.9, 0.7, 0.1), (0.3, 0.8, 0.3), (0.7, 0.3, 0.8)]
    cfgs = []
    for i, spec in enumerate(specs):
        cfgs.append(
            factories[spec.kind](
                **spec.params,
                physics_material=sim_utils.RigidBodyMaterialCfg(
                    static_friction=static_friction, dynamic_friction=static_friction
                ),
                visual_material=sim_utils.PreviewSurfaceCfg(diffuse_color=colors[i % len(colors)]),
                mass_props=sim_utils.MassCfg(mass=density * spec.volume),
            )
        )
    return cfgs


def object_set_spawner(specs: list[ObjectSpec], density: float = 500.0):
    """One ``MultiAssetSpawnerCfg`` that spawns the set across the environments of a scene."""
    import isaaclab.sim as sim_utils

    return sim_utils.MultiAssetSpawnerCfg(
        assets_cfg=spawner_cfgs(specs, density),
        rigid_props=sim_utils.UsdPhysicsRigidBodyCfg(),
        # primitives are meshes: the solvers collide with their convex hulls
        collision_props=[
            sim_utils.UsdPhysicsCollisionCfg(),
            sim_utils.UsdPhysicsMeshCollisionCfg(mesh_approximation_name="convexHull"),
        ],
        mass_props=None,  # per object, from its volume
    )


def mesh_folder_objects(folder: str, density: float = 500.0):
    """Spawner for a folder of user meshes (``*.usd``/``*.usda``), one per environment in turn."""
    import isaaclab.sim as sim_utils

    paths = sorted(glob.glob(os.path.join(folder, "*.usd")) + glob.glob(os.path.join(folder, "*.usda")))
    if not paths:
        raise FileNotFoundError(f"no .usd/.usda object meshes in {folder}")
    return sim_utils.MultiUsdFileCfg(
        usd_path=paths,
        rigid_props=sim_utils.UsdPhysicsRigidBodyCfg(),
        collision_props=sim_utils.UsdPhysicsCollisionCfg(),
        mass_props=sim_utils.MassCfg(density=density),
    )
