"""RSL-RL's distillation storage, also keeping the teacher's action std of every step.

The variance-weighted action loss and the std loss need the teacher's std next to its mean; RSL-RL's
storage keeps the mean only (``privileged_actions``).
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
