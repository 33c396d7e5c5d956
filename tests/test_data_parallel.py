"""The data-parallel baseline on the CPU: two processes (gloo), each with its simulator and learner copy."""

import glob
import os

import pytest
from conftest import run
from dexgrasp.runs import check_checkpoint

STATE = "DexGrasp-KukaAllegro-State-v0"
TINY = [
    "env.episode_length_s=1",
    "agent.num_steps_per_env=8",
    "agent.actor.rnn_hidden_dim=32",
    "agent.critic.rnn_hidden_dim=32",
]


@pytest.mark.slow
def test_two_cpu_processes_train_and_checkpoint(tmp_path):
    proc = run(
        [
            "scripts/train.py",
            "--task",
            STATE,
            "--topology",
            "data_parallel",
            "--devices",
            "cpu,cpu",
            "--num_envs",
            "4",
            "--max_iterations",
            "2",
            "--log_dir",
            str(tmp_path),
            *TINY,
            "env.curriculum.adr.params.init_step=3",
        ],
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "data_parallel over 2 processes: envs [2, 2]" in proc.stdout
    assert proc.stdout.count("Learning iteration 1/2") == 1  # rank 0 logs for both
    ckpts = sorted(glob.glob(os.path.join(str(tmp_path), "model_*.pt")))
    assert ckpts
    curriculum = check_checkpoint(ckpts[-1], STATE, "rsl_rl")["curriculum"]
    assert curriculum["num_steps"] == 50
    assert curriculum["step"] >= 3  # the lockstep curriculum starts at ADR's init_step, not at 0
    assert glob.glob(os.path.join(str(tmp_path), "events.out.tfevents.*"))


def test_bad_device_lists():
    for devices, message in (("", "--devices is empty"), ("cpu,cuda:0", "mixes cpu and cuda")):
        proc = run(
            ["scripts/train.py", "--task", STATE, "--topology", "data_parallel", "--devices", devices], timeout=120
        )
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr[-2000:]
