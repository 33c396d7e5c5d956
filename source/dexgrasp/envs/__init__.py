"""Environments as the learners read them.

- :mod:`.factory`: configurations (with :mod:`.overrides` checked), the environment and its simulator.
- :mod:`.vec_env`: :class:`~.vec_env.GraspVecEnv`, the RSL-RL ``VecEnv`` of a grasp environment in every topology.
- :mod:`.replay`: recorded episodes as a ``VecEnv`` (offline distillation).
"""
