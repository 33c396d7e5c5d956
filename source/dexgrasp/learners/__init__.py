"""Learners: functions of an RSL-RL ``VecEnv`` that build a runner, learn and save, whatever the topology.

A learner function is ``learn(vec_env, **settings)`` with picklable settings, so a topology can run it in this
process, in each data-parallel process, or in the learner process of a disaggregated run. ``vec_env`` has the
curriculum interface every topology's environment offers: a ``curriculum`` attribute the learner may set to decide
the level over all processes (:func:`.curriculum.decide_curriculum`), ``curriculum_state()`` and
``set_curriculum_state(state)`` for checkpoints, and ``on_failure(callback)`` (called where a failure of another
process can stop this one, the disaggregated learner, and where a signal stops the single topology).

- :mod:`.rsl_rl_ppo`: RSL-RL PPO (:mod:`.rsl_rl_runners`: its runner with this package's checkpoints).
- :mod:`.skrl_ppo`: skrl PPO (:mod:`.skrl_env`: skrl's view of the observation groups).
- :mod:`.distillation`: DAgger and behaviour cloning on RSL-RL's distillation runner.
"""
