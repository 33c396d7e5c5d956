"""Dexterous grasping with a Kuka iiwa arm and an Allegro hand for Isaac Lab.

The package keeps simulation-free parts (runner protocol, storage, datasets, metrics) importable without
starting Isaac Lab; the task configurations under :mod:`dexgrasp.tasks` need Isaac Lab installed.
"""

__version__ = "0.1.0"
