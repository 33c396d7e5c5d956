"""Layout of the episode datasets: names, dtypes and attributes (see ``docs/datasets.md``).

The file follows Isaac Lab's ``HDF5DatasetFileHandler`` layout (``/data/demo_<i>/...``, ``data.attrs["total"]``,
``data.attrs["env_args"]``, ``format_version``), so Isaac Lab and robomimic tools read it; this package adds
its own metadata in ``data.attrs["dexgrasp"]`` (JSON) and ``data.attrs["env_cfg"]`` (YAML).
"""

from __future__ import annotations

import numpy as np

FORMAT_VERSION = 1
"""Isaac Lab's dataset format version (1: quaternions stored x, y, z, w)."""
LAYOUT_VERSION = 1
"""Version of this package's additions (metadata keys, per-step datasets)."""

META_ATTR = "dexgrasp"
ENV_CFG_ATTR = "env_cfg"
NUM_DEMOS_ATTR = "num_demos"
"""Committed episodes; ``demo_0`` .. ``demo_<num_demos - 1>`` are complete."""

ACTIONS = "actions"
TEACHER_MEAN = "teacher/action_mean"
TEACHER_STD = "teacher/action_std"
REWARDS = "rewards"
DONES = "dones"
OBJECT_POSE = "object_pose"
"""Object position in the environment frame and orientation (x, y, z, w), shape ``(T, 7)``."""

DEPTH_GROUPS = ("depth",)
"""Observation groups holding depth in [0, 1]: stored as float16 (0.4 mm steps over the 0.8 m range)."""


def obs_key(group: str) -> str:
    return f"obs/{group}"


def storage_dtype(key: str, dtype: np.dtype) -> np.dtype:
    """How a per-step array is stored: images stay uint8, depth becomes float16, flags bool, the rest float32."""
    dtype = np.dtype(dtype)
    if dtype == np.uint8 or dtype == np.bool_:
        return dtype
    if key in tuple(obs_key(g) for g in DEPTH_GROUPS):
        return np.dtype(np.float16)
    return np.dtype(np.float32)


def chunk_steps(row_bytes: int, target_bytes: int = 256 * 1024) -> int:
    """Steps per HDF5 chunk: about ``target_bytes`` uncompressed, so a streaming read decompresses little extra."""
    return int(max(1, min(1024, target_bytes // max(1, row_bytes))))


def key_spec(step: dict[str, np.ndarray]) -> dict[str, list]:
    """``key -> [shape of one step, stored dtype name]`` for one step of one environment (the ``keys`` metadata)."""
    return {key: [list(value.shape), storage_dtype(key, value.dtype).name] for key, value in step.items()}
