"""Memory, capacity, throughput and traffic of the training topologies, measured in one run.

Every measurement runs in a child process (:mod:`dexgrasp.metrics.probes` for memory and the simulation alone,
``scripts/train.py``'s module :mod:`dexgrasp.cli.train` for training throughput), so each process's memory and each topology's devices start clean.
The per-part figures of the memory model are straight-line fits over env counts (:mod:`.capacity`):

- simulation (F_sim, S): on CUDA the device memory a real environment takes; on the CPU its process's RSS growth;
- learner (M, R): on CUDA RSL-RL's peak ``max_memory_allocated`` over learning iterations (activations included);
  on the CPU the bytes of the tensors it allocates (rollout storage, model, optimizer state), since activations
  are freed within an update and RSS does not return freed memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from dexgrasp.runner.transport import HEADER_SIZE, Scalars
from dexgrasp.runs import machine_description, source_commit

from .capacity import GIB, LinearFit, MemoryModel, capacity_report, fit_linear
from .curves import read_scalars

TRAIN_MODULE = "dexgrasp.cli.train"
"""``scripts/train.py`` as a module: found wherever the package is installed."""
BYTES = {
    "torch.uint8": 1,
    "torch.bool": 1,
    "torch.int16": 2,
    "torch.float16": 2,
    "torch.float32": 4,
    "torch.int32": 4,
    "torch.int64": 8,
}


@dataclass
class BenchmarkSettings:
    """What to measure (``scripts/benchmark.py``'s options, checked)."""

    task: str
    overrides: list[str]
    """Isaac Lab overrides of every environment and training run, the image preset first."""
    devices: list[str]
    """Devices the topologies share; the learner probes run on the last one."""
    env_counts: list[int]
    out: str
    topologies: list[str]
    train_envs: int
    iterations: int = 2
    sim_steps: int = 20
    gpus: int = 4
    gpu_mem: float = 80.0
    check_sim_capacity: bool = False
    capacity_limit: int | None = None
    capacity_time_s: float | None = None
    learner_only: bool = False
    spec: str | None = None
    dataset: str | None = None
    dataset_steps: int = 1024


def _child_env() -> dict:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}


