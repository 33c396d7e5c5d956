"""A policy's actions against the scripted expert's labels (``python scripts/label_gap.py --help``)."""

import sys

from dexgrasp.cli.label_gap import cli

if __name__ == "__main__":
    sys.exit(cli())
