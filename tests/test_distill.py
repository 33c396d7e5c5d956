"""Distillation end to end on the CPU: a tiny state teacher, recorded episodes, offline and online DAgger,
the student playing and compared with its teacher, and the bad inputs of the three tools.

Expensive steps run once per module (teacher, dataset, distilled student), as real subprocesses.
"""

import csv
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time

import h5py
import numpy as np
import pytest
import torch
from conftest import ROOT
from conftest import run as run_python
from dexgrasp.datasets import DatasetFile, DatasetWriter, schema
from dexgrasp.metrics.curves import read_scalars
from dexgrasp.pretrained import cut
from dexgrasp.runs import atomic_torch_save

pytestmark = pytest.mark.slow

STATE, DEPTH, STEREO = (
    "DexGrasp-KukaAllegro-State-v0",
    "DexGrasp-KukaAllegro-Depth-v0",
    "DexGrasp-KukaAllegro-StereoRGB-v0",
)
SCENE = ["--device", "cpu", "--num_envs", "2", "presets=res32,cube", "env.episode_length_s=1"]
STUDENT = [
    "agent.num_steps_per_env=8",
    "agent.algorithm.gradient_length=8",
    "agent.algorithm.learning_rate=0.001",
    "agent.student.rnn_hidden_dim=16",
    "agent.student.hidden_dims=[32,32]",
    "agent.student.cnn_channels=[8,16,16]",
    "agent.student.token_dim=16",
    "agent.student.num_heads=2",
]


# one OpenMP thread per process: on a small shared machine, spinning OpenMP workers of several processes
# slow each other down by an order of magnitude
ONE_THREAD = {"OMP_NUM_THREADS": "1"}


