"""A dead, hung or interrupted run stops every process, non-zero, after the learner saved a checkpoint."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from dexgrasp.runner import Layout, run_disaggregated
from toy_vec_env import long_learner, make_toy_env, ppo_cfg, signalled_learner, train_learner

pytestmark = pytest.mark.serial  # worker deadlines of 3 to 10 s: a busy machine would trip them, not the code

TESTS = Path(__file__).resolve().parent


def _pids(directory: Path) -> list[int]:
    return [int(p.read_text()) for p in directory.glob("*.pid")]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _run_with_faults(tmp_path: Path, faults: dict, worker_timeout: float) -> tuple[int, float]:
    layout = Layout(sim_devices=["cpu", "cpu"], learner_devices=["cpu"], num_envs=16)
    start = time.monotonic()
    code = run_disaggregated(
        layout,
        make_toy_env,
        {"faults": faults, "pid_dir": str(tmp_path)},
        long_learner,
        {"out_dir": str(tmp_path)},
        worker_timeout=worker_timeout,
    )
    return code, time.monotonic() - start


def test_killed_worker_ends_the_run(tmp_path, capfd):
    code, elapsed = _run_with_faults(tmp_path, {1: {"die_at_step": 20}}, worker_timeout=10.0)
    assert code != 0
    assert elapsed < 45
    err = capfd.readouterr().err
    assert "simulation process 1 (rank 2, device cpu)" in err
    assert (tmp_path / "checkpoint.pt").exists()
    assert len(_pids(tmp_path)) == 3 and not any(_alive(pid) for pid in _pids(tmp_path))


def test_hung_worker_is_detected_within_the_timeout(tmp_path):
    code, elapsed = _run_with_faults(tmp_path, {0: {"hang_at_step": 12}}, worker_timeout=3.0)
    assert code != 0
    assert elapsed < 45  # the hung process sleeps an hour: the run ended on the 3 s deadline, not on its own
    reason = torch.load(tmp_path / "checkpoint.pt", weights_only=False)["infos"]["reason"]
    assert reason == "simulation process 0 (rank 1, device cpu) did not answer within 3.0 s"
    assert not any(_alive(pid) for pid in _pids(tmp_path))


def test_simulation_process_hanging_in_close_is_ended_after_a_successful_run(tmp_path, capfd):
    layout = Layout(sim_devices=["cpu", "cpu"], learner_devices=["cpu"], num_envs=16)
    start = time.monotonic()
    code = run_disaggregated(
        layout,
        make_toy_env,
        {"faults": {1: {"hang_in_close": True}}, "pid_dir": str(tmp_path)},
        train_learner,
        {"log_dir": str(tmp_path / "logs"), "out_path": str(tmp_path / "report.json"), "iterations": 1},
        worker_timeout=10.0,
        close_timeout=3.0,
    )
    assert code == 0
    assert time.monotonic() - start < 60
    assert "simulation process 1 (rank 2, device cpu) did not exit within 3 s" in capfd.readouterr().err
    assert (tmp_path / "logs" / "model_0.pt").exists()
    assert len(_pids(tmp_path)) == 2 and not any(_alive(pid) for pid in _pids(tmp_path))


def _learning_launcher(tmp_path: Path, mode: str) -> subprocess.Popen:
    """The toy run of ``mode`` (``tests/toy_vec_env.py``) in its own launcher process, once it is learning."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
    launcher = subprocess.Popen(
        [sys.executable, str(TESTS / "toy_vec_env.py"), mode, str(tmp_path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        # as from a terminal: a suite started in the background (``make test &``) ignores SIGINT, and so would its child
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while not (tmp_path / "learning").exists():
        if launcher.poll() is not None or time.monotonic() > deadline:
            launcher.kill()
            raise AssertionError("the run did not start learning")
        time.sleep(0.1)
    return launcher


def test_sigint_to_the_launcher_stops_everything(tmp_path):
    launcher = _learning_launcher(tmp_path, "sigint")
    try:
        launcher.send_signal(signal.SIGINT)
        # the learner takes the stop at its next wait for simulation and then has shutdown_grace (10 + 60 s here)
        _, err = launcher.communicate(timeout=90)
    finally:
        launcher.kill()
    assert launcher.returncode == 130, err[-3000:]
    assert "interrupted" in err
    assert (tmp_path / "checkpoint.pt").exists()
    assert len(_pids(tmp_path)) == 3 and not any(_alive(pid) for pid in _pids(tmp_path))


def test_a_second_sigint_kills_a_learner_that_does_not_stop(tmp_path):
    """The learner saves and then hangs: the launcher would wait its grace (70 s); a second Ctrl-C ends everything."""
    launcher = _learning_launcher(tmp_path, "stall")
    try:
        launcher.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 60
        while not (tmp_path / "checkpoint.pt").exists():
            assert time.monotonic() < deadline, "the learner did not save"
            time.sleep(0.1)
        time.sleep(1.0)
        again = time.monotonic()
        launcher.send_signal(signal.SIGINT)
        _, err = launcher.communicate(timeout=30)
        elapsed = time.monotonic() - again
    finally:
        launcher.kill()
    assert "interrupted again: killing every process" in err, err[-3000:]
    assert launcher.returncode != 0 and elapsed < 15
    assert len(_pids(tmp_path)) == 3 and not any(_alive(pid) for pid in _pids(tmp_path))


def test_killed_launcher_takes_its_processes_with_it(tmp_path):
    """SIGKILL to the launcher (no handler runs): the learner is told to stop (it saves), the simulation processes
    die with it."""
    launcher = _learning_launcher(tmp_path, "sigint")
    pids = _pids(tmp_path)
    launcher.kill()
    launcher.wait()
    deadline = time.monotonic() + 60
    while any(_alive(pid) for pid in pids):
        assert time.monotonic() < deadline, [pid for pid in pids if _alive(pid)]
        time.sleep(0.2)
    assert len(pids) == 3
    assert (tmp_path / "checkpoint.pt").exists()


def test_sigterm_during_the_update_saves_a_consistent_checkpoint(tmp_path):
    """A stop that arrives inside an optimizer step takes effect after the update: every checkpoint holds parameters
    and optimizer state of the iteration in its name, and resuming the last one continues the run."""
    algorithm = ppo_cfg()["algorithm"]
    per_update = algorithm["num_learning_epochs"] * algorithm["num_mini_batches"]
    layout = Layout(sim_devices=["cpu", "cpu"], learner_devices=["cpu"], num_envs=16)
    logs = tmp_path / "logs"

    def train(signal_at: int, iterations: int, resume: str | None = None) -> int:
        kwargs = {"log_dir": str(logs), "signal_at_optimizer_step": signal_at, "iterations": iterations}
        return run_disaggregated(layout, make_toy_env, {}, signalled_learner, {**kwargs, "resume": resume}, 10.0)

    # first optimizer step of the third update (iteration 2)
    assert train(signal_at=2 * per_update + 1, iterations=100) != 0
    assert train(signal_at=0, iterations=1, resume=str(logs / "model_2.pt")) == 0
    names = sorted(p.name for p in logs.glob("model_*.pt"))
    assert names == ["model_0.pt", "model_1.pt", "model_2.pt", "model_3.pt"]
    for it in range(4):
        saved = torch.load(logs / f"model_{it}.pt", weights_only=False)
        adam_steps = int(saved["optimizer_state_dict"]["state"][0]["step"])
        assert (saved["iter"], adam_steps) == (it, per_update * (it + 1)), f"model_{it}.pt"


def _train_with_faults(tmp_path: Path, faults: dict, worker_timeout: float) -> int:
    layout = Layout(sim_devices=["cpu", "cpu"], learner_devices=["cpu"], num_envs=16)
    return run_disaggregated(
        layout,
        make_toy_env,
        {"faults": faults, "pid_dir": str(tmp_path)},
        train_learner,
        {"log_dir": str(tmp_path / "logs"), "out_path": str(tmp_path / "report.json"), "iterations": 1},
        worker_timeout=worker_timeout,
    )


def test_first_step_gets_the_startup_deadline(tmp_path, capfd):
    """A first step slower than --worker_timeout (on a GPU: Warp kernels compiled, CUDA graphs captured) is waited
    for under the startup deadline; the steps after it are held to the worker timeout."""
    assert _train_with_faults(tmp_path, {1: {"first_step_delay_s": 8.0}}, worker_timeout=4.0) == 0
    assert (tmp_path / "logs" / "model_0.pt").exists()
    assert _train_with_faults(tmp_path, {1: {"hang_at_step": 2}}, worker_timeout=4.0) != 0
    assert "simulation process 1 (rank 2, device cpu) did not answer within 4.0 s" in capfd.readouterr().err


def test_simulation_process_dying_in_close_after_training_is_a_warning(tmp_path, capfd):
    """Training ended and saved, then a simulator crashes in close(): the run succeeded, with a warning."""
    assert _train_with_faults(tmp_path, {1: {"die_in_close": True}}, worker_timeout=10.0) == 0
    err = capfd.readouterr().err
    assert "warning: simulation process 1 (rank 2, device cpu) was killed by SIGKILL while closing" in err
    assert "stopping every process" not in err
    assert (tmp_path / "logs" / "model_0.pt").exists()


def test_peer_failure_under_torchrun_leaves_a_loadable_checkpoint(tmp_path):
    """torchrun starts its workers with TORCH_NCCL_ASYNC_ERROR_HANDLING=1, under which NCCL's watchdog kills the
    learner before it saves: the run sets its own mode before any process group exists. Here (gloo on the CPU) a
    simulation process dies mid-run; the learner must run with the run's mode and leave a checkpoint that loads."""
    from toy_vec_env import ToyVecEnv, build_runner

    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "3"]
    proc = subprocess.run(
        [*torchrun, str(TESTS / "toy_vec_env.py"), "die", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    infos = torch.load(tmp_path / "checkpoint.pt", weights_only=False)["infos"]
    assert infos["nccl_error_handling"] == "2"
    runner = build_runner(ToyVecEnv(16), ppo_cfg(), seed=0)
    runner.load(str(tmp_path / "checkpoint.pt"))
    assert runner.current_learning_iteration >= 1


def test_hung_learner_ends_a_hybrid_run_within_the_deadline(tmp_path, capfd):
    """Hybrid topology: the learners sum the curriculum's counts each step. One learner hangs; the other must give
    up within its deadline (the startup deadline for the first step, two worker timeouts after), save, and end the
    run, instead of waiting in the collective for as long as the process group allows."""
    from toy_vec_env import hanging_hybrid_learner

    layout = Layout(sim_devices=["cpu", "cpu"], learner_devices=["cpu", "cpu"], num_envs=16)
    kwargs = {"log_dir": str(tmp_path / "logs"), "hang_at_step": 12}
    start = time.monotonic()
    code = run_disaggregated(layout, make_toy_env, {}, hanging_hybrid_learner, kwargs, worker_timeout=3.0)
    assert code != 0
    assert time.monotonic() - start < 60
    err = capfd.readouterr().err
    assert "the other processes of the process group did not answer within 6.0 s" in err, err[-3000:]
    assert "learner saved" in err
