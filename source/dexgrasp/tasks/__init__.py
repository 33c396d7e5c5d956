"""Gymnasium registration of the grasp tasks (imported by Isaac Lab through the ``isaaclab.tasks`` entry point)."""

from .grasp import TASK_IDS  # noqa: F401  (importing registers the tasks)
