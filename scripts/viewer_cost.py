"""Measure what --viz viser with a browser watching costs per step (``python scripts/viewer_cost.py --help``)."""

import sys

from dexgrasp.cli.viewer_cost import cli

if __name__ == "__main__":
    sys.exit(cli())
