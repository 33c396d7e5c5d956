"""Building RSL-RL policy models from checkpoints, and reading their action distribution.

A teacher is rebuilt from its own model configuration and fed the scene's groups under the names of its
training task; a distilled student carries its model configuration in its checkpoint's metadata. Both work
on any :class:`tensordict.TensorDict` of observation groups, with or without a simulator.
"""

from __future__ import annotations

import torch
from rsl_rl.utils import resolve_class
from tensordict import TensorDict

from dexgrasp.runs import METADATA_KEY, CheckpointError

from .teacher import PolicySpec


def model_outputs(model: torch.nn.Module, obs: TensorDict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Action mean, action std and the latent the head acted on (advances a recurrent model by one step)."""
    if getattr(model, "distribution", None) is None:
        raise ValueError(f"{type(model).__name__} has no action distribution: distillation needs means and stds")
    latent = model.get_latent(obs)
    model.distribution.update(model.mlp(latent))
    return model.distribution.mean, model.distribution.std, latent


def build_model(model_cfg: dict, obs: TensorDict, groups: list[str], obs_set: str, num_actions: int) -> torch.nn.Module:
    """An RSL-RL model (``class_name`` + arguments) reading ``groups`` of ``obs`` as its ``obs_set``."""
    model_class, kwargs = resolve_class(model_cfg)
    return model_class(obs, {obs_set: list(groups)}, obs_set, num_actions, **kwargs)


def load_actor(spec: PolicySpec, obs: TensorDict, groups: list[str], num_actions: int, device: str) -> torch.nn.Module:
    """A trained policy's actor reading ``groups`` of the scene (its own groups, renamed where the scene
    names them otherwise), frozen."""
    model = build_model(spec.model_cfg, obs, groups, "actor", num_actions)
    if spec.checkpoint is None:  # the scripted expert: labels from the scene, no weights
        return model.to(device).eval()
    state = torch.load(spec.checkpoint, map_location=device, weights_only=False)
    load_state(model, state.get("actor_state_dict"), spec.checkpoint)
    return model.to(device).eval()


def load_student(checkpoint: str, obs: TensorDict, num_actions: int, device: str) -> torch.nn.Module:
    """A distilled student, ready to act on the observation groups it was trained on."""
    state = torch.load(checkpoint, map_location=device, weights_only=False)
    meta = (state.get("infos") or {}).get(METADATA_KEY, {})
    if "student_model" not in meta:
        raise CheckpointError(f"{checkpoint} is not a student checkpoint of scripts/distill.py")
    model = build_model(meta["student_model"], obs, meta["obs_groups"]["student"], "student", num_actions)
    load_state(model, state.get("student_state_dict"), f"student {checkpoint}")
    return model.to(device).eval()


def load_state(model: torch.nn.Module, state_dict: dict | None, what: str) -> None:
    """Load weights, reporting a model that does not fit the scene's observations as one line."""
    if state_dict is None:
        raise CheckpointError(f"{what} holds no policy weights")
    try:
        model.load_state_dict(state_dict)
    except RuntimeError as exc:
        detail = next(
            (line.strip() for line in str(exc).splitlines() if "size mismatch" in line or "Missing" in line), ""
        )
        raise CheckpointError(
            f"{what} does not fit this scene's observations ({detail or 'state dict mismatch'})"
        ) from None


class FrozenPolicy:
    """A model that acts and labels: action mean and std per step; recurrent state reset where episodes end."""

    def __init__(self, model: torch.nn.Module):
        self.model = model

    def outputs(self, obs: TensorDict) -> tuple[torch.Tensor, torch.Tensor]:
        if hasattr(self.model, "labels"):  # labels that arrive with the observations (recorded or scripted)
            return self.model.labels(obs)
        mean, std, _ = model_outputs(self.model, obs)
        return mean, std.expand_as(mean)

    def reset(self, dones: torch.Tensor | None = None) -> None:
        self.model.reset(dones)


class ExpertPolicy:
    """The scripted grasp expert as a policy that acts and labels (mean and a constant std), and as an inference
    policy (called on observations it does not need: it reads the simulator of ``env``)."""

    def __init__(self, env):
        from dexgrasp.tasks.grasp.scripted_expert import EXPERT_STD, ScriptedGraspExpert

        self.expert = ScriptedGraspExpert(env)
        self.std = EXPERT_STD

    def outputs(self, obs: TensorDict | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        mean = self.expert.act()
        return mean, torch.full_like(mean, self.std)

    def __call__(self, obs: TensorDict | None = None) -> torch.Tensor:
        return self.outputs(obs)[0]

    def reset(self, dones: torch.Tensor | None = None) -> None:
        """Nothing to do: the expert restarts each environment's script when its episode starts."""
