"""Evaluate a trained grasp policy (``python scripts/play.py --help``)."""

import sys

from dexgrasp.cli.play import cli

if __name__ == "__main__":
    sys.exit(cli())
