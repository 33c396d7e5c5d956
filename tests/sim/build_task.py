"""Builds one registered scene on the CPU (2 environments, 32x32 images), steps it twice, prints a JSON report of its
observation groups. Usage: python build_task.py TASK_ID"""

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
    print("REPORT " + json.dumps({"groups": groups, "reward_finite": bool(torch.isfinite(rew).all())}), flush=True)
    env.close()
