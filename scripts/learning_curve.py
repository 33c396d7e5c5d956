"""Learning evidence on a CPU: each recipe is one command that trains, evaluates and writes CSV, PNG and JSON.

    python scripts/learning_curve.py scratch --out docs/figures/learning_curve/from_scratch
    python scripts/learning_curve.py rl_on_expert --out docs/figures/rl_on_expert
    python scripts/learning_curve.py stereo_student --out docs/figures/stereo_student

* ``scratch``: PPO on the state task from scratch (``CPU_PRESET``), then its curves: reward, episode-end success,
  share of episodes that lifted the object 10 cm, closest hand approach (first and last 10 % of iterations), and its
  last checkpoint in 64 episodes of the cube without assisted starts, acting on its mean (``final/``) and sampling
  its actions as in training (``final_sampled/``).
* ``rl_on_expert``: behaviour cloning (DAgger) of the scripted expert into the state task's MLP actor, PPO from
  it guided by the expert (``--unguided``: plain PPO), and the expert, the initial policy and the final policy
  evaluated on the same episodes.
* ``stereo_student``: DAgger of the scripted expert into a feed-forward 32x32 stereo RGB student (aggregated
  dataset), then teacher against student (episodes that end after a 2 s hold at the goal, and the task's own 10 s
  episodes), the student's training curves, and its actions against the expert's labels (``scripts/label_gap.py``).

Every step is one of this package's scripts, run as a subprocess (its command is printed). ``--minutes`` bounds
the PPO stage by wall time (checkpoints are kept; the last one is evaluated). ``--from_log DIR`` (scratch) only
writes the curves of a run that exists; ``--student CHECKPOINT`` (rl_on_expert) starts PPO from a cloned student
that exists (cloning is deterministic: the same seed gives the same student). Extra arguments go to the training
command.
"""

import argparse
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


def evaluate(
    out: str, name: str, *policy: str, episodes: int, objects: str, task: str = STATE, seen=(NO_LAST_ACTION,)
) -> dict:
    """``scripts/play.py``: the task's own episodes (10 s, no early end), success as the task defines it.

    ``seen``: the observation overrides the policy was trained with."""
    folder = os.path.join(out, name)
    script("play.py", "--task", task, *policy, "--device", "cpu", "--num_envs", str(episodes), "--episodes",
           str(episodes), "--seed", "0", "--out", folder, f"presets=res32{objects}", *seen)  # fmt: skip
    with open(os.path.join(folder, "summary.json")) as f:
        return json.load(f)


def latest_checkpoint(log_dir: str) -> str:
    found = [f for f in os.listdir(log_dir) if re.fullmatch(r"model_\d+\.pt", f)]
    if not found:
        raise SystemExit(f"error: no checkpoint in {log_dir}")
    return os.path.join(log_dir, max(found, key=lambda f: int(f[6:-3])))


def bar_chart(results: dict, path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(5.5, 1.6 * len(results)), 3.4))
    names = [textwrap.fill(n, 18) for n in results]  # long names wrap instead of running into each other
    ax.bar(names, [r["success_rate"] for r in results.values()], color="tab:blue", label="success")
    ax.plot(names, [r["lifted_rate"] for r in results.values()], "o", color="tab:orange", label="lifted 10 cm")
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend()
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
    log_dir = os.path.abspath(args.from_log or os.path.join(args.out, "run"))
    if args.from_log is None:
        script("train.py", *CPU_PRESET, "--num_envs", str(args.num_envs), "--max_iterations", str(args.iterations),
               "--log_dir", log_dir, *extra, timeout_s=args.minutes * 60)  # fmt: skip
    elif not os.path.isdir(log_dir):
        raise SystemExit(f"error: no run folder {log_dir}")
    rows = curve_table(read_scalars(log_dir))
    summary = write_curves(rows, args.out, args.title or f"State task from scratch, CPU, {args.num_envs} envs")
    if args.from_log is None:  # the last policy in 64 episodes that all start normally: its mean, then sampling
        last = latest_checkpoint(log_dir)
        summary["final_policy"] = evaluate(
            args.out, "final", "--checkpoint", last, episodes=64, objects=",cube", seen=()
        )
        summary["final_policy_sampled"] = evaluate(
            args.out, "final_sampled", "--checkpoint", last, "--stochastic", episodes=64, objects=",cube", seen=()
        )
    return summary


