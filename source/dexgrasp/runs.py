"""A run's files: its log folder, its checkpoints and the metadata they carry, its latest checkpoint.

A checkpoint is RSL-RL's own dictionary (``model_state_dict``, ``optimizer_state_dict``, ``iter``, ``infos``)
or skrl's; ``infos`` carries this package's metadata (:func:`checkpoint_metadata`): the task id, the learner
library, the curriculum state and the observation groups the policy reads. Writing goes to a temporary file in
the same folder and is renamed into place, so a crash leaves the previous complete checkpoint, never a truncated
one. Every topology and learner names folders and files through this module, so they agree on where a run is.
"""

from __future__ import annotations

import glob
import os
import platform
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

import torch

METADATA_KEY = "dexgrasp"


class CheckpointError(ValueError):
    """A checkpoint that is missing, unreadable or belongs to something else."""


def machine_description() -> str:
    """The machine a measurement ran on, for the files that report it: architecture, CPU cores and any GPUs."""
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    gpus = [torch.cuda.get_device_name(i) for i in range(count)]
    host = f"{platform.machine()}, {os.cpu_count()} CPU cores ({platform.processor() or platform.system()})"
    return host + (f", GPUs: {', '.join(gpus)}" if gpus else ", no GPU")


def source_commit() -> str:
    """The checkout's commit, for the files a result is read from: ``+modified`` when the package's source, scripts
    or config differ from it (figures and docs may), ``unknown`` outside a git checkout."""
    root = Path(__file__).resolve().parents[2]
    git = ["git", "-C", str(root)]
    try:
        head = subprocess.run([*git, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, check=True)
        changed = subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=no", "--", "source", "scripts", "config"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.stdout.strip() + ("+modified" if changed.stdout.strip() else "")


def default_log_dir(library: str, experiment: str) -> str:
    """``logs/<library>/<experiment>/<time>`` under the working directory, absolute."""
    return os.path.abspath(os.path.join("logs", library, experiment, datetime.now().strftime("%Y-%m-%d_%H-%M-%S")))


def latest_checkpoint(log_dir: str) -> str | None:
    """The newest checkpoint of a run folder: RSL-RL's ``model_<iteration>.pt``, skrl's ``checkpoints/*.pt`` (None
    when there is none)."""
    found = glob.glob(os.path.join(log_dir, "model_*.pt")) + glob.glob(os.path.join(log_dir, "checkpoints", "*.pt"))
    checkpoints = sorted(found, key=os.path.getmtime)
    return checkpoints[-1] if checkpoints else None


def checkpoint_metadata(task: str, library: str, obs_groups: dict, curriculum: dict, **fields) -> dict:
    """What a checkpoint records about itself: task, learner library, the policy's observation groups, the
    curriculum state it trained at, and the learner's own ``fields`` (its agent configuration, its teacher...)."""
    return {"task": task, "library": library, "obs_groups": dict(obs_groups), "curriculum": curriculum, **fields}


def atomic_torch_save(obj, path: str) -> None:
    """``torch.save`` through a temporary file and ``os.replace`` (atomic on POSIX)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pt", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_metadata(path: str) -> dict:
    """The package metadata of a checkpoint (empty dict when it has none)."""
    if not os.path.isfile(path):
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # any unpickling failure means the file is not a checkpoint
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from exc
    infos = data.get("infos") if isinstance(data, dict) else None
    meta = (infos or {}).get(METADATA_KEY) if isinstance(infos, dict) else None
    if meta is None and isinstance(data, dict):
        meta = data.get(METADATA_KEY)
    return dict(meta or {})


def check_checkpoint(path: str, task: str, library: str | None = None) -> dict:
    """Metadata of ``path`` after checking it was written for ``task`` (and ``library`` when given)."""
    meta = read_metadata(path)
    if not meta:
        raise CheckpointError(f"checkpoint {path} was not written by this package (no task metadata)")
    if meta.get("task") != task:
        raise CheckpointError(f"checkpoint {path} belongs to task '{meta.get('task')}', not '{task}'")
    if library is not None and meta.get("library") != library:
        raise CheckpointError(f"checkpoint {path} was trained with {meta.get('library')}, not {library}")
    return meta
