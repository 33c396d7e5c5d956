"""Learning evidence: train the state teacher on the CPU from scratch and write its curves.

    python scripts/learning_curve.py --out docs/figures/learning_curve/from_scratch --iterations 640

Runs ``scripts/train.py`` (a real training run, RSL-RL PPO) with the CPU preset below, then reads its
TensorBoard log and writes ``curve.csv``, ``curve.png`` and ``summary.json``: reward, episode-end success, the
share of episodes that lifted the object 10 cm, the closest hand approach, first and last 10 % of iterations.
``--from_log DIR`` only writes the curves of a run that already exists. Extra arguments go to train.py.
"""

import argparse
import os
import subprocess
import sys

from dexgrasp.metrics.curves import curve_table, read_scalars, write_curves

CPU_PRESET = [
    "--task",
    "DexGrasp-KukaAllegro-State-v0",
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
"""What a 2-core CPU trains in an hour: one 6 cm cube, ADR level 0, MLP actor and critic, a quarter of the
episodes starting with the cube between the fingers (logged apart), a fixed learning rate (the adaptive
schedule collapses to its floor at this batch size)."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="learning_curve")
    parser.add_argument("--iterations", type=int, default=640)
    parser.add_argument("--num_envs", type=int, default=128)
    parser.add_argument("--from_log", default=None, help="write the curves of this existing run folder only")
    parser.add_argument("--title", default=None)
    args, extra = parser.parse_known_args()
    log_dir = os.path.abspath(args.from_log or os.path.join(args.out, "run"))
    if args.from_log is None:
        cmd = [sys.executable, os.path.join(os.path.dirname(__file__), "train.py"), *CPU_PRESET]
        cmd += ["--num_envs", str(args.num_envs), "--max_iterations", str(args.iterations), "--log_dir", log_dir]
        print("[learning_curve] " + " ".join(cmd[1:] + extra), flush=True)
        if subprocess.call(cmd + extra, env={**os.environ, "OMP_NUM_THREADS": "1"}) != 0:
            print("error: training failed", file=sys.stderr)
            return 1
    elif not os.path.isdir(log_dir):
        print(f"error: no run folder {log_dir}", file=sys.stderr)
        return 1
    rows = curve_table(read_scalars(log_dir))
    summary = write_curves(rows, args.out, args.title or f"State task, CPU, {args.num_envs} envs")
    for key, values in summary.items():
        print(f"{key}: first 10% {values['first']:.3f} -> last 10% {values['last']:.3f} over {values['points']} iterations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
