"""``scripts/compare.py``: two evaluations of the same episodes, paired (no simulator).

``python scripts/compare.py FIRST SECOND`` reads the ``summary.json`` and ``episodes.csv`` that ``scripts/play.py``
wrote into two folders with the same ``--seed``, ``--level``, ``--objects`` and ``--episodes``, and writes
``paired.json`` (default: into FIRST): success and lifted rates of both, the paired difference (first minus
second) with a 95% interval that resamples objects, and the exact McNemar p-value. When SECOND measured the
object's pixels (``scripts/evaluate.py --visibility``), ``observability.json`` goes beside ``paired.json``, with
FIRST as the teacher.
"""

from __future__ import annotations

import argparse
import os

from .common import UsageError, run_cli


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Compare two evaluations of the same episodes (paired).")
    parser.add_argument("first", help="evaluation folder of scripts/play.py")
    parser.add_argument("second", help="evaluation folder of scripts/play.py, same episodes")
    parser.add_argument("--out", default=None, help="file for the comparison (default: FIRST/paired.json)")
    args = parser.parse_args(argv)
    from dexgrasp.evaluation.compare import write_observability
    from dexgrasp.evaluation.paired import compare_folders

    for folder in (args.first, args.second):
        for name in ("summary.json", "episodes.csv"):
            if not os.path.isfile(os.path.join(folder, name)):
                raise UsageError(f"{folder} holds no {name}: not an evaluation folder of scripts/play.py")
    out = args.out or os.path.join(args.first, "paired.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    try:
        result = compare_folders(args.first, args.second, out)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    for key in ("success", "lifted"):
        r = result[key]
        low, high = r["difference_ci95_object_bootstrap"]
        print(
            f"{key}: {r['first']['k']}/{r['episodes']} vs {r['second']['k']}/{r['episodes']},"
            f" difference {r['difference']:+.4f} (95% CI over {r['objects']} objects {low:+.4f} to {high:+.4f}),"
            f" exact McNemar p {r['mcnemar_p']:.4g}"
        )
    print(f"paired: {os.path.abspath(out)}")
    folder = os.path.dirname(os.path.abspath(out))
    if write_observability(args.first, args.second, folder) is not None:
        print(f"observability: {os.path.join(folder, 'observability.json')}")
    return 0


def cli() -> int:
    return run_cli(main)
