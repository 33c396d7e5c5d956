"""``scripts/tensorboard_serve.py`` serves the scalars a run logs (a real TensorBoard on a real event file)."""

import json
import subprocess
import sys
import time
import urllib.request

from conftest import ROOT, run
from dexgrasp.runner.launcher import free_port
from torch.utils.tensorboard import SummaryWriter


def test_tensorboard_serves_a_runs_scalars(tmp_path):
    writer = SummaryWriter(str(tmp_path / "logs" / "run_a"))
    for step in range(3):
        writer.add_scalar("Train/mean_reward", 0.5 * step, step)
    writer.close()
    port = free_port()
    cmd = [sys.executable, "scripts/tensorboard_serve.py", "--logdir", str(tmp_path / "logs"), "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, tags = time.monotonic() + 120, {}
        while time.monotonic() < deadline and "run_a" not in tags:
            assert proc.poll() is None, proc.stdout.read()[-3000:]
            try:
                with urllib.request.urlopen(f"http://localhost:{port}/data/plugin/scalars/tags", timeout=5) as r:
                    tags = json.loads(r.read())
            except OSError:
                time.sleep(1)
        assert "Train/mean_reward" in tags.get("run_a", {}), tags
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_missing_log_folder_is_one_line(tmp_path):
    proc = run(["scripts/tensorboard_serve.py", "--logdir", str(tmp_path / "none")], timeout=120)
    assert proc.returncode == 2
    message = f"error: no log folder {tmp_path / 'none'}: train first (make train) or give --logdir"
    assert proc.stderr.strip().splitlines() == [message]
