"""The learner-side checks of a GPU node that has only PyTorch (``bash gpu_kit/run.sh OUT_DIR``): GPU nodes are
often offline without room for Isaac Lab, and the learner side needs none of it.

Everything here runs on PyTorch, RSL-RL and tensordict alone, in three checks:

1. **Learner memory and capacity** for the depth task at 160x120 with the default agent, and for the stereo RGB
   student distilled from it: the learner-only benchmark (:func:`.benchmark.run_benchmark` with ``--learner_only
   --spec``) on the spec files a real environment reported. M and R are fitted over env counts from
   ``torch.cuda.max_memory_allocated`` over real PPO / DAgger updates, the env count is doubled until the device
   runs out of memory (within a time share), and each count's update time is kept.
2. **The pipelined runner on the device**: two simulation processes on the CPU, each stepping the deterministic
   toy environment of the runner tests (``tests/toy_vec_env.py``), feed a learner on the device over gloo. The
   rollouts the pipelined loop stores are compared with the synchronous loop's; depth is stored as float16; the
   host receive buffers must be pinned. A larger run gives env-steps/s (the toy environment costs next to
   nothing, so this measures the pipe and the learner, not a simulator).
3. **Two learners on one GPU**: NCCL cannot run two ranks on one device; the layout must refuse it in one line
   before any process starts, instead of hanging.

Action noise in check 2: CUDA's normal sampler need not give the rows of two half batches the numbers it gives
one whole batch, so the pipelined loop (acting per simulation process) and the synchronous loop (acting on the
whole batch) could follow different trajectories. Both runs draw the noise from a seeded CPU generator instead (which,
for the slice sizes used, is batch-size invariant: see ``tests/test_runner_equivalence.py``); everything else
(models, storage, PPO update) runs on the device, where matrix kernels may still differ in the last bits: hence a
tolerance.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import os
import sys
import tempfile
import time

import torch

from .benchmark import BenchmarkSettings, run_benchmark
from .report import format_table, write

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
"""The checkout (or the GPU kit, which has the same layout): the checks read its recorded specs and test fixtures."""
DEPTH_SPEC = os.path.join(ROOT, "docs", "figures", "benchmark_160x120", "spec.json")
STUDENT_SPEC = os.path.join(ROOT, "docs", "figures", "gpu_kit", "stereo_student_160x120_spec.json")
TOY_DIR = os.path.join(ROOT, "tests")
DEPTH_AGENT = "dexgrasp.tasks.grasp.config.kuka_allegro.agents.rsl_rl_ppo_cfg:GraspDepthPPORunnerCfg"
"""The depth task's agent configuration: the checks measure the learner with its training settings (mini-batches,
epochs, rollout length), whatever settings the benchmark that recorded the spec used."""
SEED = 3
PIPELINE_TOLERANCE = {"rtol": 1e-4, "atol": 1e-4}
"""Float tolerance of the rollout comparison; uint8 images may differ by one step of rounding."""


def _counts(text: str) -> list[int]:
    """Env counts of a line fit: positive, and two distinct ones at least."""
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        values = []
    if len(set(values)) < 2 or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected two or more distinct positive counts like 256,512, got {text!r}")
    return values


def _size(text: str) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HEIGHTxWIDTH like 48x48, got {text!r}") from None
    return height, width


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Learner-side checks on one device (PyTorch, RSL-RL, tensordict only).")
    p.add_argument("out", help="output folder (new or empty)")
    p.add_argument("--device", default="cuda:0", help="the learner device: cuda:N, or cpu to try the kit anywhere")
    p.add_argument("--env_counts", type=_counts, default=[256, 512, 1024], help="env counts of the memory fits")
    p.add_argument("--iterations", type=int, default=2, help="learning iterations per learner measurement")
    p.add_argument("--capacity_limit", type=int, default=None, help="largest env count the doubling tries")
    p.add_argument("--capacity_time_s", type=float, default=100.0, help="seconds each doubling check may take")
    p.add_argument("--image", type=_size, default=None, help="image size HxW for every image group (default: spec)")
    p.add_argument("--steps_per_env", type=int, default=None, help="rollout length (default: the agent's)")
    p.add_argument("--rnn_hidden", type=int, default=None, help="every model's RNN width (default: the agent's)")
    p.add_argument("--pipeline_envs", type=int, default=16, help="envs of the equivalence runs (8 per process)")
    p.add_argument(
        "--throughput_envs",
        type=int,
        default=4096,
        help="envs of the pipelined throughput run (0: none, the rate of the pipelined equivalence run is reported)",
    )
    p.add_argument("--throughput_iterations", type=int, default=5)
    p.add_argument("--depth_spec", default=DEPTH_SPEC, help="spec of the depth task (a benchmark's spec.json)")
    p.add_argument("--student_spec", default=STUDENT_SPEC, help="spec of the stereo student")
    return p


def device_error(device: str) -> str | None:
    """One line when ``device`` cannot run the checks (no CUDA, or no such GPU), else None."""
    if device == "cpu":
        return None
    if not device.startswith("cuda:") or not device[5:].isdigit():
        return f"unknown device {device!r}: use cuda:N, or cpu"
    from dexgrasp.runner.cuda_driver import driver_error, driver_version

    too_old = driver_error(torch.version.cuda, driver_version())
    if too_old:
        return too_old
    if not torch.cuda.is_available():
        return f"no CUDA device on this node (torch {torch.__version__}); the checks need one, or --device cpu"
    if int(device[5:]) >= torch.cuda.device_count():
        return f"device {device} does not exist: this node has {torch.cuda.device_count()} CUDA device(s)"
    return None


def sized_spec(spec: dict, image: tuple[int, int] | None, steps: int | None, rnn_hidden: int | None) -> dict:
    """A copy of a learner spec with smaller images, rollout or RNNs (tiny runs on a CPU); unchanged by default."""
    spec = copy.deepcopy(spec)
    if image is not None:
        for group in spec["groups"]:
            if len(group["shape"]) >= 2:
                group["shape"][-2:] = list(image)
    agent = spec["agent_cfg"]
    if steps is not None:
        agent["num_steps_per_env"] = steps
    if rnn_hidden is not None:
        for model in agent.values():
            if isinstance(model, dict) and "rnn_hidden_dim" in model:
                model["rnn_hidden_dim"] = rnn_hidden
    return spec


def task_training(agent_class: str = DEPTH_AGENT) -> dict:
    """The training settings of a task's agent configuration (``module:Class``): rollout length and algorithm.

    Needs Isaac Lab's configuration classes (no simulator): raises ``ImportError`` without them, as on a
    GPU kit's node, whose spec the kit's build already gave these settings (:func:`with_training`)."""
    import importlib

    module, name = agent_class.split(":")
    agent = getattr(importlib.import_module(module), name)().to_dict()
    return {"num_steps_per_env": agent["num_steps_per_env"], "algorithm": agent["algorithm"]}


def with_training(spec: dict, training: dict) -> dict:
    """A copy of a learner spec whose agent trains as ``training`` (:func:`task_training`) says."""
    spec = copy.deepcopy(spec)
    spec["agent_cfg"].update(copy.deepcopy(training))
    return spec


def learner_memory(name: str, spec: dict, opts, out: str) -> dict:
    """Check 1 for one spec: the learner-only benchmark, written into ``out/name``; returns its results."""
    folder = os.path.join(out, name)
    os.makedirs(folder)
    spec_path = os.path.join(folder, "spec.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f, indent=2)
    settings = BenchmarkSettings(
        task="",  # a learner spec needs no task and no simulator
        overrides=[],
        devices=[opts.device],
        env_counts=list(opts.env_counts),
        out=folder,
        topologies=[],
        train_envs=max(opts.env_counts),
        iterations=opts.iterations,
        capacity_limit=opts.capacity_limit or None,
        capacity_time_s=opts.capacity_time_s,
        learner_only=True,
        spec=spec_path,
    )
    results = run_benchmark(settings)
    write(results, folder)
    return results


def _toy():
    """The runner tests' toy environment module (``tests/toy_vec_env.py``, shipped in the kit at the same path)."""
    if TOY_DIR not in sys.path:
        sys.path.insert(0, TOY_DIR)
    import toy_vec_env

    return toy_vec_env


