"""Builds one grasp task on the CPU (2 environments, small images), probes it, prints a JSON report.

Run by tests/test_tasks.py in a subprocess so each task gets a fresh Isaac Lab process.
Usage: python check_task.py TASK_ID RESOLUTION
"""

import json
import sys

TASK, RES = sys.argv[1], int(sys.argv[2])

from dexgrasp.envs.factory import load_cfgs, make_env, simulation  # noqa: E402

overrides = [f"env.image.width={RES}", f"env.image.height={RES}", "presets=cube", "env.episode_length_s=0.2"]
env_cfg, _ = load_cfgs(TASK, "rsl_rl", overrides, num_envs=2, device="cpu", seed=0)
report = {}
from dexgrasp.evaluation.visibility import ObjectPixels, policy_cameras, request_object_pixels  # noqa: E402

cameras = request_object_pixels(env_cfg) if policy_cameras(env_cfg) else []

with simulation(env_cfg, "cpu"):
    import torch
    from dexgrasp.tasks.grasp.config.kuka_allegro import camera_cfg as cams
    from dexgrasp.tasks.grasp.mdp import episode_success

    env = make_env(TASK, env_cfg).unwrapped
    obs, _ = env.reset()
    report["groups"] = {k: [list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in obs.items()}
    report["action_dim"] = int(env.action_manager.total_action_dim)
    obj = env.scene["object"]
    origins = env.scene.env_origins
    zero = torch.zeros(env.num_envs, env.action_manager.total_action_dim)

    def place(pos_env, ids=None):
        """Teleport the object (env-frame position), at rest and upright."""
        ids = torch.arange(env.num_envs) if ids is None else torch.as_tensor(ids)
        pose = torch.zeros(len(ids), 7)
        pose[:, :3] = torch.as_tensor(pos_env, dtype=torch.float32) + origins[ids]
        pose[:, 6] = 1.0
        obj.write_root_pose_to_sim_index(root_pose=pose, env_ids=ids)
        obj.write_root_velocity_to_sim_index(root_velocity=torch.zeros(len(ids), 6), env_ids=ids)

    def term(name):
        cfg = env.reward_manager.get_term_cfg(name)
        return cfg.func(env, **cfg.params)

    # cameras render once per policy step (not at every physics substep)
    renders = [0]
    for renderer in {id(s._renderer): s._renderer for s in env.scene.sensors.values()}.values():  # each renderer once
        render = renderer.render

        def counted(*args, _render=render, **kwargs):
            renders[0] += 1
            return _render(*args, **kwargs)

        renderer.render = counted
    # object resting on the table at the workspace centre: visible in every camera
    look = (cams.LOOK_AT[0], cams.LOOK_AT[1], 0.25 + 0.03)
    for _ in range(3):
        place(look)
        obs, rew, terminated, truncated, _ = env.step(zero)
    report["renders_per_step_per_camera"] = renders[0] / 3 / max(1, len(env.scene.sensors))
    if cameras:  # the share of each camera's pixels on the object, from the renderer's shape index
        report["object_pixels"] = dict(zip(cameras, (ObjectPixels(env, cameras).shares()[0] * RES * RES).tolist()))
    report["reward_finite"] = bool(torch.isfinite(rew).all())
    rot = torch.tensor(cams.CAMERA_ROT, dtype=torch.float32)
    eye = torch.tensor(cams.CAMERA_POS, dtype=torch.float32)
    f_px = RES * cams.FOCAL_LENGTH / cams.HORIZONTAL_APERTURE
    in_camera = rot.T @ (torch.tensor(look, dtype=torch.float32) - eye)  # the object centre, camera frame
    u, v = (RES / 2 + f_px * in_camera[:2] / in_camera[2]).tolist()  # its pixel (column, row)
    # the table along the same pixel's ray: the depth the object stands in front of
    ray = rot @ torch.tensor([(u - RES / 2) / f_px, (v - RES / 2) / f_px, 1.0])
    report["expected_table_depth_at_object_px"] = float((0.25 - eye[2]) / ray[2])
    report["object_px"] = [u, v]
    if "depth" in obs:
        near, far = env_cfg.depth_range
        d = obs["depth"]
        metric = d * (far - near) + near
        report["depth_min"], report["depth_max"] = float(d.min()), float(d.max())
        report["depth_finite"] = bool(torch.isfinite(d).all())
        col, row = int(u), int(v)
        report["depth_at_object_m"] = float(metric[0, 0, row - 1 : row + 2, col - 1 : col + 2].min())
        # the object rests 6 cm tall there: its near face is about its centre's depth, nearer than the table
        report["expected_object_depth_m"] = float(in_camera[2])
    if "left_rgb" in obs:

        def red_centroid(img):
            """Column centroid of the red cube's pixels (green equal to blue: the orange arm has no blue)."""
            img = img[0].float()
            r, g, b = img[0], img[1], img[2]
            mask = (r - g > 50) & ((g - b).abs() < 0.15 * r)
            rows = torch.arange(RES)[:, None]
            mask &= (rows - v).abs() < RES / 6  # near the object's projected row
            xs = torch.nonzero(mask)[:, 1].float()
            return float(xs.mean()) if len(xs) else float("nan"), int(mask.sum())

        (xl, nl), (xr, nr) = red_centroid(obs["left_rgb"]), red_centroid(obs["right_rgb"])
        z = float(in_camera[2])
        report["stereo"] = {
            "left_x": xl,
            "right_x": xr,
            "left_px": nl,
            "right_px": nr,
            "disparity": xl - xr,
            "expected": f_px * cams.STEREO_BASELINE / z,
            "images_differ": bool((obs["left_rgb"] != obs["right_rgb"]).any()),
        }

    # rewards respond to their causes
    robot = env.scene["robot"]
    hand_ids = env.reward_manager.get_term_cfg("reach").params["hand_cfg"].body_ids
    palm = robot.data.body_pos_w.torch[:, hand_ids[0]] - origins
    place(look)
    env.scene.update(0.0)
    reach_far = term("reach")
    place(palm)
    env.scene.update(0.0)
    reach_near = term("reach")
    place(env_cfg.goal_pos)
    env.scene.update(0.0)
    goal_at, lift_at = term("goal"), term("lift")
    place(look)
    env.scene.update(0.0)
    goal_away, lift_away = term("goal"), term("lift")
    report["reach"] = [float(reach_far[0]), float(reach_near[0])]
    report["goal"] = [float(goal_away[0]), float(goal_at[0])]
    report["lift"] = [float(lift_away[0]), float(lift_at[0])]
    report["finger_curl"] = float(term("finger_curl")[0])

    # resets: out of bounds now, time-out after the (0.2 s) episode, success when held at the goal
    env.reset()
    place((1.0, 0.0, 0.5), ids=[0])
    _, _, terminated, truncated, _ = env.step(zero)
    report["out_of_bounds_terminated"] = [bool(terminated[0]), bool(terminated[1])]
    env.reset()
    steps = 0
    while True:
        place(env_cfg.goal_pos, ids=[0])
        place(look, ids=[1])
        _, _, terminated, truncated, _ = env.step(zero)
        steps += 1
        if truncated.any() or steps > 100:
            break
    report["time_out_after_steps"] = steps
    report["max_episode_length"] = int(env.max_episode_length)
    report["truncated"] = [bool(truncated[0]), bool(truncated[1])]
    report["success"] = [bool(s) for s in episode_success(env)]

    # the physics randomisations widen with the level: at the top level a reset draws the object's friction
    import warp as wp

    mu = obj._root_view.get_attribute("shape_material_mu", env.sim.physics_manager.get_model())
    report["object_friction_level0"] = wp.to_torch(mu).flatten().tolist()
    # so do the depth camera's artefacts and its pose: the depth group computed twice from one render differs only
    # where artefacts are drawn, and a reset at the top level moves the camera
    camera = env.scene.sensors.get("depth_camera")

    def depth_redraw_diff():
        a, b = (env.observation_manager.compute_group("depth") for _ in range(2))
        a, b = (torch.cat([v.flatten(1) for v in x.values()], 1) if isinstance(x, dict) else x for x in (a, b))
        return float((a - b).abs().max())

    if camera is not None:
        report["depth_redraw_diff_level0"] = depth_redraw_diff()
        camera_pos_level0 = camera.data.pos_w.torch.clone()
    env.curriculum.set_step(env.curriculum.num_steps)
    report["top_level"] = env.curriculum.level
    env.reset()
    report["object_friction_top_level"] = wp.to_torch(mu).flatten().tolist()
    if camera is not None:
        env.step(zero)
        report["depth_redraw_diff_top_level"] = depth_redraw_diff()
        report["camera_shift_top_level_m"] = (camera.data.pos_w.torch - camera_pos_level0).norm(dim=-1).tolist()
    env.close()

print("REPORT " + json.dumps(report))
