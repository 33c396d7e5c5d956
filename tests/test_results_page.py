"""``docs/results.md`` holds only what its files hold: every file its table cites exists, and the table is exactly
the one its files render (``scripts/results_table.py``)."""

from __future__ import annotations

import json
import os

from dexgrasp.evaluation.results_page import cited_files, render_table, table_in_page

from conftest import ROOT

SPEC = ROOT / "docs" / "figures" / "results" / "headlines.json"


def test_every_file_the_results_page_cites_exists():
    spec = json.loads(SPEC.read_text())
    assert spec["rows"], "the results page has headline rows"
    missing = [path for path in cited_files(spec) if not os.path.isfile(ROOT / path)]
    assert not missing, f"cited but missing: {missing}"


def test_the_results_table_matches_its_files():
    spec = json.loads(SPEC.read_text())
    assert table_in_page(str(ROOT / "docs" / "results.md")) == render_table(str(ROOT), spec), (
        "docs/results.md differs from its files: run python scripts/results_table.py"
    )


def test_every_row_names_a_command_the_page_defines():
    spec = json.loads(SPEC.read_text())
    page = (ROOT / "docs" / "results.md").read_text()
    for row in spec["rows"]:
        assert f'<a id="{row["command"]}"></a>' in page, f"command {row['command']} is not defined on the page"
