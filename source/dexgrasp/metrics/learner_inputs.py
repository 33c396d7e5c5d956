"""What feeds the learner when it is measured alone: synthetic or recorded observations of a task's spec.

The learner's memory (RSL-RL's rollout storage, models, optimizer, activations) depends only on the shapes and
dtypes of the observation groups, the action count and the agent configuration: the *spec*. Both environments
here are RSL-RL ``VecEnv`` objects built from a spec and need PyTorch alone, so the learner can be measured at
large environment counts on a machine without a simulator:

- :class:`SyntheticVecEnv`: random tensors of the spec's shapes and dtypes;
- :class:`RecordedVecEnv`: observations, rewards and episode ends replayed from an HDF5 dataset written by
  ``scripts/record.py``. A few thousand recorded steps are loaded into host buffers in their stored (compact)
  dtypes; environment ``i`` starts at its own offset into them and walks forward one step per ``step``, wrapping
  around, so many environments share few recorded episodes. Each step's rows are gathered on the host and moved
  to the learner device in the dtypes the training environment gives (compact images, float32 vectors), as the
  disaggregated learner receives them. The host buffers never count towards the learner device's memory.
"""

from __future__ import annotations

import numpy as np
import torch
from tensordict import TensorDict

from dexgrasp.datasets import DatasetError, DatasetFile, schema
from dexgrasp.runner.spec import default_wire_dtype

DTYPES = {
    str(d): d for d in (torch.uint8, torch.int16, torch.int32, torch.int64, torch.bool, torch.float16, torch.float32)
}
OBS_PREFIX = schema.obs_key("")


def _env_dtype(stored: str) -> torch.dtype:
    """The dtype a group has in the training environment, from its stored dtype: the dataset and the training
    environment keep images compact alike (uint8 RGB, float16 depth), everything else is float32."""
    return {"uint8": torch.uint8, "bool": torch.bool, "float16": torch.float16}.get(stored, torch.float32)


def spec_from_dataset(path: str, agent_cfg: dict) -> dict:
    """The learner spec of a recorded dataset: its observation groups, action count and longest episode.

    Raises :class:`DatasetError` (one line) when the file is not a dataset or lacks a group the agent reads.
    """
    data = DatasetFile(path)
    try:
        groups = []
        for key, (shape, stored) in data.keys.items():
            if key.startswith(OBS_PREFIX):
                env_dtype = _env_dtype(stored)
                groups.append(
                    {
                        "key": key[len(OBS_PREFIX) :],
                        "shape": list(shape),
                        "env_dtype": str(env_dtype),
                        "wire_dtype": str(default_wire_dtype(tuple(shape), env_dtype)),
                    }
                )
        if not data.episodes:
            raise DatasetError(f"{path} holds no complete episode")
        needed = {g for names in agent_cfg["obs_groups"].values() for g in names}
        missing = sorted(needed - {g["key"] for g in groups})
        if missing:
            raise DatasetError(f"{path} lacks the observation groups the learner reads: {', '.join(missing)}")
        num_actions = data.meta.get("num_actions") or data.keys[schema.ACTIONS][0][0]
        return {
            "num_actions": int(num_actions),
            "max_episode_length": max(data.length(e) for e in data.episodes),
            "num_log_keys": 0,
            "groups": groups,
            "agent_cfg": agent_cfg,
            "dataset": {"path": data.path, "task": data.task, "episodes": len(data.episodes)},
        }
    finally:
        data.close()


def _groups(spec: dict) -> list[tuple[str, tuple[int, ...], torch.dtype]]:
    return [
        (g["key"] if isinstance(g["key"], str) else tuple(g["key"]), tuple(g["shape"]), DTYPES[g["env_dtype"]])
        for g in spec["groups"]
    ]


