"""Stereo RGB student: one CNN trunk for both images, cross-attention between them, a recurrent core, an MLP.

Both images go through the same trunk (a small strided CNN, or a ResNet-18 for real camera resolutions),
whose feature map becomes a set of tokens with a learned position and camera embedding. Each image's tokens
then attend to the other image's tokens: matching a left patch with right patches is what stereo depth
needs, and attention learns it without a fixed disparity search. A few learned queries pool the fused
tokens of both images into the image latent, which joins the normalised proprioception in an LSTM (or
GRU) whose output the MLP head turns into actions. Without a recurrent core (``rnn_type=None``) the MLP head reads
the joined latent itself: a feed-forward student, which DAgger's aggregated dataset needs (it keeps steps
without their order).
"""

from __future__ import annotations

import torch
import torch.nn as nn
from rsl_rl.models.mlp_model import MLPModel
from rsl_rl.modules import RNN, HiddenState
from tensordict import TensorDict

from .recurrent_cnn import RecurrentCoreMixin, as_float_image

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def small_cnn_trunk(in_channels: int, channels: list[int]) -> nn.Sequential:
    """Strided 3x3 convolutions (the first 5x5), each halving the resolution."""
    layers: list[nn.Module] = []
    for i, out in enumerate(channels):
        kernel = 5 if i == 0 else 3
        layers += [nn.Conv2d(in_channels, out, kernel, stride=2, padding=kernel // 2), nn.ELU()]
        in_channels = out
    return nn.Sequential(*layers)


def resnet18_trunk(weights: str | None) -> nn.Sequential:
    """torchvision's ResNet-18 without its pooling and classifier; random weights unless a file is given.

    Group normalisation replaces batch normalisation: batch statistics would differ between acting (one
    step of every environment) and learning, and between environments. A torchvision state dict still
    loads: convolutions as they are, each norm layer's scale and shift (its running statistics are unused).
    """
    from torchvision.models import resnet18

    net = resnet18(weights=None, norm_layer=lambda channels: nn.GroupNorm(8, channels))
    if weights:
        state = torch.load(weights, map_location="cpu", weights_only=True)
        own = net.state_dict()
        net.load_state_dict({k: v for k, v in state.items() if k in own and not k.startswith("fc.")}, strict=False)
    return nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool, net.layer1, net.layer2, net.layer3, net.layer4)


class StereoCrossAttentionModel(RecurrentCoreMixin, MLPModel):
    """RSL-RL model reading 1D groups and exactly two image groups (left, then right, as listed)."""

    def __init__(
        self,
        obs: TensorDict,
        obs_groups: dict[str, list[str]],
        obs_set: str,
        output_dim: int,
        hidden_dims=(512, 512),
        activation: str = "elu",
        obs_normalization: bool = False,
        distribution_cfg: dict | None = None,
        trunk: str = "small_cnn",
        trunk_weights: str | None = None,
        cnn_channels=(32, 64, 64),
        token_dim: int = 64,
        num_heads: int = 4,
        num_queries: int = 4,
        rnn_type: str | None = "lstm",
        rnn_hidden_dim: int = 512,
        rnn_num_layers: int = 1,
    ) -> None:
        self.is_recurrent = rnn_type is not None
        self.image_latent_dim = num_queries * token_dim
        self.latent_dim = rnn_hidden_dim
        super().__init__(
            obs, obs_groups, obs_set, output_dim, hidden_dims, activation, obs_normalization, distribution_cfg
        )
        channels, height, width = obs[self.image_groups[0]].shape[1:]
        if trunk == "small_cnn":
            self.trunk = small_cnn_trunk(channels, list(cnn_channels))
            self.register_buffer("pixel_mean", torch.zeros(1, channels, 1, 1))
            self.register_buffer("pixel_std", torch.ones(1, channels, 1, 1))
        elif trunk == "resnet18":
            if channels != 3:
                raise ValueError(f"the resnet18 trunk reads RGB images, got {channels} channels")
            self.trunk = resnet18_trunk(trunk_weights)
            self.register_buffer("pixel_mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
            self.register_buffer("pixel_std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        else:
            raise ValueError(f"unknown trunk '{trunk}' (small_cnn or resnet18)")
        with torch.no_grad():
            features = self.trunk(torch.zeros(1, channels, height, width))
        self.num_tokens = features.shape[-2] * features.shape[-1]
        self.project = nn.Conv2d(features.shape[1], token_dim, 1)
        self.position = nn.Parameter(torch.randn(1, self.num_tokens, token_dim) * 0.02)
        self.camera = nn.Parameter(torch.randn(2, 1, 1, token_dim) * 0.02)
        self.cross_attention = nn.MultiheadAttention(token_dim, num_heads, batch_first=True)
        self.norm = nn.LayerNorm(token_dim)
        self.feed_forward = nn.Sequential(
            nn.Linear(token_dim, 2 * token_dim), nn.ELU(), nn.Linear(2 * token_dim, token_dim)
        )
        self.norm_ff = nn.LayerNorm(token_dim)
        self.queries = nn.Parameter(torch.randn(1, num_queries, token_dim) * 0.02)
        self.pool = nn.MultiheadAttention(token_dim, num_heads, batch_first=True)
        self.rnn = (
            RNN(self.obs_dim + self.image_latent_dim, rnn_hidden_dim, rnn_num_layers, rnn_type)
            if self.is_recurrent
            else None
        )

    def encode_images(self, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        """``(N, C, H, W)`` pairs to ``(N, num_queries * token_dim)`` latents."""
        pair = torch.cat([left, right], dim=0)
        pair = (as_float_image(pair) - self.pixel_mean) / self.pixel_std
        tokens = self.project(self.trunk(pair)).flatten(2).transpose(1, 2) + self.position
        tokens = tokens.view(2, -1, *tokens.shape[1:]) + self.camera
        left_t, right_t = tokens[0], tokens[1]
        left_seen = self.cross_attention(left_t, right_t, right_t, need_weights=False)[0]
        right_seen = self.cross_attention(right_t, left_t, left_t, need_weights=False)[0]
        fused = self.norm(torch.cat([left_t + left_seen, right_t + right_seen], dim=1))
        fused = self.norm_ff(fused + self.feed_forward(fused))
        queries = self.queries.expand(fused.shape[0], -1, -1)
        return self.pool(queries, fused, fused, need_weights=False)[0].flatten(1)

    def get_latent(
        self, obs: TensorDict, masks: torch.Tensor | None = None, hidden_state: HiddenState = None
    ) -> torch.Tensor:
        left, right = obs[self.image_groups[0]], obs[self.image_groups[1]]
        lead = left.shape[:-3]  # (B,) when acting, (T, B) when updating on trajectories
        images = self.encode_images(left.reshape(-1, *left.shape[-3:]), right.reshape(-1, *right.shape[-3:]))
        latents = [images.reshape(*lead, self.image_latent_dim)]
        if self.obs_groups:
            latents.insert(0, self.obs_normalizer(torch.cat([obs[g] for g in self.obs_groups], dim=-1)))
        latent = torch.cat(latents, dim=-1)
        return self.rnn(latent, masks, hidden_state).squeeze(0) if self.is_recurrent else latent

    def _get_latent_dim(self) -> int:
        return self.latent_dim if self.is_recurrent else self.obs_dim + self.image_latent_dim

    def _get_obs_dim(self, obs: TensorDict, obs_groups: dict[str, list[str]], obs_set: str) -> tuple[list[str], int]:
        groups = obs_groups[obs_set]
        self.image_groups = [g for g in groups if obs[g].dim() == 4]
        if len(self.image_groups) != 2 or obs[self.image_groups[0]].shape != obs[self.image_groups[1]].shape:
            raise ValueError(f"the stereo model needs two equally shaped image groups, got {self.image_groups}")
        vectors = [g for g in groups if obs[g].dim() == 2]
        return vectors, sum(obs[g].shape[-1] for g in vectors)
