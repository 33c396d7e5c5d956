"""Every policy shipped with the package loads and plays (``scripts/play.py --use_pretrained_checkpoint``), and its
card names files that exist."""

import json
import os

import pytest
from conftest import ROOT, run
from dexgrasp.pretrained import pretrained_checkpoint, shipped
from dexgrasp.runs import CheckpointError
from dexgrasp.tasks.grasp.config.kuka_allegro import STATE_GUIDED

SHIPPED = shipped()


def test_every_shipped_policy_has_a_card_whose_files_exist():
    assert SHIPPED, "no shipped policy"
    for task, path in SHIPPED.items():
        assert os.path.getsize(path) < 5 * 2**20, f"{path} is over 5 MiB"
        with open(path[:-3] + ".json") as f:
            card = json.load(f)
        assert card["task"] == task and card["command"].startswith("python scripts/")
        for cell in card["evaluation"].values():
            assert (ROOT / cell["file"]).is_file(), cell["file"]


@pytest.mark.slow
@pytest.mark.parametrize("task", sorted(SHIPPED))
def test_shipped_policy_plays(task, tmp_path):
    """No override on the command line: the checkpoint brings what its policy needs (presets, observations)."""
    args = ["scripts/play.py", "--task", task, "--use_pretrained_checkpoint", "--device", "cpu", "--num_envs", "1"]
    proc = run([*args, "--episodes", "1", "--out", str(tmp_path), "env.episode_length_s=1"], timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"pretrained checkpoint: {SHIPPED[task]}" in proc.stdout
    assert json.loads((tmp_path / "summary.json").read_text())["episodes"] == 1


def test_a_task_without_a_shipped_policy_is_named_in_the_refusal():
    """Every task of the command line ships a policy; a task added without one is refused naming those that do."""
    with pytest.raises(CheckpointError) as refused:
        pretrained_checkpoint(STATE_GUIDED)
    message = str(refused.value)
    assert message.startswith(f"no pretrained checkpoint ships for task '{STATE_GUIDED}'")
    assert all(task in message for task in SHIPPED)