def _cpu_noise(distribution, seed: int) -> None:
    """Draw a Gaussian policy's action noise from a seeded CPU generator (see the module doc)."""
    generator = torch.Generator().manual_seed(seed)

    def sample():
        mean, std = distribution.mean, distribution.std
        return mean + std * torch.randn(mean.shape, generator=generator).to(mean.device)

    distribution.sample = sample


def pipeline_learner(env, out_path: str, seed: int, iterations: int, record: bool) -> None:
    """Learner of check 2 (runs in the learner process): PPO on the toy environment through the pipelined runner;
    saves the rollouts (``record``), the storage's dtypes and device, the receive buffers' pinning and the rate."""
    from dexgrasp.runner import PipelinedOnPolicyRunner

    toy = _toy()
    torch.manual_seed(seed)
    runner = PipelinedOnPolicyRunner(env, toy.ppo_cfg(), log_dir=None, device=env.device)
    _cpu_noise(runner.alg.actor.distribution, seed)
    start = time.perf_counter()
    if record:
        rollouts = toy.record_rollouts(runner, iterations)
    else:
        runner.learn(iterations, init_at_random_ep_len=True)
        rollouts = []
    if env.device.startswith("cuda"):
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    storage = runner.alg.storage.observations
    buffers = env.receive_buffers()
    report = {
        "device": env.device,
        "describe": env.describe(),
        "storage": {key: {"dtype": str(v.dtype), "device": str(v.device)} for key, v in storage.items()},
        "receive_buffers": len(buffers),
        "receive_buffers_pinned": sum(bool(t.is_pinned()) for t in buffers),
        "env_steps": iterations * runner.cfg["num_steps_per_env"] * env.num_envs,
        "seconds": seconds,
    }
    report["env_steps_per_s"] = report["env_steps"] / seconds
    cpu = [{k: _to_cpu(v) for k, v in snapshot.items()} for snapshot in rollouts]
    torch.save({"report": report, "rollouts": cpu}, out_path)


