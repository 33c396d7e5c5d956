"""``scripts/gpu_smoke.sh`` at tiny sizes on the CPU, so that the script a GPU user runs first cannot rot (on a GPU,
``tests/test_gpu.py`` runs it at its real sizes)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT


@pytest.mark.slow
def test_smoke_script_runs_and_prints_one_table():
    env = {**os.environ, "PYTHON": sys.executable, "OMP_NUM_THREADS": "1"}
    args = ["--device", "cpu", "--env_counts", "4,8", "--image", "16x16", "--pipeline_iterations", "1"]
    proc = subprocess.run(
        ["bash", "scripts/gpu_smoke.sh", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    table = proc.stdout[proc.stdout.index("cpu, torch") :]
    assert "learner_8envs.num_mini_batches" in table and "pipeline.storage_on_device                   1" in table
    assert "total_seconds" in table


def test_smoke_script_refuses_an_unusable_device_in_one_line():
    env = {**os.environ, "PYTHON": sys.executable}
    proc = subprocess.run(
        ["bash", "scripts/gpu_smoke.sh", "--device", "gpu0"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: unknown device 'gpu0': use cuda:N, or cpu"
