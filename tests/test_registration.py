"""The tasks are registered with Gymnasium and found by Isaac Lab's own ``isaaclab list_envs``."""

import os
import subprocess
import sys

import gymnasium as gym

TASKS = ["DexGrasp-KukaAllegro-State-v0", "DexGrasp-KukaAllegro-Depth-v0", "DexGrasp-KukaAllegro-StereoRGB-v0"]


def test_import_registers_tasks_with_entry_points():
    import dexgrasp.tasks  # noqa: F401

    for task in TASKS:
        spec = gym.spec(task)
        for key in ("env_cfg_entry_point", "rsl_rl_cfg_entry_point", "skrl_cfg_entry_point"):
            assert spec.kwargs[key], (task, key)


def test_isaaclab_list_envs_finds_tasks():
    exe = os.path.join(os.path.dirname(sys.executable), "isaaclab")
    out = subprocess.run([exe, "list_envs", "--keyword", "DexGrasp"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    for task in TASKS:
        assert task in out.stdout
