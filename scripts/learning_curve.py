"""Learning evidence on a CPU: each recipe is one command that trains, evaluates and writes CSV, PNG and JSON.

    python scripts/learning_curve.py scratch --out docs/figures/learning_curve/from_scratch
    python scripts/learning_curve.py rl_on_expert --out docs/figures/rl_on_expert/randomised
    python scripts/learning_curve.py depth_on_expert --out docs/figures/depth_on_expert
    python scripts/learning_curve.py stereo_student --out docs/figures/stereo_student/randomised
    python scripts/learning_curve.py depth_student --out docs/figures/depth_student
    python scripts/learning_curve.py factors --out docs/figures/expert_factors

Every evaluation is ``scripts/play.py`` or ``scripts/evaluate.py`` on planned episodes (``REPORT_SEED``; 256 per
cell, 64 environments): each cell is an object set and an ADR level held fixed (``SET_CELLS``: the training and the
held-out procedural sets at levels 0 and 1; ``CUBE_CELLS``). Policies are compared on the same episodes with
``scripts/compare.py`` (exact McNemar, object-bootstrap interval). No checkpoint is chosen on the reported episodes:
the recipes report the last one, and ``rl_on_expert`` draws its checkpoint curve on the disjoint episodes of
``SELECTION_SEED``.

* ``scratch``: PPO on the state task from scratch (``CPU_PRESET``), then its curves: reward, episode-end success,
  share of episodes that lifted the object 10 cm, closest hand approach (first and last 10 % of iterations), and its
  last checkpoint on the cube at levels 0, 0.5 and 1 without assisted starts, acting on its mean (``final/``) and
  sampling its actions as in training (``final_sampled/``).
* ``rl_on_expert``: behaviour cloning (DAgger) of the scripted expert into the state task's MLP actor, PPO from
  it guided by the expert (``--unguided``: plain PPO), the expert, the clone and the last PPO policy evaluated in
  every cell of ``SET_CELLS`` on the same episodes, their paired comparisons (``paired/``), and every
  ``--curve_every``-th checkpoint on the selection episodes (``checkpoints/``).
* ``depth_on_expert``: the same on the depth task (``DEPTH_CLONING``, ``DEPTH_RL_ON_EXPERT``): the end-to-end depth
  policy, cloned from the expert into the feed-forward 32x32 depth CNN, then PPO guided by the expert, with a
  privileged MLP critic; the expert is evaluated in the depth task's scenes on the same episodes.
* ``stereo_student``: DAgger of the scripted expert into a feed-forward 32x32 stereo RGB student (aggregated
  dataset), then teacher against student on the same episodes of the cube at levels 0 and 1 (the distillation
  scene's episodes, which end after a 2 s hold at the goal), the student's training curves, and its actions against
  the expert's labels (``scripts/label_gap.py``).
* ``depth_student``: the same DAgger into the depth task's feed-forward 32x32 CNN, trained at level 0.5
  (``DEPTH_STUDENT_CLONING``: the cube starts differently in every episode) and evaluated at levels 0.5 and 1.
* ``factors``: the scripted expert (``--checkpoint``: a state policy) on the training set at ``--level`` (default 1)
  with one randomisation at a time (:data:`dexgrasp.evaluation.factors.FACTORS`), with none and with all, each
  paired with "none" on the same episodes: ``factors.csv``, ``factors.json``, ``factors.png``.
* ``position_error``: the scripted expert on the cube at ``--level`` acting on an object position off horizontally
  by a drawn error per episode (:mod:`dexgrasp.evaluation.position_error`: 0 to 3 cm, its own gates and looser
  ones), each paired with the same gates on the exact position: ``position_error.csv``, ``.json``, ``.png``.

Every step is one of this package's scripts, run as a subprocess (its command is printed). ``--minutes`` bounds
the PPO stage by wall time (checkpoints are kept; the last one is evaluated). ``--from_log DIR`` (scratch) only
writes the curves of a run that exists; ``--student CHECKPOINT`` (rl_on_expert, depth_on_expert) starts PPO from a
cloned student that exists (cloning is deterministic: the same seed gives the same student; stereo_student and
depth_student evaluate it). A rerun skips what its folder holds already: the PPO stage when ``ppo_run/`` has a
checkpoint, an evaluation cell whose ``summary.json`` is the same evaluation. Extra arguments go to the training
command.
"""

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import textwrap
import time

