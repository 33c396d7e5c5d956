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


def test_every_entry_point_of_every_registered_task_resolves():
    """Each configuration a task registers loads as Isaac Lab's tools load it: the environment's configclass, the
    RSL-RL runner configuration and the skrl YAML (a typo in a module path or file name fails here, not at run time)."""
    import dexgrasp.tasks  # noqa: F401
    from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry

    ours = [task for task in gym.registry if task.startswith("DexGrasp-")]
    assert set(TASKS) <= set(ours)
    for task in ours:
        keys = [key for key in gym.spec(task).kwargs if key.endswith("_entry_point")]
        assert "env_cfg_entry_point" in keys and "rsl_rl_cfg_entry_point" in keys, task
        for key in keys:
            cfg = load_cfg_from_registry(task, key)
            if key == "skrl_cfg_entry_point":
                assert {"models", "agent", "trainer"} <= set(cfg), (task, sorted(cfg))
            else:
                assert cfg is not None and not isinstance(cfg, (str, dict)), (task, key, type(cfg))


def test_isaaclab_list_envs_finds_tasks():
    exe = os.path.join(os.path.dirname(sys.executable), "isaaclab")
    out = subprocess.run([exe, "list_envs", "--keyword", "DexGrasp"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    for task in TASKS:
        assert task in out.stdout
