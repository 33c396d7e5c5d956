"""Headless Chromium driven over the DevTools protocol: the browser side of the viewer's tests and measurements.

``chromium --headless --screenshot`` runs the page in virtual time and shoots as soon as it has loaded, before
viser's websocket has delivered a scene; a page kept open in real time and shot on request shows what a user sees.
The DevTools protocol needs only a websocket client, which the viser package brings.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request

import numpy as np

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def find_browser() -> str | None:
    """The first Chromium-family browser on ``PATH`` (Debian's package is ``chromium``)."""
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def wait_for_page(url: str, timeout_s: float, alive=lambda: True) -> None:
    """Wait until ``url`` answers (a run prints its URL before the scene is built and the server starts).

    A browser sent to a port that does not answer yet shows an error page that replaces the page it was given.
    ``alive()`` False (the serving process ended) stops the wait early.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError as exc:
            if not alive() or time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer: {exc}") from exc
        time.sleep(1)


class HeadlessBrowser:
    """One page of a headless Chromium on ``url``; WebGL runs in software (SwiftShader), so no GPU is needed."""

    def __init__(self, url: str, width: int = 1280, height: int = 720, timeout_s: float = 60.0) -> None:
        from websockets.sync.client import connect

        binary = find_browser()
        if binary is None:
            raise FileNotFoundError(f"no browser found (looked for {', '.join(BROWSERS)})")
        self._profile = tempfile.mkdtemp(prefix="dexgrasp-browser-")
        self._proc = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",  # CI runs as root
                "--use-angle=swiftshader",
                "--enable-unsafe-swiftshader",
                "--no-first-run",
                f"--window-size={width},{height}",
                "--remote-debugging-port=0",
                f"--user-data-dir={self._profile}",
                url,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its renderer and helper processes form one group that close() ends
        )
        try:
            port = self._devtools_port(timeout_s)
            deadline = time.monotonic() + timeout_s
            while True:
                targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout_s))
                pages = [t for t in targets if t.get("type") == "page"]
                if pages or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            if not pages:
                raise TimeoutError(f"the browser opened no page for {url}")
            self._ws = connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=timeout_s)
        except BaseException:
            self.close()
            raise
        self._ids = itertools.count(1)

    def _devtools_port(self, timeout_s: float) -> int:
        deadline = time.monotonic() + timeout_s
        for line in self._proc.stderr:  # Chromium announces its DevTools endpoint on stderr
            found = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if found:
                # keep reading its log, or a full pipe would stall the browser
                threading.Thread(target=self._proc.stderr.read, daemon=True).start()
                return int(found.group(1))
            if time.monotonic() > deadline:
                break
        raise RuntimeError(f"the browser did not start (exit status {self._proc.poll()})")

    def screenshot(self) -> np.ndarray:
        """The page as it is now: ``uint8 (H, W, 3)``."""
        import imageio.v3 as iio

        call = next(self._ids)
        self._ws.send(json.dumps({"id": call, "method": "Page.captureScreenshot", "params": {"format": "png"}}))
        while True:
            reply = json.loads(self._ws.recv())
            if reply.get("id") == call:
                break
        if "error" in reply:
            raise RuntimeError(f"screenshot failed: {reply['error']}")
        return iio.imread(io.BytesIO(base64.b64decode(reply["result"]["data"])))[..., :3]

    def close(self) -> None:
        ws = getattr(self, "_ws", None)
        if ws is not None:
            ws.close()
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        try:  # helpers that outlive the browser process would go on writing into its profile
            os.killpg(self._proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._remove_profile()

    def _remove_profile(self, timeout_s: float = 10.0) -> None:
        """Remove the browser's profile; a killed helper's last writes may land while it is being removed."""
        deadline = time.monotonic() + timeout_s
        while os.path.exists(self._profile):
            try:
                shutil.rmtree(self._profile)
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def __enter__(self) -> HeadlessBrowser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
