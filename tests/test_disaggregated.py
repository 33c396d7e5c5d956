"""The disaggregated topology on the CPU with real Isaac Lab processes: 2 simulation processes + 1 learner."""

import glob
import json
import os
import subprocess
import sys
import time

import psutil
import pytest
import torch
from conftest import ROOT, TINY_DEPTH, kill_rank_mid_run, no_survivors, run
from dexgrasp.runner.launcher import free_port
from dexgrasp.runs import check_checkpoint

DEPTH = "DexGrasp-KukaAllegro-Depth-v0"
TINY = TINY_DEPTH
LAYOUT = ["--topology", "disaggregated", "--sim_devices", "cpu,cpu", "--learner_device", "cpu"]


def train_args(log_dir, iterations=2, *extra, layout=LAYOUT):
    return [
        "scripts/train.py",
        "--task",
        DEPTH,
        *layout,
        "--num_envs",
        "4",
        "--max_iterations",
        str(iterations),
        "--log_dir",
        str(log_dir),
        *TINY,
        *extra,
    ]


def latest(log_dir):
    return sorted(glob.glob(os.path.join(str(log_dir), "model_*.pt")), key=os.path.getmtime)[-1]


INIT_STEP = 3
FIXTURE_OVERRIDES = ["agent.clip_actions=0.5", f"env.curriculum.adr.params.init_step={INIT_STEP}"]
"""Learner and task settings the simulation processes must follow: action clipping, the curriculum's first step."""


RUN_MARK = "DEXGRASP_TEST_RUN"
"""An environment variable every process of the fixture's run inherits: the leak check finds them by it, whoever
their parent is once the launcher has exited (orphans are re-parented to init)."""


