"""Teacher against student on the same episodes, in the scene that serves both.

Both run in one simulation, one after the other, each on a fresh plan of the same seed
(:mod:`.episode_plan`): episode ``k`` starts from the same object and start state for both, whichever environment
runs it, at the level the caller holds fixed. Each policy's episodes, statistics and camera frames (the stereo
pair, and the depth image when the scene has one) are written by :func:`.rollout.run_episodes` into
``<out>/teacher`` and ``<out>/student``; the comparison table goes to ``<out>/comparison.csv`` and
``<out>/comparison.md``, the paired test (:mod:`.paired`) to ``<out>/paired.json``; with the object's pixels
measured, the student's view of the object per outcome of the pair (:func:`.visibility.observability`) to
``<out>/observability.json``.
"""

from __future__ import annotations

import csv
import json
import os

from dexgrasp.learners.distillation.policy import FrozenPolicy
from dexgrasp.learners.distillation.teacher import PolicySpec

from .paired import compare_folders, read_evaluation
from .rollout import run_episodes, start_plan
from .visibility import ObjectPixels, observability

COLUMNS = ("policy", "episodes", "success_rate", "mean_length", "mean_return", "checkpoint")


class _Acting:
    """What the rollout loop drives: a frozen model acting with its mean action, from the first planned episodes."""

    def __init__(self, wrapped, policy: FrozenPolicy):
        self.env, self.policy = wrapped, policy

    def reset(self):
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
    level: float = 0.0,
    cameras: list[str] | None = None,
) -> list[dict]:
    """Build the scene of ``variant`` and :func:`compare` ``teacher`` with the student checkpoint ``student``;
    ``cameras`` (given :func:`~.visibility.request_object_pixels` ran on ``env_cfg``) measures the object's pixels."""
    from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper

    from dexgrasp.envs.factory import open_env
    from dexgrasp.learners.distillation.policy import load_actor, load_student

    os.makedirs(out, exist_ok=True)
    with open_env(variant.env_id, env_cfg, device, viewer=viewer) as env:
        wrapped = RslRlVecEnvWrapper(env)
        obs = wrapped.get_observations()
        groups = variant.teacher_groups(teacher.obs_groups)
        teacher_policy = FrozenPolicy(load_actor(teacher, obs, groups, wrapped.num_actions, device))
        student_policy = FrozenPolicy(load_student(student, obs, wrapped.num_actions, device))
        checkpoints = {"teacher": teacher.checkpoint or "scripted", "student": student}
        pixels = ObjectPixels(env.unwrapped, cameras) if cameras else None
        return compare(
            wrapped, teacher_policy, student_policy, task, episodes, seed, out, video, checkpoints, level, pixels
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
    level: float,
    pixels: ObjectPixels | None = None,
) -> list[dict]:
    """Evaluate both policies on the episodes of ``seed`` at ``level``; returns one summary row per policy (and
    writes the files, the paired test included, and with ``pixels`` ``observability.json``)."""
    from dexgrasp.tasks.grasp.mdp import episode_success

    rows = []
    for name, policy in (("teacher", teacher), ("student", student)):
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        plan = start_plan(wrapped.unwrapped, seed, episodes, level)
        info = {"task": task, "checkpoint": checkpoints[name], "actions": "mean"}
        acting = _Acting(wrapped, policy)
        summary = run_episodes(wrapped.unwrapped, acting, episode_success, plan, info, folder, video, pixels)
        rows.append({"policy": name, "success_ci95": summary["success"]["ci95"], **{k: summary[k] for k in COLUMNS[1:]}})
    paired = compare_folders(os.path.join(out, "teacher"), os.path.join(out, "student"), os.path.join(out, "paired.json"))
    write_table(rows, paired["success"], out)
    if pixels is not None:
        write_observability(os.path.join(out, "teacher"), os.path.join(out, "student"), out)
    return rows


def write_observability(teacher: str, student: str, out: str) -> dict | None:
    """``<out>/observability.json`` (:func:`.visibility.observability`) of two evaluation folders of the same
    episodes, when the student's measured the object's pixels; returns it (None, and nothing written, otherwise)."""
    (_, teacher_rows), (summary, student_rows) = read_evaluation(teacher), read_evaluation(student)
    if "cameras_measured" not in summary:
        return None
    result = {"teacher": teacher, "student": student, "cameras": summary["cameras_measured"]}
    result.update(observability(teacher_rows, student_rows))
    with open(os.path.join(out, "observability.json"), "w") as f:
        json.dump(result, f, indent=2)
    return result


def write_table(rows: list[dict], paired: dict, out: str) -> None:
    with open(os.path.join(out, "comparison.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[*COLUMNS, "success_ci95"])
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        "| policy | episodes | success rate [95% CI] | mean episode length [steps] | mean reward (return) |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        low, high = row["success_ci95"]
        lines.append(
            f"| {row['policy']} | {row['episodes']} | {row['success_rate']:.3f} [{low:.3f}, {high:.3f}]"
            f" | {row['mean_length']:.1f} | {row['mean_return']:.3f} |"
        )
    low, high = paired["difference_ci95_object_bootstrap"]
    lines += [
        "",
        f"Teacher minus student, paired on the same {paired['episodes']} episodes: {paired['difference']:+.3f}"
        f" (95% CI over objects [{low:+.3f}, {high:+.3f}]), exact McNemar p = {paired['mcnemar_p']:.3g}"
        f" ({paired['only_first']} episodes only the teacher succeeded in, {paired['only_second']} only the student).",
        "",
    ]
    if all(os.path.isfile(os.path.join(out, name, "frames.png")) for name in ("teacher", "student")):
        lines += ["Frames seen by each policy: `teacher/frames.png`, `student/frames.png`.", ""]
    with open(os.path.join(out, "comparison.md"), "w") as f:
        f.write("\n".join(lines))
