"""The ``single`` topology: simulation and learner in this process, on one device."""

from __future__ import annotations

from collections.abc import Callable


def run(spec, learner_fn: Callable, learner_kwargs: dict):
    """``learner_fn(env, **learner_kwargs)`` on ``spec.task``'s environment in this process; returns what it returns.

    ``spec.wrap`` turns the Isaac Lab environment into what the learner reads (an RSL-RL ``VecEnv``); None hands the
    learner the environment itself (skrl wraps it its own way). The task's curriculum decides in the environment.

    With a :class:`~dexgrasp.envs.vec_env.GraspVecEnv`, SIGTERM or SIGINT (a wall-time bound, Ctrl-C) stops the run
    at the next environment step, after the learner's checkpoint callbacks have saved the iteration in progress;
    with another wrapper (a recording loop) it stops where the signal lands. The process exits with 130.
    """
    from dexgrasp.envs.factory import open_env
    from dexgrasp.runner.process import EXIT_INTERRUPTED, StopOnSignal, Stopped, log

    with open_env(spec.task, spec.env_cfg, spec.device, viewer=spec.viewer) as env:
        if spec.wrap is None:
            return learner_fn(env, **learner_kwargs)
        vec_env = spec.wrap(env)
        stop = StopOnSignal()
        if hasattr(vec_env, "stop"):  # it takes the signal at its next step: never inside the learner's update
            vec_env.stop, stop.open = stop, False
        try:
            return learner_fn(vec_env, **learner_kwargs)
        except Stopped as exc:
            for callback in getattr(vec_env, "failure_callbacks", []):
                callback(exc)
            log(f"stopped: {exc}")
            raise SystemExit(EXIT_INTERRUPTED) from None


def headline(spec, log_dir: str) -> str:
    return f"{spec.env_cfg.scene.num_envs} envs on {spec.device}, logging to {log_dir}"
