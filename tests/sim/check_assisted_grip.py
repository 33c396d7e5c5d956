"""How firmly an assisted start holds the cube: 8 environments start gripped (``env.assisted_start_share=1``) and
act for 200 steps (3.3 s) with a zero action plus Gaussian noise of each std on some action dimensions, as a new
policy's exploration adds; prints, and writes to the JSON file given, the cube's height at the start, its highest
point and the share of environments still holding it 10 cm up at the end.

    python tests/sim/check_assisted_grip.py docs/figures/learning_curve/assisted_grip.json
"""

import json
import sys

from dexgrasp.envs.factory import load_cfgs, make_env, simulation

TASK = "DexGrasp-KukaAllegro-State-v0"
CASES = [  # (std, first action dimension, last + 1): palm position 0-3, palm rotation 3-6, synergies 6-11
    (0.0, 0, 11),
    (0.1, 0, 11),
    (0.2, 0, 11),
    (0.5, 0, 11),
    (0.3, 0, 3),
    (0.3, 3, 6),
    (0.3, 6, 11),
]
OVERRIDES = ["presets=cube", "env.assisted_start_share=1.0", "env.episode_length_s=4"]
env_cfg, _ = load_cfgs(TASK, "rsl_rl", OVERRIDES, num_envs=8, device="cpu", seed=0)
with simulation(env_cfg, "cpu"):
    import torch

    torch.manual_seed(0)
    env = make_env(TASK, env_cfg).unwrapped
    obj = env.scene["object"]
    rows = []
    for std, first, last in CASES:
        env.reset()
        start = obj.data.root_pos_w.torch[:, 2].clone()
        heights = []
        for _ in range(200):
            action = torch.zeros(env.num_envs, env.action_manager.total_action_dim)
            action[:, first:last] = (std * torch.randn(env.num_envs, last - first)).clamp(-1.0, 1.0)
            env.step(action)
            heights.append(obj.data.root_pos_w.torch[:, 2] - start)
        heights = torch.stack(heights)
        rows.append(
            {
                "std": std,
                "action_dims": [first, last],
                "start_height": float(start.mean()),
                "highest_lift": float(heights.amax(dim=0).mean()),
                "holding_at_end": float((heights[-1] > 0.10).float().mean()),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    env.close()
if len(sys.argv) > 1:
    with open(sys.argv[1], "w") as f:
        json.dump({"environments": 8, "steps": 200, "cases": rows}, f, indent=2)
