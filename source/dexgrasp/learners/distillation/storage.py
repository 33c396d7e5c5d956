"""RSL-RL's distillation storage, also keeping the teacher's action std of every step.

The variance-weighted action loss and the std loss need the teacher's std next to its mean; RSL-RL's
storage keeps the mean only (``privileged_actions``). DAgger's aggregated dataset keeps them across rollouts.
"""

from __future__ import annotations

from collections.abc import Generator

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
    """DAgger's aggregated dataset (Ross et al., 2011): the labelled steps of every rollout, the oldest dropped once
    ``capacity`` steps are held.

    Training on the last rollout alone forgets the states of earlier ones: at level 0 a 16-step rollout holds
    one or two phases of the grasp, and each update pulls the student towards those. Feed-forward students only:
    the steps are kept without their order. The steps are not saved with checkpoints: a resumed run gathers them
    anew.
    """

    def __init__(self, capacity: int, device: str):
        if capacity < 1:
            raise ValueError(f"an aggregated dataset needs a capacity >= 1, got {capacity}")
        self.capacity, self.device = capacity, device
        self.steps: TensorDict | None = None
        self.size = self.cursor = 0

    def add(self, steps: TensorDict) -> None:
        """Keep ``steps`` (a rollout's tensors, batched over time and environments)."""
        steps = steps.flatten(0, 1)
        if self.steps is None:
            self.steps = steps[:1].expand(self.capacity).clone().to(self.device)
        count = min(len(steps), self.capacity)
        index = (self.cursor + torch.arange(count, device=self.device)) % self.capacity
        self.steps[index] = steps[-count:]
        self.cursor = (self.cursor + count) % self.capacity
        self.size = min(self.size + count, self.capacity)

    def sample(self, batch_size: int) -> TensorDict:
        """``batch_size`` steps drawn uniformly (with replacement) from those held."""
        return self.steps[torch.randint(self.size, (batch_size,), device=self.device)]
