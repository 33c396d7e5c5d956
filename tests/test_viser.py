"""``--viz viser`` in a real browser: headless Chromium watches a play run and a disaggregated training run.

Each run serves Isaac Lab's viser visualizer; the browser opens the URL the run prints, and two screenshots a few
seconds apart must show the scene (robot, table and floor drawn where the camera is aimed) and show it live (the
two differ while the policy moves the arm). Bad ``--viz`` requests are refused with one line before anything starts.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import ROOT, run
from dexgrasp.cli.common import UsageError
from dexgrasp.cli.viewer_args import viewer_from_args
from dexgrasp.runner.launcher import free_port
from dexgrasp.viewer import CLOSE_GRACE_S
from dexgrasp.viewer.browser import find_browser

pytestmark = pytest.mark.serial  # a browser's screenshots a few seconds apart, on a machine nothing else loads

STATE = "DexGrasp-KukaAllegro-State-v0"
TINY = ["presets=res32", "presets=cube", "env.episode_length_s=2"]
TINY_AGENT = ["agent.num_steps_per_env=8", "agent.actor.rnn_hidden_dim=32", "agent.critic.rnn_hidden_dim=32"]


@pytest.fixture(scope="module")
def browser():
    """Chromium's path, installed from Debian's package when missing and possible (CI runs as root)."""
    if find_browser() is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=600)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
            capture_output=True,
            timeout=900,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    path = find_browser()
    if path is None:
        pytest.skip("no Chromium and it cannot be installed here (apt-get install chromium needs root)")
    return path


def centre(shot: np.ndarray) -> np.ndarray:
    """Where the camera is aimed (the tables and robots of the visible environments), clear of viser's panels."""
    h, w = shot.shape[:2]
    return shot[int(h * 0.35) : int(h * 0.95), int(w * 0.25) : int(w * 0.72)].astype(np.int16)


def drawn(shot: np.ndarray) -> tuple[float, float]:
    """(share of the centre that is not viser's white background, share in the robot's saturated orange)."""
    view = centre(shot)
    scene = (view < 245).any(axis=-1).mean()
    robot = ((view.max(axis=-1) - view.min(axis=-1)) > 60).mean()
    return float(scene), float(robot)


def changed(first: np.ndarray, second: np.ndarray) -> float:
    """Share of the centre's pixels that differ between two screenshots."""
    return float((np.abs(centre(first) - centre(second)) > 12).any(axis=-1).mean())


def is_drawn(shot: np.ndarray) -> bool:
    scene, robot = drawn(shot)
    return scene > 0.3 and robot > 0.005


def watch(url: str, proc: subprocess.Popen, timeout_s: float = 300.0) -> tuple[np.ndarray, np.ndarray]:
    """Open ``url`` once the run serves it; screenshots 3 s apart until two show the scene drawn and moving.

    The page shows the scene as soon as the server is up, but the run moves it only once it steps: a play run
    compiles its kernels first, a disaggregated one waits for all its simulation processes.
    """
    from dexgrasp.viewer.browser import HeadlessBrowser, wait_for_page

    wait_for_page(url, timeout_s, alive=lambda: proc.poll() is None)
    with HeadlessBrowser(url) as page:
        deadline = time.monotonic() + timeout_s
        second = page.screenshot()
        while True:
            time.sleep(3)
            first, second = second, page.screenshot()
            if is_drawn(first) and is_drawn(second) and changed(first, second) > 0.002:
                return first, second
            assert proc.poll() is None, f"the run ended (exit {proc.returncode}) before its page showed it moving"
            assert time.monotonic() < deadline, (
                f"no moving scene after {timeout_s:.0f} s: drawn {drawn(second)}, changed {changed(first, second):.4%}"
            )


def start(args: list[str], **popen) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen
    )


def wait_for_url(proc: subprocess.Popen, lines: list[str], timeout_s: float = 300.0) -> str:
    """The URL the run prints; output lines are collected into ``lines`` (the reader keeps draining them)."""
    import threading

    found = threading.Event()
    url: list[str] = []

    def read():
        for line in proc.stdout:
            lines.append(line)
            match = re.search(r"watch this run in a browser: (http://\S+)", line)
            if match and not url:
                url.append(match.group(1))
                found.set()
        found.set()

    threading.Thread(target=read, daemon=True).start()
    found.wait(timeout_s)
    assert url, "no URL printed:\n" + "".join(lines[-60:])
    return url[0]


def assert_live_scene(first: np.ndarray, second: np.ndarray) -> None:
    for shot in (first, second):
        scene, robot = drawn(shot)
        assert scene > 0.3 and robot > 0.005, f"scene not drawn: {scene=:.3f} {robot=:.4f}"
    assert changed(first, second) > 0.002, "the two screenshots 3 s apart are the same"


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def watched_training(browser, tmp_path_factory):
    """A disaggregated training run (two simulation processes, one learner) watched in the browser, then stopped
    with Ctrl-C (the learner saves a checkpoint on the way out)."""
    log_dir = tmp_path_factory.mktemp("viser_train")
    port = free_port()
    proc = start(
        ["scripts/train.py", "--task", STATE, "--topology", "disaggregated", "--sim_devices", "cpu,cpu"]
        + ["--learner_device", "cpu", "--num_envs", "4", "--max_iterations", "500", "--log_dir", str(log_dir)]
        + ["--viz", "viser", "--viz_port", str(port), "--max_visible_envs", "2", *TINY, *TINY_AGENT]
    )
    lines: list[str] = []
    try:
        url = wait_for_url(proc, lines)
        shots = watch(url, proc)
    finally:
        stop(proc)
    return {"url": url, "port": port, "shots": shots, "log": "".join(lines), "log_dir": log_dir}


