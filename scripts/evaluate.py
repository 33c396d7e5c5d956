"""Evaluate a teacher and its student on the same seeds (``python scripts/evaluate.py --help``)."""

import sys

from dexgrasp.cli.evaluate import cli

if __name__ == "__main__":
    sys.exit(cli())
