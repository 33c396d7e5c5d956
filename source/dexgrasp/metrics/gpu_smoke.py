"""The first thing to run on a GPU node (``bash scripts/gpu_smoke.sh`` or ``make gpu-smoke``): on one GPU, in under
ten minutes, the parts of a disaggregated run that no CPU test reaches, printed as one table.

1. **driver**: torch's CUDA against the NVIDIA driver (:mod:`dexgrasp.runner.cuda_driver`); nothing else runs
   when it is too old.
2. **learner memory** of the depth task at its real configuration (160x120 depth, the task's training settings,
   :func:`.gpu_checks.task_training`) for 4,096, 12,288 and 20,480 environments: the mini-batch count the learner
   takes from its estimate (:mod:`dexgrasp.learners.learner_memory`), the estimated device peak, and the peak
   measured over one real PPO iteration (``torch.cuda.max_memory_allocated``, :func:`.probes.learner_probe`), or
   the learner's one-line refusal.
3. **pipelined runner on CUDA**: two simulation processes on the CPU (the runner tests' toy environment) feed a
   learner on the GPU for a few iterations (:func:`.gpu_checks.pipeline_check`'s run).
4. **NCCL**: a world-size-1 NCCL group made by the runner's own :func:`~dexgrasp.runner.transport.join_run` with
   the worker timeout, and one all-reduce waited for within it (a fresh process).

Exit status 0 when every row passed, 1 otherwise, 2 when the node cannot run the checks.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import torch

from .benchmark import run_probe
from .gpu_checks import DEPTH_SPEC, _size, device_error, pipelined_run, sized_spec, task_training, with_training
from .report import format_table

ENV_COUNTS = [4096, 12288, 20480]
GIB = 1024**3


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="One-GPU smoke test of the disaggregated runner's GPU path.")
    p.add_argument("--device", default="cuda:0", help="the GPU (cpu: try the script anywhere, at tiny sizes)")
    p.add_argument("--env_counts", default=",".join(map(str, ENV_COUNTS)), help="learner memory env counts")
    p.add_argument("--worker_timeout", type=float, default=60.0, help="the NCCL group's timeout (s)")
    p.add_argument("--pipeline_iterations", type=int, default=3)
    p.add_argument("--depth_spec", default=DEPTH_SPEC)
    p.add_argument("--image", type=_size, default=None, help="HxW instead of the spec's images (tiny runs on a CPU)")
    return p


def learner_rows(spec: dict, device: str, env_counts: list[int]) -> list[tuple[str, float, str]]:
    """Rows of check 2: per env count the chosen mini-batches, the estimated and the measured peak (GiB)."""
    rows = []
    for n in env_counts:
        args = {"spec": spec, "num_envs": n, "device": device, "iterations": 1, "fit_memory": True}
        try:
            r = run_probe("learner", args, timeout=240.0)
        except RuntimeError as exc:  # refused in one line (passes), or failed (out of memory: the estimate was wrong)
            refused = [line.split("LearnerTooLarge: ")[-1] for line in str(exc).splitlines() if "needs about" in line]
            reason = refused[-1] if refused else str(exc).strip().splitlines()[-1]
            rows.append((f"learner_{n}envs {'refused' if refused else 'failed'}: {reason}", int(bool(refused)), "check"))
            continue
        measured, predicted = r["cuda_max_allocated_bytes"], r["predicted_peak_bytes"]
        rows.append((f"learner_{n}envs.num_mini_batches", r["num_mini_batches"], ""))
        if predicted is not None:
            rows.append((f"learner_{n}envs.predicted_peak", predicted / GIB, "GiB"))
        if measured is not None:
            rows.append((f"learner_{n}envs.measured_peak", measured / GIB, "GiB"))
            if predicted:
                rows.append((f"learner_{n}envs.measured/predicted", measured / predicted, "ratio"))
        rows.append((f"learner_{n}envs.update_s", r["update_s"], "s"))
    return rows


def pipeline_rows(device: str, iterations: int) -> list[tuple[str, float, str]]:
    """Rows of check 3: the pipelined runner with its learner on ``device``."""
    with tempfile.TemporaryDirectory(prefix="gpu-smoke-") as tmp:
        start = time.perf_counter()
        report = pipelined_run(device, 16, iterations, False, False, tmp)["report"]
    on_device = all(v["device"].startswith(device.split(":")[0]) for v in report["storage"].values())
    return [
        ("pipeline.storage_on_device", int(on_device), "check"),
        ("pipeline.iterations", iterations, ""),
        ("pipeline.seconds", time.perf_counter() - start, "s"),
    ]


def nccl_child(timeout_s: float) -> dict:
    """Check 4, in a fresh process: the runner's NCCL group of one rank, and one all-reduce within the timeout."""
    from dexgrasp.runner.launcher import free_port
    from dexgrasp.runner.transport import NCCL_ERROR_HANDLING, all_reduce_within, join_run, leave_run

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()))
    start = time.perf_counter()
    join_run("nccl", 0, 1, "cuda:0", timeout_s, [0], [])
    value = torch.ones(1, device="cuda:0")
    all_reduce_within(value, timeout_s, "the NCCL group")
    seconds = time.perf_counter() - start
    leave_run()
    return {"ok": value.item() == 1.0, "seconds": seconds, "error_handling": os.environ[NCCL_ERROR_HANDLING[0]]}


