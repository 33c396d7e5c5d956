"""Builds the state task on the CPU (2 environments, the cube, ADR level 0), checks its start and lets the
scripted expert grasp; prints a JSON report. Run by tests/test_grasping.py in a subprocess.

The goal-height curriculum is on, each episode's goal drawn between 7 and 2 cm below the task's: the expert (which
aims at the task's goal) ends its episodes within reach of them, so one window of two episodes raises the height to
the task's. The weight curriculum is on too: the same episodes end with the cube held, so they make it heavier.
Last, assisted starts and a zero action:
the gripped start lifts the cube, as a new policy would, and the open one leaves it behind; a raised open start
puts the hand 12 cm higher over the cube, the cube moved and turned on the table below it."""

import json

from dexgrasp.envs.factory import load_cfgs, make_env, simulation  # noqa: E402

TASK = "DexGrasp-KukaAllegro-State-v0"
GOAL_HEIGHT = "env.curriculum.goal_height.params"
WEIGHT = "env.curriculum.object_weight.params"
overrides = [
    "presets=cube",
    "env.episode_length_s=6",
    f"{GOAL_HEIGHT}.start_height=0.73",
    f"{GOAL_HEIGHT}.low_height=0.68",
    f"{GOAL_HEIGHT}.min_episodes=2",
    f"{WEIGHT}.start_scale=0.5",
    f"{WEIGHT}.min_episodes=2",
]
env_cfg, _ = load_cfgs(TASK, "rsl_rl", overrides, num_envs=2, device="cpu", seed=0)
report = {"goal_z": env_cfg.goal_pos[2], "spawn_height": env_cfg.spawn_height}

with simulation(env_cfg, "cpu"):
    import torch
    from dexgrasp.tasks.grasp.mdp import (
        goal_position,
        object_lifted,
        set_curriculum_state,
    )
    from dexgrasp.tasks.grasp.scripted_expert import ScriptedGraspExpert

    env = make_env(TASK, env_cfg).unwrapped
    obj = env.scene["object"]

    def object_pose():
        pose = obj.data.root_pose_w.torch.clone()
        pose[:, :3] -= env.scene.env_origins
        return pose

    # resets at level 0 put the object at one place, upright; at level 1 they spread it
    spawns = {}
    for level_step in (0, 50):
        set_curriculum_state(env, {"step": level_step})
        poses = []
        for _ in range(3):
            env.reset()
            poses.append(object_pose())
        spawns[level_step] = torch.stack(poses)  # (resets, envs, 7)
    for step, poses in spawns.items():
        flat = poses.reshape(-1, 7)
        report[f"spawn_spread_level{step}"] = float((flat - flat[0]).abs().amax())
    report["spawn_pose_level0"] = spawns[0][0, 0].tolist()

    # the scripted expert grasps the cube and lifts it to the goal
    set_curriculum_state(env, {"step": 0})
    env.reset()
    expert = ScriptedGraspExpert(env)
    report["observed_goal_z"] = goal_position(env)[:, 2].tolist()  # the curriculum's goal, not the task's
    heights, bonus = [], []
    for _ in range(int(env.max_episode_length) - 1):
        _, _, terminated, truncated, extras = env.step(expert.act())
        heights.append(obj.data.root_pos_w.torch[:, 2].clone())
        bonus.append(object_lifted(env, **env_cfg.rewards.lifted.params))
    report["lifted_bonus_at_rest"] = bonus[45].tolist()  # the lifted bonus (off by default) is 0 on the table
    report["lifted_bonus_at_end"] = bonus[-1].tolist()  # and 1 at the goal
    heights = torch.stack(heights)
    rest = heights[30:60].amin(dim=0)  # landed on the table within half a second of the drop
    report["rest_height"] = rest.tolist()
    report["lift_above_rest"] = (heights[60:].amax(dim=0) - rest).tolist()
    report["final_goal_distance"] = env.episode_metrics.goal_distance(env).tolist()
    report["terminated"] = bool(terminated.any())
    _, _, _, truncated, extras = env.step(expert.act())  # the episodes end: their metrics are logged
    report["time_out_logged"] = bool(truncated.all()) and "Metrics/success" in extras["log"]
    report["time_out_logged_values"] = extras["log"]["Metrics/success"].tolist()  # one per finished episode
    report["goal_height_after"] = float(extras["log"]["Curriculum/goal_height/height"])
    report["observed_goal_z_after"] = goal_position(env)[:, 2].tolist()  # drawn up to the risen height
    report["held"] = env.episode_metrics.last_held.tolist()
    report["weight_after"] = float(extras["log"]["Curriculum/object_weight/scale"])
    report["weight_window_rate"] = float(extras["log"]["Curriculum/object_weight/success_rate"])
    # on the next steps no episode ends: nothing to report (Isaac Lab would leave the time-out's log in place)
    report["metrics_logged_without_reset"] = sum(
        "Metrics/success" in env.step(expert.act())[4]["log"] for _ in range(3)
    )
    report["exact_expert_error"] = float(expert._position_error.abs().max())

    # an expert told the object's horizontal position with an error: drawn at an episode's start, kept through it
    env.cfg.scripted_expert.position_error = 0.02
    env.reset()
    erring = ScriptedGraspExpert(env)
    env.step(erring.act())
    drawn = erring._position_error.clone()
    env.step(erring.act())
    report["position_error_drawn"] = drawn.tolist()
    report["position_error_kept"] = bool(torch.equal(erring._position_error, drawn))
    env.reset()
    erring.act()
    report["position_error_redrawn"] = erring._position_error.tolist()
    env.cfg.scripted_expert.position_error = 0.0

    # an assisted start grips the cube: a new policy's mean action (zero) lifts it and holds it
    # (with the fingers open around it, the rung between that and a normal start, the palm leaves it behind)
    # (the open start raised, the hand starts above the cube resting on the table)
    env.cfg.assisted_start_share = 1.0
    assisted = env.event_manager.get_term_cfg("assisted_start").params
    palm = env.scene["robot"].find_bodies(env_cfg.events.push_object.params["hand_cfg"].body_names)[0][0]
    zero = torch.zeros(env.num_envs, env.action_manager.total_action_dim)
    for fingers, open_share, raised in (("gripped", 0.0, 0.0), ("open", 1.0, 0.0), ("raised", 1.0, 1.0)):
        # the raised start also moves the cube by up to 5 cm and turns it by up to 0.7 rad
        assisted.update(open_share=open_share, open_raise=(raised, raised), raised_offset=0.05, raised_yaw=0.7)
        env.reset()
        start = obj.data.root_pos_w.torch[:, 2].clone()
        env.step(zero)
        palm_pos = env.scene["robot"].data.body_pos_w.torch[:, palm] - env.scene.env_origins
        report[f"assisted_{fingers}_palm"] = palm_pos.tolist()
        report[f"assisted_{fingers}_object"] = object_pose().tolist()
        for _ in range(119):
            env.step(zero)
        report[f"assisted_{fingers}_marked"] = env.episode_metrics.assisted.tolist()
        report[f"assisted_{fingers}_zero_action_lift"] = (obj.data.root_pos_w.torch[:, 2] - start).tolist()
    env.close()

print("REPORT " + json.dumps(report))
