"""TensorBoard on the runs' logs (``python scripts/tensorboard_serve.py --help``)."""

import sys

from dexgrasp.cli.tensorboard import cli

if __name__ == "__main__":
    sys.exit(cli())
