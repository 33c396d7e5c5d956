"""The ``single`` topology: simulation and learner in this process, on one device."""

from __future__ import annotations

from collections.abc import Callable


def run(
    task: str,
    env_cfg,
    device: str,
    learner_fn: Callable,
    learner_kwargs: dict,
    wrap: Callable | None = None,
    viewer=None,
):
    """``learner_fn(env, **learner_kwargs)`` on ``task``'s environment in this process; returns what it returns.

    ``wrap`` turns the Isaac Lab environment into what the learner reads (an RSL-RL ``VecEnv``); None hands the
    learner the environment itself (skrl wraps it its own way). The task's curriculum decides in the environment.
    """
    from dexgrasp.envs.factory import open_env

    with open_env(task, env_cfg, device, viewer=viewer) as env:
        return learner_fn(wrap(env) if wrap is not None else env, **learner_kwargs)
