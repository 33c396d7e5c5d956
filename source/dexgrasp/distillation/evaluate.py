"""Teacher against student on the same seeds, in the scene that serves both.

Both run in one simulation, one after the other: before each, the random generators are seeded with the
same seed, the environments reset and the curriculum set to the teacher's level, so both start from the
same initial states (episodes that end at different times draw different later resets). Each policy's
episodes, statistics and camera frames (the stereo pair, and the depth image when the scene has one) are
written by :mod:`dexgrasp.evaluation.rollout` into ``<out>/teacher`` and ``<out>/student``; the comparison
table goes to ``<out>/comparison.csv`` and ``<out>/comparison.md``.
"""

from __future__ import annotations

import csv
import os
from types import SimpleNamespace

from .policy import FrozenPolicy

COLUMNS = ("policy", "episodes", "success_rate", "mean_length", "mean_return", "checkpoint")


class _Acting:
    """What the rollout loop drives: a frozen model acting with its mean action from a seeded reset."""

    def __init__(self, wrapped, policy: FrozenPolicy, seed: int, curriculum: dict):
        self.env, self.policy, self.seed, self.curriculum = wrapped, policy, seed, curriculum

    def reset(self):
        from dexgrasp.tasks.grasp.mdp import set_curriculum_state

        self.env.unwrapped.seed(self.seed)
        set_curriculum_state(self.env.unwrapped, self.curriculum)
        obs, _ = self.env.reset()
        self.policy.reset()
        return obs

    def step(self, obs):
        actions, _ = self.policy.outputs(obs)
        obs, rewards, dones, _ = self.env.step(actions)
        self.policy.reset(dones)
        return obs, rewards, dones, obs


def compare(
    wrapped, teacher: FrozenPolicy, student: FrozenPolicy, args, checkpoints: dict, curriculum: dict
) -> list[dict]:
    """Evaluate both policies; returns one summary row per policy (and writes the files)."""
    from dexgrasp.evaluation.rollout import _run_episodes
    from dexgrasp.tasks.grasp.mdp import episode_success

    rows = []
    for name, policy in (("teacher", teacher), ("student", student)):
        out = os.path.join(args.out, name)
        os.makedirs(out, exist_ok=True)
        run_args = SimpleNamespace(
            task=args.task, checkpoint=checkpoints[name], episodes=args.episodes, out=out, video=args.video
        )
        summary = _run_episodes(
            wrapped.unwrapped, _Acting(wrapped, policy, args.seed, curriculum), run_args, episode_success
        )
        rows.append({"policy": name, **{key: summary[key] for key in COLUMNS[1:]}})
    write_table(rows, args.out)
    return rows


def write_table(rows: list[dict], out: str) -> None:
    with open(os.path.join(out, "comparison.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        "| policy | episodes | success rate | mean episode length [steps] | mean reward (return) |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['policy']} | {row['episodes']} | {row['success_rate']:.3f} | {row['mean_length']:.1f}"
            f" | {row['mean_return']:.3f} |"
        )
    lines += ["", "Frames seen by each policy: `teacher/frames.png`, `student/frames.png`.", ""]
    with open(os.path.join(out, "comparison.md"), "w") as f:
        f.write("\n".join(lines))
