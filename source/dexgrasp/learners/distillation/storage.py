"""RSL-RL's distillation storage, also keeping the teacher's action std of every step.

The variance-weighted action loss and the std loss need the teacher's std next to its mean; RSL-RL's
storage keeps the mean only (``privileged_actions``). DAgger's aggregated dataset keeps them across rollouts.
"""

from __future__ import annotations

from collections.abc import Generator
from types import SimpleNamespace

import torch
from rsl_rl.storage import RolloutStorage
from tensordict import TensorDict


class LabelledRolloutStorage(RolloutStorage):
    def __init__(
        self, num_envs: int, num_transitions_per_env: int, obs: TensorDict, actions_shape, device: str = "cpu"
    ):
        super().__init__("distillation", num_envs, num_transitions_per_env, obs, actions_shape, device)
        self.privileged_stds = torch.zeros_like(self.privileged_actions)

    def add_transition(self, transition: RolloutStorage.Transition) -> None:
        self.privileged_stds[self.step].copy_(transition.privileged_stds)
        super().add_transition(transition)

    def generator(self) -> Generator[RolloutStorage.Batch, None, None]:
        for i, batch in enumerate(super().generator()):
            batch.privileged_stds = self.privileged_stds[i]
            yield batch


class AggregatedDataset:
    """DAgger's aggregated dataset (Ross et al., 2011): every labelled step of every rollout, the oldest dropped
    once ``capacity`` steps are held.

    Training on the last rollout alone forgets the states of earlier ones: at level 0 a 16-step rollout holds
    one or two phases of the grasp, and each update pulls the student towards those. Feed-forward students only:
    the steps are kept without their order.
    """

    def __init__(self, capacity: int, device: str):
        if capacity < 1:
            raise ValueError(f"an aggregated dataset needs a capacity >= 1, got {capacity}")
        self.capacity, self.device = capacity, device
        self.observations: TensorDict | None = None
        self.means = self.stds = torch.empty(0)
        self.size = self.cursor = 0

    def add(self, storage: LabelledRolloutStorage) -> None:
        """Keep the steps of ``storage``'s rollout (all of them, flattened over time and environments)."""
        obs = storage.observations.flatten(0, 1)
        means, stds = storage.privileged_actions.flatten(0, 1), storage.privileged_stds.flatten(0, 1)
        if self.observations is None:
            self.observations = obs[:1].expand(self.capacity).clone()
            self.means = torch.zeros((self.capacity, means.shape[-1]), device=self.device)
            self.stds = torch.zeros_like(self.means)
        count = min(len(means), self.capacity)
        index = (self.cursor + torch.arange(count, device=self.device)) % self.capacity
        self.observations[index] = obs[-count:]
        self.means[index], self.stds[index] = means[-count:], stds[-count:]
        self.cursor = (self.cursor + count) % self.capacity
        self.size = min(self.size + count, self.capacity)

    def sample(self, batch_size: int) -> SimpleNamespace:
        """``batch_size`` steps drawn uniformly (with replacement) from those held, as a storage batch."""
        index = torch.randint(self.size, (batch_size,), device=self.device)
        return SimpleNamespace(
            observations=self.observations[index],
            privileged_actions=self.means[index],
            privileged_stds=self.stds[index],
        )