def nccl_rows(device: str, timeout_s: float) -> list[tuple[str, float, str]]:
    if not device.startswith("cuda"):
        return [("nccl.skipped (needs a GPU)", 1, "check")]
    from dexgrasp.runner.launcher import _visible_gpu

    env = {**os.environ, "CUDA_VISIBLE_DEVICES": _visible_gpu(device)}
    proc = subprocess.run(
        [sys.executable, "-m", "dexgrasp.metrics.gpu_smoke", "nccl", str(timeout_s)],
        env=env, capture_output=True, text=True, timeout=timeout_s + 60,
    )  # fmt: skip
    lines = [line for line in proc.stdout.splitlines() if line.startswith("REPORT ")]
    if not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return [(f"nccl.group_failed: {tail}", 0, "check")]
    r = json.loads(lines[-1][len("REPORT ") :])
    return [
        (f"nccl.world_size_1_all_reduce (timeout {timeout_s:.0f} s)", int(r["ok"]), "check"),
        ("nccl.async_error_handling_is_2", int(r["error_handling"] == "2"), "check"),
        ("nccl.seconds", r["seconds"], "s"),
    ]


def passed(rows: list[tuple[str, float, str]]) -> bool:
    """Every check row is 1 (a learner that refused in one line passes; one that ran out of memory does not)."""
    return all(value == 1 for _, value, unit in rows if unit == "check")


def main(argv: list[str]) -> int:
    if argv[:1] == ["nccl"]:
        print("REPORT " + json.dumps(nccl_child(float(argv[1]))), flush=True)
        return 0
    opts = build_parser().parse_args(argv)
    error = device_error(opts.device)
    if error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    with open(opts.depth_spec) as f:
        spec = with_training(json.load(f), task_training())
    spec = sized_spec(spec, opts.image, None, None)
    counts = [int(v) for v in opts.env_counts.split(",") if v.strip()]
    rows = learner_rows(spec, opts.device, counts)
    rows += pipeline_rows(opts.device, opts.pipeline_iterations)
    rows += nccl_rows(opts.device, opts.worker_timeout)
    rows.append(("total_seconds", time.perf_counter() - start, "s"))
    name = torch.cuda.get_device_name(torch.device(opts.device)) if opts.device.startswith("cuda") else "cpu"
    print(f"{name}, torch {torch.__version__}, CUDA {torch.version.cuda}")
    print(format_table(rows))
    return 0 if passed(rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
