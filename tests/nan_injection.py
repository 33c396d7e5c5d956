"""Test fixture for the disaggregated runner: a real grasp environment that emits one NaN observation.

Used by tests/test_disaggregated.py through ``run_disaggregated`` (the factory and learner function must live
in an importable module): simulation process 0 corrupts one observation of its environment 0 at its third
step, which the simulation process must reset and report instead of passing on.
"""

import json

from dexgrasp.envs.factory import make_sim_vec_env
from dexgrasp.learners.rsl_rl_ppo import learn_rsl_rl


def make_env_with_one_nan(task, overrides, clip_actions, rank, device, num_envs, seed):
    env = make_sim_vec_env(task, overrides, clip_actions, rank=rank, device=device, num_envs=num_envs, seed=seed)
    step, calls = env.step, [0]

    def step_with_nan(actions):
        obs, rewards, dones, extras = step(actions)
        calls[0] += 1
        if rank == 0 and calls[0] == 3:
            obs["policy"][0, 0] = float("nan")
        return obs, rewards, dones, extras

    env.step = step_with_nan
    return env


def learn_and_report(vec_env, report_path, **kwargs):
    runner = learn_rsl_rl(vec_env, **kwargs)
    storage = {key: str(value.dtype) for key, value in runner.alg.storage.observations.items()}
    with open(report_path, "w") as f:
        json.dump({"nonfinite_obs_resets": vec_env.nonfinite_obs_resets, "storage_dtypes": storage}, f)
