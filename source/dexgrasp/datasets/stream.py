"""Recorded episodes replayed step by step in parallel lanes, streamed from disk.

A recurrent student learns from whole episodes in order, as it would from environments: each lane plays
one episode from its first step to its last, then the next one. Episodes are visited in a shuffled order,
reshuffled every pass over the data. A lane reads its episode ``window`` steps at a time, so memory holds
``lanes x window`` steps whatever the size of the files.
"""

from __future__ import annotations

import numpy as np

from . import schema
from .reader import DatasetError, DatasetFile


class _Lane:
    __slots__ = ("file", "episode", "length", "t", "start", "stop", "window")

    def __init__(self):
        self.file: DatasetFile | None = None
        self.episode = ""
        self.length = 0
        self.t = 0
        self.start = 0
        self.stop = 0
        self.window: dict[str, np.ndarray] = {}


class EpisodeStream:
    """Yields, per call to :meth:`next_step`, one step of every lane: ``key -> (lanes, ...)`` arrays.

    ``dones`` is true at the last step of each lane's episode, after which the lane continues with
    another episode.
    """

    def __init__(self, files: list[DatasetFile], keys: list[str], num_lanes: int, window: int = 64, seed: int = 0):
        self._index = [(f, episode, f.length(episode)) for f in files for episode in f.episodes]
        if not self._index:
            raise DatasetError("the datasets hold no complete episode")
        self.keys = [key for key in keys if key != schema.DONES]
        self.num_lanes = num_lanes
        self.steps_per_pass = sum(length for _, _, length in self._index)
        self.max_episode_length = max(length for _, _, length in self._index)
        self.steps_served = 0
        self._window = window
        self._rng = np.random.default_rng(seed)
        self._order: list[int] = []
        self._lanes = [_Lane() for _ in range(num_lanes)]
        for lane in self._lanes:
            self._start_episode(lane)

    @property
    def passes(self) -> float:
        """How many times the data has been gone through (lane steps served / steps in the data)."""
        return self.steps_served / self.steps_per_pass

    def next_step(self) -> dict[str, np.ndarray]:
        rows = {key: [] for key in self.keys}
        dones = np.zeros(self.num_lanes, dtype=bool)
        for i, lane in enumerate(self._lanes):
            if lane.t >= lane.stop:
                self._read_window(lane)
            offset = lane.t - lane.start
            for key in self.keys:
                rows[key].append(lane.window[key][offset])
            lane.t += 1
            if lane.t == lane.length:
                dones[i] = True
                self._start_episode(lane)
        self.steps_served += self.num_lanes
        step = {key: np.stack(values) for key, values in rows.items()}
        step[schema.DONES] = dones
        return step

    def _start_episode(self, lane: _Lane) -> None:
        if not self._order:
            self._order = list(self._rng.permutation(len(self._index)))
        lane.file, lane.episode, lane.length = self._index[self._order.pop()]
        lane.t = 0
        self._read_window(lane)

    def _read_window(self, lane: _Lane) -> None:
        lane.start, lane.stop = lane.t, min(lane.length, lane.t + self._window)
        lane.window = {key: lane.file.read(lane.episode, key, lane.start, lane.stop) for key in self.keys}
