"""``scripts/tensorboard_serve.py``: TensorBoard on the runs' logs, with TensorBoard's own plugins only.

``python -m tensorboard.main`` loads every plugin an installed package registers; open3d (installed with Isaac Lab)
registers one whose import needs ``libusb`` and stops TensorBoard before it serves anything. The curves this
package logs (scalars: losses, rewards, success, curriculum, pipeline waits) need none of those plugins.
"""

from __future__ import annotations

import argparse
import os

from .common import UsageError, run_cli


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="TensorBoard on training logs (TensorBoard's own plugins).")
    parser.add_argument("--logdir", default="logs", help="folder holding the runs (default: logs)")
    parser.add_argument("--port", type=int, default=6006)
    parser.add_argument("--host", default="localhost", help="address to serve on (0.0.0.0: every interface)")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.logdir):
        raise UsageError(f"no log folder {args.logdir}: train first (make train) or give --logdir")
    from tensorboard import default, program

    board = program.TensorBoard(plugins=default.get_static_plugins())
    board.configure(argv=[None, "--logdir", args.logdir, "--port", str(args.port), "--host", args.host])
    return board.main()


def cli() -> int:
    return run_cli(main)
