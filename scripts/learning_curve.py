"""Learning evidence: train the state task on the CPU at small scale and write its reward/success curves.

    python scripts/learning_curve.py --out docs/figures/learning_curve --iterations 150

Runs ``scripts/train.py`` (a real training run, RSL-RL PPO), then reads its TensorBoard log and writes
``curve.csv``, ``curve.png`` and ``summary.json`` (mean reward over the first and last 10 % of iterations).
Extra arguments are passed to train.py (e.g. ``--num_envs 32``).
"""

import argparse
import os
import subprocess
import sys

from dexgrasp.metrics.curves import curve_table, read_scalars, write_curves

DEFAULTS = [
    "--task",
    "DexGrasp-KukaAllegro-State-v0",
    "--device",
    "cpu",
    "--seed",
    "1",
    "presets=cube",
    "env.episode_length_s=4",
    "agent.actor.rnn_hidden_dim=128",
    "agent.critic.rnn_hidden_dim=128",
    "agent.save_interval=50",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="learning_curve")
    parser.add_argument("--iterations", type=int, default=150)
    parser.add_argument("--num_envs", type=int, default=16)
    args, extra = parser.parse_known_args()
    log_dir = os.path.abspath(os.path.join(args.out, "run"))
    cmd = [sys.executable, os.path.join(os.path.dirname(__file__), "train.py"), *DEFAULTS]
    cmd += ["--num_envs", str(args.num_envs), "--max_iterations", str(args.iterations), "--log_dir", log_dir, *extra]
    print("[learning_curve] " + " ".join(cmd[1:]), flush=True)
    if subprocess.call(cmd) != 0:
        print("error: training failed", file=sys.stderr)
        return 1
    rows = curve_table(read_scalars(log_dir))
    summary = write_curves(rows, args.out, f"State task, CPU, {args.num_envs} envs")
    r = summary["reward"]
    print(f"mean reward: first 10% {r['first']:.3f} -> last 10% {r['last']:.3f} over {r['points']} iterations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
