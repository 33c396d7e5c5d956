"""A CNN that ends in a spatial softmax: each channel becomes the image point where it fires (Levine et al., 2016).

A strided CNN flattened at 2x2 (the image policies' default encoder at 32x32) keeps where the object is only as
coarsely as its last feature map; a grasp needs it to about a centimetre. The spatial softmax turns each channel of a
finer map into the expected (x, y) of its activation, a position with sub-pixel precision that the layers after it
read directly, which is what visuomotor policies of the grasping literature use for the same reason.
"""

from __future__ import annotations

import torch
from rsl_rl.modules import CNN
from torch import nn


class SpatialSoftmax(nn.Module):
    """``(B, C, H, W)`` feature maps -> ``(B, 2 C)``: per channel, the softmax-weighted mean of the pixel
    coordinates (x then y, each in [-1, 1]), with a learned temperature."""

    def __init__(self, height: int, width: int) -> None:
        super().__init__()
        ys, xs = torch.meshgrid(torch.linspace(-1.0, 1.0, height), torch.linspace(-1.0, 1.0, width), indexing="ij")
        self.register_buffer("grid", torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=-1), persistent=False)
        self.log_temperature = nn.Parameter(torch.zeros(()))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        weights = torch.softmax(features.flatten(2) / self.log_temperature.exp(), dim=-1)  # (B, C, H W)
        return (weights @ self.grid).flatten(1)


class KeypointCNN(nn.Sequential):
    """RSL-RL's :class:`~rsl_rl.modules.CNN` (unflattened) followed by a :class:`SpatialSoftmax`; it reports its
    output the way that CNN does when flattened, so RSL-RL's CNN models take it as an encoder."""

    def __init__(self, input_dim: tuple[int, int], input_channels: int, **cnn_cfg) -> None:
        cnn = CNN(input_dim, input_channels, **{**cnn_cfg, "global_pool": "none", "flatten": False})
        super().__init__(cnn, SpatialSoftmax(*cnn.output_dim))
        self._output_dim = 2 * cnn.output_channels

    @property
    def output_channels(self) -> None:
        return None

    @property
    def output_dim(self) -> int:
        return self._output_dim