def run(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    return run_python(args, timeout=timeout, env=ONE_THREAD)


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def fails_with(args: list[str], message: str) -> None:
    proc = run(args, timeout=180)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = [line for line in proc.stderr.strip().splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and message in lines[0], proc.stderr[-2000:]
    assert "Scene manager" not in proc.stdout


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("distill")


@pytest.fixture(scope="module")
def teacher(work) -> str:
    ok(
        run(
            [
                "scripts/train.py",
                "--task",
                STATE,
                "--max_iterations",
                "1",
                "--log_dir",
                str(work / "teacher"),
                *SCENE,
                "agent.num_steps_per_env=8",
                "agent.actor.rnn_hidden_dim=16",
                "agent.critic.rnn_hidden_dim=16",
                "agent.actor.hidden_dims=[32,32]",
                "agent.critic.hidden_dims=[32,32]",
            ],
            timeout=600,
        )
    )
    return str(work / "teacher" / "model_0.pt")


@pytest.fixture(scope="module")
def dataset(work, teacher) -> str:
    """Two episodes of the state teacher in the stereo scene, labelled by itself."""
    path = str(work / "episodes.hdf5")
    ok(
        run(
            [
                "scripts/record.py",
                "--task",
                STEREO,
                "--checkpoint",
                teacher,
                "--episodes",
                "2",
                "--output",
                path,
                *SCENE,
            ],
            600,
        )
    )
    return path


@pytest.fixture(scope="module")
def distilled(work, teacher, dataset) -> dict:
    """One pass offline over the dataset, then two DAgger iterations online, in one run."""
    log_dir = work / "student"
    out = ok(
        run(
            [
                "scripts/distill.py",
                "--task",
                STEREO,
                "--dataset",
                dataset,
                "--teacher",
                teacher,
                "--offline_epochs",
                "1",
                "--max_iterations",
                "2",
                "--log_dir",
                str(log_dir),
                *SCENE,
                *STUDENT,
            ],
            timeout=900,
        )
    )
    checkpoint = re.search(r"^student_checkpoint: (.+)$", out, re.M).group(1)
    return {"out": out, "log_dir": log_dir, "checkpoint": checkpoint}


def test_recorded_episodes_follow_the_documented_layout(dataset):
    from isaaclab.utils.datasets import HDF5DatasetFileHandler

    with h5py.File(dataset, "r") as f:
        data = f["data"]
        assert f.attrs["format_version"] == 1 and data.attrs["num_demos"] == 2 and len(data) == 2
        meta = json.loads(data.attrs["dexgrasp"])
        assert meta["task"] == STEREO and meta["teacher_task"] == STATE
        assert meta["env_id"] == "DexGrasp-KukaAllegro-StereoRGB-FromState-v0"
        assert meta["stereo_baseline"] == pytest.approx(0.055) and meta["image_size"] == [32, 32]
        assert np.array(meta["cameras"]["left_camera"]["K"]).shape == (3, 3) and len(data.attrs["env_cfg"]) > 1000
        total = 0
        for name in ("demo_0", "demo_1"):
            demo = data[name]
            length = int(demo.attrs["num_samples"])
            total += length
            dones = demo["dones"][:]
            assert dones.dtype == bool and dones[-1] and dones.sum() == 1 and len(dones) == length
            expected = {
                "obs/left_rgb": ((3, 32, 32), np.uint8),
                "obs/right_rgb": ((3, 32, 32), np.uint8),
                "obs/policy": ((90,), np.float32),
                "obs/teacher": ((105,), np.float32),
                "obs/object_pos": ((3,), np.float32),
                "actions": ((11,), np.float32),
                "teacher/action_mean": ((11,), np.float32),
                "teacher/action_std": ((11,), np.float32),
                "rewards": ((), np.float32),
                "object_pose": ((7,), np.float32),
            }
            for key, (shape, dtype) in expected.items():
                assert demo[key].shape == (length, *shape) and demo[key].dtype == dtype, key
                assert demo[key].compression == "gzip", key
            np.testing.assert_array_equal(demo["actions"][:], demo["teacher/action_mean"][:])  # the teacher acted
            np.testing.assert_allclose(demo["obs/object_pos"][:], demo["object_pose"][:, :3], atol=1e-6)
        assert data.attrs["total"] == total
    handler = HDF5DatasetFileHandler()
    handler.open(dataset)
    assert handler.get_num_episodes() == 2 and handler.get_env_name() == STEREO
    assert handler.load_episode("demo_1", "cpu").data["obs"]["left_rgb"].dtype == torch.uint8
    handler.close()


def test_benchmark_learner_replays_the_recorded_dataset(dataset, tmp_path):
    """``scripts/benchmark.py --learner_only --dataset``: the stereo task's PPO learner fed with recorded steps."""
    out = tmp_path / "learner"
    ok(
        run(
            [
                "scripts/benchmark.py",
                "--learner_only",
                "--dataset",
                dataset,
                "--env_counts",
                "4,16",
                "--devices",
                "cpu",
                "--iterations",
                "1",
                "--out",
                str(out),
                "agent.num_steps_per_env=4",
                "agent.actor.rnn_hidden_dim=16",
                "agent.critic.rnn_hidden_dim=16",
            ],
            timeout=300,
        )  # fmt: skip
    )
    results = json.loads((out / "results.json").read_text())
    assert results["spec"]["dataset"]["task"] == STEREO and results["spec"]["dataset"]["episodes"] == 2
    groups = {g["key"]: g["shape"] for g in results["spec"]["groups"]}
    assert groups["left_rgb"] == groups["right_rgb"] == [3, 32, 32]
    learner = results["learner"]
    assert [(r["num_envs"], r["observations"]) for r in learner] == [(4, "dataset"), (16, "dataset")]
    assert learner[1]["storage_bytes"] > learner[0]["storage_bytes"] > 0
    assert results["figures"]["R"]["value"] > 0
    assert json.loads((out / "spec.json").read_text())["groups"] == results["spec"]["groups"]


def test_recorder_killed_mid_run_leaves_only_whole_episodes(work, teacher):
    path = str(work / "killed.hdf5")
    proc = subprocess.Popen(
        [
            sys.executable,
            "scripts/record.py",
            "--task",
            STEREO,
            "--checkpoint",
            teacher,
            "--episodes",
            "100",
            "--output",
            path,
            *SCENE,
        ],
        cwd=ROOT,
        env={**os.environ, **ONE_THREAD},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    progress = bytearray()
    reader = threading.Thread(
        target=lambda: [progress.extend(chunk) for chunk in iter(lambda: proc.stderr.read(64), b"")]
    )
    reader.start()
    deadline = time.time() + 600
    while not re.search(rb"\| [2-9]/100", bytes(progress)) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, bytes(progress)[-2000:]
    delay = np.random.default_rng(7).uniform(0.0, 2.0)  # somewhere in the middle of the next episodes
    print(f"killing the recorder {delay:.3f} s after its second iteration (rng seed 7)")  # shown when the test fails
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.join()
    found = DatasetFile(path)
    assert len(found.episodes) >= 2
    for name in found.episodes:
        dones = found.read(name, "dones")
        assert len(dones) == found.length(name) and dones[-1] and dones.sum() == 1
        assert len(found.read(name, "obs/left_rgb")) == found.length(name)
    with h5py.File(path, "r") as f:
        assert len(f["data"]) == len(found.episodes) == f["data"].attrs["num_demos"]


def test_offline_pass_lowers_the_loss(distilled):
    line = re.search(r"^offline: (\d+) iterations, ([\d.]+) passes, loss ([\d.]+) -> ([\d.]+)$", distilled["out"], re.M)
    assert line, distilled["out"][-3000:]
    iterations, passes, first, last = int(line[1]), float(line[2]), float(line[3]), float(line[4])
    assert iterations >= 2 and passes >= 1.0
    assert last < first


def test_online_dagger_checkpoints_a_student(distilled):
    log_dir, checkpoint = distilled["log_dir"], distilled["checkpoint"]
    assert re.search(r"^online: 2 iterations", distilled["out"], re.M)
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    meta = state["infos"]["dexgrasp"]
    assert meta["task"] == STEREO and meta["library"] == "rsl_rl_distill"
    assert meta["obs_groups"] == {"student": ["policy", "left_rgb", "right_rgb"], "teacher": ["teacher"]}
    assert meta["teacher"]["task"] == STATE and meta["student_model"]["class_name"].endswith(
        "StereoCrossAttentionModel"
    )
    assert {"student_state_dict", "aux_head_state_dict", "optimizer_state_dict", "num_updates"} <= set(state)
    assert state["num_updates"] > 2  # offline updates, then two online
    assert list(log_dir.glob("events.out.tfevents.*")) and (log_dir / "params" / "agent.yaml").is_file()
    assert not list(log_dir.glob(".tmp-*"))
    scalars = read_scalars(str(log_dir))  # DAgger's beta is a schedule, logged beside the losses, not as one
    betas = [v for _, v in scalars["Coefficients/dagger_beta"]]
    assert len(betas) >= 2 and betas == sorted(betas, reverse=True) and "Loss/dagger_beta" not in scalars
    assert "Loss/action_mean" in scalars


FEED_FORWARD = [
    "agent.student.rnn_type=null",
    "agent.algorithm.dataset_size=64",
    "agent.algorithm.dataset_batch_size=16",
]
"""The stereo student without its LSTM, trained from DAgger's aggregated dataset."""


@pytest.mark.parametrize(
    "topology, devices, layout_line, student",
    [
        (
            "disaggregated",
            ["--sim_devices", "cpu,cpu", "--learner_device", "cpu"],
            "sim0@cpu (2 envs), sim1@cpu (2 envs) -> learner0@cpu",
            [],
        ),
        ("data_parallel", ["--devices", "cpu,cpu"], "data_parallel over 2 processes: envs [2, 2]", FEED_FORWARD),
    ],
)
def test_online_dagger_in_multi_process_topologies(work, teacher, topology, devices, layout_line, student):
    """Disaggregated: 2 simulation processes + 1 learner holding the (recurrent) student; data parallel: 2 processes
    each with scenes, a feed-forward student copy and its own aggregated dataset, gradients averaged. Both on the CPU
    (gloo)."""
    log_dir = work / f"student_{topology}"
    scene = [a for a in SCENE if a not in ("--device", "cpu", "--num_envs", "2")]
    args = ["scripts/distill.py", "--task", STEREO, "--teacher", teacher, "--max_iterations", "2"]
    args += ["--topology", topology, *devices, "--num_envs", "4", "--log_dir", str(log_dir), *scene, *STUDENT, *student]
    out = ok(run(args, timeout=900))
    assert layout_line in out
    checkpoint = re.search(r"^student_checkpoint: (.+)$", out, re.M).group(1)
    meta = torch.load(checkpoint, map_location="cpu", weights_only=False)["infos"]["dexgrasp"]
    assert meta["library"] == "rsl_rl_distill" and meta["task"] == STEREO
    assert meta["student_model"]["rnn_type"] == (None if student else "lstm")
    assert meta["curriculum"]["num_steps"] == 50
    assert list(log_dir.glob("events.out.tfevents.*"))


def test_student_plays_in_its_task(work, distilled):
    out = ok(
        run(
            [
                "scripts/play.py",
                "--task",
                STEREO,
                "--checkpoint",
                distilled["checkpoint"],
                "--episodes",
                "2",
                "--out",
                str(work / "play"),
                *SCENE,
            ],
            timeout=600,
        )
    )
    assert re.search(r"^success_rate: [\d.]+$", out, re.M)
    assert (work / "play" / "frames.png").is_file()


def test_a_modular_policy_plays_the_expert_on_the_students_position_estimate(work, teacher, distilled):
    """``--policy modular``: the scripted expert's controller acting on the object position that the student's head
    reads from its images; a checkpoint without such a head is refused in one line before the simulator starts."""
    play = ["scripts/play.py", "--policy", "modular", "--episodes", "2", "--out", str(work / "modular"), *SCENE]
    fails_with([*play, "--task", STATE, "--checkpoint", teacher], "object-position head")
    out = ok(run([*play, "--task", STEREO, "--checkpoint", distilled["checkpoint"]], timeout=600))
    assert re.search(r"^success_rate: [\d.]+$", out, re.M)
    summary = json.loads((work / "modular" / "summary.json").read_text())
    assert summary["policy"].startswith("modular") and summary["episodes"] == 2


@pytest.fixture(scope="module")
def depth_head(work) -> str:
    """A feed-forward depth student with a position bottleneck, distilled from the scripted expert: two
    iterations, enough for a head whose estimate is not the simulator's."""
    args = ["scripts/distill.py", "--task", DEPTH, "--teacher", "scripted", "--max_iterations", "2"]
    args += ["--log_dir", str(work / "bottleneck"), *SCENE, "agent.num_steps_per_env=8"]
    args += ["agent.algorithm.gradient_length=8", "agent.student.rnn_type=null", "agent.student.position_bottleneck=3"]
    args += ["agent.student.hidden_dims=[32]"]
    out = ok(run(args, timeout=600))
    return re.search(r"^student_checkpoint: (.+)$", out, re.M).group(1)


def test_a_depth_student_with_a_position_bottleneck_distils_and_plays(work, depth_head):
    """``agent.student.position_bottleneck=3``: a feed-forward depth student whose actions see the object only as
    the position its images give, distilled from the scripted expert; it plays as itself and, its own head being
    the position head, as the modular policy's eyes."""
    log_dir, checkpoint = work / "bottleneck", depth_head
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    assert state["infos"]["dexgrasp"]["student_model"]["position_bottleneck"] == 3
    assert any(key.startswith("position_head.") for key in state["student_state_dict"])
    assert math.isfinite(read_scalars(str(log_dir))["Loss/object_position"][-1][1])
    for policy in ("checkpoint", "modular"):
        play = ["scripts/play.py", "--task", DEPTH, "--policy", policy, "--checkpoint", checkpoint, "--episodes", "2"]
        out = ok(run([*play, "--out", str(work / f"bottleneck_{policy}"), *SCENE], timeout=600))
        assert re.search(r"^success_rate: [\d.]+$", out, re.M)


def test_a_stereo_head_learns_to_read_the_object_as_a_depth_head_does(work, teacher, depth_head):
    """``record.py --head_labels``: the expert's episodes in the stereo task, labelled besides with the object
    position a depth head reads from each step's images (the scene gains the depth camera for it); a stereo student
    whose head learns those labels offline (``aux_obs_group=head_object_pos``) plays as a modular policy. The depth
    head is read from its cut copy (what playing needs only, as results keep it beside their figures)."""
    path = work / "head_labels.hdf5"
    record = ["scripts/record.py", "--task", STEREO, "--policy", "scripted", "--episodes", "2", "--output", str(path)]
    fails_with([*record, "--head_labels", teacher, *SCENE], "not a student of scripts/distill.py with a position head")
    assert not path.exists()
    cut_head = str(work / "kept" / "depth_head.pt")
    assert cut(depth_head, cut_head)["task"] == DEPTH
    assert os.path.getsize(cut_head) < os.path.getsize(depth_head)
    assert "optimizer_state_dict" not in torch.load(cut_head, map_location="cpu", weights_only=False)
    ok(run([*record, "--head_labels", cut_head, *SCENE], timeout=600))
    dataset = DatasetFile(str(path))
    assert dataset.meta["head_labels"]["checkpoint"] == os.path.abspath(cut_head)
    assert dataset.keys["obs/head_object_pos"][0] == (3,) and dataset.keys["obs/depth"][0] == (1, 32, 32)
    reading = np.concatenate([dataset.read(e, "obs/head_object_pos") for e in dataset.episodes])
    truth = np.concatenate([dataset.read(e, "obs/object_pos") for e in dataset.episodes])
    dataset.close()
    assert np.isfinite(reading).all() and not np.allclose(reading, truth, atol=1e-3)
    assert len(np.unique(reading.round(6), axis=0)) > 2  # read from the images step by step, not a constant
    log_dir = work / "stereo_from_depth_head"
    distill = ["scripts/distill.py", "--task", STEREO, "--dataset", str(path), "--offline_epochs", "1"]
    distill += ["--log_dir", str(log_dir), *SCENE, *STUDENT, "agent.student.rnn_type=null"]
    out = ok(run([*distill, "agent.algorithm.aux_obs_group=head_object_pos", "agent.algorithm.aux_input=image"], 900))
    checkpoint = re.search(r"^student_checkpoint: (.+)$", out, re.M).group(1)
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    assert state["infos"]["dexgrasp"]["aux_obs_group"] == "head_object_pos"
    kept = cut(checkpoint, str(work / "kept" / "stereo_head.pt"))  # names its dataset without the machine's folders
    assert state["infos"]["dexgrasp"]["datasets"] == [str(path)] and kept["datasets"] == [os.path.relpath(path)]
    assert math.isfinite(read_scalars(str(log_dir))["Loss/object_position"][-1][1])
    play = ["scripts/play.py", "--task", STEREO, "--policy", "modular", "--checkpoint", checkpoint, "--episodes", "2"]
    out = ok(run([*play, "--out", str(work / "stereo_from_depth_head_play"), *SCENE], timeout=600))
    assert re.search(r"^success_rate: [\d.]+$", out, re.M)


def test_the_position_probe_says_where_a_students_estimate_comes_from(work, distilled):
    """The probe rolls the expert (or the modular policy) out and writes the estimate's error per stage of the
    episode and how much of it follows the student's arm and its images."""
    out_dir = work / "probe"
    probe = ["scripts/position_probe.py", "--task", STEREO, "--checkpoint", distilled["checkpoint"], "--steps", "6"]
    probe += ["--level", "0.5"]  # starts that differ between the environments
    fails_with([*probe, "--num_envs", "1"], "--num_envs must be 2 or more")
    for drive in ("expert", "modular"):
        out = ok(run([*probe, "--drive", drive, "--every", "3", "--out", str(out_dir / drive), *SCENE], timeout=600))
        assert re.search(r"^follows the image: slope [-+][\d.]+", out, re.M)
        summary = json.loads((out_dir / drive / "summary.json").read_text())
        assert summary["drive"] == drive and summary["error"]["all"]["samples"] == 6 * 2
        assert summary["error"]["steps_0_60"]["samples"] == 6 * 2
        for part in ("arm", "image"):
            assert math.isfinite(summary["follows"][part]["slope"])
            assert summary["follows"][part]["mean_source_distance_m"] > 0.0


def test_teacher_and_student_compared_on_the_same_seeds(work, teacher, distilled):
    out_dir = work / "compare"
    out = ok(
        run(
            [
                "scripts/evaluate.py",
                "--task",
                STEREO,
                "--teacher",
                teacher,
                "--student",
                distilled["checkpoint"],
                "--episodes",
                "2",
                "--level",
                "1",
                "--visibility",
                "--out",
                str(out_dir),
                *SCENE,
            ],
            timeout=600,
        )
    )
    rows = (out_dir / "comparison.csv").read_text().splitlines()
    assert rows[0].startswith("policy,episodes,success_rate,mean_length,mean_return")
    assert [r.split(",")[0] for r in rows[1:]] == ["teacher", "student"]
    assert "| teacher |" in (out_dir / "comparison.md").read_text()
    assert (out_dir / "teacher" / "frames.png").is_file() and (out_dir / "student" / "frames.png").is_file()
    assert "student: episodes 2" in out
    starts = {}
    for name in ("teacher", "student"):
        with open(out_dir / name / "episodes.csv", newline="") as f:
            starts[name] = [(r["episode"], r["object"], r["start_x"], r["start_y"], r["mass"]) for r in csv.DictReader(f)]
    assert starts["teacher"] == starts["student"] and len(set(starts["teacher"])) == 2, "the same planned episodes for both"
    paired = json.loads((out_dir / "paired.json").read_text())
    assert paired["success"]["episodes"] == 2 and 0.0 <= paired["success"]["mcnemar_p"] <= 1.0
    # --visibility: the student's episodes record how much of the object its cameras showed, by outcome of the pair
    with open(out_dir / "student" / "episodes.csv", newline="") as f:
        shares = [float(r["object_share"]) for r in csv.DictReader(f)]
    assert len(shares) == 2 and all(0.0 < s < 0.2 for s in shares)  # the object is in view, a small part of it
    outcomes = json.loads((out_dir / "observability.json").read_text())["outcomes"]
    assert sum(cell["episodes"] for cell in outcomes.values()) == 2
    assert re.search(r"^(both|teacher_only|student_only|neither) +\d+ episodes, object share", out, re.M)


def test_resume_goes_on_from_a_student(work, dataset, distilled):
    resumed_from = torch.load(distilled["checkpoint"], map_location="cpu", weights_only=False)
    out = ok(
        run(
            [
                "scripts/distill.py",
                "--task",
                STEREO,
                "--dataset",
                dataset,
                "--resume",
                distilled["checkpoint"],
                "--offline_epochs",
                "0.1",
                "--log_dir",
                str(work / "resumed"),
                *SCENE,
                *STUDENT,
            ],
            timeout=300,
        )
    )
    checkpoint = re.search(r"^student_checkpoint: (.+)$", out, re.M).group(1)
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    assert state["iter"] == resumed_from["iter"] + 1
    assert state["num_updates"] == resumed_from["num_updates"] + 1


# bad input: one line, exit 2, nothing simulated, nothing damaged


def _fake_dataset(path, task, keys) -> str:
    length = 4
    arrays = {key: np.zeros((length, *shape), dtype=dtype) for key, (shape, dtype) in keys.items()}
    arrays["dones"][-1] = True
    spec = schema.key_spec({k: v[0] for k, v in arrays.items()})
    meta = {"task": task, "env_id": "DexGrasp-KukaAllegro-StereoRGB-FromState-v0", "teacher_task": STATE, "keys": spec}
    with DatasetWriter(str(path), task, meta) as writer:
        writer.write_episode(arrays)
    return str(path)


def test_teacher_missing_or_not_a_teacher(work, tmp_path):
    fails_with(["scripts/distill.py", "--teacher", str(tmp_path / "none.pt"), *SCENE], "checkpoint not found")
    student_ckpt = tmp_path / "stereo.pt"
    atomic_torch_save({"infos": {"dexgrasp": {"task": STEREO, "library": "rsl_rl"}}}, str(student_ckpt))
    fails_with(["scripts/distill.py", "--teacher", str(student_ckpt), *SCENE], "a teacher is a state or depth policy")
    bare = tmp_path / "bare.pt"
    torch.save({"actor_state_dict": {}}, bare)
    fails_with(
        ["scripts/record.py", "--checkpoint", str(bare), "--output", str(tmp_path / "o.hdf5")], "no task metadata"
    )


def test_state_teacher_cannot_teach_the_state_task(teacher):
    fails_with(["scripts/distill.py", "--task", STATE, "--teacher", teacher, *SCENE], "cannot teach")


def test_dataset_of_another_task(tmp_path):
    path = _fake_dataset(tmp_path / "depth.hdf5", DEPTH, {"actions": ((11,), np.float32), "dones": ((), bool)})
    fails_with(["scripts/distill.py", "--task", STEREO, "--dataset", path, *SCENE], f"holds episodes of '{DEPTH}'")


def test_dataset_without_the_students_groups(tmp_path):
    keys = {
        "obs/policy": ((90,), np.float32),
        "actions": ((11,), np.float32),
        "rewards": ((), np.float32),
        "dones": ((), bool),
    }
    path = _fake_dataset(tmp_path / "thin.hdf5", STEREO, keys)
    fails_with(["scripts/distill.py", "--task", STEREO, "--dataset", path, *SCENE], "lacks obs/left_rgb")


def test_corrupt_dataset(dataset, tmp_path):
    truncated = tmp_path / "truncated.hdf5"
    data = open(dataset, "rb").read()
    truncated.write_bytes(data[: len(data) // 3])
    fails_with(["scripts/distill.py", "--task", STEREO, "--dataset", str(truncated), *SCENE], "damaged")


def test_existing_output_refused_and_intact(teacher, dataset):
    before = open(dataset, "rb").read()
    fails_with(
        ["scripts/record.py", "--task", STEREO, "--checkpoint", teacher, "--output", dataset, *SCENE],
        "exists; pass --overwrite",
    )
    assert open(dataset, "rb").read() == before


def test_disaggregated_distillation_needs_a_teacher(dataset):
    fails_with(["scripts/distill.py", "--dataset", dataset, "--topology", "disaggregated"], "give a --teacher")
