"""The files the documented evidence is made of: training curves read from real TensorBoard event files
(``metrics/curves.py``), and the randomisation-factor and the expert's position-error tables read from evaluation
folders in the layout ``scripts/play.py`` writes (``evaluation/factors.py`` and ``evaluation/position_error.py``, the
``factors`` and ``position_error`` recipes of ``scripts/learning_curve.py``)."""

import csv
import json

import pytest
from dexgrasp.evaluation import factors, position_error
from dexgrasp.evaluation.rollout import write_evaluation
from dexgrasp.metrics.curves import curve_table, read_scalars, write_curves
from torch.utils.tensorboard import SummaryWriter


def test_curves_of_a_resumed_run_are_read_whole_and_written(tmp_path):
    """A run resumed into a second event file: both files are read, one row per iteration, and the summary
    compares the first and last tenth of the iterations (the closest approach improves by falling)."""
    for start, folder in ((0, "first"), (10, "resumed")):
        writer = SummaryWriter(str(tmp_path / "run" / folder))
        for it in range(start, start + 10):
            writer.add_scalar("Train/mean_reward", float(it), it)
            writer.add_scalar("Metrics/success", it / 20, it)
            writer.add_scalar("Metrics/closest_distance", 0.2 - it / 200, it)
        writer.close()
    rows = curve_table(read_scalars(str(tmp_path / "run")))
    assert [r["iteration"] for r in rows] == list(range(20))
    expected = {"iteration": 7, "reward": 7.0, "success_rate": 0.35, "closest_distance": 0.165}
    assert rows[7] == pytest.approx(expected)
    summary = write_curves(rows, str(tmp_path / "out"), "a resumed run")
    assert summary["reward"] == {"first": 0.5, "last": 18.5, "ratio": 37.0, "points": 20}
    assert summary["closest_distance"]["best"] == pytest.approx(0.2 - 19 / 200)
    assert summary["success_rate"]["best"] == pytest.approx(0.95)
    with open(tmp_path / "out" / "curve.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == 20
    assert (tmp_path / "out" / "curve.png").stat().st_size > 0


def _evaluation(folder, successes: list[bool]) -> str:
    """An evaluation folder of 8 planned episodes on 4 objects (as ``scripts/play.py`` writes it)."""
    folder.mkdir(parents=True)
    records = [
        {"episode": k, "object": k % 4, "env": k % 4, "length": 100, "return": 1.0, "success": s, "lifted": s,
         "closest_distance": 0.1, "start_x": 0.0, "start_y": 0.0, "start_z": 0.5, "mass": 0.1}
        for k, s in enumerate(successes)
    ]  # fmt: skip
    info = {"seed": 0, "level": 1.0, "objects": "train", "objects_held": "4 of 4", "commit": "abc", "checkpoint": "x"}
    write_evaluation(records, [f"object {i}" for i in range(4)], info, str(folder))
    return str(folder)


def test_factor_table_pairs_each_factor_with_none(tmp_path):
    everything = [True] * 8
    folders = {cell: _evaluation(tmp_path / factors.folder_name(cell), everything) for cell in factors.cell_names()}
    folders["spawn rotation"] = _evaluation(tmp_path / "rotation_fails", [True, False] * 4)
    rows = factors.factor_table(folders, str(tmp_path))
    assert [r["factor"] for r in rows] == factors.cell_names()
    by_factor = {r["factor"]: r for r in rows}
    assert "difference_from_none" not in by_factor["none"]
    assert by_factor["spawn rotation"]["success"] == 0.5
    assert by_factor["spawn rotation"]["difference_from_none"] == -0.5
    assert by_factor["spawn rotation"]["mcnemar_p"] == pytest.approx(0.125)  # 4 discordant pairs, all one way
    assert by_factor["pushes"]["difference_from_none"] == 0.0
    assert json.loads((tmp_path / "factors.json").read_text()) == rows


def test_position_error_table_pairs_each_error_with_the_same_gates_on_the_exact_position(tmp_path):
    folders = {}
    for gates, error in position_error.cells():
        outcomes = [True] * 8 if gates == "expert" else [True, True, False, False] * 2
        if (gates, error) == ("loose", 0.0):
            outcomes = [True] * 4 + [False] * 4
        folders[gates, error] = _evaluation(tmp_path / position_error.folder_name(gates, error), outcomes)
    rows = {r["cell"]: r for r in position_error.error_table(folders, str(tmp_path))}
    assert list(rows) == [position_error.folder_name(*cell) for cell in position_error.cells()]
    assert "difference_from_exact" not in rows["loose_error0"]
    assert rows["expert_error0.02"]["difference_from_exact"] == 0.0
    assert rows["loose_error0.02"]["success"] == 0.5
    assert rows["loose_error0.02"]["difference_from_exact"] == 0.0  # against loose_error0, not expert_error0
    assert (tmp_path / "loose_error0.02" / "paired_exact.json").is_file()
    assert json.loads((tmp_path / "position_error.json").read_text()) == list(rows.values())
    assert position_error.overrides_for("loose", 0.02)[-1] == "env.scripted_expert.position_error=0.02"


def test_factor_overrides_leave_one_factor_on():
    assert factors.overrides_for("all") == []
    every = factors.overrides_for("none")
    assert len(every) == sum(len(off) for off in factors.FACTORS.values())
    for name, off in factors.FACTORS.items():
        assert sorted(factors.overrides_for(name)) == sorted(o for o in every if o not in off)
    with pytest.raises(ValueError, match="unknown randomisation factor"):
        factors.overrides_for("gravity")
