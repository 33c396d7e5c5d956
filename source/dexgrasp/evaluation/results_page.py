"""The headline table of ``docs/results.md``, written from the evaluation files it cites (simulation-free).

Why generated: a figure typed by hand drifts from the file it came from. ``docs/figures/results/headlines.json``
lists the headline rows (the policy, its evaluation folder, the paired comparisons claimed for it, the command
that made it and the machine); :func:`render_table` reads each folder's ``summary.json`` and each comparison's JSON
and writes the table, which ``scripts/results_table.py`` puts between the page's markers. The test suite renders
it again and compares, so the page cannot claim what its files do not hold.
"""

from __future__ import annotations

import json
import os

BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
HEADER = (
    "| policy | objects | level | n (starts) | success [95% CI] | lifted | paired difference in success [95% CI over objects], McNemar p | commit |"
    " machine | command | files |\n|---|---|---|---|---|---|---|---|---|---|---|"
)


def _load(root: str, path: str) -> dict:
    with open(os.path.join(root, path)) as f:
        return json.load(f)


def _pct(rate: dict) -> str:
    low, high = rate["ci95"]
    return f"{rate['rate']:.2f} ({rate['k']}/{rate['n']}) [{low:.2f}, {high:.2f}]"


def _paired(root: str, claims: list[dict]) -> str:
    parts = []
    for claim in claims:
        result = _load(root, claim["file"])["success"]
        difference = result["difference"]
        low, high = result["difference_ci95_object_bootstrap"]
        if claim.get("flip"):  # the file holds the other policy first: this row's policy minus it, all the same
            difference, low, high = 0.0 - difference, 0.0 - high, 0.0 - low  # 0.0 - x: no "-0.00"
        interval = f"[{low:+.2f}, {high:+.2f}]" if result["objects"] > 1 else "(one object: no interval)"
        parts.append(
            f"minus {claim['against']}: {difference:+.2f} {interval},"
            f" p = {result['mcnemar_p']:.2g} (`{claim['file']}`)"
        )
    return "<br>".join(parts) if parts else "-"


def render_table(root: str, spec: dict) -> str:
    """The markdown table of ``spec`` (the parsed ``headlines.json``); paths are relative to ``root``."""
    lines = [HEADER]
    for row in spec["rows"]:
        summary = _load(root, os.path.join(row["evaluation"], "summary.json"))
        held, total = summary["objects_held"].split(" of ")
        objects = summary["objects"] + ("" if held == total else f" ({summary['objects_held']})")
        lines.append(
            f"| {row['policy']} | {objects} | {summary['level']:g}"
            f" | {summary['episodes']} ({summary['distinct_starts']}) | {_pct(summary['success'])}"
            f" | {summary['lifted']['rate']:.2f} | {_paired(root, row.get('paired', []))} | {summary['commit']}"
            f" | {row['machine']} | [{row['command']}](#{row['command']}) | `{row['evaluation']}/` |"
        )
    return "\n".join(lines)


def cited_files(spec: dict) -> list[str]:
    """Every file the table is read from."""
    files = []
    for row in spec["rows"]:
        files += [os.path.join(row["evaluation"], "summary.json"), os.path.join(row["evaluation"], "episodes.csv")]
        files += [claim["file"] for claim in row.get("paired", [])]
    return files


def update_page(page: str, root: str, spec_path: str) -> bool:
    """Rewrite the table between the markers of ``page``; returns whether it changed."""
    with open(page) as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        raise ValueError(f"{page} has no {BEGIN} ... {END} markers")
    with open(spec_path) as f:
        table = render_table(root, json.load(f))
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n{table}\n{END}{tail}"
    if new != text:
        with open(page, "w") as f:
            f.write(new)
    return new != text


def table_in_page(page: str) -> str:
    """The table between the markers of ``page``."""
    with open(page) as f:
        text = f.read()
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n")
