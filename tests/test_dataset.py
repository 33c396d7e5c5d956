"""Episode datasets without a simulator: layout, Isaac Lab compatibility, crash safety, streaming, bad files."""

import json
import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest
from conftest import ROOT
from dexgrasp.datasets import DatasetError, DatasetFile, DatasetWriter, EpisodeBuffers, EpisodeStream, schema

STEREO = "DexGrasp-KukaAllegro-StereoRGB-v0"


def episode(length: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "obs/policy": rng.random((length, 90), dtype=np.float32),
        "obs/left_rgb": rng.integers(0, 255, (length, 3, 8, 8), dtype=np.uint8),
        "obs/depth": rng.random((length, 1, 8, 8), dtype=np.float32),
        "actions": rng.random((length, 11), dtype=np.float32),
        "teacher/action_mean": rng.random((length, 11), dtype=np.float32),
        "teacher/action_std": np.full((length, 11), 0.5, dtype=np.float32),
        "rewards": np.arange(length, dtype=np.float32),
        "dones": np.arange(length) == length - 1,
        "object_pose": rng.random((length, 7), dtype=np.float32),
    }


def metadata(task: str = STEREO) -> dict:
    return {"task": task, "keys": schema.key_spec({k: v[0] for k, v in episode(1).items()})}


WRITER_UNTIL_KILLED = """
import sys
import numpy as np
sys.path.insert(0, "tests")
from test_dataset import episode, metadata
from dexgrasp.datasets import DatasetWriter
writer = DatasetWriter(sys.argv[1], "task", metadata(), overwrite=True)
print("ready", flush=True)
for i in range(10**6):
    writer.write_episode(episode(20 + (37 * i) % 150, seed=i), {"success": bool(i % 2)})
"""


def test_layout_dtypes_and_isaaclab_handler(tmp_path):
    from isaaclab.utils.datasets import HDF5DatasetFileHandler

    path = str(tmp_path / "data.hdf5")
    with DatasetWriter(path, STEREO, metadata(), env_cfg_yaml="scene: {}\n") as writer:
        for length in (5, 9):
            writer.write_episode(episode(length), {"success": True})
    with h5py.File(path, "r") as f:
        assert f.attrs["format_version"] == 1
        data = f["data"]
        assert data.attrs["num_demos"] == 2 and data.attrs["total"] == 14
        assert json.loads(data.attrs["env_args"]) == {"env_name": STEREO, "type": 2}
        assert json.loads(data.attrs["dexgrasp"])["task"] == STEREO and data.attrs["env_cfg"] == "scene: {}\n"
        demo = data["demo_1"]
        assert demo.attrs["num_samples"] == 9 and demo.attrs["success"]
        assert demo["obs/left_rgb"].dtype == np.uint8 and demo["obs/depth"].dtype == np.float16
        assert demo["obs/policy"].dtype == np.float32 and demo["dones"].dtype == bool
        assert demo["obs/left_rgb"].compression == "gzip" and demo["obs/left_rgb"].chunks[1:] == (3, 8, 8)
    # the writer's two hidden copies are gone: the output is the one name of a file that was closed
    assert [p.name for p in tmp_path.iterdir()] == ["data.hdf5"] and os.stat(path).st_nlink == 1
    handler = HDF5DatasetFileHandler()
    handler.open(path)
    assert handler.get_num_episodes() == 2 and handler.get_env_name() == STEREO
    loaded = handler.load_episode("demo_0", "cpu")
    assert tuple(loaded.data["obs"]["left_rgb"].shape) == (5, 3, 8, 8)
    assert tuple(loaded.data["teacher"]["action_std"].shape) == (5, 11)
    handler.close()


def test_episode_must_match_declared_keys(tmp_path):
    with DatasetWriter(str(tmp_path / "d.hdf5"), STEREO, metadata()) as writer:
        bad = episode(4)
        del bad["obs/depth"]
        with pytest.raises(ValueError, match="do not match"):
            writer.write_episode(bad)
        assert writer.num_episodes == 0


