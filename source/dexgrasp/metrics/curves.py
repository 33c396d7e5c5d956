"""Training curves from RSL-RL's TensorBoard logs, written as CSV, JSON and PNG.

The grasp metrics (``Metrics/``: episode-end success, share of episodes that lifted the object, closest hand
approach, time in the success region) count episodes with the task's normal start only; assisted starts are
logged apart (``Metrics_assisted/``).
"""

from __future__ import annotations

import csv
import glob
import json
import os

CURVE_TAGS = {
    "reward": "Train/mean_reward",
    "episode_length": "Train/mean_episode_length",
    "success_rate": "Metrics/success",
    "lifted_rate": "Metrics/lifted",
    "closest_distance": "Metrics/closest_distance",
    "time_in_success_s": "Metrics/time_in_success_s",
    "assisted_success_rate": "Metrics_assisted/success",
    "assisted_lifted_rate": "Metrics_assisted/lifted",
    "curriculum_level": "Curriculum/adr/level",
    "goal_height": "Curriculum/goal_height/height",
    "goal_height_success_rate": "Curriculum/goal_height/success_rate",
    "object_weight": "Curriculum/object_weight/scale",
    "contact": "Episode_Reward/contact",
    "reach": "Episode_Reward/reach",
    "goal": "Episode_Reward/goal",
    "lift": "Episode_Reward/lift",
    "steps_per_s": "Perf/total_fps",
    "learning_rate": "Loss/learning_rate",
    "guide_loss": "Loss/guide",
    "guide_coef": "Coefficients/guide_coef",
}


def read_scalars(log_dir: str) -> dict[str, list[tuple[int, float]]]:
    """Every scalar series of the TensorBoard event files under ``log_dir``: name -> [(step, value)]."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    series: dict[str, list[tuple[int, float]]] = {}
    for path in sorted(glob.glob(os.path.join(log_dir, "**", "events.out.tfevents.*"), recursive=True)):
        acc = EventAccumulator(path, size_guidance={"scalars": 0})
        acc.Reload()
        for tag in acc.Tags()["scalars"]:
            series.setdefault(tag, []).extend((e.step, e.value) for e in acc.Scalars(tag))
    return {k: sorted(v) for k, v in series.items()}


def curve_table(series: dict[str, list[tuple[int, float]]]) -> list[dict]:
    """One row per iteration with the curves of :data:`CURVE_TAGS` (missing values left empty)."""
    rows: dict[int, dict] = {}
    for name, tag in CURVE_TAGS.items():
        for step, value in series.get(tag, []):
            rows.setdefault(step, {"iteration": step})[name] = value
    return [rows[k] for k in sorted(rows)]


def improvement(rows: list[dict], key: str = "reward", fraction: float = 0.1) -> dict:
    """Mean of ``key`` over the first and the last ``fraction`` of the iterations that logged it."""
    values = [r[key] for r in rows if key in r]
    if len(values) < 2:
        raise ValueError(f"not enough '{key}' values to compare ({len(values)})")
    k = max(1, int(len(values) * fraction))
    first, last = sum(values[:k]) / k, sum(values[-k:]) / k
    return {"first": first, "last": last, "ratio": last / first if first else None, "points": len(values)}


def write_curves(rows: list[dict], out_dir: str, title: str) -> dict:
    """``curve.csv``, ``curve.png`` and ``summary.json`` in ``out_dir``; returns the summary."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(out_dir, exist_ok=True)
    fields = ["iteration"] + list(CURVE_TAGS)
    with open(os.path.join(out_dir, "curve.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    panels = [
        k
        for k in (
            "reward",
            "success_rate",
            "lifted_rate",
            "closest_distance",
            "assisted_lifted_rate",
            "reach",
            "contact",
            "goal_height",
            "object_weight",
        )
        if any(k in r for r in rows)
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.2))
    for ax, key in zip(axes if len(panels) > 1 else [axes], panels):
        pts = [(r["iteration"], r[key]) for r in rows if key in r]
        ax.plot(*zip(*pts), lw=1.5)
        ax.set_title(key.replace("_", " "))
        ax.set_xlabel("iteration")
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "curve.png"), dpi=110)
    plt.close(fig)
    summary = {"reward": improvement(rows, "reward")}
    for key in (
        "success_rate",
        "lifted_rate",
        "closest_distance",
        "assisted_success_rate",
        "assisted_lifted_rate",
        "goal_height",
    ):
        if sum(key in r for r in rows) >= 2:
            summary[key] = improvement(rows, key)
            summary[key]["best"] = (max if key != "closest_distance" else min)(r[key] for r in rows if key in r)
    with open(os.path.join(out_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    return summary
