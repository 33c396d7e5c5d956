"""The grasp task, laid out as Isaac Lab's own manager-based tasks are.

* ``grasp_env_cfg.py``: the robot-agnostic base configuration (:class:`~.grasp_env_cfg.GraspEnvCfg`), built from
  ``scene_cfg.py`` (table, object, image and object-set settings), ``observations_cfg.py`` (what each policy
  observes) and ``mdp_cfg.py`` (rewards, terminations, resets and randomisations, curriculum);
* ``mdp/``: the terms those configurations name;
* ``grasp_env.py``: the environment, which applies the scene settings and offers the curriculum
  (``grasp_curriculum.py``) and the episode metrics (``episode_metrics.py``);
* ``config/<robot>/``: a robot binding (robot, actions, cameras, learner configurations in ``agents/``) and the
  table of the task ids it registers; ``distill_tasks.py`` says which registered scene serves a
  (student, teacher) pair.

Importing this package registers every task id.
"""

from .config.kuka_allegro import TASK_IDS  # noqa: F401  (importing registers the tasks)
