"""Rolling a policy out in a ``VecEnv`` and writing each episode as soon as it ends.

Steps are buffered per environment (numpy rows, no per-step concatenation) and an environment's episode
goes to the file, whole, on the step it ends; episodes in progress when recording stops are dropped.
Works with any RSL-RL ``VecEnv``; the object pose and the success flags come from callables.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from . import schema
from .writer import DatasetWriter, EpisodeBuffers


class Policy(Protocol):
    def outputs(self, obs) -> tuple[torch.Tensor, torch.Tensor]: ...

    def reset(self, dones: torch.Tensor | None = None) -> None: ...


@dataclass
class Limits:
    episodes: int
    """Episodes to store."""
    max_episodes: int | None = None
    """Episodes to roll out at most (stored or not): bounds a success-only recording."""
    max_bytes: float | None = None
    success_only: bool = False


@dataclass
class Summary:
    stored: int
    finished: int
    steps: int
    successes: int
    size_bytes: int
    seconds: float
    stop_reason: str


def step_rows(
    obs, actions: torch.Tensor, labels: tuple[torch.Tensor, torch.Tensor] | None, object_pose: torch.Tensor
) -> dict:
    """The per-step arrays of every environment known before stepping (observations, actions, labels, pose)."""
    rows = {schema.obs_key(group): _numpy(value) for group, value in obs.items()}
    rows[schema.ACTIONS] = _numpy(actions)
    if labels is not None:
        rows[schema.TEACHER_MEAN] = _numpy(labels[0])
        rows[schema.TEACHER_STD] = _numpy(labels[1])
    rows[schema.OBJECT_POSE] = _numpy(object_pose)
    return rows


def record(
    env,
    actor: Policy,
    teacher: Policy | None,
    writer: DatasetWriter,
    limits: Limits,
    object_pose: Callable[[], torch.Tensor],
    success: Callable[[], torch.Tensor],
    episode_attrs: dict | None = None,
    progress=None,
) -> Summary:
    """Roll ``actor``'s mean actions out; ``teacher`` (may be ``actor``) labels every step when given."""
    start = time.time()
    buffers = EpisodeBuffers(env.num_envs)
    finished = successes = 0
    reason = ""
    obs = env.get_observations()
    actor.reset()
    if teacher is not None and teacher is not actor:
        teacher.reset()
    while not reason:
        with torch.inference_mode():
            mean, std = actor.outputs(obs)
            labels = (mean, std) if teacher is actor else teacher.outputs(obs) if teacher is not None else None
            rows = step_rows(obs, mean, labels, object_pose())
            obs, rewards, dones, _ = env.step(mean)
            actor.reset(dones)
            if teacher is not None and teacher is not actor:
                teacher.reset(dones)
        rows[schema.REWARDS] = _numpy(rewards).astype(np.float32).reshape(-1)
        rows[schema.DONES] = _numpy(dones).astype(bool).reshape(-1)
        buffers.add(rows)
        ended = np.flatnonzero(rows[schema.DONES])
        flags = _numpy(success()) if len(ended) else None
        for env_id in ended:
            episode = buffers.pop(int(env_id))
            finished += 1
            ok = bool(flags[env_id])
            if ok or not limits.success_only:
                writer.write_episode(episode, {**(episode_attrs or {}), "success": ok, "env_index": int(env_id)})
                successes += int(ok)
                if progress is not None:
                    progress.update(1)
            reason = _stop_reason(writer, limits, finished)
            if reason:
                break
    return Summary(
        writer.num_episodes, finished, writer.total_steps, successes, writer.size_bytes, time.time() - start, reason
    )


def _stop_reason(writer: DatasetWriter, limits: Limits, finished: int) -> str:
    if writer.num_episodes >= limits.episodes:
        return "done"
    if limits.max_episodes is not None and finished >= limits.max_episodes:
        return f"--max_episodes {limits.max_episodes} reached"
    if limits.max_bytes is not None and writer.size_bytes >= limits.max_bytes:
        return f"--max_gb {limits.max_bytes / 1e9:g} reached"
    return ""


def _numpy(value) -> np.ndarray:
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
