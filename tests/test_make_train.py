"""The README's ``make train``: its layout for this machine (``scripts/default_layout.py``), argument files of
``config/`` (``@config/<file>.args``), and the Makefile's own training command, run as make would run it (the set-up
step left out: the suite runs in the set-up environment)."""

import subprocess
import sys

import pytest
import torch
from conftest import ROOT, run


def test_default_layout_for_this_machine():
    proc = run(["scripts/default_layout.py"], timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    n = torch.cuda.device_count()
    sims, learner = {0: ("cpu,cpu", "cpu"), 1: ("cuda:0", "cpu")}.get(
        n, (",".join(f"cuda:{i}" for i in range(n - 1)), f"cuda:{n - 1}")
    )
    assert proc.stdout.split() == ["--topology", "disaggregated", "--sim_devices", sims, "--learner_device", learner]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal of a node without CUDA")
def test_an_argument_file_reaches_the_parser():
    """``config/node4_depth_single.args`` asks for cuda:0: without a GPU, the one-line refusal shows the file was read."""
    proc = run(["scripts/train.py", "@config/node4_depth_single.args"], timeout=300)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == "error: device 'cuda:0' does not exist: this machine has no CUDA device"


@pytest.mark.slow
def test_the_makefile_training_command_trains(tmp_path):
    dry = subprocess.run(
        ["make", "-n", "train", f"TRAIN_ARGS=--max_iterations 1 --log_dir {tmp_path}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.replace("\\\n", " ").splitlines()
    command = next(line for line in lines if "scripts/train.py" in line).replace(".venv/bin/python", sys.executable)
    proc = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "-> learner0@" in proc.stdout and "Learning iteration 0/1" in proc.stdout  # the disaggregated layout
    assert (tmp_path / "model_0.pt").is_file() and (tmp_path / "params" / "env.yaml").is_file()
    assert f"[dexgrasp] last checkpoint: {tmp_path / 'model_0.pt'}" in proc.stdout


@pytest.mark.parametrize(
    ("task", "topology", "devices", "expected"),
    [
        ("DexGrasp-KukaAllegro-State-v0", "single", {"device": "cpu"}, 64),
        ("DexGrasp-KukaAllegro-Depth-v0", "disaggregated", {"sim_devices": "cpu,cpu"}, 8),
        ("DexGrasp-KukaAllegro-Depth-v0", "disaggregated", {"sim_devices": "cuda:0,cpu"}, None),
        ("DexGrasp-KukaAllegro-StereoRGB-v0", "data_parallel", {"devices": "cuda:0,cuda:1"}, None),
    ],
)
def test_a_cpu_run_without_num_envs_is_sized_for_the_cpu(task, topology, devices, expected, capsys):
    """The tasks' defaults (thousands of environments) are for GPUs: on the CPU only, a run gets a few, and says so."""
    from argparse import Namespace

    from dexgrasp.cli.common import size_for_cpu

    args = Namespace(task=task, topology=topology, num_envs=None, device="cuda:0", sim_devices=None, devices=None)
    vars(args).update(devices)
    size_for_cpu(args)
    assert args.num_envs == expected
    assert ("simulating on the CPU" in capsys.readouterr().out) == (expected is not None)
    args.num_envs = 3
    size_for_cpu(args)
    assert args.num_envs == 3  # what the user asks for stays


def test_the_from_scratch_preset_configures_the_state_task(monkeypatch):
    """``config/scratch_grasp_cpu.args`` (the from-scratch recipe of docs/learning_curve.md) is overrides only, and
    each one reaches the configuration it names."""
    from dexgrasp.cli import train
    from dexgrasp.envs.factory import load_cfgs

    monkeypatch.chdir(ROOT)
    args, overrides = train.parse(["--task", "DexGrasp-KukaAllegro-State-v0", "--device", "cpu",
                                   "@config/scratch_grasp_cpu.args"])  # fmt: skip
    env_cfg, agent_cfg = load_cfgs(args.task, "rsl_rl", overrides, num_envs=2, device="cpu")
    assert env_cfg.actions.hand.smoothing == 0.85 and env_cfg.assisted_start_fade_level == 0.5
    # the object starts at a tenth of its weight: at 0.3 no run lifted it (docs/learning_curve.md)
    assert env_cfg.curriculum.object_weight.params["start_scale"] == 0.1
    assert env_cfg.actions.hand.zero_coefficients == [0.0] * 5  # the zero action holds the open preshape
    assert env_cfg.events.assisted_start.params["open_share"] == 1.0
    assert env_cfg.rewards.tips.weight == 1.0  # the fingertips' reach, off in the preset itself
    assert tuple(env_cfg.actions.palm.relative_step) == (0.01, 0.05)  # palm steps from where it is
    assert "contact" in vars(env_cfg.rewards)  # the grasp reward preset
    assert agent_cfg.num_steps_per_env == 32 and len(agent_cfg.actor.distribution_cfg.init_std) == 11
    # a fixed rate: the adaptive one sat at its floor with a narrow rotation std (docs/learning_curve.md)
    assert agent_cfg.algorithm.schedule == "fixed" and agent_cfg.algorithm.learning_rate == 3e-4
