"""The ``single`` topology: simulation and learner in this process, on one device."""

from __future__ import annotations

from collections.abc import Callable


def run(spec, learner_fn: Callable, learner_kwargs: dict):
    """``learner_fn(env, **learner_kwargs)`` on ``spec.task``'s environment in this process; returns what it returns.

    ``spec.wrap`` turns the Isaac Lab environment into what the learner reads (an RSL-RL ``VecEnv``); None hands the
    learner the environment itself (skrl wraps it its own way). The task's curriculum decides in the environment.
    """
    from dexgrasp.envs.factory import open_env

    with open_env(spec.task, spec.env_cfg, spec.device, viewer=spec.viewer) as env:
        return learner_fn(spec.wrap(env) if spec.wrap is not None else env, **learner_kwargs)


def headline(spec, log_dir: str) -> str:
    return f"{spec.env_cfg.scene.num_envs} envs on {spec.device}, logging to {log_dir}"
