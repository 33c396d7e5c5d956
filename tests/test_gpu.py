"""The GPU checks: every topology on CUDA devices, NCCL between processes, and the benchmark's CUDA measurements.

Marked ``gpu`` (skipped without CUDA); tests that need several GPUs also skip when the machine has fewer. The
scenes are as tiny as the CPU tests'; what differs is where the processes run and how tensors move: NCCL when
every process of a disaggregated run is on a GPU, gloo when one side is the CPU, and each simulation process
seeing only its own GPU.
"""

import glob
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import ROOT, TINY_DEPTH, kill_rank_mid_run, no_survivors, run
from dexgrasp.runs import check_checkpoint

# serial: one GPU shared by two test workers would change the memory the sizing checks read
pytestmark = [pytest.mark.gpu, pytest.mark.slow, pytest.mark.serial]

DEPTH = "DexGrasp-KukaAllegro-Depth-v0"
STATE = "DexGrasp-KukaAllegro-State-v0"
TINY = TINY_DEPTH


def gpus(n: int):
    return pytest.mark.skipif(torch.cuda.device_count() < n, reason=f"needs {n} CUDA devices")


def train_args(
    log_dir, placement: list[str], iterations: int = 2, task: str = DEPTH, num_envs: int = 4, extra: tuple = ()
) -> list[str]:
    return [
        "scripts/train.py",
        "--task",
        task,
        *placement,
        "--num_envs",
        str(num_envs),
        "--max_iterations",
        str(iterations),
        "--log_dir",
        str(log_dir),
        *TINY,
        *extra,
    ]


