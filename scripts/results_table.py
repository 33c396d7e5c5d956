"""Write the headline table of docs/results.md from the evaluation files it cites.

    python scripts/results_table.py

Reads ``docs/figures/results/headlines.json`` (rows: policy, evaluation folder, paired comparisons, command, machine)
and every ``summary.json`` and comparison it names; rewrites the table between the page's markers.
"""

import os
import sys

from dexgrasp.evaluation.results_page import update_page

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

if __name__ == "__main__":
    changed = update_page(
        os.path.join(ROOT, "docs", "results.md"), ROOT, os.path.join(ROOT, "docs", "figures", "results", "headlines.json")
    )
    print("docs/results.md " + ("updated" if changed else "unchanged"))
    sys.exit(0)
