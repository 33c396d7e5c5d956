"""Episode datasets in Isaac Lab's HDF5 layout: crash-safe writing, lazy reading, streaming replay.

Simulation-free: importable and testable without Isaac Lab. ``docs/datasets.md`` documents the schema.
"""

from . import schema
from .reader import DatasetError, DatasetFile, open_datasets
from .stream import EpisodeStream
from .writer import DatasetWriter, EpisodeBuffers

__all__ = ["DatasetError", "DatasetFile", "DatasetWriter", "EpisodeBuffers", "EpisodeStream", "open_datasets", "schema"]
