"""Topologies: where simulation and learning run. Each one runs a learner function (:mod:`dexgrasp.learners`).

- :mod:`.single`: one process, one simulator, the learner beside it.
- :mod:`.disaggregated`: simulation processes feed learner processes on their own devices (several learners: the
  hybrid topology); the machinery is :mod:`dexgrasp.runner`.
- :mod:`.data_parallel`: Isaac Lab's standard multi-GPU scheme, one simulator and one learner per device, under
  torchrun (:mod:`.torchrun`).

:mod:`.devices` reads and checks the device options of all of them. A topology knows environments and processes,
never a learning library: train and distill hand it their learner function and its settings.
"""

TOPOLOGIES = ("single", "disaggregated", "data_parallel")
"""Where simulation and learning run: one process, simulation processes feeding a learner, or Isaac Lab's data
parallelism (one process per device, each with its simulator and learner)."""
