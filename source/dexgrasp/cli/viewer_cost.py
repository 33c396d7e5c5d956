"""``scripts/viewer_cost.py``: what watching a run in a browser costs per step, and a screenshot of the view.

One process builds the scene with ``--viz viser`` and drives it with the scripted grasp expert. It times
``--steps`` environment steps with no browser connected (Isaac Lab's viser visualizer then returns at once), then
the same with headless Chromium showing the page, then again without it (the two browserless phases bracket any
drift of a shared machine), and writes ``cost.json`` and the browser's view ``browser.png`` into ``--out``.
The time spent inside the visualizer is also counted on its own: the browser here renders WebGL in software on the
same cores, which a user's browser on another machine does not.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from dexgrasp.runs import machine_description
from dexgrasp.viewer import DEFAULT_PORT, Viewer, port_is_free

from . import common
from .common import UsageError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Measure the per-step cost of --viz viser with a browser watching.")
    parser.add_argument("--task", default="DexGrasp-KukaAllegro-State-v0")
    parser.add_argument("--num_envs", type=int, default=16)
    parser.add_argument("--max_visible_envs", type=int, default=4)
    parser.add_argument("--steps", type=int, default=120, help="timed steps per phase")
    parser.add_argument("--connect_s", type=float, default=20.0, help="seconds the page gets to load and draw")
    parser.add_argument("--viz_port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--out", default="logs/viewer_cost", help="folder for the cost table and plots")
    return parser


def main(argv: list[str]) -> int:
    args, overrides = common.parse_command(build_parser(), argv)
    for name in ("--num_envs", "--max_visible_envs", "--steps"):
        common.check_positive(name, getattr(args, name[2:]))
    if not port_is_free(args.viz_port):
        raise UsageError(f"port {args.viz_port} is in use: choose another with --viz_port")
    from dexgrasp.viewer.browser import find_browser

    if find_browser() is None:
        raise UsageError("no headless browser: install Debian's chromium package (apt-get install chromium)")

    import imageio.v3 as iio
    import torch

    from dexgrasp.envs.factory import load_cfgs, make_env, simulation
    from dexgrasp.tasks.grasp.scripted_expert import ScriptedGraspExpert
    from dexgrasp.viewer.browser import HeadlessBrowser

    env_cfg, _ = load_cfgs(args.task, "rsl_rl", overrides, args.num_envs, "cpu", seed=0, play=True)
    viewer = Viewer(("viser",), args.viz_port, args.max_visible_envs)
    os.makedirs(args.out, exist_ok=True)
    with simulation(env_cfg, "cpu", viewer=viewer), torch.inference_mode():
        env = make_env(args.task, env_cfg)
        base = env.unwrapped
        expert = ScriptedGraspExpert(base)
        env.reset()
        visualizer = base.sim.visualizers[0]
        inside = {"s": 0.0}
        step_visualizer = visualizer.step

        def timed_step(dt: float) -> None:
            start = time.perf_counter()
            step_visualizer(dt)
            inside["s"] += time.perf_counter() - start

        visualizer.step = timed_step

        def run(steps: int) -> float:
            start = time.perf_counter()
            for _ in range(steps):
                env.step(expert.act())
            return (time.perf_counter() - start) / steps

        run(10)  # first steps compile kernels
        inside["s"] = 0.0
        before = run(args.steps)
        idle_s = inside["s"] / args.steps
        with HeadlessBrowser(viewer.url) as browser:
            deadline = time.monotonic() + args.connect_s
            while time.monotonic() < deadline:  # the page loads and draws while the run goes on
                run(1)
            inside["s"] = 0.0
            watched = run(args.steps)
            visualizer_s = inside["s"] / args.steps
            iio.imwrite(os.path.join(args.out, "browser.png"), browser.screenshot())
        after = run(args.steps)
        env.close()
    unwatched = (before + after) / 2
    result = {
        "command": " ".join(["python scripts/viewer_cost.py", *argv]),
        "machine": machine_description(),
        "device": "cpu",
        "num_envs": args.num_envs,
        "visible_envs": args.max_visible_envs,
        "steps_per_phase": args.steps,
        "step_s_without_browser": [round(before, 4), round(after, 4)],
        "step_s_with_browser": round(watched, 4),
        "added_s_per_step": round(watched - unwatched, 4),
        "added_share": round(watched / unwatched - 1, 3),
        "visualizer_s_per_step_without_browser": round(idle_s, 5),
        "visualizer_s_per_step_with_browser": round(visualizer_s, 4),
    }
    with open(os.path.join(args.out, "cost.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))
    return 0


def cli() -> int:
    return common.run_cli(main)