class SyntheticVecEnv:
    """An RSL-RL VecEnv whose observations are random tensors of a spec (no simulator)."""

    def __init__(self, spec: dict, num_envs: int, device: str):
        self.num_envs, self.device = num_envs, device
        self.num_actions = spec["num_actions"]
        self.max_episode_length = spec["max_episode_length"]
        self.cfg = {"synthetic": True}
        self.episode_length_buf = torch.zeros(num_envs, dtype=torch.long, device=device)
        self.groups = _groups(spec)
        self.obs = self._observe()

    def _observe(self) -> TensorDict:
        data = {}
        for key, shape, dtype in self.groups:
            full = (self.num_envs, *shape)
            if dtype.is_floating_point:
                data[key] = torch.rand(full, device=self.device, dtype=dtype)
            else:
                data[key] = torch.randint(0, 2 if dtype == torch.bool else 255, full, device=self.device).to(dtype)
        return TensorDict(data, batch_size=[self.num_envs], device=self.device)

    def get_observations(self) -> TensorDict:
        return self.obs

    def step(self, actions: torch.Tensor):
        self.episode_length_buf += 1
        dones = self.episode_length_buf >= self.max_episode_length
        self.episode_length_buf[dones] = 0
        self.obs = self._observe()
        rewards = torch.zeros(self.num_envs, device=self.device)
        return self.obs, rewards, dones.long(), {"time_outs": dones}


class RecordedVecEnv:
    """An RSL-RL VecEnv that replays a dataset's recorded steps, each environment from its own offset."""

    def __init__(self, spec: dict, num_envs: int, device: str, path: str, max_steps: int = 1024):
        self.num_envs, self.device = num_envs, device
        self.num_actions = spec["num_actions"]
        self.max_episode_length = spec["max_episode_length"]
        self.cfg = {"dataset": path}
        self.groups = _groups(spec)
        buffers, rewards, lengths = self._load(path, max_steps)
        self.buffers = {key: torch.from_numpy(np.concatenate(parts)) for key, parts in buffers.items()}
        self.rewards = torch.from_numpy(np.concatenate(rewards).astype(np.float32))
        ends = np.cumsum(lengths) - 1
        self.last_step = torch.zeros(len(self.rewards), dtype=torch.bool)
        self.last_step[torch.from_numpy(ends)] = True
        self.step_in_episode = torch.from_numpy(np.concatenate([np.arange(n) for n in lengths]))
        self.num_steps = len(self.rewards)
        self.position = torch.arange(num_envs, dtype=torch.long) * self.num_steps // num_envs
        self.episode_length_buf = self.step_in_episode[self.position].to(device)
        self.obs = self._observe()

    def _load(self, path: str, max_steps: int):
        """Whole episodes in file order until ``max_steps`` steps are loaded (at least one episode)."""
        data = DatasetFile(path)
        try:
            buffers: dict = {key: [] for key, _, _ in self.groups}
            rewards, lengths = [], []
            for episode in data.episodes:
                if lengths and sum(lengths) + data.length(episode) > max_steps:
                    break
                for key in buffers:
                    buffers[key].append(data.read(episode, schema.obs_key(key)))
                length = data.length(episode)
                recorded = data.read(episode, schema.REWARDS) if schema.REWARDS in data.keys else None
                rewards.append(recorded if recorded is not None else np.zeros(length, np.float32))
                lengths.append(length)
            if not lengths:
                raise DatasetError(f"{path} holds no complete episode")
            return buffers, rewards, lengths
        finally:
            data.close()

    def _observe(self) -> TensorDict:
        data = {
            key: self.buffers[key][self.position].to(self.device, non_blocking=True).to(dtype)
            for key, _, dtype in self.groups
        }
        return TensorDict(data, batch_size=[self.num_envs], device=self.device)

    def get_observations(self) -> TensorDict:
        return self.obs

    def step(self, actions: torch.Tensor):
        rewards = self.rewards[self.position].to(self.device)
        dones = self.last_step[self.position].to(self.device)
        self.position = (self.position + 1) % self.num_steps
        self.episode_length_buf = self.step_in_episode[self.position].to(self.device)
        self.obs = self._observe()
        # the dataset does not tell time-outs from terminations: every episode end is a termination here
        return self.obs, rewards, dones.long(), {"time_outs": torch.zeros_like(dones)}
