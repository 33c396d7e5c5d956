"""RSL-RL's Gaussian action distribution with one initial standard deviation per action dimension.

The grasp task's 11 actions are not alike under exploration noise: from a gripped start, noise of std 0.3 on the palm
position keeps 7 of 8 cubes held, while the same noise on the palm rotation or on the hand synergies drops every
one (``docs/figures/learning_curve/assisted_grip.json``). RSL-RL starts every dimension at one scalar
``init_std``; this subclass takes a list as well, so exploration can be wide where it is harmless and narrow where
it breaks a grasp. The standard deviations stay learnable, one per dimension, as in RSL-RL.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from rsl_rl.modules.distribution import GaussianDistribution


class PerActionGaussianDistribution(GaussianDistribution):
    """``init_std``: one value for every action, or one per action (``len(init_std) == output_dim``)."""

    def __init__(self, output_dim: int, init_std: float | Sequence[float] = 1.0, **kwargs) -> None:
        stds = torch.as_tensor(init_std, dtype=torch.float).flatten()
        if stds.numel() not in (1, output_dim) or not bool((stds > 0).all()):
            raise ValueError(f"init_std needs 1 or {output_dim} positive values, got {list(stds.tolist())}")
        super().__init__(output_dim, 1.0, **kwargs)
        stds = stds.expand(output_dim)
        with torch.no_grad():
            if self.std_type == "scalar":
                self.std_param.copy_(stds)
            else:
                self.log_std_param.copy_(stds.log())
