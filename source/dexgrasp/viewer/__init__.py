"""Watching a run live: Isaac Lab's visualizers, chosen with ``--viz``, served by one process of the run.

``--viz viser`` serves the scene to a web browser (the viser wheel carries its web client, so a headless cluster
node needs only a port forward); ``--viz newton`` opens Newton's desktop viewer and ``--viz kit`` Isaac Sim's.
Every request is checked by the command line (:mod:`dexgrasp.cli.viewer_args`), before any simulator or process starts, so a missing package, a missing display
or a busy port costs the user one line rather than a minute of scene building.
"""

from __future__ import annotations

import faulthandler
import signal
import socket
import time
from dataclasses import dataclass

DEFAULT_PORT = 8080
DEFAULT_VISIBLE_ENVS = 4
"""Environments drawn when ``--max_visible_envs`` is not given: a browser on a laptop draws a handful of scenes
smoothly, not thousands."""
CLOSE_GRACE_S = 20.0
"""How long a run kept up for the browser may take to close after Ctrl-C; its files are written by then."""


@dataclass(frozen=True)
class Viewer:
    """What to show and where: picklable, so a disaggregated run hands it to its simulation process 0."""

    names: tuple[str, ...]
    port: int = DEFAULT_PORT
    max_visible_envs: int = DEFAULT_VISIBLE_ENVS

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"


def serve_until_interrupted(viewer: Viewer | None) -> None:
    """When a browser view is on, keep it up after the run's work is done until the user presses Ctrl-C: viser
    serves from its own threads, so the page keeps the last frame to look at (a run that just ended would take the
    page with it). After Ctrl-C the process closes within :data:`CLOSE_GRACE_S` seconds, status 1 if it had to be
    ended."""
    if viewer is None or "viser" not in viewer.names:
        return
    # a run started as a background job inherits an ignored SIGINT; the view ends on it all the same
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        print(f"[dexgrasp] done; the browser view stays up at {viewer.url} until Ctrl-C", flush=True)
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("[dexgrasp] browser view closed", flush=True)
        # closing the scene and its server must not keep the user waiting: past the grace period the fault
        # handler's own thread (it needs no interpreter lock) prints where every thread is and ends the process
        faulthandler.dump_traceback_later(CLOSE_GRACE_S, exit=True)


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
