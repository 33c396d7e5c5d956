#!/usr/bin/env bash
# The learner-side GPU checks on a node with only python3 and torch (no network, no Isaac Lab).
# Copied to gpu_kit/run.sh by `make gpu-kit`. Usage: bash gpu_kit/run.sh OUT_DIR [--device cpu] [check options]
# (options: `bash gpu_kit/run.sh OUT_DIR --help`). PYTHON=/path/to/python overrides python3.
set -euo pipefail
KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${PYTHON:-python3}"
if [ $# -lt 1 ] || [ "${1#-}" != "$1" ]; then
  echo "usage: bash $0 OUT_DIR [--device cpu] [check options]" >&2
  exit 2
fi
OUT="$1"
shift
if [ -e "$OUT" ] && [ -n "$(ls -A "$OUT" 2>/dev/null)" ]; then
  echo "error: $OUT is not empty: give a new or empty folder" >&2
  exit 2
fi
# Python, torch and architecture against the kit's: one line and exit 2 when they differ (CUDA: see gpu_checks)
PYTHONPATH="$KIT/source" "$PY" -m dexgrasp.metrics.gpu_kit check "$KIT"
SITE="$KIT/site"
if [ ! -f "$SITE/.installed" ]; then
  if ! "$PY" -m pip --version >/dev/null 2>&1; then
    echo "error: $PY has no pip to install the kit's wheels" >&2
    exit 2
  fi
  rm -rf "$SITE"
  "$PY" -m pip install --quiet --no-index --no-deps --disable-pip-version-check --no-compile \
    --find-links "$KIT/wheels" --target "$SITE" "$KIT"/wheels/*.whl
  touch "$SITE/.installed"
fi
export PYTHONPATH="$SITE:$KIT/source${PYTHONPATH:+:$PYTHONPATH}"
export MPLBACKEND=Agg
exec "$PY" "$KIT/scripts/gpu_checks.py" "$OUT" "$@"
