"""Topologies: where simulation and learning run. Each one runs a learner function (:mod:`dexgrasp.learners`).

- :mod:`.single`: one process, one simulator, the learner beside it.
- :mod:`.disaggregated`: simulation processes feed learner processes on their own devices (several learners: the
  hybrid topology); the machinery is :mod:`dexgrasp.runner`.
- :mod:`.data_parallel`: Isaac Lab's standard multi-GPU scheme, one simulator and one learner per device, under
  torchrun (:mod:`.torchrun`).

Every topology module has ``run(spec, learner_fn, learner_kwargs)``, which runs ``learner_fn(env,
**learner_kwargs)`` where the topology puts the learner, and ``headline(spec, log_dir)``, the run's first line (or
None where the topology prints its own). :data:`TOPOLOGIES` lists them with what a job needs to know about each; a
new topology is one module and one row there. :mod:`.devices` reads and checks the device options of all of them. A
topology knows environments and processes, never a learning library: train and distill hand it their learner
function and its settings.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RunSpec:
    """A run as a topology reads it; each topology reads the fields it needs."""

    task: str
    env_cfg: object = None
    """The environment configuration (single, data_parallel: the environment is built in this process)."""
    overrides: list[str] = field(default_factory=list)
    """Isaac Lab overrides (disaggregated: each simulation process builds its configuration from them)."""
    device: str = "cpu"
    """single: the device."""
    layout: object = None
    """disaggregated: the :class:`~dexgrasp.runner.layout.Layout`."""
    devices: list[str] | None = None
    """data_parallel: one device per process."""
    seed: int = 0
    """disaggregated: the run's seed."""
    clip_actions: float | None = None
    """The multi-process topologies: the learner's action clipping, applied where the environment is wrapped."""
    wrap: Callable | None = None
    """single: what the learner reads, made from the Isaac Lab environment (None: the environment itself)."""
    viewer: object = None
    title: str = ""
    """Names the run in its first line: ``[dexgrasp] <title>, <headline>``."""
    log_dir: str | None = None
    """data_parallel: the run folder that line names, if any."""
    worker_timeout: float = 60.0
    """disaggregated: seconds to wait for a simulation process."""
    synchronous: bool = False
    """disaggregated: no overlap of acting and simulation."""


@dataclass(frozen=True)
class Topology:
    """A topology module and what a job needs to know about it."""

    module: str
    shares_curriculum: bool
    """The learner decides the curriculum over every simulation process (else the task decides it in its one
    environment, and the whole run is this process)."""
    returns_exit_code: bool = False
    """The learner runs in other processes: ``run`` returns the run's exit code, not what the learner returns."""
    torchrun: bool = False
    """One process per device under torchrun, each with its share of the environments; outside torchrun the job
    starts itself again under it (:func:`.torchrun.relaunch`)."""

    def run(self, spec: RunSpec, learner_fn: Callable, learner_kwargs: dict):
        return importlib.import_module(self.module).run(spec, learner_fn, learner_kwargs)

    def headline(self, spec: RunSpec, log_dir: str) -> str | None:
        return importlib.import_module(self.module).headline(spec, log_dir)

    def start(self, spec: RunSpec, learner_fn: Callable, learner_kwargs: dict, log_dir: str):
        """Print the run's first line (where the topology leaves it to the job), then :meth:`run`."""
        headline = self.headline(spec, log_dir)
        if headline is not None:
            print(f"[dexgrasp] {spec.title}, {headline}", flush=True)
        return self.run(spec, learner_fn, learner_kwargs)


TOPOLOGIES = {
    "single": Topology(f"{__name__}.single", shares_curriculum=False),
    "disaggregated": Topology(f"{__name__}.disaggregated", shares_curriculum=True, returns_exit_code=True),
    "data_parallel": Topology(f"{__name__}.data_parallel", shares_curriculum=True, torchrun=True),
}
"""Where simulation and learning run: one process, simulation processes feeding a learner, or Isaac Lab's data
parallelism (one process per device, each with its simulator and learner)."""
