"""Watching a run live: Isaac Lab's visualizers, chosen with ``--viz``, served by one process of the run.

``--viz viser`` serves the scene to a web browser (the viser wheel carries its web client, so a headless cluster
node needs only a port forward); ``--viz newton`` opens Newton's desktop viewer and ``--viz kit`` Isaac Sim's.
Every request is checked here, before any simulator or process starts, so a missing package, a missing display
or a busy port costs the user one line rather than a minute of scene building.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
from dataclasses import dataclass

from dexgrasp.cli.common import UsageError

DEFAULT_PORT = 8080
DEFAULT_VISIBLE_ENVS = 4
"""Environments drawn when ``--max_visible_envs`` is not given: a browser on a laptop draws a handful of scenes
smoothly, not thousands."""

NEEDS = {
    "viser": ("viser", ".venv/bin/pip install 'isaaclab[viser]==3.0.0' (or reinstall this package: make setup)"),
    "kit": ("isaacsim", ".venv/bin/pip install -e '.[isaacsim]'"),
    "newton_gl": ("pyglet", ".venv/bin/pip install pyglet"),
    "rerun": ("rerun", ".venv/bin/pip install 'isaaclab[rerun]==3.0.0'"),
    "newton_rtx": ("ovrtx", ".venv/bin/pip install 'isaaclab[all]==3.0.0'"),
}
"""Visualizer name (as Isaac Lab's ``--viz`` parser writes it) -> (module it needs, how to install it)."""

SHOWN_AS = {"newton_gl": "newton"}


@dataclass(frozen=True)
class Viewer:
    """What to show and where: picklable, so a disaggregated run hands it to its simulation process 0."""

    names: tuple[str, ...]
    port: int = DEFAULT_PORT
    max_visible_envs: int = DEFAULT_VISIBLE_ENVS

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"


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


def port_is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` on every interface, as viser does."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a closed run's TIME_WAIT does not count
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def configure(env_cfg, viewer: Viewer) -> None:
    """Put the viewer's settings into the environment configuration (the launcher reads them from there)."""
    if "viser" not in viewer.names:
        return
    from isaaclab_visualizers.viser import ViserVisualizerCfg

    port = viewer.port
    print(
        f"[dexgrasp] watch this run in a browser: {viewer.url} once the scene is built"
        f" (from another machine: ssh -N -L {port}:localhost:{port} <this host>)",
        flush=True,
    )

    env_cfg.sim.visualizer_cfgs = [
        ViserVisualizerCfg(
            class_type="dexgrasp.viewer.viser_scene:GraspViserVisualizer",
            port=viewer.port,
            max_visible_envs=viewer.max_visible_envs,
            randomly_sample_visible_envs=False,  # the first environments, as --max_visible_envs promises
            focal_length=18.0,  # a narrower view than Isaac Lab's 12 mm: the camera is aimed at the scenes shown
        )
    ]
