"""Kuka LBR iiwa 7 + right Allegro hand as an Isaac Lab articulation, usable offline.

:data:`KUKA_ALLEGRO_CFG` spawns a USD authored locally from published kinematics (see
:mod:`dexgrasp.assets.kuka_allegro_usd` for the frames and numbers), so it needs neither Nucleus nor network.
:func:`KUKA_ALLEGRO_OFFICIAL_CFG` returns Isaac Lab's own asset for machines that can reach Nucleus.

Names (exact, other modules rely on them):

* joints, articulation order: ``iiwa7_joint_1..7``, ``index_joint_0..3``, ``middle_joint_0..3``,
  ``ring_joint_0..3``, ``thumb_joint_0..3`` (:data:`ROBOT_JOINT_NAMES`);
* bodies: ``iiwa7_link_0..7``, ``palm_link``, ``<finger>_link_0..3`` and ``<finger>_tip`` for ``index``,
  ``middle``, ``ring``, ``thumb``. ``palm_link`` and the tips are welded with fixed joints and remain separate
  bodies in the Newton articulation.

Frames: base at the world origin, z up; with all arm joints zero the arm points straight up and ``palm_link``
has the world orientation. In ``palm_link``, +z is the finger direction and +x the palm normal (the side the
fingers close towards); +y is the thumb/index side. Quaternions in this module are ``(w, x, y, z)``; Isaac Lab
3.0 APIs (``init_state.rot``, ``body_quat_w``, :mod:`isaaclab.utils.math`) use ``(x, y, z, w)``, hence the
``_XYZW`` variants.

Reach with the palm facing down: the palm origin is 0.231 m from the wrist centre (joint 6) along the fingers,
so pointing the fingers away from the robot (-x, :data:`PALM_DOWN_FINGERS_NEG_X_QUAT`) pulls the wrist towards
the shoulder, and the elbow limit (joint 4, +-120 deg) then keeps the palm from getting nearer than about
0.6 m at z = 0.55 m or 0.65 m at z = 0.35 m (at x = -0.5, y = 0.1, z = 0.55 differential IK stops 6 cm short).
With the fingers sideways (+y, :data:`PALM_DOWN_FINGERS_POS_Y_QUAT`, thumb side towards -x) the whole region
x in [-0.65, -0.45], y in [-0.15, 0.35], z in [0.35, 0.55] is reachable with more than 10 deg of joint margin
(it thins out beyond x = -0.7 on the -y side).

Gravity: the arm links and the palm carry ``mjc:gravcomp = 1`` (Newton/MuJoCo cancel their weight, as the
iiwa's model-based controller does); the fingers stay under gravity. PhysX ignores that attribute; there, set
``disable_gravity`` on the arm bodies for the same effect. Without it the arm gains below sag by ~0.07 rad.

Importing this module starts no simulator and writes nothing; the USD file is authored on first spawn (or by
calling :func:`kuka_allegro_usd_path`).
"""

from __future__ import annotations

from collections.abc import Callable

import isaaclab.sim as sim_utils
from isaaclab.actuators import ImplicitActuatorCfg
from isaaclab.assets import ArticulationCfg
from isaaclab.sim.spawners.from_files import spawn_from_usd
from isaaclab.utils import configclass

from .kuka_allegro_usd import (
    ARM_EFFORT,
    ARM_JOINT_NAMES,
    ARM_VELOCITY,
    FINGERTIP_BODY_NAMES,
    HAND_EFFORT,
    HAND_JOINT_NAMES,
    HAND_VELOCITY,
    PALM_BODY_NAME,
    ROBOT_BODY_NAMES,
    ROBOT_JOINT_NAMES,
    expected_usd_path,
    kuka_allegro_usd_path,
    palm_down_quat,
)

__all__ = [
    "ARM_JOINT_NAMES",
    "FINGERTIP_BODY_NAMES",
    "HAND_JOINT_NAMES",
    "KUKA_ALLEGRO_CFG",
    "KUKA_ALLEGRO_OFFICIAL_CFG",
    "KukaAllegroUsdFileCfg",
    "PALM_BODY_NAME",
    "PALM_DOWN_FINGERS_NEG_X_QUAT",
    "PALM_DOWN_FINGERS_NEG_X_QUAT_XYZW",
    "PALM_DOWN_FINGERS_POS_Y_QUAT",
    "PALM_DOWN_FINGERS_POS_Y_QUAT_XYZW",
    "PALM_DOWN_QUAT",
    "ROBOT_BODY_NAMES",
    "ROBOT_JOINT_NAMES",
    "kuka_allegro_usd_path",
    "palm_down_quat",
    "spawn_kuka_allegro",
]

PALM_DOWN_FINGERS_NEG_X_QUAT: tuple[float, float, float, float] = (0.0, 0.70710678, 0.0, -0.70710678)
"""``palm_link`` orientation ``(w, x, y, z)``: palm normal -z (facing the table), fingers along -x (away from the
robot), thumb side towards -y. A half turn about the axis (1, 0, -1)/sqrt(2)."""

