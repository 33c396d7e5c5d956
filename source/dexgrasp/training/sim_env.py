"""A grasp environment as an RSL-RL VecEnv: what RSL-RL trains on in every topology, and what runs in a
simulation process of the disaggregated runner."""

from __future__ import annotations

import torch
from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper
from tensordict import TensorDict


def compact_images(obs: TensorDict) -> TensorDict:
    """Floating-point image groups (``(N, C, H, W)``: depth in [0, 1]) as float16, the rest unchanged.

    Images are what fills the rollout storage: kept in float16 (0.4 mm steps over the 0.8 m depth range) they take
    half the learner's memory, travel as they are between processes, and become float32 inside the policy's
    encoder (:func:`dexgrasp.models.recurrent_cnn.as_float_image`). RGB is already uint8.
    """
    for key, value in list(obs.items()):
        if value.dtype == torch.float32 and value.dim() >= 4:
            obs[key] = value.half()
    return obs


class GraspVecEnv(RslRlVecEnvWrapper):
    """RSL-RL's Isaac Lab wrapper with compact images (:func:`compact_images`), the curriculum hooks of multi-process
    training, and a reset of chosen environments (for NaN/Inf recovery)."""

    def reset(self) -> tuple[TensorDict, dict]:
        obs, extras = super().reset()
        return compact_images(obs), extras

    def get_observations(self) -> TensorDict:
        return compact_images(super().get_observations())

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        obs, rewards, dones, extras = super().step(actions)
        return compact_images(obs), rewards, dones, extras

    @property
    def log_keys(self) -> tuple[str, ...]:
        """What ``extras["log"]`` may hold: the keys of the start-up reset plus the grasp metrics, which appear only
        once episodes finish (the multi-process runner agrees on the keys at the handshake)."""
        from dexgrasp.tasks.grasp.episode_metrics import ASSISTED_LOG_KEYS, LOG_KEYS

        first = tuple(self.unwrapped.extras.get("log", {}).keys())
        return first + tuple(k for k in LOG_KEYS + ASSISTED_LOG_KEYS if k not in first)

    def drain_episode_outcomes(self) -> tuple[int, int]:
        """(successes, episodes) ended since the last call, for the learner's curriculum decision."""
        return self.unwrapped.curriculum.drain_outcomes()

    def set_curriculum_step(self, step: int) -> None:
        """Follow the learner's curriculum: the level is no longer decided here."""
        self.unwrapped.curriculum.follow(step)

    def reset_envs(self, env_ids: torch.Tensor) -> None:
        """Reset ``env_ids`` now and recompute every observation, so ``get_observations`` holds fresh values."""
        base = self.unwrapped
        base._reset_idx(env_ids)
        base.scene.write_data_to_sim()
        base.sim.forward()
        base.obs_buf = base.observation_manager.compute(update_history=False)


def make_sim_vec_env(
    task: str,
    overrides: list[str],
    clip_actions: float | None,
    rank: int,
    device: str,
    num_envs: int,
    seed: int,
    viewer=None,
) -> GraspVecEnv:
    """Build simulation process ``rank``'s environment on ``device`` (called once per process).

    ``clip_actions`` is the learner's setting, resolved by the launching process with every override applied: the
    agent configuration (``agent.*`` overrides included) belongs to the learner, whichever library it runs, so it is
    not resolved again here. The simulator stays up for the life of the process: the runner ends the process when
    the run ends. Only simulation process 0 serves ``viewer`` (``--viz``): one page, one port; the others stay
    headless.
    """
    from .env_factory import load_cfgs, make_env, simulation

    env_overrides = [o for o in overrides if not o.lstrip("+~").startswith("agent.")]
    env_cfg, _ = load_cfgs(task, "rsl_rl", env_overrides, num_envs=num_envs, device=device, seed=seed)
    simulation(env_cfg, device, viewer=viewer if rank == 0 else None).__enter__()
    clipping = "not clipped" if clip_actions is None else f"clipped to +-{clip_actions:g}"
    print(f"[dexgrasp] simulation process {rank}: {num_envs} envs on {device}, actions {clipping}", flush=True)
    return GraspVecEnv(make_env(task, env_cfg), clip_actions=clip_actions)
