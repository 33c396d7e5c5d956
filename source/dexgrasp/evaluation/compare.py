"""Teacher against student on the same seeds, in the scene that serves both.

Both run in one simulation, one after the other: before each, the random generators are seeded with the
same seed, the environments reset and the curriculum set to the teacher's level, so both start from the
same initial states (episodes that end at different times draw different later resets). Each policy's
episodes, statistics and camera frames (the stereo pair, and the depth image when the scene has one) are
written by :func:`.rollout.run_episodes` into ``<out>/teacher`` and ``<out>/student``; the comparison
table goes to ``<out>/comparison.csv`` and ``<out>/comparison.md``.
"""

from __future__ import annotations

import csv
import os

from dexgrasp.learners.distillation.policy import FrozenPolicy
from dexgrasp.learners.distillation.teacher import PolicySpec

from .rollout import run_episodes

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


def evaluate_pair(
    variant,
    teacher: PolicySpec,
    student: str,
    env_cfg,
    task: str,
    episodes: int,
    seed: int,
    out: str,
    device: str,
    video: bool = False,
    viewer=None,
) -> list[dict]:
    """Build the scene of ``variant`` and :func:`compare` ``teacher`` with the student checkpoint ``student``."""
    from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper

    from dexgrasp.envs.factory import open_env
    from dexgrasp.learners.distillation.policy import load_actor, load_student
    from dexgrasp.runs import read_metadata

    os.makedirs(out, exist_ok=True)
    with open_env(variant.env_id, env_cfg, device, viewer=viewer) as env:
        wrapped = RslRlVecEnvWrapper(env)
        obs = wrapped.get_observations()
        groups = variant.teacher_groups(teacher.obs_groups)
        teacher_policy = FrozenPolicy(load_actor(teacher, obs, groups, wrapped.num_actions, device))
        student_policy = FrozenPolicy(load_student(student, obs, wrapped.num_actions, device))
        checkpoints = {"teacher": teacher.checkpoint or "scripted", "student": student}
        curriculum = read_metadata(teacher.checkpoint).get("curriculum", {}) if teacher.checkpoint else {}
        return compare(
            wrapped, teacher_policy, student_policy, task, episodes, seed, out, video, checkpoints, curriculum
        )


def compare(
    wrapped,
    teacher: FrozenPolicy,
    student: FrozenPolicy,
    task: str,
    episodes: int,
    seed: int,
    out: str,
    video: bool,
    checkpoints: dict,
    curriculum: dict,
) -> list[dict]:
    """Evaluate both policies; returns one summary row per policy (and writes the files)."""
    from dexgrasp.tasks.grasp.mdp import episode_success

    rows = []
    for name, policy in (("teacher", teacher), ("student", student)):
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        acting = _Acting(wrapped, policy, seed, curriculum)
        summary = run_episodes(
            wrapped.unwrapped, acting, episode_success, task, checkpoints[name], episodes, folder, video
        )
        rows.append({"policy": name, **{key: summary[key] for key in COLUMNS[1:]}})
    write_table(rows, out)
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
