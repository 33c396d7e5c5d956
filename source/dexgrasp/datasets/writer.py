"""Writing whole episodes to an HDF5 dataset so that a killed recorder leaves a readable file.

HDF5 has no journal: a process killed while the library writes metadata (a flush rewrites the ``data``
group's header, its counters and the superblock in place) can leave a file that no longer opens. So the
writer never writes to the file that is published at ``path``. It keeps two copies of the dataset under
hidden names beside it (``.<name>.a`` and ``.<name>.b``) and ``path`` is a hard link to one of them:

* an episode is committed to the other copy: the episodes it misses are copied from the published one
  (``H5Ocopy``: compressed chunks are copied as they are), the new episode is written in one go, then the
  ``num_demos`` and ``total`` counters, then one flush and ``fsync``;
* ``path`` is then switched to that copy in one atomic ``rename`` of a new hard link.

A kill at any moment leaves ``path`` at the last committed episode; at worst the hidden copies stay behind
(a new writer to the same ``path`` removes them). ``close`` brings the other copy up to date, closes it and
publishes it, so the file left at ``path`` was closed cleanly before it went live, and removes the hidden
names. Recording needs twice the dataset's disk space and a filesystem with hard links.

The header is written to both copies before ``path`` is first linked, so an existing file is replaced
(``overwrite=True``) only by a valid dataset.
"""

from __future__ import annotations

import json
import os

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
        folder, name = os.path.split(path)
        os.makedirs(folder, exist_ok=True)
        self._copies = [os.path.join(folder, f".{name}.{tag}") for tag in ("a", "b")]
        self._link = os.path.join(folder, f".{name}.link")
        self._files: list[h5py.File] = []
        self._remove_hidden()  # a killed writer's leftovers
        try:
            for copy in self._copies:
                f = h5py.File(copy, "w", libver=("v108", "v110"))
                self._files.append(f)
                f.attrs["format_version"] = schema.FORMAT_VERSION
                data = f.create_group("data")
                data.attrs["env_args"] = json.dumps({"env_name": env_name, "type": 2})
                data.attrs[schema.META_ATTR] = json.dumps({**metadata, "layout_version": schema.LAYOUT_VERSION})
                data.attrs[schema.ENV_CFG_ATTR] = env_cfg_yaml
            self._counts = [0, 0]
            self._live = 1
            self._commit(0)
        except BaseException:
            for f in self._files:
                f.close()
            self._files = []
            self._remove_hidden()
            raise

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
        spare = 1 - self._live
        self._catch_up(spare)
        name = f"demo_{self._count}"
        group = self._files[spare]["data"].create_group(name)
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
        self._commit(spare)
        return name

    def close(self) -> None:
        """Publish an up-to-date copy that is closed already, then drop the hidden names."""
        if not self._files:
            return
        spare = 1 - self._live
        self._catch_up(spare)
        self._commit(spare, close=True)
        self._files[1 - spare].close()
        self._files = []
        self._remove_hidden()

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _catch_up(self, index: int) -> None:
        """Copy into copy ``index`` the committed episodes it does not hold yet (from the published copy)."""
        source = self._files[self._live]["data"]
        target = self._files[index]["data"]
        for i in range(self._counts[index], self._count):
            target.copy(source[f"demo_{i}"], f"demo_{i}")

    def _commit(self, index: int, close: bool = False) -> None:
        """Counters, flush and ``fsync`` copy ``index``, then make ``path`` a link to it."""
        f = self._files[index]
        f["data"].attrs["total"] = self._total
        f["data"].attrs[schema.NUM_DEMOS_ATTR] = self._count
        f.flush()
        os.fsync(f.id.get_vfd_handle())
        if close:
            f.close()
        self._counts[index] = self._count
        try:
            os.link(self._copies[index], self._link)
        except OSError as exc:
            raise DatasetError(f"cannot publish {self.path}: the dataset writer needs hard links ({exc})") from None
        os.replace(self._link, self.path)
        folder = os.open(os.path.dirname(self.path), os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        self._live = index

    def _remove_hidden(self) -> None:
        for hidden in (*self._copies, self._link):
            if os.path.lexists(hidden):
                os.unlink(hidden)


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
