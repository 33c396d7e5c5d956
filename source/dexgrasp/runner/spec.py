"""What a simulation process tells the learner once, before the first step (the handshake).

The spec fixes every shape and dtype of the per-step traffic, so both sides allocate their buffers once and the
per-step messages are raw tensors (no pickling after the handshake).

Wire dtypes keep images compact: uint8 RGB stays uint8, floating-point images (depth) travel as float16, 1-D
floating-point groups (proprioception) as float32. Values beyond float16's range (65504) are clamped to it; its
step is about 1 mm between 1 and 2 m. The learner turns wire dtypes back into the environment's dtypes, so the
policy sees what it would see in a single process: uint8 RGB stays uint8 in RSL-RL's rollout storage (which keeps
dtypes). RSL-RL's own CNN rejects uint8 (its convolutions take float), in one process as here; the project's
image models convert uint8 themselves. The learner can store a group in another dtype (``learner_dtypes``).
"""

from __future__ import annotations

import pickle
import warnings
from dataclasses import dataclass
from typing import Any

import torch
from tensordict import TensorDict

ObsKey = str | tuple[str, ...]
"""An observation group's key in the observation TensorDict (a tuple for nested groups)."""


def default_wire_dtype(shape: tuple[int, ...], dtype: torch.dtype) -> torch.dtype:
    """Dtype a group travels in, given its per-environment shape and its dtype in the environment."""
    if dtype == torch.bool:
        return torch.uint8
    if dtype.is_floating_point:
        return torch.float16 if len(shape) >= 2 else torch.float32
    return dtype


@dataclass(frozen=True)
class GroupSpec:
    """One observation group: key, per-environment shape, dtype in the environment and on the wire."""

    key: ObsKey
    shape: tuple[int, ...]
    env_dtype: torch.dtype
    wire_dtype: torch.dtype


@dataclass(frozen=True)
class EnvSpec:
    """Everything the learner needs to know about one simulation process's environment."""

    sim_index: int
    device: str
    num_envs: int
    num_actions: int
    max_episode_length: int
    groups: tuple[GroupSpec, ...]
    log_keys: tuple[str, ...]
    cfg: Any


def observation_keys(obs: TensorDict) -> list[ObsKey]:
    """Leaf keys of an observation TensorDict in a stable order."""
    return list(obs.keys(include_nested=True, leaves_only=True))


def log_keys_of(env) -> tuple[str, ...]:
    """Names of the scalars the environment reports in ``extras["log"]``.

    Taken from ``env.log_keys`` when the environment declares them, else from the ``extras["log"]`` an Isaac Lab
    environment filled during the reset its RSL-RL wrapper does at construction (``env.unwrapped.extras``).
    Keys that first appear later are dropped with a warning by the simulation process.
    """
    declared = getattr(env, "log_keys", None)
    if declared is not None:
        return tuple(declared)
    unwrapped = getattr(env, "unwrapped", env)
    extras = getattr(unwrapped, "extras", None) or {}
    return tuple(extras.get("log", {}).keys())


def _picklable_cfg(cfg: Any) -> Any:
    """The environment config if it pickles, else its ``to_dict()``, else None (RSL-RL only logs it)."""
    try:
        pickle.dumps(cfg)
        return cfg
    except Exception:  # noqa: BLE001 - any pickling failure means "do not send it as is"
        pass
    to_dict = getattr(cfg, "to_dict", None)
    if callable(to_dict):
        try:
            as_dict = to_dict()
            pickle.dumps(as_dict)
            return as_dict
        except Exception:  # noqa: BLE001
            pass
    warnings.warn("environment cfg does not pickle; the learner sees cfg=None", stacklevel=2)
    return None


def describe_env(env, sim_index: int, wire_dtypes: dict[ObsKey, torch.dtype] | None = None) -> EnvSpec:
    """Build the handshake spec of a live RSL-RL VecEnv (called in the simulation process)."""
    obs = env.get_observations()
    overrides = dict(wire_dtypes or {})
    groups = []
    for key in observation_keys(obs):
        tensor = obs[key]
        shape = tuple(tensor.shape[1:])
        wire = overrides.pop(key, None) or default_wire_dtype(shape, tensor.dtype)
        groups.append(GroupSpec(key=key, shape=shape, env_dtype=tensor.dtype, wire_dtype=wire))
    if overrides:
        raise ValueError(f"wire_dtypes names unknown observation groups: {sorted(map(str, overrides))}")
    return EnvSpec(
        sim_index=sim_index,
        device=str(env.device),
        num_envs=int(env.num_envs),
        num_actions=int(env.num_actions),
        max_episode_length=int(env.max_episode_length),
        groups=tuple(groups),
        log_keys=log_keys_of(env),
        cfg=_picklable_cfg(env.cfg),
    )


def check_compatible(specs: list[EnvSpec]) -> None:
    """Raise ValueError unless all simulation processes feeding one learner expose the same interface."""
    first = specs[0]
    for spec in specs[1:]:
        for name in ("num_actions", "max_episode_length"):
            if getattr(spec, name) != getattr(first, name):
                raise ValueError(
                    f"simulation process {spec.sim_index} has {name}={getattr(spec, name)}, "
                    f"simulation process {first.sim_index} has {getattr(first, name)}"
                )
        mine = [(g.key, g.shape, g.env_dtype, g.wire_dtype) for g in spec.groups]
        theirs = [(g.key, g.shape, g.env_dtype, g.wire_dtype) for g in first.groups]
        if mine != theirs:
            raise ValueError(
                f"simulation processes {first.sim_index} and {spec.sim_index} differ in observation groups: "
                f"{theirs} vs {mine}"
            )