def _to_cpu(value):
    if isinstance(value, torch.Tensor):
        return value.cpu()
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    return [_to_cpu(v) for v in value]


def pipelined_run(device: str, num_envs: int, iterations: int, synchronous: bool, record: bool, tmp: str) -> dict:
    from dexgrasp.runner import Layout, run_disaggregated

    toy = _toy()
    layout = Layout(sim_devices=["cpu", "cpu"], learner_devices=[device], num_envs=num_envs)
    out_path = os.path.join(tmp, f"{'sync' if synchronous else 'pipelined'}-{num_envs}.pt")
    kwargs = {"out_path": out_path, "seed": SEED, "iterations": iterations, "record": record}
    code = run_disaggregated(
        layout, toy.make_toy_env, {}, pipeline_learner, kwargs, worker_timeout=120.0, synchronous=synchronous,
        learner_dtypes={"depth": torch.float16},
    )  # fmt: skip
    if code != 0:
        raise RuntimeError(f"the {'synchronous' if synchronous else 'pipelined'} run on {device} exited with {code}")
    return torch.load(out_path, map_location="cpu")


def compare_rollouts(want: list[dict], have: list[dict]) -> dict:
    """Largest absolute difference per stored tensor between two runs' rollouts, and whether all are within
    :data:`PIPELINE_TOLERANCE` (uint8 images within one step, dones exactly)."""
    diffs, ok = {}, len(want) == len(have) > 0
    for a, b in zip(want, have):
        pairs = [(f"obs/{k}", a["obs"][k], b["obs"][k]) for k in a["obs"]]
        pairs += [(k, a[k], b[k]) for k in a if k != "obs"]
        for name, x, y in pairs:
            for i, (u, v) in enumerate(zip(x, y) if isinstance(x, list) else [(x, y)]):
                key = f"{name}{i if isinstance(x, list) else ''}"
                diff = (u.double() - v.double()).abs().max().item() if u.numel() else 0.0
                diffs[key] = max(diffs.get(key, 0.0), diff)
                if u.dtype == torch.uint8:
                    ok &= diff <= 1
                elif name == "dones":
                    ok &= diff == 0
                else:
                    ok &= torch.allclose(u.double(), v.double(), **PIPELINE_TOLERANCE)
    return {"equivalent": bool(ok), "iterations_compared": len(want), "max_abs_diff": diffs}


