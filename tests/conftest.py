"""Shared helpers: running the project's scripts as real subprocesses, GPU marker handling."""

from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

TINY_DEPTH = [
    "presets=res32",
    "env.episode_length_s=1",
    "agent.num_steps_per_env=8",
    "agent.actor.rnn_hidden_dim=32",
    "agent.critic.rnn_hidden_dim=32",
]
"""Settings that make the depth task's training fast enough for the test suite (32x32 images, 1 s episodes)."""


def run(
    args: list[str], timeout: float = 600, env: dict | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """Run ``python <args>`` from the checkout root; output captured as text."""
    # one math thread per process: the simulator, the learner and the test runner share two cores
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd or ROOT, env=full_env, capture_output=True, text=True, timeout=timeout
    )


def report_of(proc: subprocess.CompletedProcess) -> dict:
    """The JSON line a probe script printed after ``REPORT``."""
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    for line in proc.stdout.splitlines()[::-1]:
        if line.startswith("REPORT "):
            return json.loads(line[len("REPORT ") :])
    raise AssertionError(f"no REPORT line in output:\n{proc.stdout[-3000:]}")


def kill_rank_mid_run(args: list[str], log_dir, rank: int, worker_timeout: float, sig: int = signal.SIGKILL):
    """Start ``python <args>`` (a multi-process training run writing into ``log_dir``), send the process of ``rank``
    ``sig`` (SIGKILL: it dies; SIGSTOP: it hangs) once the first checkpoint exists, and wait for the run to end.

    Returns the run's return code, its output, the seconds from the kill to the end, and every process it had.
    """
    import psutil

    proc = subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    launcher = psutil.Process(proc.pid)
    deadline = time.monotonic() + 600
    while not glob.glob(os.path.join(str(log_dir), "model_*.pt")):
        assert proc.poll() is None and time.monotonic() < deadline, "training never started"
        time.sleep(1)
    descendants = launcher.children(recursive=True)
    victim = next(p for p in descendants if p.cmdline()[-1] == str(rank))
    victim.send_signal(sig)
    killed_at = time.monotonic()
    out, _ = proc.communicate(timeout=worker_timeout + 120)
    return proc.returncode, out, time.monotonic() - killed_at, descendants


def no_survivors(processes) -> bool:
    """Whether every one of ``processes`` has exited (zombies count as exited)."""
    import psutil

    time.sleep(1)
    return not [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def pytest_collection_modifyitems(config, items):
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