def run_probe(kind: str, args: dict, timeout: float = 900.0) -> dict:
    """One probe in a fresh process (RuntimeError with its output's tail when it fails or runs out of time)."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "dexgrasp.metrics.probes", kind, json.dumps(args)],
            env=_child_env(), capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{kind} probe {args.get('num_envs')} envs did not finish within {timeout:.0f} s") from None
    for line in proc.stdout.splitlines()[::-1]:
        if line.startswith("REPORT "):
            return json.loads(line[len("REPORT ") :])
    raise RuntimeError(f"{kind} probe {args.get('num_envs')} envs failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


def sim_alone(task: str, overrides: list[str], devices: list[str], num_envs: int, steps: int) -> dict:
    """Zero-action stepping on every simulation device at once: the rate a learner could at best consume."""
    from dexgrasp.runner.layout import split_evenly

    counts = split_evenly(num_envs, len(devices))
    args = [
        {"task": task, "overrides": overrides, "num_envs": n, "device": d, "steps": steps}
        for n, d in zip(counts, devices)
    ]
    with ThreadPoolExecutor(len(args)) as pool:
        reports = list(pool.map(lambda a: run_probe("sim", a), args))
    return {
        "env_steps_per_s": sum(r["env_steps_per_s"] for r in reports),
        "processes": len(reports),
        "env_counts": counts,
    }


def topology_args(topology: str, devices: list[str]) -> list[str]:
    """``scripts/train.py`` options that place ``topology`` on ``devices`` (disaggregated: the last one learns)."""
    if topology == "single":
        return ["--device", devices[0]]
    if topology == "disaggregated":
        if len(devices) < 2:
            raise ValueError("disaggregated needs two devices (simulation and learner)")
        return ["--sim_devices", ",".join(devices[:-1]), "--learner_device", devices[-1]]
    if topology == "data_parallel":
        return ["--devices", ",".join(devices)]
    raise ValueError(f"unknown topology {topology}")


PIPELINE_TAGS = {
    "learner_wait_s": "Pipeline/learner_wait_s",
    "sim_wait_s": "Pipeline/sim_wait_s",
    "sim_step_s": "Pipeline/sim_step_s",
}
"""Per-step waiting times the disaggregated learner logs (``runner.remote_env``), by the name results use."""


def _steady_mean(points: list[tuple[int, float]]) -> float:
    """Mean over iterations, the first (warm-up) left out when there are more."""
    values = [v for _, v in points]
    steady = values[1:] or values
    return sum(steady) / len(steady)


def train_throughput(task, topology, devices, num_envs, iterations, overrides, log_dir, timeout=900.0) -> dict:
    """Env-steps/s of a real training run (RSL-RL's ``Perf/total_fps``) and, where logged, its waiting times.

    Waiting times are seconds per env step: ``learner_wait_s`` the learner blocked on simulation results,
    ``sim_wait_s`` a simulation process waited for actions, ``sim_step_s`` it spent stepping; with
    ``iteration_s`` (collection + learning time) they give the fractions of :func:`waiting_figures`.
    """
    cmd = [sys.executable, "-m", TRAIN_MODULE, "--task", task, "--topology", topology, *topology_args(topology, devices),
           "--num_envs", str(num_envs), "--max_iterations", str(iterations), "--log_dir", log_dir, *overrides]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=_child_env(), capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(
            f"{topology} training failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    scalars = read_scalars(log_dir)
    if not scalars.get("Perf/total_fps"):
        raise RuntimeError(f"{topology} training logged no Perf/total_fps under {log_dir}")
    result = {
        "env_steps_per_s": _steady_mean(scalars["Perf/total_fps"]),
        "iterations": len(scalars["Perf/total_fps"]),
        "iteration_s": _steady_mean(scalars["Perf/collection_time"]) + _steady_mean(scalars["Perf/learning_time"]),
        "wall_s": wall,
        "devices": devices,
    }
    waits = {name: _steady_mean(scalars[tag]) for name, tag in PIPELINE_TAGS.items() if scalars.get(tag)}
    if waits:
        result["waits_per_step"] = waits
    return result


def waiting_figures(run: dict, steps_per_iteration: int) -> dict:
    """Fractions of time spent waiting in a disaggregated run: the learner's share of an iteration spent blocked
    on simulation results, and a simulation process's share of its step cycle spent waiting for actions."""
    waits = run["waits_per_step"]
    return {
        "learner_wait_fraction": waits["learner_wait_s"] * steps_per_iteration / run["iteration_s"],
        "sim_wait_fraction": waits["sim_wait_s"] / (waits["sim_wait_s"] + waits["sim_step_s"]),
    }


def traffic(spec: dict, num_envs: int) -> dict:
    """Bytes per env step on the simulation <-> learner pipe, against the compact observation and action bytes.

    The wire carries each group in its wire dtype, the float32 scalars vector (``transport.Scalars``), an int64
    header and float32 actions. Compact: uint8 stays uint8, images 2 bytes a pixel (float16 or uint16 depth),
    vectors float32, actions float32. Episode lengths (sent only after a learner-side reset) are left out.
    """
    obs_wire = sum(_numel(g["shape"]) * BYTES[g["wire_dtype"]] for g in spec["groups"])
    obs_env = sum(_numel(g["shape"]) * BYTES[g["env_dtype"]] for g in spec["groups"])
    obs_compact = sum(_numel(g["shape"]) * _compact_bytes(g) for g in spec["groups"])
    actions = 4 * spec["num_actions"]
    scalars = 4 * Scalars(num_envs, spec["num_log_keys"]).size / num_envs
    header = 8 * HEADER_SIZE / num_envs
    wire = obs_wire + scalars + actions + header
    compact = obs_compact + actions
    return {
        "wire_bytes_per_env_step": wire,
        "compact_bytes_per_env_step": compact,
        "env_dtype_bytes_per_env_step": obs_env + actions,
        "wire_over_compact": wire / compact,
        "num_envs": num_envs,
    }


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _compact_bytes(group: dict) -> int:
    size = BYTES[group["env_dtype"]]
    return min(size, 2) if len(group["shape"]) >= 2 else size


def fit_learner(learner_reports: list[dict]) -> tuple[LinearFit, str]:
    """M and R fitted over env counts: CUDA peak allocation when measured there, else the learner's tensor bytes."""
    if learner_reports[0]["cuda_max_allocated_bytes"] is not None:
        key = "cuda_max_allocated_bytes"
        values = [r[key] for r in learner_reports]
    else:
        key = "storage_bytes+model_bytes+optimizer_bytes"
        values = [r["storage_bytes"] + r["model_bytes"] + r["optimizer_bytes"] for r in learner_reports]
    return fit_linear([r["num_envs"] for r in learner_reports], values), key


def fit_model(sim_reports: list[dict], learner_reports: list[dict]) -> tuple[MemoryModel, dict]:
    """F_sim, S, M, R fitted over env counts, and the measurement each figure came from.

    S is floored at the per-env bytes of the simulation's observation and camera buffers, which certainly grow
    with every environment: at the few environments a small machine measures, process RSS (and pooled device
    allocations) can grow by less than that, or even shrink, between two counts.
    """
    on_cuda = sim_reports[0]["cuda_used_bytes"] is not None
    sim_key = "cuda_used_bytes" if on_cuda else "rss_bytes"
    counts = [r["num_envs"] for r in sim_reports]
    sim = fit_linear(counts, [r[sim_key] for r in sim_reports])
    buffers = fit_linear(counts, [r["obs_bytes"] + r["camera_bytes"] for r in sim_reports])
    s = max(sim.per_env, buffers.per_env)
    if s > sim.per_env:
        sim_key += " (S floored at obs_bytes+camera_bytes per env)"
    learner, learner_key = fit_learner(learner_reports)
    model = MemoryModel(f_sim=max(sim.fixed, 0.0), s=s, m=max(learner.fixed, 0.0), r=learner.per_env)
    return model, {"simulation": sim_key, "learner": learner_key}


def capacity_by_doubling(
    kind: str, args: dict, start: int, limit: int | None = None, time_s: float | None = None
) -> tuple[int, str]:
    """CUDA only: the largest env count, doubling from ``start``, at which a ``kind`` probe runs to the end, and
    why the search stopped: ``"failed"`` (out of memory, or the probe failed), ``"limit"`` or ``"time"``.

    A probe that runs out of device memory fails in its own process, so the next count starts clean. 0 when even
    ``start`` does not fit; the search stops before exceeding ``limit`` (``None``: until memory runs out), and
    after ``time_s`` seconds in all (a probe cut short by it does not count as failing: the count is a lower bound).
    """
    deadline = None if time_s is None else time.monotonic() + time_s
    fits, n = 0, start
    while limit is None or n <= limit:
        timeout = 900.0 if deadline is None else min(900.0, deadline - time.monotonic())
        if timeout <= 0:
            return fits, "time"
        try:
            run_probe(kind, {**args, "num_envs": n}, timeout=timeout)
        except RuntimeError:
            return fits, "time" if deadline is not None and time.monotonic() >= deadline else "failed"
        fits, n = n, 2 * n
    return fits, "limit"


def predicted_on_device(results: dict) -> dict:
    """Env counts one measured CUDA device holds by the fitted model: ``(C - F_sim) / S`` and ``(C - M) / R``."""
    predicted = {}
    fit = results.get("model") or results.get("learner_model") or {}
    for part, fixed, per_env in (("simulation", "f_sim", "s"), ("learner", "m", "r")):
        total = (results.get(part) or [{}])[0].get("cuda_total_bytes")
        if total and fit.get(per_env, 0) > 0:
            predicted[part] = int((total - fit[fixed]) / fit[per_env])
    return predicted


def dataset_spec(path: str, overrides: list[str]) -> dict:
    """The learner spec of a recorded dataset, with the agent configuration of the dataset's task.

    Reading the task's configuration needs this package's tasks importable (Isaac Lab installed); no simulation
    starts. Raises ``DatasetError`` for a file that is not a usable dataset.
    """
    from dexgrasp.datasets import DatasetFile
    from dexgrasp.envs.factory import load_cfgs

    from .learner_inputs import spec_from_dataset

    data = DatasetFile(path)
    task = data.task
    data.close()
    _, agent_cfg = load_cfgs(task, "rsl_rl", overrides)
    return spec_from_dataset(path, agent_cfg.to_dict())


def run_benchmark(opts: BenchmarkSettings) -> dict:
    """The whole benchmark; returns the results (not yet written)."""
    results: dict = {
        "commit": source_commit(),
        "machine": machine_description(),
        "task": opts.task,
        "overrides": opts.overrides,
        "devices": opts.devices,
        "env_counts": opts.env_counts,
    }
    if opts.dataset:
        spec = dataset_spec(opts.dataset, opts.overrides)
    elif opts.spec:
        with open(opts.spec) as f:
            spec = json.load(f)
    else:
        sims = [
            run_probe("sim", {"task": opts.task, "overrides": opts.overrides, "num_envs": n, "device": opts.devices[0], "steps": opts.sim_steps})
            for n in opts.env_counts
        ]  # fmt: skip
        spec = sims[0].pop("spec")
        for r in sims[1:]:
            r.pop("spec")
        results["simulation"] = sims
    results["spec"] = spec
    learner_device = opts.devices[-1]
    feed = {"dataset": opts.dataset, "dataset_steps": opts.dataset_steps} if opts.dataset else {}
    results["learner"] = [
        run_probe("learner", {"spec": spec, "num_envs": n, "device": learner_device, "iterations": opts.iterations, **feed})
        for n in opts.env_counts
    ]  # fmt: skip
    if learner_device.startswith("cuda"):
        learner_args = {"spec": spec, "device": learner_device, "iterations": opts.iterations, **feed}
        results["learner_capacity_checked"], results["learner_capacity_stopped_by"] = capacity_by_doubling(
            "learner", learner_args, max(opts.env_counts), opts.capacity_limit, opts.capacity_time_s
        )
    if opts.learner_only:
        if len(set(opts.env_counts)) > 1:
            fit, key = fit_learner(results["learner"])
            results["learner_model"] = {"m": max(fit.fixed, 0.0), "r": fit.per_env, "measured_from": key}
            results["capacity_on_device_predicted"] = predicted_on_device(results)
        return results
    if opts.check_sim_capacity and opts.devices[0].startswith("cuda"):
        sim_args = {"task": opts.task, "overrides": opts.overrides, "device": opts.devices[0], "steps": 2}
        results["sim_capacity_checked"], results["sim_capacity_stopped_by"] = capacity_by_doubling(
            "sim", sim_args, max(opts.env_counts), opts.capacity_limit, opts.capacity_time_s
        )
    model, sources = fit_model(results["simulation"], results["learner"])
    results["model"] = {**model.as_dict(), "measured_from": sources}
    results["capacity_on_device_predicted"] = predicted_on_device(results)
    results["capacity"] = capacity_report(model, opts.gpus, opts.gpu_mem * GIB)
    results["traffic"] = traffic(spec, opts.train_envs)
    results["throughput"] = {
        topo: train_throughput(opts.task, topo, opts.devices, opts.train_envs, opts.iterations, opts.overrides,
                               os.path.join(opts.out, "runs", topo))
        for topo in opts.topologies
    }  # fmt: skip
    if "disaggregated" in opts.topologies:
        alone = sim_alone(opts.task, opts.overrides, opts.devices[:-1], opts.train_envs, opts.sim_steps)
        results["throughput"]["simulation_alone"] = alone
        disaggregated = results["throughput"]["disaggregated"]
        results["pipeline_efficiency"] = disaggregated["env_steps_per_s"] / alone["env_steps_per_s"]
        results["waiting"] = waiting_figures(disaggregated, spec["agent_cfg"]["num_steps_per_env"])
    return results