def test_existing_output_is_refused_and_untouched(tmp_path):
    path = tmp_path / "data.hdf5"
    path.write_bytes(b"precious")
    with pytest.raises(DatasetError, match="exists; pass --overwrite"):
        DatasetWriter(str(path), STEREO, metadata())
    assert path.read_bytes() == b"precious" and sorted(p.name for p in tmp_path.iterdir()) == ["data.hdf5"]
    DatasetWriter(str(path), STEREO, metadata(), overwrite=True).close()
    assert DatasetFile(str(path)).episodes == []


def test_writer_killed_at_random_moments_leaves_whole_episodes(tmp_path):
    from isaaclab.utils.datasets import HDF5DatasetFileHandler

    path = str(tmp_path / "killed.hdf5")
    rng = np.random.default_rng(1)
    for _ in range(4):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER_UNTIL_KILLED, path], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout.readline().strip() == "ready"
        delay = rng.uniform(0.2, 1.2)
        print(f"killing the writer {delay:.3f} s after it was ready (rng seed 1)")  # shown when the test fails
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        found = DatasetFile(path)
        assert found.episodes, "nothing committed"
        for name in found.episodes:
            dones = found.read(name, "dones")
            assert len(dones) == found.length(name) and dones[-1] and dones.sum() == 1
            assert len(found.read(name, "obs/left_rgb")) == found.length(name)
        found.close()
        handler = HDF5DatasetFileHandler()
        handler.open(path)
        assert handler.get_num_episodes() == len(found.episodes)
        handler.close()
    DatasetWriter(path, STEREO, metadata(), overwrite=True).close()  # removes the killed writer's hidden copies
    assert [p.name for p in tmp_path.iterdir()] == ["killed.hdf5"]


def test_stream_plays_whole_episodes_per_lane(tmp_path):
    path = str(tmp_path / "d.hdf5")
    lengths = (3, 70, 5)
    with DatasetWriter(path, STEREO, metadata()) as writer:
        for length in lengths:
            writer.write_episode(episode(length))
    stream = EpisodeStream([DatasetFile(path)], ["rewards", "obs/depth", "dones"], num_lanes=2, window=4)
    seen = [[], []]
    for _ in range(sum(lengths) // 2):
        step = stream.next_step()
        assert step["obs/depth"].shape == (2, 1, 8, 8)
        for lane in range(2):
            seen[lane].append((step["rewards"][lane], step["dones"][lane]))
    for lane in seen:
        t = 0
        for reward, done in lane:
            assert reward == t  # rewards count the steps of an episode: every step in order, none skipped
            t = 0 if done else t + 1
    assert stream.passes == pytest.approx(1.0)


def test_buffers_stack_each_environments_steps():
    buffers = EpisodeBuffers(2)
    for t in range(3):
        buffers.add({"x": np.array([[t, 10 + t], [t, 20 + t]])})
    assert buffers.pop(1)["x"].tolist() == [[0, 20], [1, 21], [2, 22]]
    assert buffers.pop(1) == {}


@pytest.mark.parametrize(
    "content, message",
    [
        (b"definitely not hdf5", "not an HDF5 file or damaged"),
        (None, "no 'data' group"),
        ("nometa", "not written by scripts/record.py"),
    ],
)
def test_unreadable_or_foreign_files(tmp_path, content, message):
    path = tmp_path / "bad.hdf5"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        with h5py.File(path, "w") as f:
            if content == "nometa":
                f.create_group("data")
    with pytest.raises(DatasetError, match=message):
        DatasetFile(str(path))


def test_truncated_file_is_reported(tmp_path):
    path = tmp_path / "d.hdf5"
    with DatasetWriter(str(path), STEREO, metadata()) as writer:
        writer.write_episode(episode(50))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match="damaged"):
        found = DatasetFile(str(path))
        found.read(found.episodes[0], "obs/left_rgb")
