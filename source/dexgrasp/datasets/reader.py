"""Reading episode datasets lazily: metadata and committed episodes up front, arrays only when asked for."""

from __future__ import annotations

import json
import os

import h5py
import numpy as np

from . import schema


class DatasetError(ValueError):
    """A dataset that is missing, damaged, or not what the caller needs; the message is one line."""


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


class DatasetFile:
    """One dataset file opened read-only; only the episodes its ``num_demos`` counter committed are listed."""

    def __init__(self, path: str):
        self.path = os.path.abspath(path)
        if not os.path.isfile(self.path):
            raise DatasetError(f"dataset not found: {path}")
        try:
            self._file = h5py.File(self.path, "r")
        except OSError as exc:
            raise DatasetError(
                f"cannot read dataset {path}: not an HDF5 file or damaged ({_first_line(exc)})"
            ) from None
        try:
            data = self._file.get("data")
            if not isinstance(data, h5py.Group):
                raise DatasetError(f"{path} has no 'data' group: not an episode dataset")
            raw = data.attrs.get(schema.META_ATTR)
            if raw is None:
                raise DatasetError(f"{path} was not written by scripts/record.py (no '{schema.META_ATTR}' metadata)")
            self.meta = json.loads(raw)
            committed = int(data.attrs.get(schema.NUM_DEMOS_ATTR, 0))
            self.episodes = [f"demo_{i}" for i in range(committed) if f"demo_{i}" in data]
            if len(self.episodes) != committed:
                raise DatasetError(f"{path} is damaged: {committed} episodes committed, {len(self.episodes)} present")
            self._lengths = {name: int(data[name].attrs["num_samples"]) for name in self.episodes}
            self._data = data
        except DatasetError:
            self._file.close()
            raise
        except (OSError, KeyError, ValueError) as exc:
            self._file.close()
            raise DatasetError(f"cannot read dataset {path}: damaged ({_first_line(exc)})") from None

    @property
    def task(self) -> str:
        return self.meta.get("task", "")

    @property
    def keys(self) -> dict[str, tuple[tuple[int, ...], str]]:
        """Per-step datasets of the episodes: ``key -> (shape of one step, stored dtype)``."""
        return {key: (tuple(shape), dtype) for key, (shape, dtype) in self.meta.get("keys", {}).items()}

    @property
    def total_steps(self) -> int:
        return sum(self._lengths.values())

    def length(self, episode: str) -> int:
        return self._lengths[episode]

    def attrs(self, episode: str) -> dict:
        return dict(self._data[episode].attrs)

    def read(self, episode: str, key: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Steps ``start:stop`` of one array of one episode (only the chunks holding them are decompressed)."""
        try:
            return self._data[episode][key][start:stop]
        except (OSError, KeyError) as exc:
            raise DatasetError(f"cannot read {key} of {episode} in {self.path}: {_first_line(exc)}") from None

    def close(self) -> None:
        self._file.close()


def open_datasets(paths: list[str], task: str, required_keys: list[str]) -> list[DatasetFile]:
    """Open and check dataset files: the same task, the keys a learner needs, equal shapes across files."""
    files: list[DatasetFile] = []
    try:
        for path in paths:
            files.append(DatasetFile(path))
            found = files[-1]
            if found.task != task:
                raise DatasetError(f"{path} holds episodes of '{found.task}', not '{task}'")
            missing = [key for key in required_keys if key not in found.keys]
            if missing:
                raise DatasetError(f"{path} lacks {', '.join(missing)} (has {', '.join(sorted(found.keys))})")
            if not found.episodes:
                raise DatasetError(f"{path} holds no complete episode")
            first = files[0]
            for key in required_keys:
                if found.keys[key] != first.keys[key]:
                    raise DatasetError(
                        f"{path} stores {key} as {found.keys[key]}, {first.path} as {first.keys[key]}: not mixable"
                    )
    except DatasetError:
        for opened in files:
            opened.close()
        raise
    return files
