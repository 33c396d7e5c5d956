"""What runs in a simulation process of the disaggregated runner: one grasp environment as an RSL-RL VecEnv."""

from __future__ import annotations

import torch
from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper


class GraspVecEnv(RslRlVecEnvWrapper):
    """RSL-RL's Isaac Lab wrapper that can also reset chosen environments (for NaN/Inf recovery)."""

    def drain_episode_outcomes(self) -> tuple[int, int]:
        """(successes, episodes) ended since the last call, for the learner's curriculum decision."""
        return self.unwrapped.grasp_adr.drain_outcomes()

    def set_curriculum_step(self, step: int) -> None:
        """Follow the learner's curriculum: the level is no longer decided here."""
        adr = self.unwrapped.grasp_adr
        adr.follower = True
        adr.set_step(step)

    def reset_envs(self, env_ids: torch.Tensor) -> None:
        """Reset ``env_ids`` now and recompute every observation, so ``get_observations`` holds fresh values."""
        base = self.unwrapped
        base._reset_idx(env_ids)
        base.scene.write_data_to_sim()
        base.sim.forward()
        base.obs_buf = base.observation_manager.compute(update_history=False)


def make_sim_vec_env(task: str, overrides: list[str], rank: int, device: str, num_envs: int, seed: int) -> GraspVecEnv:
    """Build simulation process ``rank``'s environment on ``device`` (called once per process).

    The simulator stays up for the life of the process: the runner ends the process when the run ends.
    """
    from .env_factory import load_cfgs, make_env, simulation

    # learner settings (``agent.*``) belong to the learner process, whichever library it runs
    env_overrides = [o for o in overrides if not o.lstrip("+~").startswith("agent.")]
    env_cfg, agent_cfg = load_cfgs(task, "rsl_rl", env_overrides, num_envs=num_envs, device=device, seed=seed)
    simulation(env_cfg, device).__enter__()
    return GraspVecEnv(make_env(task, env_cfg), clip_actions=agent_cfg.clip_actions)
