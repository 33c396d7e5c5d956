"""Smoke test: the benchmark runs end to end at tiny scale on the CPU and every figure it reports is usable."""

from __future__ import annotations

import csv
import json
import math

from conftest import run

TINY = [
    "env.episode_length_s=1",
    "agent.num_steps_per_env=8",
    "agent.actor.rnn_hidden_dim=32",
    "agent.critic.rnn_hidden_dim=32",
]


def test_benchmark_cpu_end_to_end(tmp_path):
    out = tmp_path / "bench"
    proc = run(
        ["scripts/benchmark.py", "--task", "DexGrasp-KukaAllegro-Depth-v0", "--preset", "res32", "--env_counts", "1,2",
         "--train_envs", "2", "--topologies", "single,disaggregated", "--devices", "cpu,cpu", "--iterations", "1",
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
    for name in ("F_sim", "S", "M", "R", "capacity_data_parallel", "capacity_disaggregated_best", "throughput_single",
                 "throughput_disaggregated", "throughput_simulation_alone", "pipeline_efficiency", "traffic_wire",
                 "traffic_wire_over_compact"):  # fmt: skip
        assert name in figures, name
    for name, fig in figures.items():
        assert math.isfinite(fig["value"]) and fig["value"] > 0, (name, fig)
    with open(out / "figures.csv") as f:
        assert len(list(csv.reader(f))) == len(figures) + 1
    assert "pipeline_efficiency" in proc.stdout  # the printed table


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
    learner = json.loads((out / "results.json").read_text())["learner"]
    assert [r["num_envs"] for r in learner] == [64, 256]
    assert learner[1]["storage_bytes"] > learner[0]["storage_bytes"] > 0
    assert all(r["update_s"] > 0 for r in learner)
