"""Record episodes of a policy to an HDF5 dataset (``python scripts/record.py --help``)."""

import sys

from dexgrasp.cli.record import cli

if __name__ == "__main__":
    sys.exit(cli())
