"""The statistics an evaluation reports, simulation-free: rates with Wilson intervals, per-object tables, and the
paired comparison of two policies on the same episodes.

Why these: a success rate from n episodes is a binomial proportion, and the Wilson score interval keeps its
nominal coverage near 0 and 1 and for small n, where the normal approximation does not. Two policies evaluated on
the same episodes are compared on the episodes where they disagree (exact McNemar test, a two-sided binomial test
on the discordant pairs), which is far more sensitive than comparing two independent rates. Episodes of one
object are not independent samples of the task (a policy that fails on a cone fails on most cones), so the
interval of the paired difference resamples objects with their episodes (a cluster bootstrap), not episodes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

Z95 = 1.959963984540054
"""Two-sided 95% quantile of the standard normal."""


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (``(0, 1)`` for ``n == 0``)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(outcomes: Sequence[bool]) -> dict:
    """``{"k", "n", "rate", "ci95"}`` of a list of episode outcomes."""
    k, n = int(sum(bool(o) for o in outcomes)), len(outcomes)
    low, high = wilson(k, n)
    return {"k": k, "n": n, "rate": k / n if n else 0.0, "ci95": [round(low, 4), round(high, 4)]}


def cluster_bootstrap_rate(
    outcomes: Sequence[bool], clusters: Sequence[int], samples: int = 10000, seed: int = 0
) -> tuple[float, float]:
    """95% percentile interval of a rate, resampling whole clusters (objects) with their episodes: the interval to
    read when episodes of one object are alike (at ADR level 0 they repeat one start)."""
    return cluster_bootstrap_difference(outcomes, [False] * len(outcomes), clusters, samples, seed)


def per_object(records: Sequence[dict], keys: Sequence[str] = ("success", "lifted")) -> list[dict]:
    """One row per object (``records`` carry ``object``): episodes and the count and rate of each of ``keys``."""
    rows = []
    for obj in sorted({r["object"] for r in records}):
        mine = [r for r in records if r["object"] == obj]
        row = {"object": obj, "episodes": len(mine)}
        for key in keys:
            k = sum(bool(r[key]) for r in mine)
            row[key] = k
            row[f"{key}_rate"] = round(k / len(mine), 4)
        rows.append(row)
    return rows


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts: ``b`` episodes only the first policy succeeded
    in, ``c`` only the second (the binomial test of ``min(b, c)`` in ``b + c`` trials at 1/2)."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2.0**n
    return min(1.0, 2.0 * tail)


def cluster_bootstrap_difference(
    first: Sequence[bool], second: Sequence[bool], clusters: Sequence[int], samples: int = 10000, seed: int = 0
) -> tuple[float, float]:
    """95% percentile interval of ``rate(first) - rate(second)``, resampling whole clusters (objects) with
    replacement, each with all its paired episodes. One cluster gives no spread: the interval collapses to the
    observed difference (the caller reports the cluster count beside it)."""
    by_cluster: dict[int, list[int]] = {}
    for a, b, cluster in zip(first, second, clusters):
        entry = by_cluster.setdefault(cluster, [0, 0, 0])
        entry[0] += int(bool(a))
        entry[1] += int(bool(b))
        entry[2] += 1
    groups = list(by_cluster.values())
    rng = random.Random(seed)
    diffs = []
    for _ in range(samples):
        drawn = [groups[rng.randrange(len(groups))] for _ in groups]
        n = sum(g[2] for g in drawn)
        diffs.append((sum(g[0] for g in drawn) - sum(g[1] for g in drawn)) / n)
    diffs.sort()
    return diffs[int(0.025 * (samples - 1))], diffs[int(0.975 * (samples - 1))]


def paired_comparison(first: Sequence[dict], second: Sequence[dict], key: str = "success") -> dict:
    """Two evaluations of the same episodes (rows matched by ``episode``; both carry ``object``): the rates, the
    discordant counts, the paired difference with its object-bootstrap 95% interval, and the exact McNemar p-value.

    Raises ``ValueError`` when the two do not hold the same episodes: a paired test on different episodes would
    mean nothing."""
    a = {r["episode"]: r for r in first}
    b = {r["episode"]: r for r in second}
    if set(a) != set(b):
        raise ValueError(f"the evaluations hold different episodes ({len(a)} and {len(b)}, {len(set(a) ^ set(b))} apart)")
    episodes = sorted(a)
    if any(a[e]["object"] != b[e]["object"] for e in episodes):
        raise ValueError("the evaluations' episodes hold different objects: they were not drawn from the same plan")
    x = [bool(a[e][key]) for e in episodes]
    y = [bool(b[e][key]) for e in episodes]
    only_first = sum(p and not q for p, q in zip(x, y))
    only_second = sum(q and not p for p, q in zip(x, y))
    n = len(episodes)
    low, high = cluster_bootstrap_difference(x, y, [a[e]["object"] for e in episodes])
    return {
        "metric": key,
        "episodes": n,
        "objects": len({a[e]["object"] for e in episodes}),
        "first": rate(x),
        "second": rate(y),
        "difference": round((sum(x) - sum(y)) / n, 4) if n else 0.0,
        "difference_ci95_object_bootstrap": [round(low, 4), round(high, 4)],
        "only_first": only_first,
        "only_second": only_second,
        "mcnemar_p": float(f"{mcnemar_exact(only_first, only_second):.4g}"),  # significant digits: tiny p stays > 0
    }
