"""Builds one registered scene on the CPU (2 environments, 32x32 images), steps it twice, prints a JSON report of its
observation groups (and, in a scene with cameras, where each camera is after a reset at the top level). Usage: python build_task.py TASK_ID"""

import json
import sys

TASK = sys.argv[1]

from dexgrasp.envs.factory import load_cfgs, make_env, simulation  # noqa: E402

env_cfg, _ = load_cfgs(TASK, "rsl_rl", ["presets=res32,cube"], num_envs=2, device="cpu", seed=0)
with simulation(env_cfg, "cpu", enable_cameras=True):
    import torch

    env = make_env(TASK, env_cfg).unwrapped
    env.reset()
    zero = torch.zeros(env.num_envs, env.action_manager.total_action_dim)
    for _ in range(2):
        obs, rew, *_ = env.step(zero)
    groups = {k: {"shape": list(v.shape), "finite": bool(torch.isfinite(v.float()).all()), "std": float(v.float().std())}
              for k, v in obs.items()}  # fmt: skip
    report = {"groups": groups, "reward_finite": bool(torch.isfinite(rew).all())}
    cameras = {k: v for k, v in env.scene.sensors.items() if k.endswith("_camera")}
    if cameras:  # at the top level each reset moves the camera rig: where each camera went, per environment
        env.curriculum.set_step(env.curriculum.num_steps)
        env.reset()
        env.step(zero)
        report["camera_pos_top_level"] = {k: v.data.pos_w.torch.tolist() for k, v in cameras.items()}
    print("REPORT " + json.dumps(report), flush=True)
    env.close()
