"""Configuration and construction of a grasp environment, for every topology, play, record and evaluation.

:func:`load_cfgs` checks the settings before anything starts; :func:`open_env` is the environment with its
simulator, as a context manager that closes both; :func:`make_sim_vec_env` is the disaggregated runner's
factory, whose environment closes its simulator with it.
"""

from __future__ import annotations

import contextlib

import gymnasium as gym

AGENT_ENTRY = {"rsl_rl": "rsl_rl_cfg_entry_point", "skrl": "skrl_cfg_entry_point"}


def load_cfgs(
    task: str,
    library: str,
    overrides: list[str] | None = None,
    num_envs: int | None = None,
    device: str = "cpu",
    seed: int | None = None,
    play: bool = False,
):
    """Environment and agent configurations with presets, overrides and the command-line settings applied.

    Raises ``ValueError`` for settings that cannot build a scene (checked before any simulator starts).
    """
    from isaaclab_tasks.utils import resolve_task_config

    import dexgrasp.tasks  # noqa: F401  (registers the tasks)
    from dexgrasp.tasks.grasp.grasp_env import validate_env_cfg

    from .overrides import check_override_fields

    check_override_fields(task, AGENT_ENTRY[library], list(overrides or []), play)
    env_cfg, agent_cfg = resolve_task_config(
        task, AGENT_ENTRY[library], play_mode=play, overrides=list(overrides or [])
    )
    if num_envs is not None:
        env_cfg.scene.num_envs = num_envs
    env_cfg.sim.device = device
    if library == "rsl_rl":
        from isaaclab_rl.rsl_rl import handle_deprecated_rsl_rl_cfg
        from isaaclab_rl.rsl_rl.utils import check_rsl_rl_version

        agent_cfg = handle_deprecated_rsl_rl_cfg(agent_cfg, check_rsl_rl_version())
        agent_cfg.device = device
        batches = getattr(agent_cfg.algorithm, "num_mini_batches", 0)  # PPO's; distillation has none
        if env_cfg.scene.num_envs < batches:
            # recurrent policies split mini-batches by environment: none may be empty
            print(f"[dexgrasp] {env_cfg.scene.num_envs} environments: using that many mini-batches, not {batches}")
            agent_cfg.algorithm.num_mini_batches = env_cfg.scene.num_envs
        if seed is not None:
            agent_cfg.seed = seed
        env_cfg.seed = agent_cfg.seed
    else:
        if seed is not None:
            agent_cfg["seed"] = seed
        env_cfg.seed = agent_cfg["seed"]
    validate_env_cfg(env_cfg)
    return env_cfg, agent_cfg


def has_cameras(env_cfg) -> bool:
    return any(
        getattr(env_cfg.scene, name, None) is not None for name in ("depth_camera", "left_camera", "right_camera")
    )


@contextlib.contextmanager
def simulation(env_cfg, device: str, viewer=None, enable_cameras: bool = False):
    """Isaac Lab's simulation launcher for this configuration (kitless unless the configuration needs Kit).

    ``viewer`` (a :class:`dexgrasp.viewer.Viewer`, None for headless) names the visualizers this process serves.
    """
    from isaaclab.app import launch_simulation

    args = {
        "headless": viewer is None,
        "device": device,
        "enable_cameras": enable_cameras or has_cameras(env_cfg),
        "visualizer": None,
    }
    if viewer is not None:
        from dexgrasp.viewer import configure

        configure(env_cfg, viewer)
        args.update(visualizer=list(viewer.names), max_visible_envs=viewer.max_visible_envs)
    with launch_simulation(env_cfg, args):
        yield


def make_env(task: str, env_cfg, render_mode: str | None = None):
    """The Gymnasium environment of ``task`` (a simulation must be running)."""
    import dexgrasp.tasks  # noqa: F401

    return gym.make(task, cfg=env_cfg, render_mode=render_mode)


@contextlib.contextmanager
def open_env(task: str, env_cfg, device: str, viewer=None, enable_cameras: bool = False, render_mode=None):
    """``task``'s environment in its simulation (see :func:`simulation`); both are closed on leaving."""
    with simulation(env_cfg, device, viewer=viewer, enable_cameras=enable_cameras):
        env = make_env(task, env_cfg, render_mode=render_mode)
        try:
            yield env
        finally:
            env.close()


def make_sim_vec_env(
    task: str,
    overrides: list[str],
    clip_actions: float | None,
    rank: int,
    device: str,
    num_envs: int,
    seed: int,
    viewer=None,
):
    """Build simulation process ``rank``'s environment on ``device`` (called once per process).

    ``clip_actions`` is the learner's setting, resolved by the launching process with every override applied: the
    agent configuration (``agent.*`` overrides included) belongs to the learner, whichever library it runs, so it is
    not resolved again here. The simulator lives as long as the environment: the runner's ``close()`` at the end of
    the run closes both. Only simulation process 0 serves ``viewer`` (``--viz``): one page, one port; the others
    stay headless.
    """
    from .vec_env import GraspVecEnv

    env_overrides = [o for o in overrides if not o.lstrip("+~").startswith("agent.")]
    env_cfg, _ = load_cfgs(task, "rsl_rl", env_overrides, num_envs=num_envs, device=device, seed=seed)
    stack = contextlib.ExitStack()
    env = stack.enter_context(open_env(task, env_cfg, device, viewer=viewer if rank == 0 else None))
    clipping = "not clipped" if clip_actions is None else f"clipped to +-{clip_actions:g}"
    print(f"[dexgrasp] simulation process {rank}: {num_envs} envs on {device}, actions {clipping}", flush=True)
    return GraspVecEnv(env, clip_actions=clip_actions, on_close=stack.close)
