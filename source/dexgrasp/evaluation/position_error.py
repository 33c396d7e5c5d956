"""How precisely a policy must know where the object is: the scripted expert acting on a position that is off
(simulation-free).

An image policy distilled from the expert has to read the object's position from its camera, and is off by a few
centimetres where the expert reads the simulator's state. The sweep evaluates the expert on the same planned
episodes with a per-episode error of growing size on the horizontal position it acts on
(:attr:`~dexgrasp.tasks.grasp.scripted_expert.ScriptedExpertCfg.position_error`), with its own gates and with
looser ones (descend from 6 cm of horizontal error, close within 3 cm), and pairs each cell with the same gates
acting on the exact position: how much of the grasp a student with a given error could keep, at best.
"""

from __future__ import annotations

from .paired import sweep_table

GATES: dict[str, tuple[str, ...]] = {
    "expert": (),
    "loose": (
        "env.scripted_expert.align_scale=0.06",
        "env.scripted_expert.align_tolerance=0.03",
        "env.scripted_expert.grasp_tolerance=0.03",
    ),
}
"""The expert's alignment gates: its own, and loose ones, named by the overrides that set them."""

ERRORS = (0.0, 0.01, 0.02, 0.03)
"""Std of the error in x and in y [m]; 0 is the reference each cell is paired with."""


def cells() -> list[tuple[str, float]]:
    """(gates, error) in table order."""
    return [(gates, error) for gates in GATES for error in ERRORS]


def folder_name(gates: str, error: float) -> str:
    return f"{gates}_error{error:g}"


def overrides_for(gates: str, error: float) -> list[str]:
    return [*GATES[gates], f"env.scripted_expert.position_error={error:g}"]


def error_table(folders: dict[tuple[str, float], str], out: str) -> list[dict]:
    """One row per cell (``folders``: (gates, error) -> its evaluation folder, every cell of :func:`cells`), paired
    with the same gates at no error (``paired_exact.json`` in each cell's folder); ``position_error.csv`` and
    ``.json`` in ``out``."""
    table = [
        (folder_name(gates, error), folders[gates, error], folders[gates, 0.0] if error else None)
        for gates, error in cells()
    ]
    return sweep_table(table, out, "position_error", "cell", "paired_exact.json", "difference_from_exact")
