"""The grasp task's scene, whatever the robot: a table, one object per environment, floor and light.

The robot (and any camera) is left to a robot binding (:mod:`dexgrasp.tasks.grasp.config`). The settings that
shape the scene (image size, object set) are plain configuration fields, selectable by Isaac Lab presets
(``presets=res64``, ``presets=cube``) or overrides (``env.image.width=48``);
:class:`dexgrasp.tasks.grasp.grasp_env.GraspEnv` applies them when the environment is built.
"""

from __future__ import annotations

from dataclasses import MISSING

import isaaclab.sim as sim_utils
from isaaclab.assets import ArticulationCfg, AssetBaseCfg, RigidObjectCfg
from isaaclab.scene import InteractiveSceneCfg
from isaaclab.utils import configclass
from isaaclab_tasks.utils import PresetCfg

TABLE_SIZE = (0.725, 1.16, 0.03)
TABLE_TOP = 0.25
TABLE_CENTER = (-0.21 - TABLE_SIZE[0] / 2, 0.668 - TABLE_SIZE[1] / 2, TABLE_TOP - TABLE_SIZE[2] / 2)
WORKSPACE_CENTER = (-0.55, 0.1)
WORKSPACE_SIZE = (0.5, 0.8)
SPAWN_HEIGHT = 0.5
"""World height objects are dropped from (about 0.25 m above the table top, below the goal at 0.75 m)."""


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


HELDOUT_SEED = 7
"""Generator seed of the held-out procedural set: objects of the same kinds and size range as the training set
(seed 0), never trained on, for evaluating generalisation to new objects."""


@configclass
class ObjectSetPresetCfg(PresetCfg):
    procedural = ObjectSetCfg()
    heldout = ObjectSetCfg(seed=HELDOUT_SEED)
    cube = ObjectSetCfg(source="cube")
    default = procedural


OBJECT_SETS = {"train": "procedural", "heldout": "heldout", "cube": "cube"}
"""The object sets an evaluation names (``--objects``), as presets of :class:`ObjectSetPresetCfg`."""


def object_count(objects: ObjectSetCfg) -> int:
    """How many objects the set holds (known before the scene is built)."""
    if objects.source == "procedural":
        return objects.num_objects
    if objects.source == "folder":
        from dexgrasp.assets.procedural_objects import mesh_folder_objects

        return len(mesh_folder_objects(objects.folder).usd_path)
    return 1


def object_set_name(objects: ObjectSetCfg) -> str:
    """The evaluation name of an object set: ``train``, ``heldout`` or ``cube``, else a description of it."""
    presets = ObjectSetPresetCfg()
    for name, preset in OBJECT_SETS.items():
        if objects == getattr(presets, preset):
            return name
    if objects.source == "procedural":
        return f"procedural(seed={objects.seed},num_objects={objects.num_objects})"
    return f"folder({objects.folder})" if objects.source == "folder" else objects.source


@configclass
class GraspSceneCfg(InteractiveSceneCfg):
    """Robot at the origin, table in front of it along -x, one object per environment, lights, floor."""

    robot: ArticulationCfg = MISSING
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
