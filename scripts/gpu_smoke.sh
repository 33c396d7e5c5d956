#!/usr/bin/env bash
# The first thing to run on a GPU node (one GPU, under 10 minutes, one table): learner memory at the depth task's
# real configuration (estimated against measured), the pipelined runner on CUDA, a NCCL group with the run's
# timeout. Usage: bash scripts/gpu_smoke.sh [--device cuda:N] (options: --help). PYTHON overrides .venv/bin/python.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
exec "$PY" -m dexgrasp.metrics.gpu_smoke "$@"
