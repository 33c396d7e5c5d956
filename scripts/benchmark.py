"""Benchmark memory, capacity, throughput and traffic of the topologies (``python scripts/benchmark.py --help``)."""

import sys

from dexgrasp.cli.benchmark import cli

if __name__ == "__main__":
    sys.exit(cli())
