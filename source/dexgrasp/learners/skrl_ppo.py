"""The skrl PPO learner: on an Isaac Lab environment in one process, or on a disaggregated learner's ``VecEnv``."""

from __future__ import annotations

import copy
import os

from dexgrasp.runs import METADATA_KEY, atomic_torch_save, checkpoint_metadata, read_metadata

from .curriculum import decide_curriculum


def skrl_cfg(agent_cfg: dict, log_dir: str | None) -> tuple[dict, list[str]]:
    """skrl's Runner configuration for a run logging to ``log_dir``, and the actor's observation groups."""
    cfg = copy.deepcopy(agent_cfg)
    groups = cfg.pop("observation_groups", ["policy"])
    if log_dir is not None:
        experiment = cfg["agent"]["experiment"]
        experiment["directory"] = os.path.dirname(log_dir)
        experiment["experiment_name"] = os.path.basename(log_dir)
        if experiment.get("write_interval", "auto") == "auto":
            experiment["write_interval"] = cfg["agent"]["rollouts"]  # one TensorBoard point per iteration
    else:
        cfg["agent"]["experiment"]["write_interval"] = 0
        cfg["agent"]["experiment"]["checkpoint_interval"] = 0
    cfg["trainer"]["close_environment_at_exit"] = False
    return cfg, groups


def build_runner(env, agent_cfg: dict, log_dir: str | None):
    """skrl's Runner on the grouped wrapper of an Isaac Lab environment; returns (runner, wrapped env)."""
    from skrl.utils.runner.torch import Runner

    from .skrl_env import GroupedIsaacLabWrapper

    cfg, groups = skrl_cfg(agent_cfg, log_dir)
    wrapped = GroupedIsaacLabWrapper(env, groups)
    return Runner(wrapped, cfg), wrapped


def save_agent(agent, path: str, task: str, agent_cfg: dict, curriculum: dict, overrides: list[str] | None) -> None:
    """The agent's modules (skrl's own checkpoint layout) plus the package metadata (with the run's configuration
    ``overrides``, to rebuild it), written atomically."""
    groups = {"actor": agent_cfg.get("observation_groups", ["policy"]), "critic": ["critic"]}
    modules = {name: module.state_dict() for name, module in agent.checkpoint_modules.items()}
    modules[METADATA_KEY] = checkpoint_metadata(
        task, "skrl", groups, curriculum, agent_cfg=agent_cfg, overrides=list(overrides or [])
    )
    atomic_torch_save(modules, path)


def learn_skrl_isaaclab(
    env, task: str, agent_cfg: dict, log_dir: str, resume: str | None, overrides: list[str] | None = None
) -> None:
    """skrl PPO on an Isaac Lab environment in this process (the ``single`` topology; the task decides the
    curriculum). skrl reads the environment through its own Isaac Lab wrapper, not through a ``VecEnv``."""
    from dexgrasp.tasks.grasp.mdp import get_curriculum_state, set_curriculum_state

    runner, _ = build_runner(env, agent_cfg, log_dir)
    if resume:
        runner.agent.load(resume)
        set_curriculum_state(env.unwrapped, read_metadata(resume).get("curriculum", {}))
        print(f"[dexgrasp] resumed from {resume}")
    runner.run("train")
    path = os.path.join(log_dir, "checkpoints", "model_final.pt")
    save_agent(runner.agent, path, task, agent_cfg, get_curriculum_state(env.unwrapped), overrides)
    print(f"[dexgrasp] saved {path}")


def learn_skrl(
    vec_env,
    task: str,
    agent_cfg: dict,
    log_dir: str,
    resume: str | None,
    max_iterations: int,
    adr: dict | None,
    overrides: list[str] | None = None,
) -> None:
    """skrl PPO on an RSL-RL ``VecEnv`` (the learner process of a disaggregated run)."""
    from skrl.utils.runner.torch import Runner

    from dexgrasp.runner.process import log

    from .skrl_env import GroupedVecEnvWrapper

    decide_curriculum(vec_env, adr)
    cfg, groups = skrl_cfg(agent_cfg, log_dir)
    cfg["trainer"]["timesteps"] = max_iterations * cfg["agent"]["rollouts"]
    runner = Runner(GroupedVecEnvWrapper(vec_env, groups), cfg)

    def save(name: str) -> str:
        path = os.path.join(log_dir, "checkpoints", name)
        save_agent(runner.agent, path, task, agent_cfg, vec_env.curriculum_state(), overrides)
        return path

    vec_env.on_failure(lambda exc: log(f"learner saved {save('model_interrupted.pt')} before stopping"))
    if resume:
        runner.agent.load(resume)
        vec_env.set_curriculum_state(read_metadata(resume).get("curriculum", {}))
    runner.run("train")
    log(f"learner saved {save('model_final.pt')}")
