"""Train a Kuka-Allegro grasp policy (``python scripts/train.py --help``)."""

import sys

from dexgrasp.cli.train import cli

if __name__ == "__main__":
    sys.exit(cli())
