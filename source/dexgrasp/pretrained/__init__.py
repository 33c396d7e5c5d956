"""Policies shipped with the package, one per task at most: ``scripts/play.py --task T --use_pretrained_checkpoint``.

Each is ``<name>.pt`` (the actor only: what playing needs, a fraction of a training checkpoint's size) beside
``<name>.json``: the checkpoint it was cut from, its evaluation (files under ``docs/figures``), the commit and the
command that trained it. :func:`ship` writes both; it replaces a shipped policy only with a better evaluated one by
hand, where the results page says why (``docs/results.md``).
"""

from __future__ import annotations

import json
import os

from dexgrasp.runs import METADATA_KEY, CheckpointError, atomic_torch_save, read_metadata

HERE = os.path.dirname(os.path.abspath(__file__))

PLAY_KEYS = ("actor_state_dict", "student_state_dict", "aux_head_state_dict", "iter", "infos", METADATA_KEY)
"""What a shipped checkpoint keeps: the acting model (a PPO actor or a distilled student), its iteration and the
package metadata; critics, teachers and optimiser states are for training only."""


def shipped() -> dict[str, str]:
    """Task id -> shipped checkpoint path."""
    found = {}
    for name in sorted(os.listdir(HERE)):
        if name.endswith(".json"):
            with open(os.path.join(HERE, name)) as f:
                found[json.load(f)["task"]] = os.path.join(HERE, name[:-5] + ".pt")
    return found


def pretrained_checkpoint(task: str) -> str:
    """The shipped checkpoint of ``task``; :class:`CheckpointError` naming the tasks that have one otherwise."""
    found = shipped()
    if task not in found:
        have = ", ".join(found) or "none"
        raise CheckpointError(f"no pretrained checkpoint ships for task '{task}' (tasks with one: {have})")
    return found[task]


def cut(source: str, path: str, overrides: list[str] | None = None) -> dict:
    """Write what playing needs of the checkpoint ``source`` (:data:`PLAY_KEYS`) to ``path``, atomically; returns
    the metadata written. A cut checkpoint plays, records (``--head_labels``) and evaluates as its source does, at a
    fraction of its size, so a result's policy can be kept beside its figures; the datasets it was trained on are
    named relative to the working directory (the checkout), not by a machine's absolute path. ``overrides``: the
    run's presets and overrides, for a checkpoint written before checkpoints recorded them."""
    import torch

    meta = read_metadata(source)
    if not meta:
        raise CheckpointError(f"{source} was not written by this package (no task metadata)")
    state = torch.load(source, map_location="cpu", weights_only=False)
    kept = {key: value for key, value in state.items() if key in PLAY_KEYS}
    if meta.get("datasets"):
        meta = {**meta, "datasets": [os.path.relpath(d) for d in meta["datasets"]]}
    if overrides is not None:
        meta = {**meta, "overrides": list(overrides)}
    infos = kept.get("infos")
    recorded = infos if isinstance(infos, dict) and METADATA_KEY in infos else kept  # where read_metadata found it
    recorded[METADATA_KEY] = meta
    atomic_torch_save(kept, path)
    return meta


def ship(source: str, name: str, card: dict, overrides: list[str] | None = None) -> str:
    """Cut ``source`` down to what playing needs into ``<name>.pt`` here (:func:`cut`), with ``card`` (evaluation
    files, commit, command) and the task in ``<name>.json``; returns the checkpoint's path."""
    path = os.path.join(HERE, f"{name}.pt")
    meta = cut(source, path, overrides)
    with open(os.path.join(HERE, f"{name}.json"), "w") as f:
        card = {"task": meta["task"], "library": meta["library"], "cut_from": os.path.relpath(source), **card}
        json.dump(card, f, indent=2)
    return path
