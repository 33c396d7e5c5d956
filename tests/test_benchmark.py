"""Smoke test: the benchmark runs end to end at tiny scale on the CPU and every figure it reports is usable."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
import torch
from conftest import run
from dexgrasp.datasets import DatasetWriter, schema
from dexgrasp.metrics.learner_inputs import RecordedVecEnv, spec_from_dataset

TINY = [
    "env.episode_length_s=1",
    "agent.num_steps_per_env=8",
    "agent.actor.rnn_hidden_dim=32",
    "agent.critic.rnn_hidden_dim=32",
]


@pytest.mark.slow
def test_benchmark_cpu_end_to_end(tmp_path):
    """The two multi-process topologies (the single one trains in every other training test)."""
    out = tmp_path / "bench"
    proc = run(
        ["scripts/benchmark.py", "--task", "DexGrasp-KukaAllegro-Depth-v0", "--preset", "res32", "--env_counts", "1,2",
         "--train_envs", "2", "--topologies", "disaggregated,data_parallel", "--devices", "cpu,cpu", "--iterations", "1",
         "--sim_steps", "5", "--gpus", "4", "--gpu_mem", "80", "--out", str(out), *TINY],
        timeout=420,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for name in (
        "results.json",
        "figures.csv",
        "memory.csv",
        "spec.json",
        "memory.png",
        "capacity.png",
        "throughput.png",
    ):
        assert (out / name).stat().st_size > 0, name
    results = json.loads((out / "results.json").read_text())
    figures = results["figures"]
    for name in ("F_sim", "S", "M", "R", "capacity_data_parallel", "capacity_disaggregated_best",
                 "throughput_disaggregated", "throughput_data_parallel", "throughput_simulation_alone", "pipeline_efficiency", "traffic_wire",
                 "traffic_wire_over_compact", "learner_wait_s_per_step", "sim_wait_s_per_step", "sim_step_s_per_step",
                 "learner_wait_fraction", "sim_wait_fraction"):  # fmt: skip
        assert name in figures, name
    for name, fig in figures.items():
        assert math.isfinite(fig["value"]) and fig["value"] > 0, (name, fig)
    with open(out / "figures.csv") as f:
        assert len(list(csv.reader(f))) == len(figures) + 1
    assert "pipeline_efficiency" in proc.stdout  # the printed table
    assert figures["learner_wait_fraction"]["value"] < 1 and figures["sim_wait_fraction"]["value"] < 1
    groups = {g["key"]: g for g in results["spec"]["groups"]}
    assert groups["depth"]["env_dtype"] == groups["depth"]["wire_dtype"] == "torch.float16"  # compact end to end
    for sim in results["simulation"]:  # the depth camera's buffers are counted
        assert sim["camera_bytes"] >= sim["num_envs"] * 32 * 32 * 4, sim


def test_learner_only_from_spec(tmp_path):
    spec = {
        "num_actions": 3,
        "max_episode_length": 10,
        "num_log_keys": 0,
        "groups": [
            {"key": "policy", "shape": [5], "env_dtype": "torch.float32", "wire_dtype": "torch.float32"},
            {"key": "critic", "shape": [6], "env_dtype": "torch.float32", "wire_dtype": "torch.float32"},
        ],
        "agent_cfg": {
            "num_steps_per_env": 4, "obs_groups": {"actor": ["policy"], "critic": ["critic"]}, "run_name": "", "logger": "tensorboard",
            "save_interval": 100, "experiment_name": "x", "seed": 1,
            "actor": {"class_name": "MLPModel", "hidden_dims": [8], "activation": "elu", "obs_normalization": False,
                      "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 1.0, "std_type": "scalar"}},
            "critic": {"class_name": "MLPModel", "hidden_dims": [8], "activation": "elu", "obs_normalization": False},
            "algorithm": {"class_name": "PPO", "num_learning_epochs": 1, "num_mini_batches": 2, "learning_rate": 1e-3,
                          "schedule": "fixed", "gamma": 0.99, "lam": 0.95, "entropy_coef": 0.0, "desired_kl": 0.01,
                          "max_grad_norm": 1.0, "value_loss_coef": 1.0, "use_clipped_value_loss": True, "clip_param": 0.2},
        },
    }  # fmt: skip
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    out = tmp_path / "learner"
    proc = run(["scripts/benchmark.py", "--learner_only", "--spec", str(path), "--env_counts", "64,256", "--devices", "cpu",
                "--iterations", "1", "--out", str(out)], timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    # the figures' provenance: the command, the code's commit and the machine
    assert results["command"].startswith("python scripts/benchmark.py --learner_only")
    assert results["commit"] not in ("", "unknown") and "CPU cores" in results["machine"]
    learner = results["learner"]
    assert [r["num_envs"] for r in learner] == [64, 256]
    assert learner[1]["storage_bytes"] > learner[0]["storage_bytes"] > 0
    assert all(r["update_s"] > 0 for r in learner)


AGENT = {"obs_groups": {"actor": ["policy", "depth"], "critic": ["policy"]}}


def write_dataset(path, lengths: list[int]) -> None:
    """Episodes whose every value says where it was recorded: episode e, step t -> 100 e + t."""
    episodes = []
    for e, length in enumerate(lengths):
        tag = (100 * e + np.arange(length)).astype(np.float32)
        episodes.append(
            {
                "obs/policy": np.repeat(tag[:, None], 3, axis=1),
                "obs/depth": np.broadcast_to(tag[:, None, None, None], (length, 1, 4, 4)).astype(np.float32) / 1000,
                "actions": np.zeros((length, 2), np.float32),
                "rewards": tag,
                "dones": np.arange(length) == length - 1,
            }
        )
    keys = schema.key_spec({k: v[0] for k, v in episodes[0].items()})
    with DatasetWriter(str(path), "task", {"task": "task", "num_actions": 2, "keys": keys}) as writer:
        for ep in episodes:
            writer.write_episode(ep)


def test_recorded_env_replays_the_dataset_in_order(tmp_path):
    path = tmp_path / "episodes.hdf5"
    write_dataset(path, [3, 5])
    spec = spec_from_dataset(str(path), AGENT)
    groups = {g["key"]: (g["shape"], g["env_dtype"], g["wire_dtype"]) for g in spec["groups"]}
    assert groups == {
        "policy": ([3], "torch.float32", "torch.float32"),
        "depth": ([1, 4, 4], "torch.float16", "torch.float16"),  # images stay compact, as in training
    }
    assert (spec["num_actions"], spec["max_episode_length"]) == (2, 5)

    env = RecordedVecEnv(spec, num_envs=4, device="cpu", path=str(path))
    recorded = [0, 1, 2, 100, 101, 102, 103, 104]  # the 8 steps in file order
    starts = [0, 2, 4, 6]  # env i starts at i * 8 // 4
    assert env.get_observations()["policy"][:, 0].tolist() == [recorded[s] for s in starts]
    assert env.episode_length_buf.tolist() == [0, 2, 1, 3]
    for t in range(1, 9):
        obs, rewards, dones, extras = env.step(torch.zeros(4, 2))
        before = [recorded[(s + t - 1) % 8] for s in starts]
        assert rewards.tolist() == before  # the reward recorded with the step taken
        assert dones.tolist() == [int(v in (2, 104)) for v in before]  # episode ends, wrapping around
        assert obs["policy"][:, 0].tolist() == [recorded[(s + t) % 8] for s in starts]
        assert obs["depth"].dtype == torch.float16
        assert not extras["time_outs"].any()


def test_dataset_lacking_the_learners_groups(tmp_path):
    path = tmp_path / "episodes.hdf5"
    write_dataset(path, [3])
    agent = {"obs_groups": {"actor": ["policy", "left_rgb"], "critic": ["policy"]}}
    try:
        spec_from_dataset(str(path), agent)
    except ValueError as exc:
        assert "lacks the observation groups the learner reads: left_rgb" in str(exc)
    else:
        raise AssertionError("a dataset without left_rgb was accepted")


def test_learner_only_bad_inputs(tmp_path):
    proc = run(["scripts/benchmark.py", "--learner_only", "--dataset", str(tmp_path / "none.hdf5"), "--out",
                str(tmp_path / "o")], timeout=60)  # fmt: skip
    assert proc.returncode == 2 and "no such file" in proc.stderr.strip().splitlines()[-1]
    proc = run(["scripts/benchmark.py", "--learner_only", "--out", str(tmp_path / "o")], timeout=60)
    assert proc.returncode == 2 and "needs one of --spec" in proc.stderr.strip().splitlines()[-1]
    for args, message in (
        (["--topologies", "single,pipelined"], "unknown topology 'pipelined'"),
        (["--devices", "cuda:7"], "does not exist"),
        (["--devices", "cpu", "--topologies", "disaggregated"], "disaggregated needs two devices"),
    ):
        proc = run(["scripts/benchmark.py", *args, "--out", str(tmp_path / "o")], timeout=60)
        assert proc.returncode == 2 and message in proc.stderr.strip().splitlines()[-1], proc.stderr[-1000:]
    assert not (tmp_path / "o").exists()
