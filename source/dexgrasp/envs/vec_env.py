"""A grasp environment as an RSL-RL VecEnv: what RSL-RL trains on in every topology, and what runs in a
simulation process of the disaggregated runner."""

from __future__ import annotations

from collections.abc import Callable

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
    """RSL-RL's Isaac Lab wrapper with compact images (:func:`compact_images`), the curriculum interface a learner
    reads (:mod:`dexgrasp.learners`), and a reset of chosen environments (for NaN/Inf recovery).

    Curriculum: the task's own curriculum decides, unless a learner sets ``curriculum`` (a
    :class:`~dexgrasp.runner.curriculum.LockstepCurriculum` summing outcomes over the data-parallel processes); the
    environment then reports every step's outcomes to it and follows its step. In a simulation process of the
    disaggregated runner the learner is elsewhere: it reads :meth:`drain_episode_outcomes` and sets
    :meth:`set_curriculum_step` over the pipe.

    ``on_close`` replaces :meth:`close` (the factory of a simulation process closes its simulator with it).
    ``stop`` (the single topology's :class:`~dexgrasp.runner.process.StopOnSignal`) takes a SIGTERM/SIGINT at the next
    step, where the learner is collecting a rollout (never inside an update), and ``failure_callbacks`` (the learner's
    checkpoint) are run by the topology on the way out.
    """

    def __init__(self, env, clip_actions: float | None = None, on_close: Callable[[], None] | None = None) -> None:
        super().__init__(env, clip_actions=clip_actions)
        self.curriculum = None
        self._on_close = on_close
        self.stop = None
        self.failure_callbacks: list[Callable[[BaseException], None]] = []

    def reset(self) -> tuple[TensorDict, dict]:
        obs, extras = super().reset()
        return compact_images(obs), extras

    def get_observations(self) -> TensorDict:
        return compact_images(super().get_observations())

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        if self.stop is not None:
            self.stop.check()
        obs, rewards, dones, extras = super().step(actions)
        if self.curriculum is not None:
            self.curriculum.add(*self.drain_episode_outcomes())  # summed over the processes inside
            self.set_curriculum_step(self.curriculum.step)
        return compact_images(obs), rewards, dones, extras

    def curriculum_state(self) -> dict:
        """What a checkpoint records: the learner's curriculum, or the task's."""
        return self.curriculum.state() if self.curriculum is not None else self.unwrapped.curriculum.state()

    def set_curriculum_state(self, state: dict) -> None:
        """Continue a checkpoint's curriculum."""
        if self.curriculum is not None:
            self.curriculum.load(state)
            self.set_curriculum_step(self.curriculum.step)
        else:
            self.unwrapped.curriculum.load(state)

    def on_failure(self, callback: Callable[[BaseException], None]) -> None:
        """Register a callback the single topology runs when a signal stops the run (a failure raises through the
        learner, which ends the run)."""
        self.failure_callbacks.append(callback)

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()
        else:
            super().close()

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
