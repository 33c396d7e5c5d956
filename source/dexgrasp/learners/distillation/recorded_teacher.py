"""A teacher that answers with the labels recorded in a dataset, for offline distillation.

When episodes are replayed from disk (:class:`~dexgrasp.envs.replay.ReplayVecEnv`), the teacher's
action means and stds of each step arrive as observation groups; this model hands them to the algorithm in
place of a network, so offline and online distillation share one algorithm and one runner.
"""

from __future__ import annotations

import torch
from tensordict import TensorDict

from dexgrasp.envs.replay import MEAN_GROUP, STD_GROUP


class RecordedTeacher(torch.nn.Module):
    """RSL-RL model interface over recorded labels; it has no weights to load."""

    is_recurrent = False
    needs_weights = False

    def __init__(self, obs: TensorDict, obs_groups: dict[str, list[str]], obs_set: str, output_dim: int, **kwargs):
        super().__init__()
        groups = obs_groups[obs_set]
        if groups != [MEAN_GROUP, STD_GROUP]:
            raise ValueError(f"a recorded teacher reads [{MEAN_GROUP}, {STD_GROUP}], got {groups}")
        if obs[MEAN_GROUP].shape[-1] != output_dim:
            raise ValueError(f"recorded actions have {obs[MEAN_GROUP].shape[-1]} dimensions, the scene {output_dim}")

    def labels(self, obs: TensorDict) -> tuple[torch.Tensor, torch.Tensor]:
        return obs[MEAN_GROUP], obs[STD_GROUP]

    def forward(self, obs: TensorDict, *args, **kwargs) -> torch.Tensor:
        return obs[MEAN_GROUP]

    def reset(self, dones=None, hidden_state=None) -> None:
        pass

    def get_hidden_state(self):
        return None

    def detach_hidden_state(self, dones=None) -> None:
        pass
