"""Distillation of a state or depth teacher into a stereo RGB or depth student.

Online DAgger on the simulation, offline from recorded episodes (``dexgrasp.datasets``), or both in turn,
on RSL-RL's ``Distillation`` algorithm and ``DistillationRunner`` extended for the task:

- :mod:`.algorithm`: DAgger schedule, variance-weighted action loss, std loss, object-position head.
- :mod:`.storage`: rollout storage that also keeps the teacher's stds.
- :mod:`.runner`: atomic, task-tagged checkpoints; loading a teacher and a student.
- :mod:`.learner`: the learner as a function of a ``VecEnv``.
- :mod:`.recorded_teacher`, :mod:`.offline`: recorded episodes (:mod:`dexgrasp.envs.replay`) and their labels.
- :mod:`.teacher`, :mod:`.policy`, :mod:`.config`: reading teachers and students, building the run's settings.

Both phases, on any topology, are run by :mod:`dexgrasp.jobs.distill`.
"""
