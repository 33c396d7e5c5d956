"""Where an image student's estimate of the object's position comes from: its image, or its own arm.

A student distilled from the scripted expert learns an object-position head beside its actions. Trained on the
expert's episodes, a head that reads the student's whole latent can take the position from the arm instead of the
image: the expert's arm moves towards the object, so its joints and the palm's speed tell where the object is. Once
the student (or a controller acting on the estimate) drives, the arm goes where the estimate says and the estimate
follows the arm. The probe measures both the error and where it comes from.

It rolls episodes out, driven by the scripted expert (the states the head learned from) or by the modular policy (the
expert's controller on the head's estimate, :class:`~dexgrasp.learners.distillation.policy.ModularPolicy`), and at
every ``every``-th step reads the head three times: on the environments' own observations, with each environment's
proprioception replaced by the next environment's (its image kept), and with its image replaced by the next
environment's (its proprioception kept). The horizontal change of the estimate, regressed on how far the other
environment's pinch point (or object) lies, is the share of the estimate that follows the arm (or the image): about 0
and 1 for a head that reads the image, the other way round for one that reads the arm.
"""

from __future__ import annotations

import json
import os

import torch

BINS = ((0, 60), (60, 120), (120, None))
"""Step ranges the error is reported over: the hand far from the object, coming down over it, holding it."""


def position_probe(env, policy, steps: int, every: int, drive: str, out: str, info: dict) -> dict:
    """Roll ``steps`` steps out in ``env`` (an RSL-RL wrapper) with ``drive`` ("expert" or "modular") acting, read
    ``policy``'s head (a :class:`~dexgrasp.learners.distillation.policy.ModularPolicy`) at every step and probe it
    every ``every`` steps; write ``summary.json`` (with ``info``: what was probed, where) into ``out`` and return
    it."""
    scene = env.unwrapped.scene
    obs = env.get_observations()
    errors, ages, probes = [], [], []
    for step in range(steps):
        true = scene["object"].data.root_pos_w.torch - scene.env_origins
        reading = policy.reading(obs, advance=drive == "expert")  # the modular policy reads once more to act
        errors.append(reading - true)
        ages.append(env.unwrapped.episode_length_buf.clone())
        if step % every == 0:
            probes.append(_probe(policy, obs, reading, true))
        actions = policy.expert.act() if drive == "expert" else policy(obs)
        obs, _, dones, _ = env.step(actions)
        policy.reset(dones)
    summary = {**info, "drive": drive, "steps": steps, "num_envs": env.num_envs, "every": every}
    summary["error"] = _errors(torch.stack(errors), torch.stack(ages))
    summary["follows"] = {
        part: {
            "slope": sum(p[part][0] for p in probes) / max(sum(p[part][1] for p in probes), 1e-12),
            "mean_shift_m": sum(p[part][2] for p in probes) / len(probes),
            "mean_source_distance_m": sum(p[part][3] for p in probes) / len(probes),
        }
        for part in ("arm", "image")
    }
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    return summary


def _probe(policy, obs, reading: torch.Tensor, true: torch.Tensor) -> dict[str, tuple[float, float, float, float]]:
    """Per swapped part: (sum of shift . source offset, sum of squared source offsets, mean shift, mean offset), all
    horizontal: the shift of the estimate and how far the swapped-in source (the other arm's pinch point, the other
    image's object) lies from this environment's."""
    order = torch.roll(torch.arange(len(reading), device=reading.device), 1)
    pinch = policy.expert.pinch_point()
    out = {}
    for part, groups, source in (("arm", policy.proprio_groups, pinch), ("image", policy.image_groups, true)):
        swapped = obs.clone()
        for group in groups:
            swapped[group] = obs[group][order]
        shift = (policy.reading(swapped, advance=False) - reading)[:, :2]
        offset = (source[order] - source)[:, :2]
        out[part] = (
            (shift * offset).sum().item(),
            offset.square().sum().item(),
            shift.norm(dim=-1).mean().item(),
            offset.norm(dim=-1).mean().item(),
        )
    return out


def _errors(error: torch.Tensor, age: torch.Tensor) -> dict:
    """Root mean square error per axis [m] over all steps and per :data:`BINS` of the episode's step."""
    table = {"all": _rms(error)}
    for low, high in BINS:
        mask = (age >= low) & (age < (high if high is not None else 10**9))
        if mask.any():
            table[f"steps_{low}_{high if high is not None else 'end'}"] = _rms(error[mask])
    return table


def _rms(error: torch.Tensor) -> dict:
    flat = error.reshape(-1, 3)
    per_axis = flat.square().mean(0).sqrt().tolist()
    return {"x": per_axis[0], "y": per_axis[1], "z": per_axis[2], "samples": len(flat)}
