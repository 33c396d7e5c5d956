"""Writing whole episodes to an HDF5 dataset so that a killed recorder leaves a readable file.

HDF5 has no journal: a process killed while the library writes metadata can leave a file that no longer
opens. The writer narrows that to the moment of an explicit flush:

* the file's metadata cache never evicts, so metadata reaches the disk only when an episode is committed;
* freed file space is never reused (``fs_strategy="none"``), so data written since the last commit only ever
  lands in new space, which the committed structures do not reference;
* an episode is written in one go (its group, every dataset, its attributes), then the ``num_demos`` and
  ``total`` counters, then one flush and ``fsync``.

A kill before the flush leaves the file as it was after the previous episode (a few unreferenced bytes at
the end); only a kill during the flush itself, a few milliseconds per episode, is unprotected.

The file is created under a temporary name and renamed into place once its header is complete, so an
existing file is replaced (``overwrite=True``) only by a valid dataset.
"""

from __future__ import annotations

import json
import os
import tempfile

import h5py
import numpy as np

from . import schema
from .reader import DatasetError


class DatasetWriter:
    """Appends complete episodes (dicts of per-step arrays) as ``/data/demo_<i>``."""

    def __init__(
        self,
        path: str,
        env_name: str,
        metadata: dict,
        env_cfg_yaml: str = "",
        overwrite: bool = False,
        compression_level: int = 4,
    ):
        path = os.path.abspath(path)
        if os.path.isdir(path):
            raise DatasetError(f"output {path} is a folder")
        if os.path.exists(path) and not overwrite:
            raise DatasetError(f"output {path} exists; pass --overwrite to replace it")
        if "keys" not in metadata:
            raise ValueError("metadata needs 'keys': the per-step arrays every episode holds (schema.key_spec)")
        self.path = path
        self._keys = {key: (tuple(shape), dtype) for key, (shape, dtype) in metadata["keys"].items()}
        self._level = compression_level
        self._count = 0
        self._total = 0
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".hdf5", dir=folder)
        os.close(fd)
        try:
            self._file = h5py.File(tmp, "w", libver=("v108", "v110"), fs_strategy="none")
            self._file.attrs["format_version"] = schema.FORMAT_VERSION
            self._data = self._file.create_group("data")
            self._data.attrs["total"] = 0
            self._data.attrs[schema.NUM_DEMOS_ATTR] = 0
            self._data.attrs["env_args"] = json.dumps({"env_name": env_name, "type": 2})
            self._data.attrs[schema.META_ATTR] = json.dumps({**metadata, "layout_version": schema.LAYOUT_VERSION})
            self._data.attrs[schema.ENV_CFG_ATTR] = env_cfg_yaml
            self._commit()
            os.replace(tmp, path)
        except BaseException:
            if getattr(self, "_file", None) is not None:
                self._file.close()
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        self._disable_metadata_evictions()

    @property
    def num_episodes(self) -> int:
        return self._count

    @property
    def total_steps(self) -> int:
        return self._total

    @property
    def size_bytes(self) -> int:
        return os.path.getsize(self.path)

    def write_episode(self, episode: dict[str, np.ndarray], attrs: dict | None = None) -> str:
        """Store one complete episode (``key -> (T, ...)`` arrays, ``key`` may contain ``/``) and commit it."""
        lengths = {key: len(value) for key, value in episode.items()}
        length = lengths.get(schema.ACTIONS, 0)
        if length == 0 or any(n != length for n in lengths.values()):
            raise ValueError(f"an episode needs equally long, non-empty arrays, got lengths {lengths}")
        shapes = {
            key: (tuple(value.shape[1:]), schema.storage_dtype(key, value.dtype).name) for key, value in episode.items()
        }
        if shapes != self._keys:
            raise ValueError(f"episode arrays {shapes} do not match the dataset's keys {self._keys}")
        name = f"demo_{self._count}"
        group = self._data.create_group(name)
        for key, value in episode.items():
            value = np.ascontiguousarray(value, dtype=self._keys[key][1])
            steps = schema.chunk_steps(value[0].nbytes)
            group.create_dataset(
                key,
                data=value,
                chunks=(min(length, steps), *value.shape[1:]),
                compression="gzip",
                compression_opts=self._level,
                shuffle=value.dtype.itemsize > 1,
            )
        for key, value in (attrs or {}).items():
            group.attrs[key] = value
        group.attrs["num_samples"] = length
        self._count += 1
        self._total += length
        self._data.attrs["total"] = self._total
        self._data.attrs[schema.NUM_DEMOS_ATTR] = self._count
        self._commit()
        return name

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _commit(self) -> None:
        self._file.flush()
        os.fsync(self._file.id.get_vfd_handle())

    def _disable_metadata_evictions(self) -> None:
        config = self._file.id.get_mdc_config()
        config.evictions_enabled = False
        config.incr_mode = 0  # H5C_incr__off: eviction control needs automatic resizing off
        config.flash_incr_mode = 0
        config.decr_mode = 0
        self._file.id.set_mdc_config(config)


class EpisodeBuffers:
    """Per-environment step rows of the episodes in progress, stacked into arrays when one ends."""

    def __init__(self, num_envs: int):
        self._rows: list[list[dict[str, np.ndarray]]] = [[] for _ in range(num_envs)]

    def add(self, step: dict[str, np.ndarray]) -> None:
        """One step of every environment: each value has the environments along its first axis."""
        for env, rows in enumerate(self._rows):
            rows.append({key: value[env] for key, value in step.items()})

    def pop(self, env: int) -> dict[str, np.ndarray]:
        """The finished episode of ``env`` (its buffer starts over)."""
        rows, self._rows[env] = self._rows[env], []
        return {key: np.stack([row[key] for row in rows]) for key in rows[0]} if rows else {}
