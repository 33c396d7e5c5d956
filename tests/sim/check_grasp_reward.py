"""Builds the state task with the ``grasp`` reward preset (2 environments, the cube, both starting with the cube
gripped, the weight curriculum holding up half the cube's weight) and prints a JSON report of what its terms pay
while the hand holds and lifts the cube, once the cube of environment 1 is moved away from the hand onto the
table, where weightless cubes dropped from the spawn height are after half a second, how far one action
moves smoothed hand synergies, and how hard pushes push a light cube.

Run by tests/test_rewards.py in a subprocess (a fresh Isaac Lab process).
"""

import json

from dexgrasp.envs.factory import load_cfgs, make_env, simulation

TASK = "DexGrasp-KukaAllegro-State-v0"
OVERRIDES = [
    "presets=cube,grasp",
    "env.assisted_start_share=1.0",
    "env.episode_length_s=4",
    "env.curriculum.object_weight.params.start_scale=0.5",
]
env_cfg, _ = load_cfgs(TASK, "rsl_rl", OVERRIDES, num_envs=2, device="cpu", seed=0)

with simulation(env_cfg, "cpu"):
    import torch
    import warp as wp
    from dexgrasp.tasks.grasp.mdp import set_curriculum_state

    env = make_env(TASK, env_cfg).unwrapped
    obj, origins = env.scene["object"], env.scene.env_origins
    names = list(env.reward_manager.active_terms)

    def terms() -> dict:
        values = {}
        for name in names:
            cfg = env.reward_manager.get_term_cfg(name)
            values[name] = [float(v) for v in cfg.func(env, **cfg.params)]
        return values

    report = {"terms": names, "sensors": sorted(n for n in env.scene.sensors if n.endswith("_contact"))}
    env.reset()
    zero = torch.zeros(env.num_envs, env.action_manager.total_action_dim)
    for _ in range(60):  # the zero action keeps the grip and raises the palm (tests/sim/check_assisted_grip.py)
        env.step(zero)
    report["held"] = terms()
    report["held_height"] = [float(z) for z in obj.data.root_pos_w.torch[:, 2] - origins[:, 2]]
    pose = obj.data.root_pose_w.torch[1:].clone()  # environment 1's cube: onto the table, 25 cm from the hand
    pose[0, :2] += torch.tensor([0.0, 0.25])
    pose[0, 2] = origins[1, 2] + 0.25 + 0.03
    pose[0, 3:] = torch.tensor([0.0, 0.0, 0.0, 1.0])
    obj.write_root_pose_to_sim_index(root_pose=pose, env_ids=torch.tensor([1]))
    obj.write_root_velocity_to_sim_index(root_velocity=torch.zeros(1, 6), env_ids=torch.tensor([1]))
    env.step(zero)
    report["away"] = terms()
    report["weight_at_start"] = env.object_weight
    env.curriculum.drain_outcomes()
    env.object_weight, env.cfg.assisted_start_share = 0.0, 0.0  # weightless cubes dropped from the spawn height
    env.reset()  # ends the two assisted episodes: the curriculum does not count them
    report["curriculum_counts_after_assisted"] = list(env.curriculum.drain_outcomes())
    for _ in range(30):
        env.step(zero)
    report["weightless_height"] = [float(z) for z in obj.data.root_pos_w.torch[:, 2] - origins[:, 2]]
    # the support acts upward whatever the cube's orientation: on its side, a weightless cube still floats in place
    pose = obj.data.root_pose_w.torch.clone()
    pose[:, 3:] = torch.tensor([0.7071068, 0.0, 0.0, 0.7071068])  # (x, y, z, w): 90 degrees about x
    every = torch.arange(env.num_envs)
    obj.write_root_pose_to_sim_index(root_pose=pose, env_ids=every)
    obj.write_root_velocity_to_sim_index(root_velocity=torch.zeros(env.num_envs, 6), env_ids=every)
    for _ in range(30):
        env.step(zero)
    drift = (obj.data.root_pos_w.torch - pose[:, :3]).norm(dim=-1)
    report["weightless_on_its_side_drift"] = [float(d) for d in drift]
    report["spawn_height"] = env.cfg.spawn_height
    # smoothed hand synergies: one full action moves the coefficients a tenth of the way from the zero action's
    hand = env.action_manager.get_term("hand")
    hand.cfg.smoothing = 0.9
    env.reset()  # ends two episodes that started normally: counted
    report["curriculum_counts_after_normal"] = list(env.curriculum.drain_outcomes())
    report["weightless_episodes_held"] = env.episode_metrics.last_held.tolist()  # floated, never lifted
    at_zero = hand._coeffs.clone()
    env.step(torch.ones(env.num_envs, env.action_manager.total_action_dim))
    report["smoothed_step"] = float(((hand._coeffs - at_zero) / (hand._high - at_zero)).mean())
    # pushes keep their ratio to the weight: at a tenth of its weight and level 0.5, support plus push stays below
    # the cube's weight, so no push launches a resting cube (one up to 5 m/s^2 would)
    set_curriculum_state(env, {"step": 25})
    env.object_weight = 0.1
    push = env.event_manager.get_term_cfg("push_object")
    composer = obj.permanent_wrench_composer
    weight = obj.data.body_mass.torch[:, 0] * -float(env.sim.cfg.gravity[2])
    upward = []
    for _ in range(200):
        push.func(env, every, **{**push.params, "hand_distance": 10.0})  # as if the palm were near
        upward.append(wp.to_torch(composer.global_force_at_com_w)[:, 0, 2] / weight)
    upward = torch.stack(upward)
    report["pushed_upward_force_per_weight"] = [float(upward.amin()), float(upward.amax())]
    env.close()
print("REPORT " + json.dumps(report))
