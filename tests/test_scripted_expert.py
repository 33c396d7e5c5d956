"""The scripted grasp expert wherever a policy is accepted: play, record, distill (online and from its
dataset), evaluate, behaviour cloning into the state actor that PPO then starts from, and the student's actions
against the expert's labels (real processes)."""

import csv
import json
import re

import h5py
import pytest
import torch
from conftest import run
from dexgrasp.cli.train import main as train_command
from dexgrasp.jobs import SettingsError
from dexgrasp.runs import read_metadata

STATE, STEREO = "DexGrasp-KukaAllegro-State-v0", "DexGrasp-KukaAllegro-StereoRGB-v0"
TINY = ["presets=res32,cube", "env.episode_length_s=1"]
"""32x32 images, the cube, 1 s episodes."""


@pytest.mark.slow
def test_play_scripted(tmp_path):
    proc = run(
        ["scripts/play.py", "--task", STATE, "--policy", "scripted", "--device", "cpu", "--num_envs", "2",
         "--episodes", "2", "--out", str(tmp_path), "presets=cube", "env.episode_length_s=6"],
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["checkpoint"] == "scripted" and summary["episodes"] == 2
    assert summary["success_rate"] == 1.0 and summary["lifted_rate"] == 1.0  # the cube at level 0


@pytest.mark.slow
def test_the_experts_settings_are_the_environments(tmp_path):
    """``env.scripted_expert`` reaches the expert: one that waits for a grip the fingers never reach never lifts."""
    proc = run(
        ["scripts/play.py", "--task", STATE, "--policy", "scripted", "--device", "cpu", "--num_envs", "2",
         "--episodes", "2", "--out", str(tmp_path), "presets=cube", "env.episode_length_s=6",
         "env.scripted_expert.min_grip=5.0"],
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["episodes"] == 2 and summary["lifted_rate"] == 0.0


def test_play_needs_a_checkpoint_or_the_expert():
    proc = run(["scripts/play.py", "--task", STATE, "--device", "cpu"], timeout=120)
    assert proc.returncode != 0 and "--policy scripted" in proc.stderr.strip().splitlines()[-1]


def test_label_gap_refuses_bad_input(tmp_path):
    proc = run(["scripts/label_gap.py", "--task", STATE, "--checkpoint", "x.pt", "--steps", "0"], timeout=120)
    assert proc.returncode == 2 and "--steps must be a positive integer" in proc.stderr.strip().splitlines()[-1]
    gap = [
        "scripts/label_gap.py",
        "--task",
        STATE,
        "--checkpoint",
        str(tmp_path / "none.pt"),
        "--out",
        str(tmp_path / "o"),
    ]
    proc = run(gap, timeout=120)
    assert proc.returncode == 2 and "none.pt" in proc.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def stereo_dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("scripted") / "expert.hdf5"
    proc = run(
        ["scripts/record.py", "--policy", "scripted", "--task", STEREO, "--episodes", "2", "--num_envs", "2",
         "--output", str(path), "--device", "cpu", *TINY],
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return path


@pytest.mark.slow
def test_record_scripted_labels_its_episodes(stereo_dataset):
    with h5py.File(stereo_dataset) as f:
        demo = f["data"][sorted(f["data"])[0]]
        assert {"left_rgb", "right_rgb", "object_pos"} <= set(demo["obs"])
        mean, std = demo["teacher"]["action_mean"][()], demo["teacher"]["action_std"][()]
        assert mean.shape[-1] == 11 and (std == pytest.approx(0.1))
        assert (mean == demo["actions"][()]).all()  # the expert acted on its own labels


@pytest.mark.slow
def test_distill_from_the_expert_offline_then_online_and_evaluate(stereo_dataset, tmp_path):
    proc = run(
        ["scripts/distill.py", "--task", STEREO, "--teacher", "scripted", "--dataset", str(stereo_dataset),
         "--max_iterations", "1", "--num_envs", "2", "--device", "cpu", "--log_dir", str(tmp_path / "run"),
         *TINY, "agent.num_steps_per_env=8", "agent.student.rnn_hidden_dim=32"],
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    student = re.search(r"student_checkpoint: (\S+)", proc.stdout).group(1)
    proc = run(
        ["scripts/evaluate.py", "--task", STEREO, "--teacher", "scripted", "--student", student, "--episodes", "2",
         "--num_envs", "2", "--device", "cpu", "--out", str(tmp_path / "eval"), *TINY],
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(tmp_path / "eval" / "comparison.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["policy"], r["episodes"]) for r in rows] == [("teacher", "2"), ("student", "2")]
    assert rows[0]["checkpoint"] == "scripted" and rows[1]["checkpoint"] == student


@pytest.mark.slow
def test_behaviour_cloning_then_ppo(tmp_path):
    proc = run(
        ["scripts/distill.py", "--task", STATE, "--teacher", "scripted", "--max_iterations", "2", "--num_envs", "2",
         "--device", "cpu", "--log_dir", str(tmp_path / "bc"), *TINY, "agent.num_steps_per_env=8",
         "agent.algorithm.dataset_size=1000"],  # DAgger's aggregated dataset, as learning_curve.py clones
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    student = re.search(r"student_checkpoint: (\S+)", proc.stdout).group(1)
    gap = ["scripts/label_gap.py", "--task", STATE, "--checkpoint", student, "--num_envs", "2", "--steps", "20",
           "--device", "cpu", "--out", str(tmp_path / "gap"), *TINY]  # fmt: skip
    proc = run(gap, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((tmp_path / "gap" / "summary.json").read_text())
    assert sum(p["share_of_steps"] for p in summary["phases"].values()) == pytest.approx(1.0)
    assert len((tmp_path / "gap" / "trace.csv").read_text().splitlines()) == 21
    # the student saw its last action: without it the scene's observations do not fit the student
    refused = run([*gap, "env.observations.policy.last_action=null"], timeout=600)
    assert refused.returncode != 0 and "does not fit" in refused.stderr.strip().splitlines()[-1]
    # the clone against its teacher on the same episodes, in the state task's own scene (no camera to picture)
    compared = tmp_path / "compare"
    proc = run(["scripts/evaluate.py", "--task", STATE, "--teacher", "scripted", "--student", student, "--episodes",
                "2", "--num_envs", "2", "--device", "cpu", "--out", str(compared), *TINY], timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert json.loads((compared / "paired.json").read_text())["success"]["episodes"] == 2
    assert not (compared / "teacher" / "frames.png").exists()
    assert "frames" not in (compared / "comparison.md").read_text()
    train = ["scripts/train.py", "--task", STATE, "--device", "cpu", "--num_envs", "2", "--max_iterations", "2",
             "--init_actor", student, "--log_dir", str(tmp_path / "ppo"), "env.episode_length_s=1"]  # fmt: skip
    proc = run([*train, "--critic_warmup", "1", "presets=mlp,cube", "agent.save_interval=1"], timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"actor initialised from the student {student}" in proc.stdout
    assert "critic warmed up for 1 iterations" in proc.stdout
    cloned = torch.load(student, weights_only=False)["student_state_dict"]
    held, released = (torch.load(tmp_path / "ppo" / f"model_{i}.pt", weights_only=False) for i in (0, 1))
    weights = [key for key in cloned if key.startswith("mlp.")]  # not the action noise, not the running normaliser
    assert weights and all(torch.equal(held["actor_state_dict"][k], cloned[k]) for k in weights)  # held as cloned
    assert not torch.equal(held["critic_state_dict"]["mlp.0.weight"], released["critic_state_dict"]["mlp.0.weight"])
    assert any(not torch.equal(held["actor_state_dict"][k], released["actor_state_dict"][k]) for k in weights)
    normaliser = [key for key in cloned if key.startswith("obs_normalizer.")]  # the cloned weights' input scale
    assert normaliser and all(torch.equal(released["actor_state_dict"][k], cloned[k]) for k in normaliser)
    resume = ["scripts/train.py", "--task", STATE, "--device", "cpu", "--num_envs", "2", "--max_iterations", "1",
              "--resume", str(tmp_path / "ppo" / "model_1.pt"), "--log_dir", str(tmp_path / "resumed"),
              "env.episode_length_s=1", "presets=mlp,cube"]  # fmt: skip
    proc = run(resume, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (later,) = (tmp_path / "resumed").glob("model_*.pt")
    resumed = torch.load(later, weights_only=False)["actor_state_dict"]
    assert all(torch.equal(resumed[k], cloned[k]) for k in normaliser)  # still frozen after --resume
    # guided: the scene adds the expert's labels, the cloning term waits for the held actor, the policy is the task's
    guided = ["scripts/train.py", "--task", STATE, "--device", "cpu", "--num_envs", "2", "--max_iterations", "2",
              "--init_actor", student, "--log_dir", str(tmp_path / "guided"), "env.episode_length_s=1", "--guide",
              "--critic_warmup", "1", "presets=mlp,cube", "agent.save_interval=1",
              "agent.algorithm.guide_dataset_size=1000"]  # fmt: skip
    proc = run(guided, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Mean guide loss" in proc.stdout
    last = tmp_path / "guided" / "model_1.pt"
    assert read_metadata(str(last))["task"] == STATE
    assert torch.load(last, weights_only=False)["guide_coef"] == pytest.approx(0.99)  # one guided update
    with pytest.raises(SettingsError, match="differ in class_name") as refusal:  # the recurrent default actor
        train_command([*train[1:], "presets=cube"])
    assert "presets=mlp" in str(refusal.value) and "\n" not in str(refusal.value)


@pytest.mark.slow
def test_record_stops_and_filters_as_asked(tmp_path):
    """1 s episodes, too short for the expert to succeed: ``--success_only`` stores none of them and
    ``--max_episodes`` ends the recording; ``--max_gb`` stops after the first episode written, which carries the
    attributes ``docs/datasets.md`` documents."""
    base = ["scripts/record.py", "--policy", "scripted", "--task", STATE, "--episodes", "4", "--num_envs", "2",
            "--device", "cpu", "--seed", "3", "env.episode_length_s=1"]  # fmt: skip
    proc = run([*base, "--success_only", "--max_episodes", "4", "--output", str(tmp_path / "a.hdf5")], timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "recorded 0 episodes (0 steps, success rate 0.00) of 4 finished" in proc.stdout
    assert "stopped: --max_episodes 4 reached" in proc.stdout
    with h5py.File(tmp_path / "a.hdf5") as f:
        assert len(f["data"]) == 0
    proc = run([*base, "--max_gb", "1e-7", "--output", str(tmp_path / "b.hdf5")], timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "stopped: --max_gb 1e-07 reached" in proc.stdout
    with h5py.File(tmp_path / "b.hdf5") as f:
        assert list(f["data"]) == ["demo_0"]
        attrs = dict(f["data"]["demo_0"].attrs)
    assert attrs["success"] == False and attrs["seed"] == 3 and attrs["env_index"] in (0, 1)  # noqa: E712
    assert attrs["num_samples"] == 60  # 1 s at the task's 60 Hz policy rate
