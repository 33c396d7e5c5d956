"""Two evaluations of the same episodes, compared (simulation-free): the files of ``scripts/play.py`` or
``scripts/evaluate.py`` in, ``paired.json`` out.

Two folders hold the same episodes when their summaries name the same seed, level, object set and episode count
(the episodes are then drawn from the same plan, :mod:`.episode_plan`); anything else is refused, since a paired
test of different episodes would mean nothing.
"""

from __future__ import annotations

import csv
import json
import os

from . import stats

SAME_EPISODES = ("seed", "level", "objects", "objects_held", "episodes")
"""Summary fields two evaluations must share to be paired."""


def read_evaluation(folder: str) -> tuple[dict, list[dict]]:
    """``summary.json`` and the rows of ``episodes.csv`` of an evaluation folder (outcomes as booleans)."""
    with open(os.path.join(folder, "summary.json")) as f:
        summary = json.load(f)
    with open(os.path.join(folder, "episodes.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["episode"], row["object"] = int(row["episode"]), int(row["object"])
        row["success"], row["lifted"] = row["success"] == "True", row["lifted"] == "True"
    return summary, rows


def compare_folders(first: str, second: str, out: str | None = None) -> dict:
    """The paired comparison of two evaluation folders, success and lifted (first minus second); written to ``out``
    as JSON when given. Raises ``ValueError`` when they do not hold the same episodes."""
    a_summary, a_rows = read_evaluation(first)
    b_summary, b_rows = read_evaluation(second)
    differing = [key for key in SAME_EPISODES if a_summary.get(key) != b_summary.get(key)]
    if differing:
        values = ", ".join(f"{k} {a_summary.get(k)!r} vs {b_summary.get(k)!r}" for k in differing)
        raise ValueError(f"{first} and {second} are not the same episodes ({values})")
    result = {
        "first": {"folder": first, "checkpoint": a_summary.get("checkpoint"), "commit": a_summary.get("commit")},
        "second": {"folder": second, "checkpoint": b_summary.get("checkpoint"), "commit": b_summary.get("commit")},
        **{key: a_summary.get(key) for key in SAME_EPISODES},
        "success": stats.paired_comparison(a_rows, b_rows, "success"),
        "lifted": stats.paired_comparison(a_rows, b_rows, "lifted"),
    }
    if out is not None:
        with open(out, "w") as f:
            json.dump(result, f, indent=2)
    return result


def sweep_table(
    cells: list[tuple[str, str, str | None]], out: str, stem: str, label: str, paired_name: str, difference: str
) -> list[dict]:
    """One row per evaluation of a sweep, in order: ``cells`` holds (its label, its folder, the folder of the
    evaluation it is paired with, or None for a reference). A row has success and lifted with their Wilson
    intervals and, against its reference on the same episodes, the paired difference in success (column
    ``difference``, with its interval over objects) and the exact McNemar p; each comparison is written as
    ``paired_name`` in its cell's folder, the table as ``<stem>.csv`` and ``<stem>.json`` in ``out``."""
    rows = []
    for name, folder, reference in cells:
        summary, _ = read_evaluation(folder)
        row = {label: name, **{key: summary[key] for key in ("episodes", "level", "objects")}}
        for key in ("success", "lifted"):
            row[key], (row[f"{key}_ci_low"], row[f"{key}_ci_high"]) = summary[key]["rate"], summary[key]["ci95"]
        if reference is not None:
            paired = compare_folders(folder, reference, os.path.join(folder, paired_name))["success"]
            row[difference] = paired["difference"]
            row["difference_ci_low"], row["difference_ci_high"] = paired["difference_ci95_object_bootstrap"]
            row["mcnemar_p"] = paired["mcnemar_p"]
        row["commit"] = summary.get("commit")
        rows.append(row)
    fields = list(dict.fromkeys(key for row in rows for key in row))
    with open(os.path.join(out, f"{stem}.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    with open(os.path.join(out, f"{stem}.json"), "w") as f:
        json.dump(rows, f, indent=2)
    return rows