from dexgrasp.metrics.curves import curve_table, read_scalars, write_curves

HERE = os.path.dirname(os.path.abspath(__file__))
STATE, STEREO = "DexGrasp-KukaAllegro-State-v0", "DexGrasp-KukaAllegro-StereoRGB-v0"
FIXED_LEVEL = "env.curriculum.adr.params.success_threshold=1.01"
"""Keeps the curriculum at level 0 (its success rate can never pass the threshold)."""

CPU_PRESET = [
    "--task",
    STATE,
    "--device",
    "cpu",
    "--seed",
    "1",
    "presets=mlp,cube",
    "env.assisted_start_share=0.25",
    "agent.algorithm.schedule=fixed",
    "agent.algorithm.learning_rate=5e-4",
    "agent.algorithm.gamma=0.99",
    "agent.save_interval=50",
]
"""What a 2-core CPU trains from scratch: one 6 cm cube, ADR level 0 to start, MLP actor and critic, a quarter of the
episodes starting with the cube gripped in the hand (logged apart), a fixed learning rate."""

NO_LAST_ACTION = "env.observations.policy.last_action=null"
"""Students cloned from the scripted expert do not see their own last action. The expert's labels hold still for
many steps at a time, so with the last action in its input a student learns to repeat it (near-zero loss) and
misses every switch of phase: the "copycat" failure of behaviour cloning. PPO from such a student keeps the same
observations."""

MIXED_PHASES = "agent.init_at_random_ep_len=true"
"""DAgger's first episodes cut at random lengths: at level 0 every episode starts from the same state and lasts as
long, so without it all environments are in the same phase of the grasp at every update."""

RL_ON_EXPERT = [
    "--critic_warmup",
    "20",
    "presets=mlp",
    NO_LAST_ACTION,
    FIXED_LEVEL,
    "agent.actor.distribution_cfg.init_std=0.03",
    "agent.algorithm.schedule=adaptive",
    "agent.algorithm.desired_kl=0.01",
    "agent.algorithm.learning_rate=5e-5",
    "agent.algorithm.gamma=0.99",
    "agent.algorithm.entropy_coef=0.0",
    "agent.save_interval=20",
]
"""PPO that refines a behaviour-cloned actor: the critic learns alone for 20 iterations first, action noise of 0.03 (about
2 cm of palm target; with 0.1 a quarter as many of the cloned actor's sampled grasps succeeded), steps bounded by
a KL of 0.01 per update (from a learning rate of 5e-5), no entropy bonus, level 0."""

GUIDED = [
    "--guide",
    "agent.actor.distribution_cfg.init_std=0.01",
    "agent.algorithm.schedule=fixed",
    "agent.algorithm.learning_rate=3e-5",
    "agent.algorithm.guide_epochs=32",
    "agent.algorithm.guide_decay=0.999",
    "agent.algorithm.guide_dataset_size=1000000",
]
"""PPO kept near the scripted expert (``scripts/train.py --guide``): action std 0.01, a fixed learning rate of 3e-5,
and after each PPO update 32 passes of behaviour cloning on the expert's labels for the states the policy reached,
drawn from every rollout so far (up to a million steps, DAgger's aggregated dataset), weighted 1 at the first update
of the actor and 0.999 times less at each next one. Without guidance PPO from the clone lost every grasp within some
100 updates of the actor; with std 0.03, or 0.01 at a rate of 1e-4, the guided policy ended below its clone
(``docs/learning_curve.md``)."""


BC_ITERATIONS = 250
"""DAgger iterations of the cloning stage (64 environments, 16 steps each: 256,000 labelled steps)."""

BEHAVIOUR_CLONING = [
    NO_LAST_ACTION,
    "env.episode_length_s=5",
    MIXED_PHASES,
    "agent.algorithm.beta_iterations=50",
    "agent.algorithm.num_learning_epochs=50",
    "agent.algorithm.dataset_size=300000",
]
"""DAgger from the scripted expert: 5 s episodes (on the cube it lifts at about 3 s and holds at the goal from about
5 s: the hold is barely taught), every update mixing all phases of the grasp, the expert drives fewer and fewer
episodes over 50 iterations; each update makes 50 optimiser steps on mini-batches of 4,096 steps drawn from every
labelled step so far (DAgger's aggregated dataset, which holds them all)."""

