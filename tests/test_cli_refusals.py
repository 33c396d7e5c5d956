"""Every refusal of the training, recording and distillation commands and of the viewer options, one case each:
the command's own argument check (``parse``, what the script runs first) raises the one-line usage error, before
any simulator starts. ``tests/test_cli_errors.py`` checks, in real processes, how such an error reaches the user
(one ``error:`` line, exit status 2)."""

import pytest
from dexgrasp.cli import distill, record, train
from dexgrasp.cli.common import UsageError

STATE, STEREO = "DexGrasp-KukaAllegro-State-v0", "DexGrasp-KukaAllegro-StereoRGB-v0"
TRAIN = ["--task", STATE, "--device", "cpu"]
RECORD = ["--task", STATE, "--policy", "scripted", "--device", "cpu", "--output"]
DISTILL = ["--task", STEREO, "--device", "cpu"]

CASES = [
    (train, [*TRAIN, "--critic_warmup", "5"], "--critic_warmup takes a number of iterations >= 0, and --init_actor"),
    (train, [*TRAIN, "--critic_warmup", "-1"], "--critic_warmup takes a number of iterations >= 0"),
    (train, [*TRAIN, "--init_actor", "a.pt", "--critic_warmup", "5", "--max_iterations", "5"],
     "--critic_warmup 5 leaves none of the 5 iterations"),
    (train, [*TRAIN, "--init_actor", "a.pt", "--rl_library", "skrl"],
     "--init_actor starts a new run of --topology single"),
    (train, [*TRAIN, "--guide", "--rl_library", "skrl"], "--guide trains"),
    (train, ["--task", STEREO, "--device", "cpu", "--guide"], "--guide trains"),
    (train, [*TRAIN, "--worker_timeout", "0"], "--worker_timeout must be positive, got 0"),
    (train, [*TRAIN, "--unknown_flag"], "unknown option --unknown_flag"),
    (train, [*TRAIN, "--viz", "viser", "--viz_port", "70000"], "--viz_port must be in 1..65535, got 70000"),
    (train, [*TRAIN, "--viz", "viser", "--max_visible_envs", "0"], "--max_visible_envs must be a positive integer"),
    (record, [*RECORD, "out.txt"], "--output must be an .hdf5 file, got out.txt"),
    (record, [*RECORD, "out.hdf5", "--max_gb", "0"], "--max_gb must be positive, got 0"),
    (record, [*RECORD, "out.hdf5", "--teacher", "t.pt"], "the scripted expert labels its own episodes"),
    (record, ["--task", STATE, "--output", "out.hdf5"], "give --checkpoint, or --policy scripted without one"),
    (distill, DISTILL, "give --teacher (online DAgger) or --dataset (offline), or both"),
    (distill, [*DISTILL, "--dataset", "d.hdf5", "--max_iterations", "3"],
     "online iterations (--max_iterations) need a --teacher"),
    (distill, [*DISTILL, "--dataset", "d.hdf5", "--offline_epochs", "0"], "--offline_epochs must be positive, got 0"),
    (distill, [*DISTILL, "--teacher", "scripted", "--devices", "cpu,cpu"], "--devices needs --topology data_parallel"),
    (distill, [*DISTILL, "--teacher", "scripted", "--sim_devices", "cpu"],
     "--sim_devices/--learner_device need --topology disaggregated"),
    (distill, [*DISTILL, "--topology", "disaggregated"], "--topology disaggregated distils online: give a --teacher"),
    (distill, [*DISTILL, "--topology", "data_parallel", "--teacher", "scripted", "--dataset", "d.hdf5"],
     "--topology data_parallel distils online only"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("cli", "argv", "message"), CASES, ids=[f"{c.__name__.split('.')[-1]}:{m[:40]}" for c, _, m in CASES]
)
def test_refused_with_one_line(cli, argv, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative outputs and checkpoints lie nowhere
    with pytest.raises(UsageError) as refusal:
        cli.parse(argv)
    text = str(refusal.value)
    assert message in text and "\n" not in text, text


def test_visibility_of_a_task_without_cameras_is_refused():
    """``label_gap.py --visibility`` needs cameras: a state policy is refused once its configuration is read,
    before the scene is built."""
    from importlib.resources import files

    from dexgrasp.cli import label_gap

    checkpoint = str(files("dexgrasp.pretrained") / "state_guided_ppo.pt")
    with pytest.raises(UsageError) as refusal:
        label_gap.main(["--task", STATE, "--checkpoint", checkpoint, "--device", "cpu", "--visibility"])
    assert str(refusal.value) == "this task has no camera: object visibility needs a Depth or StereoRGB task"