@pytest.mark.slow
def test_disaggregated_training_in_browser(watched_training):
    assert watched_training["url"] == f"http://localhost:{watched_training['port']}"
    assert_live_scene(*watched_training["shots"])
    # simulation process 0 serves the page; process 1 runs headless
    assert watched_training["log"].count("watch this run in a browser") == 1, watched_training["log"][-3000:]
    assert watched_training["log"].count("viser (listening") == 1


@pytest.mark.slow
def test_play_checkpoint_in_browser(watched_training, tmp_path):
    """The page shows the played episodes moving; when they are done the run reports them and keeps the page up
    until Ctrl-C, which ends it cleanly."""
    checkpoints = sorted(watched_training["log_dir"].glob("model_*.pt"), key=os.path.getmtime)
    assert checkpoints, "the watched training saved no checkpoint:\n" + watched_training["log"][-3000:]
    port = free_port()
    proc = start(
        ["scripts/play.py", "--task", STATE, "--checkpoint", str(checkpoints[-1]), "--num_envs", "2"]
        + ["--episodes", "12", "--device", "cpu", "--out", str(tmp_path), "--viz", "viser", "--viz_port", str(port)]
        + TINY
    )
    lines: list[str] = []
    try:
        url = wait_for_url(proc, lines)
        assert url == f"http://localhost:{port}"
        first, second = watch(url, proc)
        deadline = time.monotonic() + 300
        while not any("browser view stays up" in line for line in lines):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(lines[-40:])
            time.sleep(1)
        time.sleep(3)
        assert proc.poll() is None, "the run ended with its page: " + "".join(lines[-20:])
        from dexgrasp.viewer.browser import HeadlessBrowser

        with HeadlessBrowser(url) as page:  # a browser that connects now still gets the scene
            deadline = time.monotonic() + 60
            while not is_drawn(page.screenshot()):
                assert time.monotonic() < deadline, "a page opened after the episodes shows no scene"
                time.sleep(2)
        proc.send_signal(signal.SIGINT)  # a close that hangs is ended after CLOSE_GRACE_S, its stacks printed
        assert proc.wait(timeout=CLOSE_GRACE_S + 30) == 0, "".join(lines[-150:])
    finally:
        stop(proc)
    assert_live_scene(first, second)
    log = "".join(lines)
    assert log.index("success_rate:") < log.index("browser view stays up") and (tmp_path / "summary.json").is_file()


HUNG_CLOSE = """
import time
from dexgrasp.viewer import Viewer, serve_until_interrupted
serve_until_interrupted(Viewer(("viser",)))
time.sleep(3600)  # a close that never ends
"""


def test_a_close_that_hangs_after_ctrl_c_is_ended_with_its_stacks():
    """Started as a background job would be (SIGINT ignored), the view still ends on Ctrl-C; a hung close is ended."""
    proc = start(["-c", HUNG_CLOSE], preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert "browser view stays up" in proc.stdout.readline()
    start_s = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=CLOSE_GRACE_S + 30)
    assert proc.returncode == 1 and time.monotonic() - start_s < CLOSE_GRACE_S + 10
    assert "browser view closed" in out and 'File "<string>", line 5 in <module>' in out  # where it hung


@pytest.mark.slow
def test_busy_port_refused_before_the_simulation(tmp_path):
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        start_s = time.monotonic()
        proc = run(["scripts/play.py", "--policy", "scripted", "--viz", "viser", "--viz_port", str(port)])
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: port {port} is in use: choose another with --viz_port"
    assert "Completed setting up the environment" not in proc.stdout
    assert time.monotonic() - start_s < 60


@pytest.mark.slow
def test_unknown_visualizer_lists_the_valid_ones():
    proc = run(["scripts/train.py", "--viz", "browser"])
    assert proc.returncode == 2
    assert "Invalid --visualizer value(s): browser. Valid options: kit, newton_gl" in proc.stderr
    assert "viser" in proc.stderr.splitlines()[-1]


def request(*names: str, port: int = 8080) -> argparse.Namespace:
    return argparse.Namespace(visualizer=list(names), viz_port=port, max_visible_envs=None)


def test_missing_viser_names_the_install_command(monkeypatch):
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "viser" else find_spec(name, *a))
    with pytest.raises(UsageError, match=r"--viz viser needs the 'viser' package: .*pip install 'isaaclab\[viser\]"):
        viewer_from_args(request("viser"))


def test_newton_viewer_needs_a_display(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(UsageError, match="no display"):
        viewer_from_args(request("newton_gl"))


def test_kit_needs_isaac_sim():
    import importlib.util

    if importlib.util.find_spec("isaacsim") is not None:
        pytest.skip("Isaac Sim is installed here")
    with pytest.raises(UsageError, match=r"--viz kit needs the 'isaacsim' package: .*\[isaacsim\]"):
        viewer_from_args(request("kit"))


def test_viewer_defaults():
    assert viewer_from_args(request()) is None
    viewer = viewer_from_args(request("viser", port=free_port()))
    assert viewer.names == ("viser",) and viewer.max_visible_envs == 4
