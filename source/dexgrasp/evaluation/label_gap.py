"""A policy's action next to the scripted expert's label, step by step, in the states the policy itself reaches.

A student cloned from the scripted expert can score a small distillation loss and still never grasp: the loss
averages over the states its training saw, and a student that misses one switch of the expert's phase (close,
lift) stays in states where its action and the label disagree for the rest of the episode. Rolling the student out
and labelling each of its states with :class:`~dexgrasp.tasks.grasp.scripted_expert.ScriptedGraspExpert` shows
where: per phase of the expert, how often it is reached and how far each part of the action is from the label
(mean absolute difference in the action's own [-1, 1] units; for the palm position, 1 is half the palm target box).

Given the object's pixels (:class:`~dexgrasp.evaluation.visibility.ObjectPixels`, for a camera policy), the same
gaps are also binned by how much of the object the cameras show, and each finished episode gets a row of
``visibility.csv``: where the expert acts on what the cameras cannot see, the student cannot follow.
"""

from __future__ import annotations

import csv
import json
import os

import torch

from dexgrasp.evaluation.visibility import ObjectPixels, VisibilityGap
from dexgrasp.tasks.grasp.scripted_expert import PHASES, ScriptedGraspExpert

ACTION_PARTS = {"palm_xy": slice(0, 2), "palm_z": slice(2, 3), "palm_rot": slice(3, 6), "hand": slice(6, 11)}
"""The 11-D action's parts: palm target position, its orientation, the five hand synergy coefficients."""
TRACE_COLUMNS = ("palm_z", "closure")
"""Action dimensions traced over time for environment 0: palm target height and hand closure (synergy 1)."""


@torch.inference_mode()
def label_gap(env, policy, steps: int, out: str, pixels: ObjectPixels | None = None) -> dict:
    """Step ``env`` (an RSL-RL wrapper) with ``policy`` for ``steps`` steps, labelling each state with the expert;
    write ``summary.json``, ``trace.csv`` and ``trace.png`` (environment 0) into ``out`` and return the summary.
    With ``pixels``, also bin the gaps by the object's share of the images and write ``visibility.csv``."""
    expert = ScriptedGraspExpert(env.unwrapped)
    phase_count = torch.zeros(len(PHASES))
    gap_sum = {part: torch.zeros(len(PHASES)) for part in ACTION_PARTS}
    seen = None if pixels is None else VisibilityGap(env.num_envs, list(ACTION_PARTS))
    trace = []
    obs = env.get_observations()
    for step in range(steps):
        label = expert.act()
        phase = expert.phase.cpu()
        action = policy(obs)
        error = (action - label).abs().cpu()
        gaps = {part: error[:, dims].mean(dim=-1) for part, dims in ACTION_PARTS.items()}
        for part, gap in gaps.items():
            gap_sum[part].index_add_(0, phase, gap)
        phase_count.index_add_(0, phase, torch.ones(len(phase)))
        if seen is not None:  # the images the policy acted on
            seen.add(pixels.shares(), gaps)
        trace.append(
            {
                "step": step,
                "phase": PHASES[int(phase[0])],
                "palm_z": float(action[0, 2]),
                "palm_z_label": float(label[0, 2]),
                "closure": float(action[0, 6]),
                "closure_label": float(label[0, 6]),
            }
        )
        obs, _, dones, _ = env.step(action)
        policy.reset(dones)
        if seen is not None:
            seen.end(dones.nonzero().flatten().cpu())
    total = float(phase_count.sum())
    summary = {
        "steps": steps,
        "num_envs": env.num_envs,
        "phases": {
            name: {
                "share_of_steps": float(phase_count[i]) / total,
                **{
                    f"gap_{part}": float(gap_sum[part][i] / phase_count[i]) if phase_count[i] else None
                    for part in gap_sum
                },
            }
            for i, name in enumerate(PHASES)
        },
    }
    os.makedirs(out, exist_ok=True)
    if seen is not None:
        summary["visibility"] = {"cameras": pixels.camera_names, "bins": seen.summary(), "episodes": len(seen.episodes)}
        _write_rows(seen.episodes, os.path.join(out, "visibility.csv"))
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    _write_rows(trace, os.path.join(out, "trace.csv"))
    _plot(trace, os.path.join(out, "trace.png"))
    return summary


def _write_rows(rows: list[dict], path: str) -> None:
    """``rows`` as a CSV file (a header only when there are none)."""
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["env", "steps"])
        writer.writeheader()
        writer.writerows(rows)


def _plot(trace: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(TRACE_COLUMNS), 1, figsize=(7, 4.5), sharex=True)
    steps = [row["step"] for row in trace]
    for ax, column in zip(axes, TRACE_COLUMNS):
        ax.plot(steps, [row[column] for row in trace], label="policy")
        ax.plot(steps, [row[f"{column}_label"] for row in trace], "--", label="expert label")
        ax.set_ylabel(f"{column} action")
        ax.grid(alpha=0.3)
    axes[0].legend()
    axes[-1].set_xlabel("step (environment 0)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
