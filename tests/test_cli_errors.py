"""Bad input: one clear line, a non-zero exit, before any simulator starts."""

import pytest
from conftest import run
from dexgrasp.runs import atomic_torch_save

STATE, DEPTH = "DexGrasp-KukaAllegro-State-v0", "DexGrasp-KukaAllegro-Depth-v0"


def fails_with(args, message, timeout=120):
    proc = run(args, timeout=timeout)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = [line for line in proc.stderr.strip().splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and message in lines[0], proc.stderr[-2000:]
    assert "Creating environment" not in proc.stdout and "Scene manager" not in proc.stdout


@pytest.mark.parametrize("script", ["scripts/train.py", "scripts/play.py"])
def test_unknown_task(script, tmp_path):
    extra = ["--checkpoint", str(tmp_path / "x.pt")] if "play" in script else []
    fails_with([script, "--task", "DexGrasp-Nope-v0", *extra], "unknown task 'DexGrasp-Nope-v0'")


def test_non_positive_num_envs():
    fails_with(["scripts/train.py", "--num_envs", "0"], "--num_envs must be a positive integer")


def test_missing_device():
    fails_with(["scripts/train.py", "--device", "cuda:7"], "device 'cuda:7' does not exist")


def test_unknown_device():
    fails_with(["scripts/train.py", "--device", "tpu"], "unknown device 'tpu'")


def test_missing_checkpoint(tmp_path):
    fails_with(["scripts/play.py", "--task", STATE, "--checkpoint", str(tmp_path / "none.pt")], "checkpoint not found")
    fails_with(["scripts/train.py", "--task", STATE, "--resume", str(tmp_path / "none.pt")], "checkpoint not found")


def test_checkpoint_of_another_task(tmp_path):
    path = tmp_path / "state.pt"
    atomic_torch_save({"iter": 3, "infos": {"dexgrasp": {"task": STATE, "library": "rsl_rl"}}}, str(path))
    fails_with(["scripts/play.py", "--task", DEPTH, "--checkpoint", str(path)], f"belongs to task '{STATE}'")


def test_sampled_actions_need_a_ppo_policy():
    fails_with(["scripts/play.py", "--task", STATE, "--policy", "scripted", "--stochastic"], "--stochastic needs a PPO")


def test_file_that_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "junk.pt"
    path.write_bytes(b"not a checkpoint")
    fails_with(["scripts/play.py", "--task", STATE, "--checkpoint", str(path)], "cannot read checkpoint")


def test_zero_camera_resolution():
    fails_with(
        ["scripts/train.py", "--task", DEPTH, "--device", "cpu", "env.image.width=0"],
        "camera resolution must be positive",
    )


@pytest.mark.parametrize(
    ("args", "override", "message"),
    [
        (["scripts/train.py", "--device", "cpu"], "env.no_such_field=3", "env has no 'no_such_field'"),
        (
            ["scripts/train.py", "--topology", "data_parallel", "--devices", "cpu,cpu"],
            "agent.algorithm.no_such=1",
            "agent.algorithm has no 'no_such'",
        ),
        (
            ["scripts/train.py", "--topology", "disaggregated", "--sim_devices", "cpu", "--learner_device", "cpu"],
            "env.scene.no_such=1",
            "env.scene has no 'no_such'",
        ),
        (
            ["scripts/play.py", "--policy", "scripted", "--device", "cpu"],
            "env.no_such_field=3",
            "env has no 'no_such_field'",
        ),
    ],
    ids=["train-single", "train-data_parallel", "train-disaggregated", "play"],
)
def test_override_of_no_field(args, override, message):
    """A misspelt override is refused in every topology and script (Isaac Lab would add a top-level field and train
    with the default, or fail on a nested one with a traceback)."""
    expected = f"override {override} names no field of the configuration: {message}"
    fails_with([*args, "--task", STATE, "--num_envs", "2", override], expected)


def test_aggregated_dataset_with_a_recurrent_student_is_refused_before_the_scene():
    fails_with(
        ["scripts/distill.py", "--task", "DexGrasp-KukaAllegro-StereoRGB-v0", "--teacher", "scripted", "--device",
         "cpu", "--num_envs", "2", "agent.algorithm.dataset_size=1000"],
        "needs a feed-forward student: add agent.student.rnn_type=null",
    )  # fmt: skip