def rl_on_expert(args, extra) -> dict:
    bc_dir, ppo_dir = os.path.join(args.out, "bc_run"), os.path.join(args.out, "ppo_run")
    student = args.student
    if student is None:
        out = script("distill.py", "--task", STATE, "--teacher", "scripted", "--num_envs", "64", "--max_iterations",
                     str(BC_ITERATIONS), "--seed", "1", "--device", "cpu", "--log_dir", bc_dir, *BEHAVIOUR_CLONING)  # fmt: skip
        student = re.search(r"student_checkpoint: (\S+)", out).group(1)
    results = {
        "scripted expert": evaluate(args.out, "expert", "--policy", "scripted", episodes=64, objects=""),
        "behaviour cloning": evaluate(args.out, "bc_student", "--checkpoint", student, episodes=64, objects=""),
    }
    script("train.py", "--task", STATE, "--device", "cpu", "--num_envs", str(args.num_envs), "--max_iterations",
           str(args.iterations), "--seed", "1", "--log_dir", ppo_dir, "--init_actor", student, *RL_ON_EXPERT,
           *([] if args.unguided else GUIDED), *extra, timeout_s=args.minutes * 60)  # fmt: skip
    final = latest_checkpoint(ppo_dir)
    results["BC + PPO" if args.unguided else "BC + guided PPO"] = evaluate(
        args.out, "ppo", "--checkpoint", final, episodes=64, objects=""
    )
    title = "PPO from the behaviour-cloned actor" + ("" if args.unguided else ", guided by the expert")
    write_curves(curve_table(read_scalars(ppo_dir)), args.out, title)
    bar_chart(results, os.path.join(args.out, "success.png"), "Procedural set, ADR level 0, 64 episodes")
    return results


def stereo_student(args, extra) -> dict:
    run_dir = os.path.join(args.out, "run")
    out = script("distill.py", "--task", STEREO, "--teacher", "scripted", "--num_envs", "32", "--max_iterations",
                 str(args.iterations), "--seed", "1", "--device", "cpu", "--log_dir", run_dir, "presets=res32,cube",
                 *STEREO_CLONING, *extra)  # fmt: skip
    student = re.search(r"student_checkpoint: (\S+)", out).group(1)
    script("evaluate.py", "--task", STEREO, "--teacher", "scripted", "--student", student, "--episodes", "32",
           "--num_envs", "32", "--seed", "0", "--device", "cpu", "--out", args.out, "presets=res32,cube",
           NO_LAST_ACTION)  # fmt: skip
    script("label_gap.py", "--task", STEREO, "--checkpoint", student, "--num_envs", "4", "--steps", "300", "--seed", "0",
           "--device", "cpu", "--out", os.path.join(args.out, "label_gap"), "presets=res32,cube", NO_LAST_ACTION)  # fmt: skip
    write_curves(curve_table(read_scalars(run_dir)), os.path.join(args.out, "training"), "Stereo RGB student, DAgger")
    results = {}
    for name, folder in (("scripted expert", "teacher"), ("stereo RGB student", "student")):
        with open(os.path.join(args.out, folder, "summary.json")) as f:
            results[name] = json.load(f)
    # evaluate.py ends an episode once the object has been held at the goal for 2 s; the task's own episodes run 10 s
    results["scripted expert, 10 s episodes"] = evaluate(
        args.out, "teacher_10s", "--policy", "scripted", episodes=32, objects=",cube", task=STEREO
    )
    results["stereo RGB student, 10 s episodes"] = evaluate(
        args.out, "student_10s", "--checkpoint", student, episodes=32, objects=",cube", task=STEREO
    )
    bar_chart(results, os.path.join(args.out, "success.png"), "Stereo RGB 32x32, cube, ADR level 0")
    return results


RECIPES = {"scratch": scratch, "rl_on_expert": rl_on_expert, "stereo_student": stereo_student}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recipe", choices=sorted(RECIPES))
    parser.add_argument("--out", required=True, help="folder for the runs, CSV, PNG and JSON")
    parser.add_argument("--iterations", type=int, default=None, help="PPO or DAgger iterations at most")
    parser.add_argument("--minutes", type=float, default=None, help="wall-time bound of the PPO stage")
    parser.add_argument("--num_envs", type=int, default=128)
    parser.add_argument("--from_log", default=None, help="scratch: write the curves of this existing run only")
    parser.add_argument(
        "--student", default=None, help="rl_on_expert: start PPO from this cloned student instead of cloning one"
    )
    parser.add_argument(
        "--unguided", action="store_true", help="rl_on_expert: plain PPO from the clone, without the expert's guidance"
    )
    parser.add_argument("--title", default=None)
    args, extra = parser.parse_known_args()
    if args.student is not None and (args.recipe != "rl_on_expert" or not os.path.isfile(args.student)):
        parser.error(f"--student needs the rl_on_expert recipe and a checkpoint that exists: {args.student}")
    if args.unguided and args.recipe != "rl_on_expert":
        parser.error("--unguided belongs to the rl_on_expert recipe")
    if args.minutes is None:
        args.minutes = {"scratch": 60.0, "rl_on_expert": 40.0, "stereo_student": 0.0}[args.recipe]
    if args.iterations is None:
        args.iterations = {"scratch": 640, "rl_on_expert": 1000, "stereo_student": 100}[args.recipe]
    os.makedirs(args.out, exist_ok=True)
    summary = RECIPES[args.recipe](args, extra)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
