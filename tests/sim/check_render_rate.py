"""Renders per policy step and env-steps/s of the depth task with lazy (default) and eager sensor updates.

    python tests/sim/check_render_rate.py OUT.json [NUM_ENVS] [RES]

Eager updates (``env.scene.lazy_sensor_update=False``) refresh the cameras at every physics substep, twice per
policy step; lazy ones render when the observations read them. Each setting runs in its own subprocess; the
images of both are compared after the same steps.
"""

import json
import subprocess
import sys
import time

if len(sys.argv) > 1 and sys.argv[1] == "--one":
    lazy, num_envs, res = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    from dexgrasp.envs.factory import load_cfgs, make_env, simulation

    task = "DexGrasp-KukaAllegro-Depth-v0"
    overrides = [f"env.image.width={res}", f"env.image.height={res}", "presets=cube"]
    env_cfg, _ = load_cfgs(task, "rsl_rl", overrides + [f"env.scene.lazy_sensor_update={lazy}"], num_envs, "cpu", 0)
    with simulation(env_cfg, "cpu"):
        import torch

        env = make_env(task, env_cfg).unwrapped
        env.reset()
        renderer = env.scene.sensors["depth_camera"]._renderer
        calls, render = [0], renderer.render

        def counted(*args, **kwargs):
            calls[0] += 1
            return render(*args, **kwargs)

        renderer.render = counted
        action = torch.zeros(num_envs, env.action_manager.total_action_dim)
        steps, start = 60, time.perf_counter()
        for _ in range(steps):
            obs, *_ = env.step(action)
        seconds = time.perf_counter() - start
        result = {
            "lazy_sensor_update": lazy == "True",
            "renders_per_step": calls[0] / steps,
            "env_steps_per_s": num_envs * steps / seconds,
            "depth_checksum": float(obs["depth"].double().sum()),
        }
        print("RESULT " + json.dumps(result), flush=True)
        env.close()
    sys.exit(0)

out, num_envs, res = (
    sys.argv[1],
    int(sys.argv[2]) if len(sys.argv) > 2 else 16,
    int(sys.argv[3]) if len(sys.argv) > 3 else 64,
)
rows = []
for lazy in ("False", "True"):
    proc = subprocess.run(
        [sys.executable, __file__, "--one", lazy, str(num_envs), str(res)], capture_output=True, text=True, check=True
    )
    rows.append(json.loads(next(line[7:] for line in proc.stdout.splitlines() if line.startswith("RESULT "))))
report = {
    "num_envs": num_envs,
    "resolution": res,
    "runs": rows,
    "same_images": rows[0]["depth_checksum"] == rows[1]["depth_checksum"],
}
with open(out, "w") as f:
    json.dump(report, f, indent=2)
print(json.dumps(report, indent=2))
