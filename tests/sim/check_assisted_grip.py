"""How firmly an assisted start holds the cube: 8 environments start gripped (``env.assisted_start_share=1``) and
act for 200 steps (3.3 s) with a zero action plus Gaussian noise of a std per group of action dimensions (palm
position, palm rotation, hand synergies), as a new policy's exploration adds; prints, and writes to the JSON file
given, the cube's height at the start, its highest point and the share of environments still holding it 10 cm up at
the end.

    python tests/sim/check_assisted_grip.py docs/figures/learning_curve/assisted_grip.json
"""

import json
import sys

from dexgrasp.envs.factory import load_cfgs, make_env, simulation

TASK = "DexGrasp-KukaAllegro-State-v0"
GROUPS = {"palm_position": slice(0, 3), "palm_rotation": slice(3, 6), "synergies": slice(6, 11)}
"""The task's action dimensions by group."""
CASES = [  # noise std per group (position, rotation, synergies): one std on all, on one group, the scratch runs' mixes
    (0.0, 0.0, 0.0),
    (0.1, 0.1, 0.1),
    (0.2, 0.2, 0.2),
    (0.5, 0.5, 0.5),
    (0.3, 0.0, 0.0),
    (0.5, 0.0, 0.0),
    (0.0, 0.3, 0.0),
    (0.0, 0.1, 0.0),
    (0.0, 0.03, 0.0),
    (0.0, 0.01, 0.0),
    (0.0, 0.0, 0.3),
    (0.0, 0.0, 0.1),
    (0.0, 0.0, 0.05),
    (0.0, 0.0, 0.03),
    (0.3, 0.01, 0.03),
    (0.5, 0.01, 0.05),
]
OVERRIDES = ["presets=cube", "env.assisted_start_share=1.0", "env.episode_length_s=4"]
env_cfg, _ = load_cfgs(TASK, "rsl_rl", OVERRIDES, num_envs=8, device="cpu", seed=0)
with simulation(env_cfg, "cpu"):
    import torch

    torch.manual_seed(0)
    env = make_env(TASK, env_cfg).unwrapped
    obj = env.scene["object"]
    rows = []
    for case in CASES:
        std = torch.zeros(env.action_manager.total_action_dim)
        for value, dims in zip(case, GROUPS.values()):
            std[dims] = value
        env.reset()
        start = obj.data.root_pos_w.torch[:, 2].clone()
        heights = []
        for _ in range(200):
            env.step((std * torch.randn(env.num_envs, std.numel())).clamp(-1.0, 1.0))
            heights.append(obj.data.root_pos_w.torch[:, 2] - start)
        heights = torch.stack(heights)
        rows.append(
            {
                "std": dict(zip(GROUPS, case)),
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
