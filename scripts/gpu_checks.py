"""Learner-side checks on one device with PyTorch, RSL-RL and tensordict only (``python scripts/gpu_checks.py --help``);
on a GPU node without Isaac Lab run them through the kit: ``make gpu-kit``, then ``bash gpu_kit/run.sh OUT_DIR``."""

import sys

from dexgrasp.metrics.gpu_checks import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
