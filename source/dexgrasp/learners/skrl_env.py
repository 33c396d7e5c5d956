"""skrl environment wrappers that read several observation groups as the policy's observation.

skrl's Isaac Lab wrapper gives the policy the ``policy`` group only, so an image group would never reach the
model. Here the actor's groups (``observation_groups`` in the task's skrl configuration) form one Dict
observation space; skrl's model instantiators read them as ``OBSERVATIONS["depth"]`` and so on, and the
``critic`` group stays skrl's state. :class:`GroupedIsaacLabWrapper` wraps an Isaac Lab environment (one
process); :class:`GroupedVecEnvWrapper` wraps an RSL-RL ``VecEnv``, which is how the learner of a
disaggregated run sees its simulation processes.
"""

from __future__ import annotations

import gymnasium
import numpy as np
import torch
from skrl.envs.wrappers.torch.base import Wrapper
from skrl.envs.wrappers.torch.isaaclab_envs import IsaacLabWrapper
from skrl.utils.spaces.torch import flatten_tensorized_space, tensorize_space


class GroupedIsaacLabWrapper(IsaacLabWrapper):
    def __init__(self, env, groups: list[str]):
        super().__init__(env)
        self._groups = list(groups)
        spaces = self._unwrapped.single_observation_space
        missing = [g for g in self._groups if g not in spaces.spaces]
        if missing:
            raise ValueError(f"observation groups {missing} are not in the environment ({list(spaces.spaces)})")
        self._space = gymnasium.spaces.Dict({g: spaces[g] for g in self._groups})

    @property
    def observation_space(self) -> gymnasium.Space:
        return self._space

    def _take(self, observations: dict) -> None:
        grouped = {g: observations[g] for g in self._groups}
        self._observations = flatten_tensorized_space(tensorize_space(self._space, grouped))
        states = observations.get("critic")
        if states is not None:
            self._states = flatten_tensorized_space(tensorize_space(self.state_space, states))

    def step(self, actions: torch.Tensor):
        with torch.no_grad():
            observations, reward, terminated, truncated, self._info = self._env.step(actions)
        self._take(observations)
        return self._observations, reward.view(-1, 1), terminated.view(-1, 1), truncated.view(-1, 1), self._info

    def reset(self):
        if self._reset_once:
            observations, self._info = self._env.reset(seed=self._seed)
            self._take(observations)
            self._reset_once = False
            self._seed = None
        return self._observations, self._info


class GroupedVecEnvWrapper(Wrapper):
    """skrl's view of an RSL-RL ``VecEnv`` (observation groups, dones with time-outs)."""

    def __init__(self, env, groups: list[str]):
        super().__init__(env)
        self._groups = list(groups)
        obs = env.get_observations()
        missing = [g for g in self._groups if g not in obs.keys()]
        if missing:
            raise ValueError(f"observation groups {missing} are not in the environment ({list(obs.keys())})")
        self._space = gymnasium.spaces.Dict({g: _box(obs[g]) for g in self._groups})
        self._critic_space = _box(obs["critic"]) if "critic" in obs.keys() else None
        self._actions = gymnasium.spaces.Box(-1.0, 1.0, (env.num_actions,), dtype=np.float32)
        self._take(obs)

    @property
    def observation_space(self) -> gymnasium.Space:
        return self._space

    @property
    def state_space(self) -> gymnasium.Space | None:
        return self._critic_space

    @property
    def action_space(self) -> gymnasium.Space:
        return self._actions

    def _take(self, obs) -> None:
        groups = {g: _widen(obs[g]) for g in self._groups}
        self._observations = flatten_tensorized_space(tensorize_space(self._space, groups))
        if self._critic_space is not None:
            self._states = flatten_tensorized_space(tensorize_space(self._critic_space, _widen(obs["critic"])))

    def reset(self):
        return self._observations, {}

    def step(self, actions: torch.Tensor):
        obs, rewards, dones, extras = self._env.step(actions)
        self._take(obs)
        truncated = extras["time_outs"].view(-1, 1).bool()
        terminated = dones.view(-1, 1).bool() & ~truncated
        # skrl logs single values only: per-episode values go in as the step's mean
        log = {k: v.float().mean() if isinstance(v, torch.Tensor) else v for k, v in extras.get("log", {}).items()}
        return self._observations, rewards.view(-1, 1), terminated, truncated, {"log": log}

    def state(self) -> torch.Tensor | None:
        return self._states if self._critic_space is not None else None

    def render(self, *args, **kwargs) -> None:
        return None

    def close(self) -> None:
        """The run's launcher closes the simulation processes."""


def _widen(x: torch.Tensor) -> torch.Tensor:
    """float16 groups (compact depth) as float32: skrl's memories and models are float32."""
    return x.float() if x.dtype == torch.float16 else x


def _box(x: torch.Tensor) -> gymnasium.spaces.Box:
    """An unbounded Box of one environment's slice of ``x`` (uint8 images stay uint8, float16 becomes float32)."""
    dtype = torch.empty(0, dtype=_widen(x).dtype).numpy().dtype
    low, high = (0, 255) if x.dtype == torch.uint8 else (-np.inf, np.inf)
    return gymnasium.spaces.Box(low, high, tuple(x.shape[1:]), dtype=dtype)
