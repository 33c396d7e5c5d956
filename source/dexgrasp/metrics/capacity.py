"""The memory model of vision RL training, and the environment capacity it predicts per topology.

A simulation device costs ``F_sim`` bytes fixed plus ``S`` bytes per environment (physics, renderer, camera and
observation buffers); a learner costs ``M`` fixed (model, optimizer, workspace) plus ``R`` per environment (rollout
storage for T steps of observations, activations). A device holds ``C`` bytes.

- Data parallel on G devices: every device holds ``F_sim + M + n (S + R)``, so ``n_DP = G (C - F_sim - M) / (S + R)``.
- Disaggregated with k simulation devices and G - k learners: ``n = min(k (C - F_sim) / S, (G - k)(C - M) / R)``.

Everything here is arithmetic on measured figures, so capacity can be predicted for any node without one.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

GIB = 1024**3


@dataclass(frozen=True)
class MemoryModel:
    """Fitted per-part figures, all in bytes (``s`` and ``r`` per environment)."""

    f_sim: float
    s: float
    m: float
    r: float

    def as_dict(self) -> dict:
        return {**asdict(self), "units": {"f_sim": "B", "s": "B/env", "m": "B", "r": "B/env"}}


@dataclass(frozen=True)
class LinearFit:
    """``bytes = fixed + per_env * num_envs``, least squares over measured env counts."""

    fixed: float
    per_env: float

    def __call__(self, num_envs: float) -> float:
        return self.fixed + self.per_env * num_envs


def fit_linear(num_envs: list[float], values: list[float]) -> LinearFit:
    """Least-squares line through (env count, bytes); needs two distinct env counts to separate the parts."""
    if len(num_envs) != len(values):
        raise ValueError(f"{len(num_envs)} env counts but {len(values)} values")
    if len(set(num_envs)) < 2:
        raise ValueError("a fit needs at least two distinct env counts")
    n = len(num_envs)
    mx, my = sum(num_envs) / n, sum(values) / n
    sxx = sum((x - mx) ** 2 for x in num_envs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(num_envs, values))
    slope = sxy / sxx
    return LinearFit(fixed=my - slope * mx, per_env=slope)


def data_parallel_capacity(model: MemoryModel, gpus: int, capacity: float) -> float:
    """Environments G devices hold when each runs a simulator and a learner (0 when the fixed costs do not fit)."""
    per_device = (capacity - model.f_sim - model.m) / (model.s + model.r)
    return gpus * max(per_device, 0.0)


def disaggregated_capacity(model: MemoryModel, gpus: int, capacity: float, sim_devices: int) -> float:
    """Environments with ``sim_devices`` simulation devices and the other ``gpus - sim_devices`` as learners."""
    if not 0 < sim_devices < gpus:
        raise ValueError(f"a split needs 1..{gpus - 1} simulation devices, got {sim_devices}")
    sims = sim_devices * max(capacity - model.f_sim, 0.0) / model.s
    learners = (gpus - sim_devices) * max(capacity - model.m, 0.0) / model.r
    return min(sims, learners)


def best_split(model: MemoryModel, gpus: int, capacity: float, max_learners: int | None = None) -> tuple[int, float]:
    """(simulation devices, environments) of the split that fits most environments.

    ``max_learners`` restricts the search to splits with at most that many learner devices (1: the runner's
    current single-learner layout).
    """
    if gpus < 2:
        raise ValueError("disaggregation needs at least two devices")
    low = 1 if max_learners is None else max(1, gpus - max_learners)
    splits = [(k, disaggregated_capacity(model, gpus, capacity, k)) for k in range(low, gpus)]
    return max(splits, key=lambda kv: kv[1])


def capacity_report(model: MemoryModel, gpus: int, capacity: float) -> dict:
    """Capacities of both topologies on G devices of ``capacity`` bytes, and their ratio (disaggregated / DP)."""
    dp = data_parallel_capacity(model, gpus, capacity)
    k_best, n_best = best_split(model, gpus, capacity)
    k_one, n_one = best_split(model, gpus, capacity, max_learners=1)
    return {
        "gpus": gpus,
        "gpu_mem_bytes": capacity,
        "data_parallel": {"num_envs": math.floor(dp), "exact": dp},
        "disaggregated_best": {
            "sim_devices": k_best,
            "learners": gpus - k_best,
            "num_envs": math.floor(n_best),
            "exact": n_best,
        },
        "disaggregated_one_learner": {
            "sim_devices": k_one,
            "learners": gpus - k_one,
            "num_envs": math.floor(n_one),
            "exact": n_one,
        },
        "ratio_best": n_best / dp if dp > 0 else math.inf,
        "ratio_one_learner": n_one / dp if dp > 0 else math.inf,
    }
