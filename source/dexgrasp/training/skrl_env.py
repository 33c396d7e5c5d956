"""skrl's Isaac Lab wrapper, reading several observation groups as the policy's observation.

skrl's wrapper gives the policy the ``policy`` group only, so an image group would never reach the model.
Here the actor's groups (``observation_groups`` in the task's skrl configuration) form one Dict
observation space; skrl's model instantiators read them as ``OBSERVATIONS["depth"]`` and so on, and the
``critic`` group stays skrl's state.
"""

from __future__ import annotations

import gymnasium
import torch
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