def pipeline_check(opts) -> dict:
    """Check 2: equivalence, float16 storage, pinned buffers, env-steps/s (see the module doc)."""
    with tempfile.TemporaryDirectory(prefix="gpu-checks-") as tmp:
        sync = pipelined_run(opts.device, opts.pipeline_envs, 2, True, True, tmp)
        pipelined = pipelined_run(opts.device, opts.pipeline_envs, 2, False, True, tmp)
        rate = pipelined
        if opts.throughput_envs:
            rate = pipelined_run(opts.device, opts.throughput_envs, opts.throughput_iterations, False, False, tmp)
    report = pipelined["report"]
    depth = report["storage"]["depth"]
    cuda = opts.device.startswith("cuda")
    return {
        **compare_rollouts(sync["rollouts"], pipelined["rollouts"]),
        "tolerance": PIPELINE_TOLERANCE,
        "describe": report["describe"],
        "storage": report["storage"],
        # the learner process sees only its own GPU, as cuda:0
        "depth_float16_on_device": depth["dtype"] == "torch.float16" and depth["device"].startswith(opts.device[:4]),
        "receive_buffers": report["receive_buffers"],
        "receive_buffers_pinned": report["receive_buffers_pinned"],
        "pinned_ok": report["receive_buffers_pinned"] == (report["receive_buffers"] if cuda else 0),
        "throughput": {k: rate["report"][k] for k in ("env_steps", "seconds", "env_steps_per_s")},
        "throughput_envs": opts.throughput_envs or opts.pipeline_envs,
    }


def two_learners_check(device: str) -> dict:
    """Check 3: two learners on one CUDA device are refused by the layout, in one line, before anything starts."""
    from dexgrasp.runner import Layout

    if not device.startswith("cuda"):
        return {"checked": False, "reason": "needs a CUDA device (several learners on the CPU are a valid layout)"}
    start = time.perf_counter()
    try:
        Layout(sim_devices=["cpu"], learner_devices=[device, device], num_envs=2)
    except ValueError as exc:
        message = str(exc)
        return {"checked": True, "refused": True, "message": message, "one_line": "\n" not in message,
                "seconds": time.perf_counter() - start}  # fmt: skip
    return {"checked": True, "refused": False, "message": "", "one_line": False}


def _node(device: str) -> dict:
    node = {"python": sys.version.split()[0], "torch": torch.__version__, "device": device}
    if device.startswith("cuda"):
        props = torch.cuda.get_device_properties(torch.device(device))
        node.update(gpu=props.name, gpu_memory_bytes=props.total_memory, cuda=torch.version.cuda)
    return node


