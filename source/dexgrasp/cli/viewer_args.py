"""``--viz``, ``--viz_port`` and ``--max_visible_envs``: the viewer a command line asks for, checked before any
simulator or process starts, so a missing package, a missing display or a busy port costs the user one line."""

from __future__ import annotations

import argparse
import importlib.util
import os

from dexgrasp.viewer import DEFAULT_PORT, DEFAULT_VISIBLE_ENVS, Viewer, port_is_free

from .common import UsageError

NEEDS = {
    "viser": ("viser", ".venv/bin/pip install 'isaaclab[viser]==3.0.0' (or reinstall this package: make setup)"),
    "kit": ("isaacsim", ".venv/bin/pip install -e '.[isaacsim]'"),
    "newton_gl": ("pyglet", ".venv/bin/pip install pyglet"),
    "rerun": ("rerun", ".venv/bin/pip install 'isaaclab[rerun]==3.0.0'"),
    "newton_rtx": ("ovrtx", ".venv/bin/pip install 'isaaclab[all]==3.0.0'"),
}
"""Visualizer name (as Isaac Lab's ``--viz`` parser writes it) -> (module it needs, how to install it)."""

SHOWN_AS = {"newton_gl": "newton"}


def add_viewer_args(parser: argparse.ArgumentParser) -> None:
    """``--viz_port``; ``--viz`` and ``--max_visible_envs`` come with Isaac Lab's launcher arguments."""
    parser.add_argument(
        "--viz_port", type=int, default=DEFAULT_PORT, help=f"--viz viser: port of the web page (default {DEFAULT_PORT})"
    )


def viewer_from_args(args: argparse.Namespace, check_port: bool = True) -> Viewer | None:
    """The viewer that ``--viz`` asks for (None for none), or a :class:`UsageError` saying why it cannot start.

    ``check_port=False`` where another process of the same run may already serve the port (torchrun ranks).
    """
    names = tuple(getattr(args, "visualizer", None) or ())  # Isaac Lab's parser gives canonical names
    if not names:
        return None
    for name in names:
        module, install = NEEDS.get(name, (None, None))
        if module is not None and importlib.util.find_spec(module) is None:
            raise UsageError(f"--viz {SHOWN_AS.get(name, name)} needs the '{module}' package: {install}")
    if "newton_gl" in names and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise UsageError("--viz newton opens a desktop window, but there is no display ($DISPLAY); use --viz viser")
    port = getattr(args, "viz_port", DEFAULT_PORT)
    if "viser" in names:
        if not 0 < port < 65536:
            raise UsageError(f"--viz_port must be in 1..65535, got {port}")
        if check_port and not port_is_free(port):
            raise UsageError(f"port {port} is in use: choose another with --viz_port")
    visible = getattr(args, "max_visible_envs", None)
    if visible is not None and visible < 1:
        raise UsageError(f"--max_visible_envs must be a positive integer, got {visible}")
    return Viewer(names, port, DEFAULT_VISIBLE_ENVS if visible is None else visible)