def processes_marked(token: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(RUN_MARK) == token:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("disaggregated")
    proc = run(train_args(log_dir, 2, *FIXTURE_OVERRIDES), timeout=900, env={RUN_MARK: str(log_dir)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return log_dir, proc


@pytest.mark.slow
def test_trains_logs_and_checkpoints(trained):
    log_dir, proc = trained
    assert "sim0@cpu (2 envs), sim1@cpu (2 envs) -> learner0@cpu" in proc.stdout
    assert "Learning iteration 1/2" in proc.stdout and "Curriculum/lockstep/level" in proc.stdout
    assert glob.glob(os.path.join(str(log_dir), "events.out.tfevents.*"))
    meta = check_checkpoint(latest(log_dir), DEPTH, "rsl_rl")
    assert meta["curriculum"]["num_steps"] == 50
    assert meta["curriculum"]["step"] >= INIT_STEP  # the curriculum starts at ADR's init_step, not at 0
    assert meta["overrides"][-len(FIXTURE_OVERRIDES) :] == FIXTURE_OVERRIDES  # play and resume rebuild from them
    for name in ("env.yaml", "agent.yaml"):  # the configuration, as in a single-process run
        assert os.path.getsize(os.path.join(str(log_dir), "params", name)) > 0
    for rank in (0, 1):  # agent.clip_actions reaches the wrapper in each simulation process
        assert f"simulation process {rank}: 2 envs on cpu, actions clipped to +-0.5" in proc.stdout
    assert not processes_marked(str(log_dir)), "a process of the finished run is still alive"


@pytest.mark.slow
def test_checkpoint_plays_and_resumes(trained, tmp_path):
    log_dir, _ = trained
    ckpt = latest(log_dir)
    proc = run(
        [
            "scripts/play.py",
            "--task",
            DEPTH,
            "--checkpoint",
            ckpt,
            "--device",
            "cpu",
            "--num_envs",
            "2",
            "--episodes",
            "2",
            "--out",
            str(tmp_path / "play"),
            *TINY[:2],
        ],
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1].startswith("success_rate: ")
    start = torch.load(ckpt, map_location="cpu", weights_only=False)["iter"]
    proc = run(train_args(tmp_path / "resumed", 1, "--resume", ckpt), timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert torch.load(latest(tmp_path / "resumed"), map_location="cpu", weights_only=False)["iter"] == start + 1


@pytest.mark.slow
def test_killed_simulation_process_ends_the_run(tmp_path):
    args = train_args(tmp_path, 50, "--worker_timeout", "20")
    code, out, seconds, processes = kill_rank_mid_run(args, tmp_path, rank=2, worker_timeout=20)  # simulation 1
    assert seconds < 20 + 90
    assert code != 0
    assert "rank 2" in out and "cpu" in out, out[-3000:]
    assert no_survivors(processes)
    check_checkpoint(latest(tmp_path), DEPTH, "rsl_rl")


@pytest.mark.slow
def test_nan_observation_resets_the_environment(tmp_path):
    """A NaN in one simulation process's observations resets that environment and is counted; training goes on."""
    from dexgrasp.envs.factory import load_cfgs
    from dexgrasp.runner.launcher import run_disaggregated
    from dexgrasp.runner.layout import Layout
    from nan_injection import learn_and_report, make_env_with_one_nan

    _, agent_cfg = load_cfgs(DEPTH, "rsl_rl", TINY, num_envs=4, device="cpu")
    report = tmp_path / "report.json"
    code = run_disaggregated(
        Layout(sim_devices=["cpu", "cpu"], learner_devices=["cpu"], num_envs=4),
        make_env_with_one_nan,
        {"task": DEPTH, "overrides": TINY, "clip_actions": None},
        learn_and_report,
        {
            "report_path": str(report),
            "task": DEPTH,
            "agent_cfg": agent_cfg.to_dict(),
            "log_dir": str(tmp_path),
            "resume": None,
            "max_iterations": 1,
            "adr": {"num_steps": 50, "success_threshold": 0.4, "min_episodes": 64},
        },
        worker_timeout=120,
    )
    assert code == 0
    result = json.loads(report.read_text())
    assert result["nonfinite_obs_resets"] == 1
    # images stay compact in the learner's rollout storage: depth float16, proprioception float32
    assert result["storage_dtypes"]["depth"] == "torch.float16"
    assert result["storage_dtypes"]["policy"] == "torch.float32"
    check_checkpoint(latest(tmp_path), DEPTH, "rsl_rl")


@pytest.mark.slow
def test_skrl_learner(tmp_path):
    """The same topology with skrl's PPO in the learner process."""
    args = [
        "scripts/train.py",
        "--task",
        "DexGrasp-KukaAllegro-State-v0",
        "--rl_library",
        "skrl",
        *LAYOUT,
        "--num_envs",
        "4",
        "--max_iterations",
        "2",
        "--log_dir",
        str(tmp_path),
        "env.episode_length_s=1",
        "agent.agent.rollouts=8",
    ]
    proc = run(args, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    meta = check_checkpoint(str(tmp_path / "checkpoints" / "model_final.pt"), "DexGrasp-KukaAllegro-State-v0", "skrl")
    assert meta["curriculum"]["num_steps"] == 50
    assert glob.glob(os.path.join(str(tmp_path), "events.out.tfevents.*"))


@pytest.mark.slow
def test_hybrid_two_learners_four_simulation_processes(tmp_path):
    """Each learner is fed by two simulation processes; the learners average gradients (gloo) and agree."""
    layout = ["--topology", "disaggregated", "--sim_devices", "cpu,cpu,cpu,cpu", "--learner_device", "cpu,cpu"]
    proc = run(train_args(tmp_path, layout=layout), timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    sims = ", ".join(f"sim{i}@cpu (1 env)" for i in range(4))
    assert f"{sims} -> learner0@cpu, learner1@cpu" in proc.stdout
    assert "learner 1 (rank 1, device cpu): 2 envs from 2 simulation processes" in proc.stdout + proc.stderr
    assert proc.stdout.count("Learning iteration 1/2") == 1  # the first learner logs
    check_checkpoint(latest(tmp_path), DEPTH, "rsl_rl")


def _torchrun_node(node_rank: int, port: int, log_dir, ranks_per_node: int = 2) -> subprocess.Popen:
    """One "node" of a two-node disaggregated run on this machine: its own torchrun, rendezvous on localhost."""
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
    env.update(OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--nproc-per-node", str(ranks_per_node)]
    torchrun += ["--node-rank", str(node_rank), "--master-addr", "127.0.0.1", "--master-port", str(port)]
    # ranks 0-1 on node 0: the learner and simulation process 0; ranks 2-3 on node 1: simulation processes 1 and 2
    layout = ["--topology", "disaggregated", "--sim_devices", "cpu,cpu,cpu", "--learner_device", "cpu"]
    args = train_args(log_dir, 50, "--worker_timeout", "20", layout=layout)
    args[args.index("--num_envs") + 1] = "3"
    return subprocess.Popen(
        [*torchrun, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


@pytest.mark.slow
@pytest.mark.parametrize("killed", [1, 0], ids=["node-1-killed", "node-0-killed"])
def test_two_torchrun_nodes_train_checkpoint_and_stop_when_a_node_dies(tmp_path, killed):
    """Two torchrun commands as two nodes (gloo, real depth task): simulation processes on both, the learner on node 0.
    Once training has written a checkpoint one node dies (its agent and every process on it): the other node's
    processes notice, the learner saves when it survives, and the surviving torchrun ends non-zero in bounded time."""
    port = free_port()
    nodes = [_torchrun_node(rank, port, tmp_path) for rank in (0, 1)]
    try:
        deadline = time.monotonic() + 600
        while not glob.glob(os.path.join(str(tmp_path), "model_*.pt")):
            assert all(n.poll() is None for n in nodes) and time.monotonic() < deadline, "training never started"
            time.sleep(1)
        processes = [p for n in nodes for p in [psutil.Process(n.pid), *psutil.Process(n.pid).children(recursive=True)]]
        victim = psutil.Process(nodes[killed].pid)
        for proc in [victim, *victim.children(recursive=True)]:
            proc.kill()
        killed_at = time.monotonic()
        survivor = nodes[1 - killed]
        out, _ = survivor.communicate(timeout=20 + 150)
        seconds = time.monotonic() - killed_at
    finally:
        for node in nodes:
            node.kill()
            node.communicate()
    assert survivor.returncode != 0
    assert seconds < 20 + 120, seconds
    if killed == 1:  # node 1 holds simulation processes 1 and 2: the learner names the one it was waiting for
        on_node_1 = ("simulation process 1 (rank 2, device cpu)", "simulation process 2 (rank 3, device cpu)")
        assert any(name in out for name in on_node_1) and "learner saved" in out, out[-3000:]
    else:
        assert "lost its learner" in out or "learner (rank 0)" in out, out[-3000:]
    check_checkpoint(latest(tmp_path), DEPTH, "rsl_rl")
    assert no_survivors(processes)


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--topology", "disaggregated", "--sim_devices", "cpu,cpu", "--learner_device", "cpu", "--num_envs", "1"],
            "need at least 2 environments",
        ),
        (
            ["--topology", "disaggregated", "--sim_devices", "", "--learner_device", "cpu", "--num_envs", "4"],
            "--sim_devices is empty",
        ),
        (
            ["--topology", "disaggregated", "--sim_devices", "cuda:5", "--learner_device", "cpu", "--num_envs", "4"],
            "does not exist",
        ),
        (["--sim_devices", "cpu,cpu"], "--sim_devices needs --topology disaggregated or data_parallel"),
        (
            ["--topology", "disaggregated", "--sim_devices", "cpu,cpu", "--learner_device", "cpu,cpu"]
            + ["--num_envs", "4", "--rl_library", "skrl"],
            "several learners (hybrid) need --rl_library rsl_rl",
        ),
    ],
)
def test_bad_layouts(args, message):
    proc = run(["scripts/train.py", "--task", DEPTH, *args], timeout=120)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], proc.stderr[-2000:]
    assert "[dexgrasp.runner]" not in proc.stderr, "refused before any runner process started"  # the runner logs there