PALM_DOWN_FINGERS_NEG_X_QUAT_XYZW: tuple[float, float, float, float] = (0.70710678, 0.0, -0.70710678, 0.0)
"""The same orientation in Isaac Lab's ``(x, y, z, w)`` order."""

PALM_DOWN_QUAT: tuple[float, float, float, float] = PALM_DOWN_FINGERS_NEG_X_QUAT_XYZW
"""Nominal palm-down orientation in Isaac Lab's ``(x, y, z, w)`` order: fingers along -x.

Out of reach for palm positions nearer than ~0.6 m (see the module docstring);
:data:`PALM_DOWN_FINGERS_POS_Y_QUAT_XYZW` covers the table in front of the robot."""

PALM_DOWN_FINGERS_POS_Y_QUAT: tuple[float, float, float, float] = (0.5, -0.5, 0.5, 0.5)
"""``palm_link`` orientation ``(w, x, y, z)``: palm normal -z, fingers along +y, thumb side towards -x. Reachable
over the whole table workspace in front of the robot (see the module docstring)."""

PALM_DOWN_FINGERS_POS_Y_QUAT_XYZW: tuple[float, float, float, float] = (-0.5, 0.5, 0.5, 0.5)
"""The same orientation in Isaac Lab's ``(x, y, z, w)`` order."""

DEFAULT_JOINT_POS: dict[str, float] = {
    "iiwa7_joint_[1-7]": 0.0,
    "(index|middle|ring)_joint_[0-3]": 0.0,
    "thumb_joint_0": 0.5,
    "thumb_joint_[1-3]": 0.0,
}
"""Arm straight up, fingers straight, thumb base rotated 0.5 rad into the palm (its lower limit is 0.263)."""


def spawn_kuka_allegro(prim_path: str, cfg: sim_utils.UsdFileCfg, *args, **kwargs):
    """Spawn from the locally authored USD, writing it first if this code version has no file yet."""
    cfg = cfg.replace(usd_path=kuka_allegro_usd_path())
    return spawn_from_usd(prim_path, cfg, *args, **kwargs)


@configclass
class KukaAllegroUsdFileCfg(sim_utils.UsdFileCfg):
    """:class:`~isaaclab.sim.UsdFileCfg` whose file is authored on demand by :func:`spawn_kuka_allegro`.

    ``usd_path`` holds the path the current code version writes to; the spawner recomputes it, so changing
    ``$DEXGRASP_ASSET_DIR`` after import is honoured.
    """

    func: Callable | str = spawn_kuka_allegro
    usd_path: str = expected_usd_path()
    activate_contact_sensors: bool = True


_ARM_EFFORTS = dict(zip(ARM_JOINT_NAMES, ARM_EFFORT))
_ARM_SPEEDS = dict(zip(ARM_JOINT_NAMES, ARM_VELOCITY))

KUKA_ALLEGRO_CFG = ArticulationCfg(
    prim_path="{ENV_REGEX_NS}/Robot",
    spawn=KukaAllegroUsdFileCfg(),
    init_state=ArticulationCfg.InitialStateCfg(
        pos=(0.0, 0.0, 0.0),
        rot=(0.0, 0.0, 0.0, 1.0),
        joint_pos=DEFAULT_JOINT_POS,
    ),
    actuators={
        # Joint-space impedance like the iiwa's own controller (gravity is compensated in the asset, see
        # ``mjc:gravcomp``); the armature stands in for the reflected rotor inertia and keeps the light distal
        # links stable at the 240 Hz physics rate.
        "arm": ImplicitActuatorCfg(
            joint_names_expr=["iiwa7_joint_[1-7]"],
            stiffness=600.0,
            damping={"iiwa7_joint_[1-4]": 60.0, "iiwa7_joint_[5-7]": 40.0},
            armature={"iiwa7_joint_[1-2]": 0.6, "iiwa7_joint_[3-4]": 0.4, "iiwa7_joint_[5-7]": 0.2},
            joint_effort_limit=_ARM_EFFORTS,
            actuator_velocity_limit=_ARM_SPEEDS,
        ),
        "hand": ImplicitActuatorCfg(
            joint_names_expr=["(index|middle|ring|thumb)_joint_[0-3]"],
            stiffness=3.0,
            damping=0.2,
            # below ~0.01 the finger links go unstable under random finger targets with the arm moving
            armature=0.02,
            joint_effort_limit=HAND_EFFORT,
            actuator_velocity_limit=HAND_VELOCITY,
        ),
    },
    soft_joint_pos_limit_factor=1.0,
)
"""Offline Kuka-Allegro articulation at ``{ENV_REGEX_NS}/Robot``."""


def KUKA_ALLEGRO_OFFICIAL_CFG() -> ArticulationCfg:  # noqa: N802 - mirrors the constant it wraps
    """Isaac Lab's own ``KUKA_ALLEGRO_CFG`` (meshes from Nucleus) at ``{ENV_REGEX_NS}/Robot``.

    Needs network access to the Isaac Lab asset server; imported lazily so that this module works offline.
    Its joint and body names match this package's, but its default pose and gains differ.
    """
    from isaaclab_assets.robots.kuka_allegro import KUKA_ALLEGRO_CFG as official

    return official.replace(prim_path="{ENV_REGEX_NS}/Robot")
