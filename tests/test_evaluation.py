"""Evaluation episodes are samples: ``scripts/play.py`` on a tiny scene draws each episode's start from the seed, the
same seed and device give the same episodes on any number of environments, another seed gives others, and the
summary carries its intervals and per-object rows; ``scripts/compare.py`` pairs two evaluations of the same episodes
and refuses two of different ones."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import run

pytestmark = pytest.mark.slow

START = ("object", "start_x", "start_y", "start_z", "mass")
TINY = ["presets=res32", "env.episode_length_s=0.2"]


def _play(out, seed: int, num_envs: int, objects: str = "cube", level: float = 1.0, episodes: int = 5) -> tuple:
    proc = run(
        ["scripts/play.py", "--task", "DexGrasp-KukaAllegro-State-v0", "--policy", "scripted", "--device", "cpu",
         "--num_envs", str(num_envs), "--episodes", str(episodes), "--seed", str(seed), "--level", str(level),
         "--objects", objects, "--out", str(out), *TINY]  # fmt: skip
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(out / "summary.json") as f:
        summary = json.load(f)
    with open(out / "episodes.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return summary, rows


def _starts(rows):
    return [tuple(row[key] for key in START) for row in rows]


def test_starts_follow_the_seed_not_the_environments(tmp_path):
    first, rows = _play(tmp_path / "a", seed=0, num_envs=2)
    _, same_seed = _play(tmp_path / "b", seed=0, num_envs=3)
    _, other_seed = _play(tmp_path / "c", seed=1, num_envs=2)
    assert [int(r["episode"]) for r in rows] == list(range(5))
    assert _starts(rows) == _starts(same_seed), "the same seed gives the same episodes on 2 and 3 environments"
    assert {r["env"] for r in rows} != {r["env"] for r in same_seed}
    assert len(set(_starts(rows))) == 5, "at level 1 every episode starts elsewhere"
    assert not set(_starts(rows)) & set(_starts(other_seed)), "another seed draws other starts"
    assert (first["level"], first["objects"], first["seed"], first["episodes"]) == (1.0, "cube", 0, 5)
    assert first["distinct_starts"] == 5
    successes = sum(r["success"] == "True" for r in rows)
    assert first["success"]["k"] == successes and first["success"]["n"] == 5
    low, high = first["success"]["ci95"]
    assert 0.0 <= low <= successes / 5 <= high <= 1.0 and high - low > 0.3
    assert [row["episodes"] for row in first["per_object"]] == [5]

    paired = run(["scripts/compare.py", str(tmp_path / "a"), str(tmp_path / "b")])
    assert paired.returncode == 0, paired.stderr
    with open(tmp_path / "a" / "paired.json") as f:
        result = json.load(f)
    assert result["success"]["episodes"] == 5 and 0.0 <= result["success"]["mcnemar_p"] <= 1.0
    elsewhere = tmp_path / "paired" / "a_vs_b.json"  # --out in a folder that does not exist yet
    assert run(["scripts/compare.py", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(elsewhere)]).returncode == 0
    assert json.loads(elsewhere.read_text())["success"] == result["success"]
    refused = run(["scripts/compare.py", str(tmp_path / "a"), str(tmp_path / "c")])
    assert refused.returncode == 2 and "not the same episodes" in refused.stderr and "seed 0 vs 1" in refused.stderr


def test_held_out_set_has_a_row_per_object_and_level_zero_repeats_one_start_per_object(tmp_path):
    summary, rows = _play(tmp_path / "h", seed=0, num_envs=16, objects="heldout", level=0.0, episodes=32)
    assert summary["objects"] == "heldout" and summary["level"] == 0.0 and summary["objects_held"] == "16 of 16"
    assert [row["episodes"] for row in summary["per_object"]] == [2] * 16, "objects are balanced"
    assert all(row["label"].split()[0] in ("box", "cylinder", "sphere", "capsule", "cone") for row in summary["per_object"])
    assert summary["distinct_starts"] == 16, "at level 0 each object has one start"
    assert len({r["env"] for r in rows}) == 16


def test_bad_evaluation_settings_are_refused_before_the_simulator_starts():
    for args, message in (
        (["--level", "1.5"], "--level must lie in [0, 1]"),
        (["--episodes", "0"], "--episodes must be a positive integer"),
    ):
        proc = run(["scripts/play.py", "--task", "DexGrasp-KukaAllegro-State-v0", "--policy", "scripted",
                    "--device", "cpu", *args, *TINY], timeout=120)  # fmt: skip
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
