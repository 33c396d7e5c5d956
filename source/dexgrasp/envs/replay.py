"""Recorded episodes as an RSL-RL ``VecEnv``: offline distillation runs the online learner unchanged.

``step`` ignores the actions and serves the next recorded step of every lane; the teacher's recorded action
means and stds travel as two extra observation groups (:data:`MEAN_GROUP`, :data:`STD_GROUP`), which the
distillation learner's recorded teacher reads in place of a network.
"""

from __future__ import annotations

import torch
from rsl_rl.env import VecEnv
from tensordict import TensorDict

from dexgrasp.datasets import EpisodeStream, schema

MEAN_GROUP = "teacher_action_mean"
STD_GROUP = "teacher_action_std"
"""The observation groups that carry the recorded teacher's action means and stds."""


class ReplayVecEnv(VecEnv):
    def __init__(self, stream: EpisodeStream, groups: list[str], num_actions: int, device: str = "cpu"):
        self._stream = stream
        self._groups = {group: schema.obs_key(group) for group in groups}
        self._groups[MEAN_GROUP] = schema.TEACHER_MEAN
        self._groups[STD_GROUP] = schema.TEACHER_STD
        self.num_envs = stream.num_lanes
        self.num_actions = num_actions
        self.max_episode_length = stream.max_episode_length
        self.steps_per_pass = stream.steps_per_pass
        self.episode_length_buf = torch.zeros(self.num_envs, dtype=torch.long, device=device)
        self.device = device
        self.cfg = {"replay": True}
        self._step = stream.next_step()

    @property
    def passes(self) -> float:
        """Passes over the recorded data served so far."""
        return self._stream.passes

    def get_observations(self) -> TensorDict:
        obs = {}
        for group, key in self._groups.items():
            value = torch.from_numpy(self._step[key]).to(self.device)
            obs[group] = value.float() if value.dtype == torch.float16 else value
        return TensorDict(obs, batch_size=[self.num_envs], device=self.device)

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        rewards = torch.from_numpy(self._step[schema.REWARDS]).float().to(self.device)
        dones = torch.from_numpy(self._step[schema.DONES]).to(self.device)
        self.episode_length_buf = torch.where(dones, 0, self.episode_length_buf + 1)
        self._step = self._stream.next_step()
        return self.get_observations(), rewards, dones.long(), {}
