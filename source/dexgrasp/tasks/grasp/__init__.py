"""The grasp task: a robot-agnostic base (scene, observations, rewards, resets, curriculum) and robot bindings.

Importing it registers every task id (:mod:`.config.kuka_allegro`).
"""

from .config.kuka_allegro import TASK_IDS  # noqa: F401  (importing registers the tasks)
