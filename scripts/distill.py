"""Distil a teacher policy into a stereo RGB or depth student (``python scripts/distill.py --help``)."""

import sys

from dexgrasp.cli.distill import cli

if __name__ == "__main__":
    sys.exit(cli())
