"""Compare two evaluations of the same episodes, paired (``python scripts/compare.py --help``)."""

import sys

from dexgrasp.cli.compare import cli

if __name__ == "__main__":
    sys.exit(cli())
