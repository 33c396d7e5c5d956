"""Builds the state task with a procedural set of 3 objects over 6 environments on the CPU and reports, per
environment, the object's shape descriptor (what the policy observes) next to the extent of the collision mesh
the physics holds; prints a JSON report. Run by tests/test_grasping.py in a subprocess."""

import json

from dexgrasp.envs.factory import load_cfgs, make_env, simulation  # noqa: E402

TASK = "DexGrasp-KukaAllegro-State-v0"
overrides = ["env.objects.num_objects=3", "env.episode_length_s=0.2"]
env_cfg, _ = load_cfgs(TASK, "rsl_rl", overrides, num_envs=6, device="cpu", seed=0)

with simulation(env_cfg, "cpu"):
    from isaaclab_newton.physics.newton_manager import NewtonManager

    env = make_env(TASK, env_cfg).unwrapped
    model = NewtonManager.get_model()
    world, labels, scale = model.shape_world.numpy(), model.shape_label, model.shape_scale.numpy()
    extents = []
    for w in range(env.num_envs):
        shape = next(i for i, label in enumerate(labels) if world[i] == w and "/Object/" in label)
        vertices = model.shape_source[shape].vertices
        extents.append(((vertices.max(axis=0) - vertices.min(axis=0)) * scale[shape]).tolist())
    report = {"descriptor_size": env.object_descriptors[:, -3:].tolist(), "collision_extent": extents}
    env.close()

print("REPORT " + json.dumps(report))
