"""The ``disaggregated`` topology: simulation processes feed a learner process on its own device.

With several learner devices (``--learner_device cuda:6,cuda:7``, the hybrid topology) each learner is fed by
its own consecutive group of simulation processes and the learners train data-parallel among themselves
(RSL-RL's gradient averaging over the learners' process group); the first learner logs and checkpoints. The
processes, their messages and their failures are :mod:`dexgrasp.runner`'s; this module hands it the grasp
environment factory.
"""

from __future__ import annotations

from collections.abc import Callable

from dexgrasp.runner.launcher import run_disaggregated


def run(spec, learner_fn: Callable, learner_kwargs: dict) -> int:
    """``learner_fn(vec_env, **learner_kwargs)`` in the learner process(es), fed by the simulation processes of
    ``spec.layout``; returns the run's exit code.

    ``spec.clip_actions`` is the learner's setting, which the simulation processes apply (RSL-RL clips in the
    environment wrapper); ``spec.viewer`` is served by simulation process 0.
    """
    from dexgrasp.envs.factory import make_sim_vec_env

    return run_disaggregated(
        spec.layout,
        make_sim_vec_env,
        {
            "task": spec.task,
            "overrides": list(spec.overrides),
            "clip_actions": spec.clip_actions,
            "viewer": spec.viewer,
        },
        learner_fn,
        learner_kwargs,
        worker_timeout=spec.worker_timeout,
        seed=spec.seed,
        synchronous=spec.synchronous,
    )


def headline(spec, log_dir: str) -> str:
    return f"disaggregated: {spec.layout.describe()}; logging to {log_dir}"
