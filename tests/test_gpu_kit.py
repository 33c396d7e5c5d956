"""The GPU kit (``make gpu-kit``, ``bash gpu_kit/run.sh OUT_DIR``) built from the working tree and run on the CPU
with tiny sizes, so that it cannot rot.

The kit's checks run as on a node with only PyTorch: a ``sitecustomize`` on ``PYTHONPATH`` (so every child process
has it too) takes this environment's site-packages and the checkout's ``source/`` off ``sys.path`` and puts a folder
of links to PyTorch and its own requirements in their place. Everything else must come from the kit's wheels and
source; Isaac Lab, Warp, Newton and USD cannot be imported at all.
"""

from __future__ import annotations

import csv
import importlib.metadata as md
import json
import os
import shutil
import subprocess
import sys
import sysconfig

import pytest
import torch
from conftest import ROOT
from dexgrasp.metrics.gpu_kit import MAX_BYTES, _closure, check_node

TINY = ["--device", "cpu", "--env_counts", "2,4", "--iterations", "1", "--image", "48x48", "--steps_per_env", "4",
        "--rnn_hidden", "16", "--pipeline_envs", "16", "--throughput_envs", "0"]  # fmt: skip
BLOCKER = """
import sys

sys.path[:] = [p for p in sys.path if p not in {hidden!r}] + [{torch_only!r}]
"""
"""Hides this environment's site-packages and the checkout's source; a folder of links to PyTorch and its own
requirements (what a PyTorch node has) takes their place."""


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    path = tmp_path_factory.mktemp("kit") / "gpu_kit"
    proc = subprocess.run(
        [sys.executable, "-m", "dexgrasp.metrics.gpu_kit", "build", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return path


@pytest.fixture(scope="module")
def blocker(tmp_path_factory):
    """A ``sitecustomize`` folder for ``PYTHONPATH`` that leaves only PyTorch's installation importable."""
    folder, torch_only = tmp_path_factory.mktemp("blocker"), tmp_path_factory.mktemp("torch_only")
    for name in _closure(["torch", "pip"]):
        dist = md.distribution(name)
        for top in {str(f).split("/")[0] for f in dist.files or [] if not str(f).startswith("..")}:
            link = torch_only / top
            if top != "__pycache__" and not link.exists():
                link.symlink_to(dist.locate_file(top))
    site = sysconfig.get_paths()["purelib"]
    (folder / "sitecustomize.py").write_text(
        BLOCKER.format(hidden=[site, str(ROOT / "source")], torch_only=str(torch_only))
    )
    return folder


def run_kit(kit, out, args, blocker, timeout=900) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHON": sys.executable, "PYTHONPATH": str(blocker), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        ["bash", str(kit / "run.sh"), str(out), *args], capture_output=True, text=True, timeout=timeout, env=env
    )


def test_kit_holds_the_learner_path(kit):
    manifest = json.loads((kit / "manifest.json").read_text())
    size = sum(f.stat().st_size for f in kit.rglob("*") if f.is_file())
    assert size <= MAX_BYTES
    assert manifest["python"] == "{}.{}".format(*sys.version_info[:2])
    assert manifest["torch"] == ".".join(torch.__version__.split(".")[:2])
    names = {w.split("-")[0].lower() for w in manifest["wheels"]}
    assert {"rsl_rl_lib", "tensordict", "numpy", "matplotlib"} <= names
    assert not names & {"torch", "isaaclab", "warp_lang", "newton", "usd_core", "sympy"}
    for rel in ("run.sh", "source/dexgrasp/metrics/gpu_checks.py", "tests/toy_vec_env.py",
                "docs/figures/gpu_kit/stereo_student_160x120_spec.json"):  # fmt: skip
        assert (kit / rel).is_file(), rel


def test_blocker_refuses_what_the_kit_must_bring(blocker):
    """Without the kit's folders on the path, the blocker leaves RSL-RL and Isaac Lab unimportable, PyTorch's own
    requirements not (torch itself is imported by every run of the kit)."""
    code = "import importlib\nfor m in ('typing_extensions', 'rsl_rl', 'tensordict', 'isaaclab', 'dexgrasp'):\n"
    code += "    try:\n        importlib.import_module(m); print(m, 'ok')\n"
    code += "    except ImportError:\n        print(m, 'blocked')\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(blocker)})  # fmt: skip
    assert proc.stdout.split() == ["typing_extensions", "ok", "rsl_rl", "blocked", "tensordict", "blocked", "isaaclab",
                                   "blocked", "dexgrasp", "blocked"], proc.stderr[-2000:]  # fmt: skip


def test_checks_run_from_the_kit_on_the_cpu(kit, blocker, tmp_path):
    out = tmp_path / "out"
    proc = run_kit(kit, out, TINY, blocker)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert (kit / "site" / "rsl_rl").is_dir()  # installed from the kit's wheels
    last = proc.stdout.strip().splitlines()[-1].split()
    assert last[0] == "pipeline.env_steps_per_s" and float(last[1]) > 0  # the table comes last
    results = json.loads((out / "results.json").read_text())

    depth, student = results["depth_160x120"], results["stereo_student_160x120"]
    assert [r["learner"] for r in depth["learner"]] == ["ppo", "ppo"]
    assert [r["learner"] for r in student["learner"]] == ["distillation", "distillation"]
    for part in (depth, student):
        small, large = part["learner"]
        assert large["storage_bytes"] > small["storage_bytes"] > 0 and small["update_s"] > 0
        assert part["learner_model"]["r"] > 0 and part["learner_model"]["measured_from"] != "cuda_max_allocated_bytes"
    groups = {g["key"]: g for g in student["spec"]["groups"]}
    assert groups["left_rgb"]["shape"] == [3, 48, 48] and groups["left_rgb"]["env_dtype"] == "torch.uint8"
    for name in ("depth_160x120", "stereo_student_160x120"):
        assert (out / name / "memory.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (out / name / "memory.csv").is_file()

    pipeline = results["pipeline"]
    assert pipeline["equivalent"] and pipeline["iterations_compared"] == 2
    assert set(pipeline["max_abs_diff"].values()) == {0.0}  # on the CPU the two loops agree bit for bit
    assert pipeline["storage"]["depth"] == {"dtype": "torch.float16", "device": "cpu"}
    assert pipeline["receive_buffers_pinned"] == 0 and pipeline["pinned_ok"]  # pinned only for a GPU learner
    assert results["two_learners"] == {
        "checked": False,
        "reason": "needs a CUDA device (several learners on the CPU are a valid layout)",
    }
    with open(out / "figures.csv") as f:
        rows = {row["name"]: float(row["value"]) for row in csv.DictReader(f)}
    assert rows["pipeline.rollouts_equivalent"] == 1 and rows["depth_160x120.R"] > 0

    refused = run_kit(kit, out, TINY, blocker, timeout=60)  # OUT_DIR is not empty now
    assert refused.returncode == 2 and refused.stderr.strip().count("\n") == 0 and "not empty" in refused.stderr


def test_kit_of_another_torch_is_refused_in_one_line(kit, blocker, tmp_path):
    other = tmp_path / "other_kit"
    shutil.copytree(kit, other, ignore=shutil.ignore_patterns("site", "wheels"))
    manifest = json.loads((other / "manifest.json").read_text())
    (other / "manifest.json").write_text(json.dumps({**manifest, "torch": "2.10"}))
    proc = run_kit(other, tmp_path / "out", TINY, blocker, timeout=120)
    here = ".".join(torch.__version__.split(".")[:2])
    assert proc.returncode == 2 and not (other / "site").exists()
    assert proc.stderr.strip().count("\n") == 0 and "torch 2.10" in proc.stderr and f"torch {here}" in proc.stderr
    (other / "manifest.json").write_text(json.dumps({**manifest, "machine": "riscv64"}))
    assert check_node(str(other)).startswith("the kit's wheels are for riscv64; this node is ")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the answer of a node without CUDA")
def test_node_without_cuda_gets_one_line(kit, blocker, tmp_path):
    proc = run_kit(kit, tmp_path / "out", ["--iterations", "1"], blocker, timeout=300)
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0, proc.stderr[-2000:]
    assert proc.stderr.startswith("error: no CUDA device on this node") and not (tmp_path / "out").exists()


def test_kit_measures_the_training_settings_of_the_task(kit):
    """The recorded depth spec comes from a benchmark that trained with 2 mini-batches; the task trains with its
    agent configuration's count, and the kit (whose node cannot read that configuration) must measure that one."""
    from dexgrasp.metrics.gpu_checks import DEPTH_SPEC, task_training
    from dexgrasp.tasks.grasp.config.kuka_allegro.agents.rsl_rl_ppo_cfg import GraspDepthPPORunnerCfg

    task = GraspDepthPPORunnerCfg()
    assert task_training()["algorithm"]["num_mini_batches"] == task.algorithm.num_mini_batches
    recorded = json.loads(open(DEPTH_SPEC).read())["agent_cfg"]
    shipped = json.loads((kit / "docs/figures/benchmark_160x120/spec.json").read_text())["agent_cfg"]
    assert recorded["algorithm"]["num_mini_batches"] != task.algorithm.num_mini_batches  # what the kit corrects
    assert shipped["algorithm"]["num_mini_batches"] == task.algorithm.num_mini_batches
    assert shipped["num_steps_per_env"] == task.num_steps_per_env
    assert shipped["actor"] == recorded["actor"]  # the model as the benchmark's scene reported it
