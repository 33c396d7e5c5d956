"""Where an image student's object-position estimate comes from (``python scripts/position_probe.py --help``)."""

import sys

from dexgrasp.cli.position_probe import cli

if __name__ == "__main__":
    sys.exit(cli())