DEPTH = "DexGrasp-KukaAllegro-Depth-v0"
DEPTH_CLONE_ENVS, DEPTH_BC_ITERATIONS = 32, 200
"""DAgger of the depth clone: 32 environments, 16 steps each, 200 iterations (102,400 labelled steps)."""
FEED_FORWARD_DEPTH = "agent.actor.rnn_type=null"
"""The depth CNN without its LSTM, in the clone and the PPO actor alike (the aggregated datasets keep steps without
their order)."""

DEPTH_CLONING = [
    "presets=res32",
    "agent.student.rnn_type=null",
    *(o for o in BEHAVIOUR_CLONING if not o.startswith("agent.algorithm.num_learning_epochs=")),
    "agent.algorithm.num_learning_epochs=32",
    "agent.algorithm.dataset_batch_size=1024",
]
"""``BEHAVIOUR_CLONING`` into the depth task's 32x32 CNN without its LSTM: each update makes 32 optimiser steps on
mini-batches of 1,024 labelled steps (the images make a step of the CNN dearer than one of the state MLP)."""

DEPTH_RL_ON_EXPERT = ["presets=mlp,res32", FEED_FORWARD_DEPTH, *(o for o in RL_ON_EXPERT if o != "presets=mlp")]
"""``RL_ON_EXPERT`` for the depth policy: the feed-forward depth actor, the state task's MLP critic (privileged)."""


HALF_LEVEL = ["env.curriculum.adr.params.init_step=25", FIXED_LEVEL]
"""Holds the curriculum at level 0.5 (25 of its 50 steps), where every episode starts differently."""

DEPTH_STUDENT_CLONING = [
    NO_LAST_ACTION,
    *HALF_LEVEL,
    MIXED_PHASES,
    "agent.student.rnn_type=null",
    "agent.algorithm.beta_iterations=60",
    "agent.algorithm.num_learning_epochs=32",
    "agent.algorithm.dataset_size=600000",
    "agent.algorithm.dataset_batch_size=1024",
    "agent.save_interval=25",
]
"""DAgger from the scripted expert into the depth task's feed-forward 32x32 CNN on the cube, at level 0.5 (at level 0
the cube has one start and the clone learns that one): 64 environments, the expert's share of the episodes falling
from 1 to 0 over 60 iterations, each update making 32 optimiser steps on 1,024 steps drawn from every labelled step
so far (up to 600,000)."""
DEPTH_STUDENT_CELLS = (("cube", 0.5), ("cube", 1.0))


