"""CNN encoders for image groups, concatenated with proprioception, then a recurrent core and an MLP.

RSL-RL ships a CNN model (no memory) and an RNN model (no images); the depth policy and the stereo student
need both. Without the core (``rnn_type=None``) the same model is feed-forward, so that DAgger's aggregated
dataset (steps without their order) and the guided PPO's cloning dataset can train it, and a clone of it can start
PPO with the same architecture. Images may arrive compact (uint8 RGB, float16 depth, as the rollout storage and the
wire keep them): they are converted to float32 here, on the learner's device, only when a batch is encoded.

A feed-forward model may also pass its images through a **position bottleneck** (``position_bottleneck=3``): the
image features go only to a small head that gives the object's position, and the MLP head acts on the
proprioception and that position. Why: a student that sees image features beside its arm's state learns where the
object is from the arm, which the expert it imitates moves towards the object; through the bottleneck the actions
see the object only where the image puts it.
"""

from __future__ import annotations

import contextlib
import io

import torch
from rsl_rl.models.cnn_model import CNNModel
from rsl_rl.modules import MLP, RNN, HiddenState
from tensordict import TensorDict

from .keypoints import KeypointCNN


class RecurrentCoreMixin:
    """The recurrent-state plumbing RSL-RL expects of a model whose latent goes through ``self.rnn``.

    The models here end in a recurrent core, so the MLP head reads ``latent_dim`` features; exports are not
    offered (the checkpoint is the deployable artefact). A model built without its core sets ``is_recurrent``
    False, and the recurrent state is then nothing to reset or keep.
    """

    is_recurrent: bool = True

    def reset(self, dones: torch.Tensor | None = None, hidden_state: HiddenState = None) -> None:
        if self.is_recurrent:
            self.rnn.reset(dones, hidden_state)

    def get_hidden_state(self) -> HiddenState:
        return self.rnn.hidden_state if self.is_recurrent else None  # type: ignore

    def detach_hidden_state(self, dones: torch.Tensor | None = None) -> None:
        if self.is_recurrent:
            self.rnn.detach_hidden_state(dones)

    def _get_latent_dim(self) -> int:
        return self.latent_dim

    def as_jit(self):
        raise NotImplementedError(f"export of {type(self).__name__} is not supported; use the checkpoint")

    def as_onnx(self, verbose: bool = False):
        raise NotImplementedError(f"export of {type(self).__name__} is not supported; use the checkpoint")


def as_float_image(x: torch.Tensor) -> torch.Tensor:
    """uint8 images to float32 in [0, 1], float16 images (depth) to float32; float32 images pass through."""
    if x.dtype == torch.uint8:
        return x.float().div_(255.0)
    return x.float()


class DetachedTail(torch.nn.Module):
    """Passes its input on with the last ``width`` features cut from the graph: the action loss then trains the
    MLP head that reads them but not the position head that gives them, which stays an estimate of the position
    (trained by the distillation's object-position loss alone)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x[..., : -self.width], x[..., -self.width :].detach()], dim=-1)


class RecurrentCNNModel(RecurrentCoreMixin, CNNModel):
    """CNN latent of each image group + normalised 1D groups -> LSTM/GRU (or nothing) -> MLP head; or, with a
    position bottleneck, the CNN latent -> position head, which the MLP head reads beside the 1D groups."""

    def __init__(
        self,
        obs: TensorDict,
        obs_groups: dict[str, list[str]],
        obs_set: str,
        output_dim: int,
        hidden_dims=(256, 256),
        activation: str = "elu",
        obs_normalization: bool = False,
        distribution_cfg: dict | None = None,
        cnn_cfg: dict | None = None,
        cnns=None,
        rnn_type: str | None = "lstm",
        rnn_hidden_dim: int = 256,
        rnn_num_layers: int = 1,
        spatial_softmax: bool = False,
        position_bottleneck: int = 0,
        position_hidden_dims=(64,),
    ) -> None:
        self.is_recurrent = rnn_type is not None
        if position_bottleneck and self.is_recurrent:
            raise ValueError("position_bottleneck needs a feed-forward model (agent.student.rnn_type=null)")
        self.position_bottleneck = position_bottleneck
        """How many numbers (the object's position: 3) the image features are reduced to; 0: no bottleneck."""
        self.latent_dim = rnn_hidden_dim
        quiet = contextlib.nullcontext()
        if spatial_softmax and cnns is None:
            cnns = self._keypoint_cnns(obs, obs_groups, obs_set, cnn_cfg)
            # RSL-RL announces given encoders as shared between actor and critic; these are this model's own
            quiet = contextlib.redirect_stdout(io.StringIO())
        with quiet:
            super().__init__(
                obs,
                obs_groups,
                obs_set,
                output_dim,
                hidden_dims,
                activation,
                obs_normalization,
                distribution_cfg,
                cnn_cfg,
                cnns,
            )
        self.rnn = (
            RNN(self.obs_dim + self.cnn_latent_dim, rnn_hidden_dim, rnn_num_layers, rnn_type)
            if self.is_recurrent
            else None
        )
        if position_bottleneck:
            self.position_head = MLP(self.cnn_latent_dim, position_bottleneck, list(position_hidden_dims), activation)
            self.mlp = torch.nn.Sequential(DetachedTail(position_bottleneck), self.mlp)

    def _keypoint_cnns(self, obs: TensorDict, obs_groups, obs_set: str, cnn_cfg: dict) -> dict[str, KeypointCNN]:
        """One :class:`~dexgrasp.models.keypoints.KeypointCNN` per image group, built from ``cnn_cfg``."""
        self._get_obs_dim(obs, obs_groups, obs_set)
        return {
            group: KeypointCNN(dims, channels, **cnn_cfg)
            for group, dims, channels in zip(self.obs_groups_2d, self.obs_dims_2d, self.obs_channels_2d)
        }

    def get_latent(
        self, obs: TensorDict, masks: torch.Tensor | None = None, hidden_state: HiddenState = None
    ) -> torch.Tensor:
        latents = []
        for group in self.obs_groups_2d:
            image = as_float_image(obs[group])
            lead = image.shape[:-3]  # (B,) when acting, (T, B) when updating on trajectories
            encoded = self.cnns[group](image.reshape(-1, *image.shape[-3:]))
            latents.append(encoded.reshape(*lead, encoded.shape[-1]))
        if self.obs_groups:
            latents.insert(0, self.obs_normalizer(torch.cat([obs[g] for g in self.obs_groups], dim=-1)))
        latent = torch.cat(latents, dim=-1)
        if self.position_bottleneck:  # the latent ends in the position, as the position head reads it
            return torch.cat([latent[..., : self.obs_dim], self.position_head(latent[..., self.obs_dim :])], dim=-1)
        return self.rnn(latent, masks, hidden_state).squeeze(0) if self.is_recurrent else latent

    def _get_latent_dim(self) -> int:
        if self.position_bottleneck:
            return self.obs_dim + self.position_bottleneck
        return self.latent_dim if self.is_recurrent else self.obs_dim + self.cnn_latent_dim
