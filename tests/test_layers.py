"""The package's layers import only downward, and its subpackages import one another without cycles.

Every ``import`` of every module is read with ``ast`` (lazy imports inside functions included), so a cycle or an
upward import cannot hide behind a function-level import. The layers, top to bottom::

    cli                                   argparse only
    jobs, metrics, evaluation             what a command does; measurements; rollouts of trained policies
    topologies, learners                  where processes run; what learns
    runner, envs                          the disaggregated machinery; environments as learners read them
    tasks, datasets, viewer               the task; recorded episodes; watching a run
    assets, models, runs, curriculum_rule robot and objects; networks; run files; the curriculum rule;
    pretrained                            the shipped policies

A layer may import the layers below it and, without cycles, its own. Modules that need no simulator stay
importable without Isaac Lab (the GPU kit runs them on a node with only PyTorch).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "source" / "dexgrasp"

LAYERS = [
    ["cli"],
    ["jobs", "metrics", "evaluation"],
    ["topologies", "learners"],
    ["runner", "envs"],
    ["tasks", "datasets", "viewer"],
    ["assets", "models", "runs", "curriculum_rule", "pretrained"],
]
RANK = {unit: len(LAYERS) - i for i, units in enumerate(LAYERS) for unit in units}

SIMULATION_FREE = [
    "dexgrasp.runner",
    "dexgrasp.runner.launcher",
    "dexgrasp.runner.process",
    "dexgrasp.runner.server",
    "dexgrasp.runs",
    "dexgrasp.datasets",
    "dexgrasp.evaluation.stats",
    "dexgrasp.evaluation.episode_plan",
    "dexgrasp.evaluation.paired",
    "dexgrasp.evaluation.factors",
    "dexgrasp.evaluation.position_error",
    "dexgrasp.evaluation.position_probe",
    "dexgrasp.evaluation.results_page",
    "dexgrasp.learners.rsl_rl_runners",
    "dexgrasp.learners.distillation.algorithm",
    "dexgrasp.learners.distillation.runner",
    "dexgrasp.learners.distillation.storage",
    "dexgrasp.metrics.benchmark",
    "dexgrasp.metrics.capacity",
    "dexgrasp.metrics.learner_inputs",
    "dexgrasp.metrics.probes",
    "dexgrasp.metrics.gpu_checks",
    "dexgrasp.models",
    "dexgrasp.pretrained",
]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    """(imported dexgrasp module, line) for every import statement of ``path``, relative ones resolved."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found += [
                (f"{name}.{alias.name}" if not node.module and node.level else name, node.lineno)
                for alias in node.names
            ]
    return [(name, line) for name, line in found if name == "dexgrasp" or name.startswith("dexgrasp.")]


def _unit(module: str) -> str | None:
    """The subpackage (or top-level module) a module belongs to; None for the package itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _edges() -> dict[tuple[str, str], list[str]]:
    """(importing unit, imported unit) -> where (file:line) it happens."""
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _unit(_module_name(path))
        for name, line in _imports(path):
            target = _unit(name)
            if source and target and source != target:
                edges.setdefault((source, target), []).append(f"{path.relative_to(PACKAGE.parent)}:{line}")
    return edges


def test_every_subpackage_has_a_layer():
    units = {_unit(_module_name(p)) for p in PACKAGE.rglob("*.py")} - {None}
    assert units <= set(RANK), f"place these in LAYERS: {sorted(units - set(RANK))}"


def test_no_upward_import():
    upward = [
        f"{source} -> {target} ({', '.join(where)})"
        for (source, target), where in sorted(_edges().items())
        if RANK.get(target, 0) > RANK.get(source, 0)
    ]
    assert not upward, "imports against the layers:\n" + "\n".join(upward)


def test_no_import_cycle_between_subpackages():
    graph: dict[str, set[str]] = {}
    for source, target in _edges():
        graph.setdefault(source, set()).add(target)
    cycles, state = [], {}

    def visit(unit: str, path: list[str]) -> None:
        state[unit] = "open"
        for nxt in sorted(graph.get(unit, ())):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(path[path.index(nxt) :] + [unit, nxt]) if nxt in path else f"{unit} -> {nxt}")
            elif nxt not in state:
                visit(nxt, path + [unit])
        state[unit] = "done"

    for unit in sorted(graph):
        if unit not in state:
            visit(unit, [])
    assert not cycles, "import cycles between subpackages:\n" + "\n".join(cycles)


def test_simulation_free_modules_import_without_isaac_lab():
    blocked = ["isaaclab", "isaaclab_rl", "isaaclab_tasks", "isaacsim", "omni", "pxr", "warp"]
    code = "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in blocked)
    code += "".join(f"import {m}\n" for m in SIMULATION_FREE)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
