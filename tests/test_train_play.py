"""train -> checkpoint -> play round trips on the CPU, for the state and depth tasks, with RSL-RL and skrl."""

import csv
import glob
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import ROOT, run

pytestmark = pytest.mark.slow  # every test here builds Isaac Lab scenes

STATE, DEPTH = "DexGrasp-KukaAllegro-State-v0", "DexGrasp-KukaAllegro-Depth-v0"
STEREO = "DexGrasp-KukaAllegro-StereoRGB-v0"
TINY_ENV = ["presets=res32", "env.episode_length_s=1"]
INIT_STEP_7 = "env.curriculum.adr.params.init_step=7"
"""A resumed run must keep its checkpoint's curriculum step, not start at the configuration's."""
TINY_AGENT = {
    "rsl_rl": ["agent.num_steps_per_env=8", "agent.actor.rnn_hidden_dim=32", "agent.critic.rnn_hidden_dim=32"],
    "skrl": ["agent.agent.rollouts=8"],
}


def train(task, library, log_dir, *extra, iterations=2):
    args = ["scripts/train.py", "--task", task, "--rl_library", library, "--num_envs", "2", "--device", "cpu"]
    args += ["--max_iterations", str(iterations), "--log_dir", str(log_dir), *TINY_ENV, *TINY_AGENT[library], *extra]
    proc = run(args, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def checkpoints(log_dir, library):
    pattern = "model_*.pt" if library == "rsl_rl" else "checkpoints/model_final.pt"
    return sorted(glob.glob(os.path.join(str(log_dir), pattern)), key=os.path.getmtime)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    cache = {}

    def get(task, library):
        if (task, library) not in cache:
            log_dir = tmp_path_factory.mktemp(f"{library}_{task.split('-')[2]}")
            train(task, library, log_dir)
            cache[(task, library)] = log_dir
        return cache[(task, library)]

    return get


@pytest.mark.parametrize("library", ["rsl_rl", "skrl"])
@pytest.mark.parametrize("task", [STATE, DEPTH])
def test_train_checkpoint_play(trained, task, library, tmp_path):
    log_dir = trained(task, library)
    ckpts = checkpoints(log_dir, library)
    assert ckpts, os.listdir(log_dir)
    assert not glob.glob(os.path.join(str(log_dir), "**", ".tmp-*"), recursive=True)  # atomic writes
    meta = torch.load(ckpts[-1], map_location="cpu", weights_only=False)
    meta = meta["infos"]["dexgrasp"] if library == "rsl_rl" else meta["dexgrasp"]
    assert meta["task"] == task and meta["library"] == library
    assert glob.glob(os.path.join(str(log_dir), "**", "events.out.tfevents.*"), recursive=True)

    out = tmp_path / "play"
    args = ["scripts/play.py", "--task", task, "--checkpoint", ckpts[-1], "--device", "cpu", "--num_envs", "2"]
    proc = run(args + ["--episodes", "2", "--out", str(out), *TINY_ENV], timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    last = proc.stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"success_rate: ([0-9.]+)", last)
    assert match and 0.0 <= float(match.group(1)) <= 1.0, last
    summary = json.loads((out / "summary.json").read_text())
    assert summary["episodes"] == 2 and summary["mean_length"] > 0
    assert (out / "frames.png").stat().st_size > 0
    with open(out / "episodes.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["episode"]) for r in rows] == [0, 1], "one row per planned episode"
    assert summary["success"]["k"] == sum(r["success"] == "True" for r in rows)
    assert summary["lifted"]["k"] == sum(r["lifted"] == "True" for r in rows)
    assert summary["mean_length"] == sum(int(r["length"]) for r in rows) / 2
    assert summary["mean_return"] == pytest.approx(sum(float(r["return"]) for r in rows) / 2)
    assert float(match.group(1)) == summary["success_rate"] == summary["success"]["rate"]


@pytest.mark.parametrize("library", ["rsl_rl", "skrl"])
def test_the_stereo_task_trains_with_rl(library, tmp_path):
    """The stereo RGB task is a Gymnasium task like the others: RL trains it from its two cameras."""
    train(STEREO, library, tmp_path, iterations=1)
    state = torch.load(checkpoints(tmp_path, library)[-1], map_location="cpu", weights_only=False)
    meta = state["infos"]["dexgrasp"] if library == "rsl_rl" else state["dexgrasp"]
    assert meta["task"] == STEREO


@pytest.mark.parametrize("library", ["rsl_rl", "skrl"])
def test_play_samples_actions_when_asked(trained, library, tmp_path):
    """The same seed and episodes: the mean action gives the same returns twice (checked with one library: the
    episodes are the evaluation's, whoever acts), sampled actions other ones."""
    ckpt = checkpoints(trained(STATE, library), library)[-1]
    returns = {}
    plays = [("mean", []), ("sampled", ["--stochastic"])] + ([("mean_again", [])] if library == "rsl_rl" else [])
    for name, extra in plays:
        out = tmp_path / name
        args = ["scripts/play.py", "--task", STATE, "--checkpoint", ckpt, "--device", "cpu", "--num_envs", "2"]
        proc = run(args + ["--episodes", "2", "--seed", "0", "--out", str(out), *TINY_ENV, *extra], timeout=600)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert json.loads((out / "summary.json").read_text())["actions"] == ("sampled" if extra else "mean")
        returns[name] = (out / "episodes.csv").read_text()
    assert returns["mean"] == returns.get("mean_again", returns["mean"])
    assert returns["sampled"] != returns["mean"]


def test_resume_continues_iterations(trained, tmp_path):
    """Resumed with no overrides, the run goes on as it was configured (image size, episode length, network and
    rollout sizes come from the checkpoint), after the checkpoint's iteration, at the checkpoint's curriculum step
    (not the initial step the configuration names)."""
    first = checkpoints(trained(STATE, "rsl_rl"), "rsl_rl")[-1]
    start = torch.load(first, map_location="cpu", weights_only=False)
    args = ["scripts/train.py", "--task", STATE, "--num_envs", "2", "--device", "cpu", "--max_iterations", "1"]
    proc = run([*args, "--log_dir", str(tmp_path), "--resume", first, INIT_STEP_7], timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "as the checkpoint was trained: presets=res32 env.episode_length_s=1" in proc.stdout
    resumed = torch.load(checkpoints(tmp_path, "rsl_rl")[-1], map_location="cpu", weights_only=False)
    assert resumed["iter"] == start["iter"] + 1
    meta = resumed["infos"]["dexgrasp"]
    assert meta["curriculum"] == start["infos"]["dexgrasp"]["curriculum"] and meta["curriculum"]["step"] != 7
    assert meta["agent_cfg"]["num_steps_per_env"] == 8 and meta["agent_cfg"]["actor"]["rnn_hidden_dim"] == 32
    assert meta["overrides"] == [*TINY_ENV, *TINY_AGENT["rsl_rl"], INIT_STEP_7]  # what it ran with, for the next resume


def test_the_curriculum_advances_in_one_process(tmp_path):
    """Episodes of 12 steps, a window of one episode and a threshold every rate passes: the level rises while it
    trains, and the randomisations that grow with it (physics, start noise, pushes, observation noise) run."""
    adr = "env.curriculum.adr.params"
    proc = train(STATE, "rsl_rl", tmp_path, "env.episode_length_s=0.2", f"{adr}.success_threshold=-1",
                 f"{adr}.min_episodes=1", iterations=3)  # fmt: skip
    meta = torch.load(checkpoints(tmp_path, "rsl_rl")[-1], map_location="cpu", weights_only=False)
    assert meta["infos"]["dexgrasp"]["curriculum"]["step"] >= 2, proc.stdout[-2000:]
    levels = [float(line.split()[-1]) for line in proc.stdout.splitlines() if "Curriculum/adr/level" in line]
    assert levels and levels[-1] > 0.0


def test_skrl_resumes_at_the_checkpoints_curriculum(trained, tmp_path):
    first = checkpoints(trained(STATE, "skrl"), "skrl")[-1]
    start = torch.load(first, map_location="cpu", weights_only=False)["dexgrasp"]
    proc = train(STATE, "skrl", tmp_path, "--resume", first, INIT_STEP_7, iterations=1)
    assert "resumed from" in proc.stdout
    assert f"[dexgrasp] last checkpoint: {tmp_path / 'checkpoints' / 'model_final.pt'}" in proc.stdout
    resumed = torch.load(checkpoints(tmp_path, "skrl")[-1], map_location="cpu", weights_only=False)["dexgrasp"]
    assert resumed["curriculum"] == start["curriculum"] and resumed["curriculum"]["step"] != 7


def test_a_depth_teacher_of_another_image_size_is_refused_before_the_scene(trained, tmp_path):
    """docs/distillation.md: a depth teacher that saw other images is refused in one line, before any simulator."""
    ckpt = checkpoints(trained(DEPTH, "rsl_rl"), "rsl_rl")[-1]
    args = ["scripts/distill.py", "--task", STEREO, "--teacher", ckpt, "--device", "cpu", "--num_envs", "2"]
    args += ["--log_dir", str(tmp_path / "student"), "env.image.width=48", "env.image.height=48"]
    proc = run(args, timeout=300)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 2 and len(errors) == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "saw 32x32 images, this scene renders 48x48 (use env.image.width=32 env.image.height=32)" in errors[0]
    assert "Scene manager" not in proc.stdout and not (tmp_path / "student").exists()


def test_play_writes_video(trained, tmp_path):
    """Played without the image size it was trained at: the checkpoint brings its preset (32x32 depth), not the
    episode length it trained with."""
    ckpt = checkpoints(trained(DEPTH, "rsl_rl"), "rsl_rl")[-1]
    args = ["scripts/play.py", "--task", DEPTH, "--checkpoint", ckpt, "--device", "cpu", "--num_envs", "2"]
    args += ["--episodes", "1", "--video", "--video_size", "320x240", "--out", str(tmp_path), "env.episode_length_s=1"]
    proc = run(args, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "as the checkpoint was trained: presets=res32\n" in proc.stdout
    import imageio.v2 as imageio

    with imageio.get_reader(tmp_path / "video.mp4") as reader:
        meta = reader.get_meta_data()
        frames = reader.count_frames()
    assert meta["fps"] == 60  # real time: one frame per 60 Hz policy step
    assert tuple(meta["size"]) == (320, 240) and frames >= 60  # the third-person camera; one 1 s episode at least
    from PIL import Image

    sheet = Image.open(tmp_path / "frames.png")  # third-person view beside the policy's depth image, 2 to a line
    assert sheet.width > 2 * 320 and sheet.height >= 240
    about = json.loads((tmp_path / "summary.json").read_text())["frames"]
    assert about["episode"] is not None and isinstance(about["success"], bool)


def test_play_shows_what_every_policy_sees(tmp_path):
    """``--all_cameras`` in the state task, which has no camera of its own: each moment of ``frames.png`` is the
    third-person view beside the depth image and the stereo pair that the camera policies would see (without the
    flag, the view alone, four moments to a line)."""
    args = ["scripts/play.py", "--task", STATE, "--policy", "scripted", "--all_cameras", "--device", "cpu"]
    args += ["--num_envs", "1", "--episodes", "1", "--out", str(tmp_path), "presets=res32", "env.episode_length_s=1"]
    proc = run(args, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    from PIL import Image

    sheet = Image.open(tmp_path / "frames.png")  # two moments to a line: 320 (view) + 3 x 240 (images) wide each
    assert sheet.width >= 2 * (320 + 3 * 240), sheet.size


STOPPED_RUNS = {
    "train": ["scripts/train.py", "--task", STATE, *TINY_AGENT["rsl_rl"]],
    # DAgger of the scripted expert: it ignored the signal until distillation took the stop at its next step
    "distill": ["scripts/distill.py", "--task", STATE, "--teacher", "scripted", "agent.num_steps_per_env=8",
                "agent.algorithm.dataset_size=1000"],
}  # fmt: skip


@pytest.mark.parametrize(
    "command, signum", [("train", signal.SIGTERM), ("distill", signal.SIGINT)], ids=["train-sigterm", "distill-sigint"]
)
def test_a_signal_saves_the_iteration_in_progress(tmp_path, command, signum):
    """A wall-time bound (``scripts/learning_curve.py --minutes``, SIGTERM) or Ctrl-C (SIGINT) stops training or
    distillation at the next step: the run keeps the last finished iteration in a checkpoint (not only the last
    periodic save) and exits with 130 within seconds."""
    args = [*STOPPED_RUNS[command], "--num_envs", "2", "--device", "cpu", "--max_iterations", "1000"]
    args += ["--log_dir", str(tmp_path), "agent.save_interval=1000", *TINY_ENV]
    log = tmp_path / "out.txt"
    with open(log, "w") as out:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
        proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 600
            while "Learning iteration 3/" not in log.read_text():
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.5)
            proc.send_signal(signum)
            proc.wait(timeout=60)
        finally:
            proc.kill()
    text = log.read_text()
    assert proc.returncode == 130, text[-3000:]
    assert f"stopped: received {signal.Signals(signum).name}" in text
    last = max(int(p.name[6:-3]) for p in tmp_path.glob("model_*.pt"))
    assert last >= 2  # beyond the only periodic save (iteration 0)
    assert torch.load(tmp_path / f"model_{last}.pt", map_location="cpu", weights_only=False)["iter"] == last
    assert not list(tmp_path.glob(".tmp-*"))
