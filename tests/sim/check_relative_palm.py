"""Builds the state task (2 environments, the cube, assisted open starts) with relative palm actions and prints a
JSON report of how far the palm moves under the zero action and under a full step along x, y and z.

Run by tests/test_rewards.py in a subprocess (a fresh Isaac Lab process).
"""

import json

from dexgrasp.envs.factory import load_cfgs, make_env, simulation

TASK = "DexGrasp-KukaAllegro-State-v0"
STEP = 0.01
OVERRIDES = [
    "presets=cube",
    f"env.actions.palm.relative_step=[{STEP},0.05]",
    "env.assisted_start_share=1.0",  # the palm starts down at its nominal orientation, open around the cube
    "env.events.assisted_start.params.open_share=1.0",
]
env_cfg, _ = load_cfgs(TASK, "rsl_rl", OVERRIDES, num_envs=2, device="cpu", seed=0)

with simulation(env_cfg, "cpu"):
    import torch

    env = make_env(TASK, env_cfg).unwrapped
    palm = env.scene["robot"].body_names.index("palm_link")

    def palm_pos():
        return env.scene["robot"].data.body_pos_w.torch[:, palm].clone()

    env.reset()
    action = torch.zeros(env.num_envs, env.action_manager.total_action_dim)
    for _ in range(5):  # settle
        env.step(action)
    start = palm_pos()
    for _ in range(20):
        env.step(action)
    report = {"zero_action_drift_m": (palm_pos() - start).norm(dim=-1).tolist(), "step_m": STEP}
    moves = {}
    for axis, name in enumerate("xyz"):
        before = palm_pos()
        action[:] = 0.0
        action[:, axis] = 1.0  # z: up, away from the table
        for _ in range(10):
            env.step(action)
        moves[name] = (palm_pos() - before)[:, axis].tolist()
    report["moves_in_10_steps_m"] = moves
    env.close()
print("REPORT " + json.dumps(report))