def script(name: str, *args: str, timeout_s: float | None = None) -> str:
    """Run ``scripts/<name>`` and return its output; stop it after ``timeout_s`` (SIGINT, then wait)."""
    cmd = [sys.executable, os.path.join(HERE, name), *args]
    print("[learning_curve] " + " ".join(cmd[1:]), flush=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines, start, stopping = [], time.monotonic(), False
    for line in proc.stdout:
        lines.append(line)
        sys.stdout.write(line)
        if timeout_s is not None and not stopping and time.monotonic() - start > timeout_s and proc.poll() is None:
            print(f"[learning_curve] {timeout_s / 60:.0f} minutes reached: stopping {name}", flush=True)
            proc.terminate()
            stopping = True  # it saves its last checkpoint and exits; its output goes on until then
    if proc.wait() != 0 and timeout_s is None:
        raise SystemExit(f"error: {name} failed")
    return "".join(lines)


REPORT_SEED, SELECTION_SEED = 0, 1
"""Episodes a recipe reports on, and the disjoint ones it may choose checkpoints on (the plans of different seeds
draw different starts; at level 0, where an object has one start, choosing is not done at all)."""

SET_CELLS = (("train", 0.0), ("train", 1.0), ("heldout", 0.0), ("heldout", 1.0))
"""A headline evaluation on the procedural sets: the training and the held-out set, at ADR level 0 and at full
randomisation."""
CUBE_CELLS = (("cube", 0.0), ("cube", 1.0))
EPISODES = 256


def cell_name(objects: str, level: float) -> str:
    return f"{objects}_level{level:g}"


def evaluate(
    out: str,
    name: str,
    *policy: str,
    cells=SET_CELLS,
    episodes: int = EPISODES,
    seed: int = REPORT_SEED,
    task: str = STATE,
    seen=(NO_LAST_ACTION,),
) -> dict:
    """``scripts/play.py`` in each (object set, level) cell: the task's own episodes (10 s, no early end), success
    as the task defines it, ``episodes`` planned episodes of ``seed`` on 64 environments. A cell whose folder already
    holds the same evaluation is read, not run again (a recipe that stopped resumes).

    ``seen``: the observation overrides the policy was trained with."""
    results = {}
    for objects, level in cells:
        folder = os.path.join(out, name, cell_name(objects, level))
        summary_path = os.path.join(folder, "summary.json")
        wanted = {"seed": seed, "level": level, "objects": objects, "episodes": episodes}
        if not _same_evaluation(summary_path, wanted, policy):
            num_envs = str(max(64, 4 * (episodes // 64)) if objects != "cube" else 64)
            script("play.py", "--task", task, *policy, "--device", "cpu", "--num_envs", num_envs, "--episodes",
                   str(episodes), "--seed", str(seed), "--level", str(level), "--objects", objects, "--out", folder,
                   "presets=res32", *seen)  # fmt: skip
        with open(summary_path) as f:
            results[cell_name(objects, level)] = json.load(f)
    return results


def _same_evaluation(summary_path: str, wanted: dict, policy: tuple) -> bool:
    if not os.path.isfile(summary_path):
        return False
    with open(summary_path) as f:
        summary = json.load(f)
    checkpoint = policy[policy.index("--checkpoint") + 1] if "--checkpoint" in policy else "scripted"
    same = all(summary.get(k) == v for k, v in wanted.items()) and summary.get("checkpoint") == checkpoint
    if same:
        print(f"[learning_curve] {os.path.dirname(summary_path)} holds this evaluation already", flush=True)
    return same


def paired(out: str, first: str, second: str, cells=SET_CELLS) -> dict:
    """``scripts/compare.py`` of two policies' evaluations, cell by cell, into ``<out>/paired/<first>_vs_<second>/``."""
    results = {}
    for objects, level in cells:
        cell = cell_name(objects, level)
        target = os.path.join(out, "paired", f"{first}_vs_{second}")
        os.makedirs(target, exist_ok=True)
        script("compare.py", os.path.join(out, first, cell), os.path.join(out, second, cell), "--out",
               os.path.join(target, f"{cell}.json"))  # fmt: skip
        with open(os.path.join(target, f"{cell}.json")) as f:
            results[cell] = json.load(f)["success"]
    return results


def checkpoint_curve(
    out: str, run_dir: str, every: int, objects: str, level: float, episodes: int, task: str = STATE
) -> list[dict]:
    """Every ``every``-th checkpoint of ``run_dir`` evaluated on the selection seed's episodes (never the reported
    ones); writes ``<out>/checkpoints/checkpoints.csv`` and ``checkpoints.png`` and returns the rows."""
    found = sorted(
        (int(f[6:-3]), f) for f in os.listdir(run_dir) if re.fullmatch(r"model_\d+\.pt", f) and int(f[6:-3]) % every == 0
    )
    rows = []
    for iteration, name in found:
        summary = evaluate(os.path.join(out, "checkpoints"), f"model_{iteration}", "--checkpoint",
                           os.path.join(run_dir, name), cells=((objects, level),), episodes=episodes,
                           seed=SELECTION_SEED, task=task)[cell_name(objects, level)]  # fmt: skip
        rows.append({"iteration": iteration, "success": summary["success"]["rate"],
                     "ci_low": summary["success"]["ci95"][0], "ci_high": summary["success"]["ci95"][1],
                     "lifted": summary["lifted"]["rate"]})  # fmt: skip
    folder = os.path.join(out, "checkpoints")
    with open(os.path.join(folder, "checkpoints.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["iteration", "success", "ci_low", "ci_high", "lifted"])
        writer.writeheader()
        writer.writerows(rows)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.4))
    its = [r["iteration"] for r in rows]
    ax.fill_between(its, [r["ci_low"] for r in rows], [r["ci_high"] for r in rows], alpha=0.2, label="95% CI")
    ax.plot(its, [r["success"] for r in rows], "o-", label="success")
    ax.plot(its, [r["lifted"] for r in rows], "s--", label="lifted 10 cm")
    ax.set_xlabel("PPO iteration")
    ax.set_ylim(0, 1.05)
    ax.set_title(f"Checkpoints on the selection episodes (seed {SELECTION_SEED}, {objects}, level {level:g}, n={episodes})")
    ax.title.set_fontsize(9)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "checkpoints.png"), dpi=110)
    plt.close(fig)
    return rows


def latest_checkpoint(log_dir: str, required: bool = True) -> str | None:
    found = [f for f in os.listdir(log_dir) if re.fullmatch(r"model_\d+\.pt", f)] if os.path.isdir(log_dir) else []
    if not found:
        if required:
            raise SystemExit(f"error: no checkpoint in {log_dir}")
        return None
    return os.path.join(log_dir, max(found, key=lambda f: int(f[6:-3])))


def bar_chart(results: dict, path: str, title: str) -> None:
    """Success per evaluation cell (bars, with their 95% Wilson intervals) and lifted rate (dots), one colour per
    policy; ``results``: policy -> cell -> summary."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = list(next(iter(results.values())))
    width = 0.8 / len(results)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.9 * len(cells)), 3.6))
    for i, (policy, by_cell) in enumerate(results.items()):
        xs = [c + (i - (len(results) - 1) / 2) * width for c in range(len(cells))]
        rates = [by_cell[c]["success"]["rate"] for c in cells]
        errors = [[r - by_cell[c]["success"]["ci95"][0] for r, c in zip(rates, cells)],
                  [by_cell[c]["success"]["ci95"][1] - r for r, c in zip(rates, cells)]]  # fmt: skip
        ax.bar(xs, rates, width, yerr=errors, capsize=3, label=textwrap.fill(policy, 24))
        ax.plot(xs, [by_cell[c]["lifted"]["rate"] for c in cells], "k.", markersize=5)
    ax.set_xticks(range(len(cells)), [c.replace("_level", "\nlevel ") for c in cells])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("success (dots: lifted 10 cm)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


STEREO_CLONING = [
    NO_LAST_ACTION,
    FIXED_LEVEL,
    MIXED_PHASES,
    "agent.student.rnn_type=null",
    "agent.algorithm.beta_iterations=40",
    "agent.algorithm.num_learning_epochs=32",
    "agent.algorithm.dataset_size=300000",
    "agent.algorithm.dataset_batch_size=512",
]
"""DAgger from the scripted expert into a feed-forward stereo RGB student (no LSTM: the aggregated dataset keeps steps
without their order): level 0, every update mixing all phases of the grasp, the expert drives fewer and fewer
episodes over 40 iterations, each update makes 32 optimiser steps on mini-batches of 512 steps drawn from every
labelled step so far. The recurrent student trained on the last rollout only succeeded in none of its episodes
(``docs/learning_curve.md``)."""


def scratch(args, extra) -> dict:
    log_dir = os.path.relpath(args.from_log or os.path.join(args.out, "run"))
    if args.from_log is None:
        script("train.py", *CPU_PRESET, "--num_envs", str(args.num_envs), "--max_iterations", str(args.iterations),
               "--log_dir", log_dir, *extra, timeout_s=args.minutes * 60)  # fmt: skip
    elif not os.path.isdir(log_dir):
        raise SystemExit(f"error: no run folder {log_dir}")
    rows = curve_table(read_scalars(log_dir))
    summary = write_curves(rows, args.out, args.title or f"State task from scratch, CPU, {args.num_envs} envs")
    if args.from_log is None:  # the last policy in episodes that all start normally: its mean, then sampling
        last = latest_checkpoint(log_dir)
        cells = (("cube", 0.0), ("cube", 0.5), ("cube", 1.0))
        summary["final_policy"] = evaluate(args.out, "final", "--checkpoint", last, cells=cells, seen=())
        summary["final_policy_sampled"] = evaluate(
            args.out, "final_sampled", "--checkpoint", last, "--stochastic", cells=cells, seen=()
        )
    return summary


def rl_on_expert(args, extra, task=STATE, cloning=BEHAVIOUR_CLONING, ppo=RL_ON_EXPERT, clone_envs=64,
                 clone_iterations=BC_ITERATIONS) -> dict:  # fmt: skip
    bc_dir, ppo_dir = os.path.join(args.out, "bc_run"), os.path.join(args.out, "ppo_run")
    student = args.student
    if student is None:
        out = script("distill.py", "--task", task, "--teacher", "scripted", "--num_envs", str(clone_envs),
                     "--max_iterations", str(clone_iterations), "--seed", "1", "--device", "cpu", "--log_dir", bc_dir,
                     *cloning)  # fmt: skip
        student = os.path.relpath(re.search(r"student_checkpoint: (\S+)", out).group(1))
    if latest_checkpoint(ppo_dir, required=False) is None:
        script("train.py", "--task", task, "--device", "cpu", "--num_envs", str(args.num_envs), "--max_iterations",
               str(args.iterations), "--seed", "1", "--log_dir", ppo_dir, "--init_actor", student, *ppo,
               *([] if args.unguided else GUIDED), *extra, timeout_s=args.minutes * 60)  # fmt: skip
    final = latest_checkpoint(ppo_dir)  # the last policy: no checkpoint is chosen, on any episodes
    ppo_name = "BC + PPO" if args.unguided else "BC + guided PPO"
    results = {ppo_name: evaluate(args.out, "ppo", "--checkpoint", final, task=task)}
    results["behaviour cloning"] = evaluate(args.out, "bc_student", "--checkpoint", student, task=task)
    results["scripted expert"] = evaluate(args.out, "expert", "--policy", "scripted", task=task)
    comparisons = {
        "ppo_vs_expert": paired(args.out, "ppo", "expert"),
        "ppo_vs_bc_student": paired(args.out, "ppo", "bc_student"),
        "bc_student_vs_expert": paired(args.out, "bc_student", "expert"),
    }
    if args.curve_every:
        checkpoint_curve(args.out, ppo_dir, args.curve_every, "train", 0.5, 64, task=task)
    title = ("Depth policy: " if task == DEPTH else "") + "PPO from the behaviour-cloned actor"
    title += "" if args.unguided else ", guided by the expert"
    write_curves(curve_table(read_scalars(ppo_dir)), args.out, title)
    bar_chart(results, os.path.join(args.out, "success.png"), f"Procedural sets, {EPISODES} episodes per cell (seed {REPORT_SEED})")
    return {"evaluations": _rates(results), "paired": comparisons, "final_checkpoint": final}


def depth_on_expert(args, extra) -> dict:
    """``rl_on_expert`` on the depth task: the clone and the PPO actor are the feed-forward 32x32 depth CNN."""
    return rl_on_expert(args, extra, task=DEPTH, cloning=DEPTH_CLONING, ppo=DEPTH_RL_ON_EXPERT,
                        clone_envs=DEPTH_CLONE_ENVS, clone_iterations=DEPTH_BC_ITERATIONS)  # fmt: skip


def _rates(results: dict) -> dict:
    """policy -> cell -> success and lifted (the summaries themselves lie in the cells' folders)."""
    return {
        policy: {cell: {key: summary[key] for key in ("success", "lifted")} for cell, summary in by_cell.items()}
        for policy, by_cell in results.items()
    }


def image_student(args, extra, task=STEREO, num_envs=32, cloning=STEREO_CLONING, cells=CUBE_CELLS,
                  episodes=(64, EPISODES), name="stereo RGB student", held_level=()) -> dict:  # fmt: skip
    """DAgger of the scripted expert into a 32x32 image student on the cube (``--student``: one that exists), then
    teacher and student on the same episodes of each cell (with how much of the object the student's cameras saw),
    the student's actions against the expert's labels (at the training's ADR level, held by ``held_level``) and its
    training curves."""
    run_dir = os.path.join(args.out, "run")
    student = args.student
    if student is None:
        out = script("distill.py", "--task", task, "--teacher", "scripted", "--num_envs", str(num_envs),
                     "--max_iterations", str(args.iterations), "--seed", "1", "--device", "cpu", "--log_dir", run_dir,
                     "presets=res32,cube", *cloning, *extra)  # fmt: skip
        student = os.path.relpath(re.search(r"student_checkpoint: (\S+)", out).group(1))
    results, comparisons = {"scripted expert": {}, name: {}}, {}
    for (objects, level), count in zip(cells, episodes):
        # the distillation scene's episodes (they end after 2 s at the goal); teacher and student on the same planned
        # episodes, paired. At level 0 the cube has one start, so 64 episodes repeat it as 256 would.
        cell = cell_name(objects, level)
        folder = os.path.join(args.out, cell)
        script("evaluate.py", "--task", task, "--teacher", "scripted", "--student", student, "--episodes", str(count),
               "--num_envs", "64", "--seed", str(REPORT_SEED), "--level", str(level), "--objects", objects, "--device",
               "cpu", "--out", folder, "--visibility", "presets=res32", NO_LAST_ACTION)  # fmt: skip
        for policy, sub in (("scripted expert", "teacher"), (name, "student")):
            with open(os.path.join(folder, sub, "summary.json")) as f:
                results[policy][cell] = json.load(f)
        with open(os.path.join(folder, "paired.json")) as f:
            comparisons[cell] = json.load(f)["success"]
    script("label_gap.py", "--task", task, "--checkpoint", student, "--num_envs", "4", "--steps", "300", "--seed", "0",
           "--device", "cpu", "--out", os.path.join(args.out, "label_gap"), "presets=res32,cube", NO_LAST_ACTION,
           *held_level)  # fmt: skip
    if os.path.isdir(run_dir):
        write_curves(curve_table(read_scalars(run_dir)), os.path.join(args.out, "training"), f"{name}, DAgger")
    bar_chart(results, os.path.join(args.out, "success.png"), f"{name}, 32x32, cube, {max(episodes)} episodes per cell")
    return {"evaluations": _rates(results), "paired_teacher_vs_student": comparisons, "student": student}


def stereo_student(args, extra) -> dict:
    return image_student(args, extra)


def depth_student(args, extra) -> dict:
    """``image_student`` into the depth task's feed-forward 32x32 CNN, trained and evaluated where starts vary."""
    return image_student(args, extra, task=DEPTH, num_envs=64, cloning=DEPTH_STUDENT_CLONING,
                         cells=DEPTH_STUDENT_CELLS, episodes=(EPISODES, EPISODES), name="depth policy",
                         held_level=HALF_LEVEL)  # fmt: skip


def factors(args, extra) -> dict:
    from dexgrasp.evaluation import factors as sweep

    policy = ("--checkpoint", args.checkpoint) if args.checkpoint else ("--policy", "scripted")
    folders, summaries = {}, {}
    for cell in sweep.cell_names():
        summaries[cell] = evaluate(args.out, sweep.folder_name(cell), *policy, cells=(("train", args.level),),
                                   seen=(NO_LAST_ACTION, *sweep.overrides_for(cell)))[cell_name("train", args.level)]  # fmt: skip
        folders[cell] = os.path.join(args.out, sweep.folder_name(cell), cell_name("train", args.level))
    rows = sweep.factor_table(folders, args.out)
    name = os.path.basename(args.checkpoint) if args.checkpoint else "scripted expert"
    bar_chart({name: summaries}, os.path.join(args.out, "factors.png"),
              f"{name}, training set, level {args.level:g}, one randomisation at a time ({EPISODES} episodes)")  # fmt: skip
    return {"policy": args.checkpoint or "scripted", "level": args.level, "factors": rows}


def error_chart(lines: dict, path: str, title: str) -> None:
    """Success (with its 95% Wilson interval) and lifted rate against the error on the object's position, one
    colour per setting of the expert's gates; ``lines``: gates -> [(error, success, lifted)]."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    for (gates, points), color in zip(lines.items(), ("tab:blue", "tab:orange"), strict=False):
        cm = [100 * error for error, _, _ in points]
        rates = [success["rate"] for _, success, _ in points]
        low = [r - success["ci95"][0] for r, (_, success, _) in zip(rates, points, strict=True)]
        high = [success["ci95"][1] - r for r, (_, success, _) in zip(rates, points, strict=True)]
        ax.errorbar(cm, rates, yerr=[low, high], color=color, marker="o", capsize=3, label=f"{gates} gates: success")
        lifted = [lifted["rate"] for _, _, lifted in points]
        ax.plot(cm, lifted, color=color, ls=":", marker=".", label=f"{gates} gates: lifted")
    ax.set_xlabel("error on the object's horizontal position, std in x and in y [cm]")
    ax.set_ylabel("rate (95% Wilson interval)")
    ax.set_ylim(0.0, 1.0)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def position_error(args, extra) -> dict:
    from dexgrasp.evaluation import position_error as sweep

    folders, lines = {}, {}
    for gates, error in sweep.cells():
        name = sweep.folder_name(gates, error)
        summary = evaluate(args.out, name, "--policy", "scripted", cells=(("cube", args.level),),
                           seen=sweep.overrides_for(gates, error))[cell_name("cube", args.level)]  # fmt: skip
        folders[gates, error] = os.path.join(args.out, name, cell_name("cube", args.level))
        lines.setdefault(gates, []).append((error, summary["success"], summary["lifted"]))
    rows = sweep.error_table(folders, args.out)
    error_chart(lines, os.path.join(args.out, "position_error.png"),
                f"Scripted expert, cube, level {args.level:g}, {EPISODES} episodes per point")  # fmt: skip
    return {"policy": "scripted", "level": args.level, "objects": "cube", "cells": rows}


RECIPES = {
    "scratch": scratch,
    "rl_on_expert": rl_on_expert,
    "depth_on_expert": depth_on_expert,
    "stereo_student": stereo_student,
    "depth_student": depth_student,
    "factors": factors,
    "position_error": position_error,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recipe", choices=sorted(RECIPES))
    parser.add_argument("--out", required=True, help="folder for the runs, CSV, PNG and JSON")
    parser.add_argument("--iterations", type=int, default=None, help="PPO or DAgger iterations at most")
    parser.add_argument("--minutes", type=float, default=None, help="wall-time bound of the PPO stage")
    parser.add_argument("--num_envs", type=int, default=128)
    parser.add_argument("--from_log", default=None, help="scratch: write the curves of this existing run only")
    parser.add_argument(
        "--student",
        default=None,
        help="*_on_expert: start PPO from this cloned student instead of cloning one; *_student: evaluate this one",
    )
    parser.add_argument(
        "--unguided", action="store_true", help="*_on_expert: plain PPO from the clone, without the expert's guidance"
    )
    parser.add_argument(
        "--curve_every", type=int, default=80, help="*_on_expert: evaluate every Nth PPO checkpoint (0: none)"
    )
    parser.add_argument("--checkpoint", default=None, help="factors: the policy to test (default: the scripted expert)")
    parser.add_argument(
        "--level", type=float, default=1.0, help="factors, position_error: the ADR level of every cell"
    )
    parser.add_argument("--title", default=None)
    args, extra = parser.parse_known_args()
    on_expert = args.recipe in ("rl_on_expert", "depth_on_expert")
    takes_student = on_expert or args.recipe.endswith("_student")
    if args.student is not None and (not takes_student or not os.path.isfile(args.student)):
        parser.error(f"--student needs an *_on_expert or *_student recipe and a checkpoint that exists: {args.student}")
    if args.checkpoint is not None and (args.recipe != "factors" or not os.path.isfile(args.checkpoint)):
        parser.error(f"--checkpoint needs the factors recipe and a checkpoint that exists: {args.checkpoint}")
    if args.unguided and not on_expert:
        parser.error("--unguided belongs to the *_on_expert recipes")
    if args.minutes is None:
        args.minutes = {"scratch": 60.0, "rl_on_expert": 40.0, "depth_on_expert": 120.0}.get(args.recipe, 0.0)
    if args.iterations is None:
        args.iterations = {
            "scratch": 640,
            "rl_on_expert": 1000,
            "depth_on_expert": 1000,
            "stereo_student": 100,
            "depth_student": 500,
        }.get(args.recipe, 0)
    os.makedirs(args.out, exist_ok=True)
    summary = RECIPES[args.recipe](args, extra)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
