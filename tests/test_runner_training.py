"""PPO training through 2 simulation processes and 1 learner: spawned by our launcher, and under torchrun."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from dexgrasp.runner import Layout, run_disaggregated
from toy_vec_env import hybrid_learner, make_toy_env, signalled_learner, train_learner

TESTS = Path(__file__).resolve().parent


def test_ppo_trains_two_iterations_with_a_cnn(tmp_path):
    layout = Layout(sim_devices=["cpu", "cpu"], learner_devices=["cpu"], num_envs=16)
    out = tmp_path / "report.json"
    learner_kwargs = {"log_dir": str(tmp_path / "logs"), "out_path": str(out), "cnn": True, "iterations": 2}
    code = run_disaggregated(
        layout,
        make_toy_env,
        {},
        train_learner,
        learner_kwargs,
        worker_timeout=10.0,
        learner_dtypes={"rgb": torch.float32},  # RSL-RL's own CNN takes float images
    )
    assert code == 0
    report = json.loads(out.read_text())
    assert report["iterations"] == 2
    assert report["checkpoints"] == ["model_0.pt", "model_1.pt"]
    assert report["storage_dtypes"] == {"rgb": "torch.float32", "depth": "torch.float32", "proprio": "torch.float32"}
    assert report["environ"] == {"WORLD_SIZE": None, "RANK": None, "LOCAL_RANK": None}
    assert report["nonfinite_obs_resets"] == 0


@pytest.mark.parametrize("mode", ["torchrun", "restart"])
def test_torchrun_ranks_take_their_roles(tmp_path, mode):
    """Under torchrun, and after a restart: simulation process 1 dies in the first attempt, and the second attempt
    must not read the first one's keys from torchrun's store. Each rank hides the GPUs from itself before it
    starts (a CPU learner sees none), not after something in it may have initialised CUDA."""
    hidden = ("WORLD_SIZE", "RANK", "LOCAL_RANK", "CUDA_VISIBLE_DEVICES")
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node",
        "3",
        "--max-restarts",
        "1",
    ]
    proc = subprocess.run(
        [*cmd, str(TESTS / "toy_vec_env.py"), mode, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["iterations"] == 2
    assert report["environ"] == {"WORLD_SIZE": None, "RANK": None, "LOCAL_RANK": None}
    assert report["cuda_visible_devices_at_start"] == ""
    assert report["torchrun_attempt"] == {"torchrun": "0", "restart": "1"}[mode]  # the report is the last attempt's


def test_hybrid_learners_with_unequal_shares_agree(tmp_path, capfd):
    """3 simulation processes on 2 learners: 4 and 2 environments. The learner with 2 environments cannot split
    them into 4 recurrent mini-batches, so both use 2; gradients are averaged by samples (4:2, not 1:1), and after
    training both learners hold the same finite parameters."""
    layout = Layout(sim_devices=["cpu"] * 3, learner_devices=["cpu", "cpu"], num_envs=6)
    learner_kwargs = {"log_dir": str(tmp_path / "logs"), "out_dir": str(tmp_path), "iterations": 2}
    assert run_disaggregated(layout, make_toy_env, {}, hybrid_learner, learner_kwargs, worker_timeout=10.0) == 0
    first, second = (torch.load(tmp_path / f"learner{rank}.pt") for rank in (0, 1))
    assert (first["num_envs"], second["num_envs"]) == (4, 2)
    for report in (first, second):  # an empty mini-batch gives NaN losses and no gradient
        assert len(report["losses"]) == 2
        assert all(math.isfinite(value) for losses in report["losses"] for value in losses.values()), report["losses"]
    assert first["averaged"] == second["averaged"] == [(4 * 1.0 + 2 * 4.0) / 6]
    for model in ("actor", "critic"):
        for name, value in first["state"][model].items():
            assert torch.isfinite(value).all(), f"{model}.{name}"
            assert torch.equal(value, second["state"][model][name]), f"{model}.{name} differs between the learners"
    assert "a learner has 2 environments: using that many mini-batches" in capfd.readouterr().err


def test_learner_is_seeded_from_the_run_seed(tmp_path):
    """The project's learner function does not seed; the learner process does, from the run's seed: the same seed
    gives the same first iteration (initial parameters, action noise, update), another seed another one."""
    layout = Layout(sim_devices=["cpu", "cpu"], learner_devices=["cpu"], num_envs=16)

    def first_iteration(name: str, seed: int) -> dict:
        kwargs = {"log_dir": str(tmp_path / name), "signal_at_optimizer_step": 0, "iterations": 1}
        assert run_disaggregated(layout, make_toy_env, {}, signalled_learner, kwargs, 10.0, seed=seed) == 0
        return torch.load(tmp_path / name / "model_0.pt", weights_only=False)["actor_state_dict"]

    first, again, other = first_iteration("a", 5), first_iteration("b", 5), first_iteration("c", 6)
    assert all(torch.equal(first[k], again[k]) for k in first)
    assert not all(torch.equal(first[k], other[k]) for k in first), "another seed gave the same first iteration"