def trained(log_dir, placement: list[str], **kwargs) -> str:
    """Train, check the run's checkpoint; return the run's output."""
    proc = run(train_args(log_dir, placement, **kwargs), timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    ckpts = sorted(glob.glob(os.path.join(str(log_dir), "model_*.pt")), key=os.path.getmtime)
    assert ckpts, "no checkpoint"
    check_checkpoint(ckpts[-1], kwargs.get("task", DEPTH), "rsl_rl")
    return proc.stdout + proc.stderr


def saved_for_the_failure_then_resumed(log_dir, seconds_since_kill: float, placement: list[str]) -> None:
    """The learner wrote a checkpoint after the kill (a periodic one from before it does not count), the checkpoint
    loads, and training resumes from it."""
    killed_at = time.time() - seconds_since_kill
    after = [p for p in glob.glob(os.path.join(str(log_dir), "model_*.pt")) if os.path.getmtime(p) >= killed_at]
    assert after, "no checkpoint was written after the kill"
    checkpoint = max(after, key=os.path.getmtime)
    check_checkpoint(checkpoint, DEPTH, "rsl_rl")
    resumed = os.path.join(str(log_dir), "resumed")
    proc = run([*train_args(resumed, placement, iterations=1), "--resume", checkpoint], timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    iteration = torch.load(checkpoint, map_location="cpu", weights_only=False)["iter"]
    assert os.path.exists(os.path.join(resumed, f"model_{iteration + 1}.pt")), os.listdir(resumed)


def disaggregated(sims: str, learner: str) -> list[str]:
    return ["--topology", "disaggregated", "--sim_devices", sims, "--learner_device", learner]


def test_single_process_on_cuda(tmp_path):
    out = trained(tmp_path, ["--device", "cuda:0"])
    assert "Learning iteration 1/2" in out


def test_grasp_reward_and_weight_curriculum_on_cuda(tmp_path):
    """The fingertip contact sensors, the weight curriculum's force, smoothed synergies held open at the zero action
    and the fingertip reach on a CUDA scene."""
    extra = ("presets=grasp", "env.curriculum.object_weight.params.start_scale=0.3", "env.actions.hand.smoothing=0.5",
             "env.actions.hand.zero_coefficients=[0.0,0.0,0.0,0.0,0.0]", "env.rewards.tips.weight=1.0")  # fmt: skip
    out = trained(tmp_path, ["--device", "cuda:0"], task=STATE, extra=extra)
    assert "Episode_Reward/contact" in out and "Episode_Reward/tips" in out and "Learning iteration 1/2" in out


def test_object_visibility_on_cuda(tmp_path):
    """``evaluate.py --visibility`` reads the renderer's shape index where a CUDA scene renders it."""
    student = os.path.join(ROOT, "source", "dexgrasp", "pretrained", "stereo_from_expert.pt")
    proc = run(
        ["scripts/evaluate.py", "--teacher", "scripted", "--student", student, "--episodes", "2", "--num_envs", "2",
         "--objects", "cube", "--visibility", "--device", "cuda:0", "--out", str(tmp_path / "eval")],
        timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((tmp_path / "eval" / "student" / "summary.json").read_text())
    assert 0.0 < summary["mean_object_share"]["all"] < 0.2


def test_disaggregated_gpu_simulation_cpu_learner(tmp_path):
    """One GPU: two scenes share it, the learner runs on the CPU (gloo through host memory)."""
    out = trained(tmp_path, disaggregated("cuda:0,cuda:0", "cpu"))
    assert "sim0@cuda:0 (2 envs), sim1@cuda:0 (2 envs) -> learner0@cpu (4 envs, backend gloo)" in out
    assert "Pipeline/sim_wait_s" in out


def test_disaggregated_cpu_simulation_gpu_learner(tmp_path):
    out = trained(tmp_path, disaggregated("cpu,cpu", "cuda:0"))
    assert "checking that the learner's update fits its GPU" in out  # before the simulation processes start
    assert "-> learner0@cuda:0 (4 envs, backend gloo)" in out


def test_a_learner_too_large_for_its_gpu_is_refused_before_the_simulation(tmp_path):
    """160x120 depth, 16 steps: about 0.6 MiB of rollout storage per environment, and the recurrent update copies
    it once more. Sized so the storage alone takes over half the GPU: no mini-batch count can fit the update."""
    per_env = 0.6 * 2**20
    num_envs = int(0.55 * torch.cuda.get_device_properties(0).total_memory / per_env)
    args = ["scripts/train.py", "--task", DEPTH, *disaggregated("cpu", "cuda:0"), "--num_envs", str(num_envs)]
    proc = run([*args, "--max_iterations", "1", "--log_dir", str(tmp_path), "presets=res160x120"], timeout=900)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 2 and len(errors) == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "GiB" in errors[0] and "sim0@" not in proc.stdout  # refused with the estimate, no simulation started


@gpus(2)
def test_disaggregated_nccl(tmp_path):
    """The paper's layout in small: simulation on one GPU (two scenes), the learner on another, NCCL between."""
    out = trained(tmp_path, disaggregated("cuda:0,cuda:0", "cuda:1"))
    assert "sim0@cuda:0 (2 envs), sim1@cuda:0 (2 envs) -> learner0@cuda:1 (4 envs, backend nccl)" in out
    assert "depth[1, 32, 32] float16->float16->float16" in out  # compact on the wire and in the storage
    assert "Pipeline/learner_wait_s" in out


@gpus(3)
def test_hybrid_nccl(tmp_path):
    out = trained(tmp_path, disaggregated("cuda:0,cuda:0,cuda:0,cuda:0", "cuda:1,cuda:2"), num_envs=8)
    assert "-> learner0@cuda:1, learner1@cuda:2 (8 envs, backend nccl)" in out
    assert out.count("Learning iteration 1/2") == 1


@gpus(2)
def test_data_parallel_nccl(tmp_path):
    out = trained(tmp_path, ["--topology", "data_parallel", "--devices", "cuda:0,cuda:1"], task=STATE)
    assert "data_parallel over 2 processes: envs [2, 2]" in out


@gpus(2)
def test_killed_simulation_process_ends_an_nccl_run(tmp_path):
    """NCCL waits are host-blocking with a timeout: a dead simulation process still ends the run in time."""
    placement = [*disaggregated("cuda:0,cuda:0", "cuda:1"), "--worker_timeout", "20"]
    args = train_args(tmp_path, placement, 50)
    code, out, seconds, processes = kill_rank_mid_run(args, tmp_path, rank=2, worker_timeout=20)  # simulation 1
    assert seconds < 20 + 90
    assert code != 0
    assert "rank 2" in out and "cuda:0" in out, out[-3000:]
    assert no_survivors(processes)
    saved_for_the_failure_then_resumed(tmp_path, seconds, placement)  # NCCL's watchdog let the learner save first


@gpus(2)
def test_hung_simulation_process_under_nccl_times_out_and_saves(tmp_path):
    """A simulation process that stops answering (SIGSTOP) under NCCL: the learner gives up after --worker_timeout
    (the project's deadline, not NCCL's 600 s), and NCCL's error handling aborts the wait, not the learner, so
    the learner writes its checkpoint before the run ends."""
    placement = [*disaggregated("cuda:0,cuda:0", "cuda:1"), "--worker_timeout", "20"]
    args = train_args(tmp_path, placement, 50)
    code, out, seconds, processes = kill_rank_mid_run(args, tmp_path, rank=2, worker_timeout=20, sig=signal.SIGSTOP)
    assert seconds < 20 + 90
    assert code != 0
    assert "simulation process 1 (rank 2, device cuda:0) did not answer within 20.0 s" in out, out[-3000:]
    assert "learner saved" in out, out[-3000:]
    assert no_survivors(processes)
    saved_for_the_failure_then_resumed(tmp_path, seconds, placement)


@gpus(2)
def test_benchmark_measures_device_memory(tmp_path):
    out = tmp_path / "bench"
    proc = run(
        ["scripts/benchmark.py", "--env_counts", "2,4", "--train_envs", "4", "--topologies", "disaggregated",
         "--devices", "cuda:0,cuda:1", "--iterations", "2", "--sim_steps", "5", "--capacity_limit", "64",
         "--out", str(out), *TINY[1:]],
        timeout=1200,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    sources = results["model"]["measured_from"]
    assert sources["simulation"].startswith("cuda_used_bytes") and sources["learner"] == "cuda_max_allocated_bytes"
    assert all(r["cuda_used_bytes"] > 0 for r in results["simulation"])
    assert 4 <= results["learner_capacity_checked"] <= 64
    assert results["capacity_on_device_predicted"]["learner"] > 0
    assert results["throughput"]["disaggregated"]["waits_per_step"]["sim_step_s"] > 0


def test_gpu_smoke_script():
    """``scripts/gpu_smoke.sh`` on this machine's first GPU: every learner size fits (with the mini-batches its
    estimate chose) or is refused in one line, the pipelined runner and the NCCL group work, all in 10 minutes."""
    env = {**os.environ, "PYTHON": sys.executable, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        ["bash", "scripts/gpu_smoke.sh", "--device", "cuda:0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for n in (4096, 12288, 20480):
        assert f"learner_{n}envs" in proc.stdout
    assert "nccl.async_error_handling_is_2" in proc.stdout and "pipeline.storage_on_device" in proc.stdout
