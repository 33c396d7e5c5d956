"""What each randomisation costs a policy: evaluations at one ADR level with one factor at a time (simulation-free).

At level 1 every randomisation of the grasp task is on at once, and a policy that fails there does not say why. A
factor sweep evaluates the same planned episodes with only one factor left on (the others switched off by
configuration overrides), with none and with all of them, and compares each cell with the "none" cell on the
same episodes (:func:`~dexgrasp.evaluation.paired.compare_folders`): the factors whose cells fall furthest are what
the policy cannot handle.
"""

from __future__ import annotations

from .paired import sweep_table

FACTORS: dict[str, tuple[str, ...]] = {
    "spawn position": ("env.events.reset_object.params.size=(0.0,0.0)",),
    "spawn rotation": ("env.events.reset_object.params.rotation=0.0",),
    "robot start noise": (
        "env.events.reset_robot.params.position_noise=0.0",
        "env.events.reset_robot.params.velocity_noise=0.0",
    ),
    "friction": ("env.events.robot_friction=null", "env.events.object_friction=null"),
    "object mass": ("env.events.object_mass=null",),
    "joint gains and friction": (
        "env.events.joint_gains=null",
        "env.events.arm_joint_friction=null",
        "env.events.hand_joint_friction=null",
    ),
    "pushes": ("env.events.push_object=null",),
    "observation noise": ("env.observations.policy.enable_corruption=false",),
}
"""Each randomisation of the state task, named by the overrides that switch it off (robot and object friction
together; the arm's and the hand's joint friction with the gains, all three are actuator properties)."""

NONE, ALL = "none", "all"


def cell_names() -> list[str]:
    """The sweep's cells in table order: none, each factor alone, all."""
    return [NONE, *FACTORS, ALL]


def folder_name(cell: str) -> str:
    return cell.replace(" ", "_")


def overrides_for(cell: str) -> list[str]:
    """The overrides that leave only ``cell``'s factor on (``none``: every factor off; ``all``: none switched off)."""
    if cell != ALL and cell != NONE and cell not in FACTORS:
        raise ValueError(f"unknown randomisation factor {cell!r}; known: {', '.join(cell_names())}")
    return [override for name, off in FACTORS.items() if name != cell and cell != ALL for override in off]


def factor_table(folders: dict[str, str], out: str) -> list[dict]:
    """One row per cell of a sweep (``folders``: cell -> its evaluation folder, every cell of :func:`cell_names`):
    success and lifted with their Wilson intervals, and the paired difference from the ``none`` cell on the same
    episodes (exact McNemar, interval over objects). Written into ``out`` as ``factors.csv`` and ``factors.json``;
    each paired comparison as ``paired_none.json`` in its cell's folder."""
    cells = [(cell, folders[cell], None if cell == NONE else folders[NONE]) for cell in cell_names()]
    return sweep_table(cells, out, "factors", "factor", "paired_none.json", "difference_from_none")