def summary(results: dict) -> list[tuple[str, float, str]]:
    """The printed table: one row per figure, checks as 1 (passed) or 0."""
    rows = []
    for part in ("depth_160x120", "stereo_student_160x120"):
        r = results.get(part)
        if not r:
            continue
        fit = r.get("learner_model", {})
        rows += [(f"{part}.M", fit.get("m", float("nan")) / 1024**2, "MiB"),
                 (f"{part}.R", fit.get("r", float("nan")) / 1024**2, "MiB/env")]  # fmt: skip
        rows += [(f"{part}.update_s_{m['num_envs']}envs", m["update_s"], "s") for m in r["learner"]]
        if "learner_capacity_checked" in r:
            rows.append((f"{part}.capacity_checked ({r['learner_capacity_stopped_by']})",
                         r["learner_capacity_checked"], "envs"))  # fmt: skip
        if "learner" in r.get("capacity_on_device_predicted", {}):
            rows.append((f"{part}.capacity_predicted", r["capacity_on_device_predicted"]["learner"], "envs"))
    p = results.get("pipeline")
    if p:
        rows += [
            ("pipeline.rollouts_equivalent", int(p["equivalent"]), "check"),
            ("pipeline.depth_float16_on_device", int(p["depth_float16_on_device"]), "check"),
            ("pipeline.pinned_receive_buffers", p["receive_buffers_pinned"], f"of {p['receive_buffers']}"),
            ("pipeline.env_steps_per_s", p["throughput"]["env_steps_per_s"], "env-steps/s"),
        ]
    t = results.get("two_learners")
    if t and t["checked"]:
        rows.append(("two_learners_one_gpu.refused_in_one_line", int(t["refused"] and t["one_line"]), "check"))
    return rows


def main(argv: list[str]) -> int:
    opts = build_parser().parse_args(argv)
    error = device_error(opts.device)
    if error is None and os.path.isdir(opts.out) and os.listdir(opts.out):
        error = f"{opts.out} is not empty: give a new or empty folder"
    if error is None and os.path.exists(opts.out) and not os.path.isdir(opts.out):
        error = f"{opts.out} is a file, not a folder"
    for path in (opts.depth_spec, opts.student_spec):
        if error is None and not os.path.isfile(path):
            error = f"spec file {path} is missing"
    if error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    os.makedirs(opts.out, exist_ok=True)
    start = time.perf_counter()
    results: dict = {"node": _node(opts.device), "options": {k: v for k, v in vars(opts).items() if k != "out"}}
    try:
        training = task_training()
        results["depth_training_from"] = DEPTH_AGENT
    except ImportError:  # a kit's node: the kit's build wrote the task's settings into the spec
        training, results["depth_training_from"] = None, "the spec, as the kit's build set it"
    for name, path in (("depth_160x120", opts.depth_spec), ("stereo_student_160x120", opts.student_spec)):
        with open(path) as f:
            spec = json.load(f)
        if training is not None and name == "depth_160x120":
            spec = with_training(spec, training)
        spec = sized_spec(spec, opts.image, opts.steps_per_env, opts.rnn_hidden)
        results[name] = learner_memory(name, spec, opts, opts.out)
    results["pipeline"] = pipeline_check(opts)
    results["two_learners"] = two_learners_check(opts.device)
    results["seconds"] = time.perf_counter() - start
    table = summary(results)
    with open(os.path.join(opts.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2, default=str)
    with open(os.path.join(opts.out, "figures.csv"), "w", newline="") as f:
        csv.writer(f).writerows([("name", "value", "unit"), *table])
    node = results["node"]
    print(f"wrote {opts.out}: results.json, figures.csv, and per learner results.json, memory.csv, memory.png")
    print(f"{node.get('gpu', node['device'])}, torch {node['torch']}, {results['seconds']:.0f} s")
    print(format_table(table))
    passed = results["pipeline"]["equivalent"] and results["pipeline"]["pinned_ok"]
    passed &= results["pipeline"]["depth_float16_on_device"]
    if results["two_learners"]["checked"]:
        passed &= results["two_learners"]["refused"] and results["two_learners"]["one_line"]
    return 0 if passed else 1
