"""Single-process skrl PPO training of a grasp task."""

from __future__ import annotations

import copy
import os

from .checkpoint import METADATA_KEY, atomic_torch_save, read_metadata


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


def save_agent(agent, path: str, metadata: dict) -> None:
    """The agent's modules (skrl's own checkpoint layout) plus the package metadata, written atomically."""
    modules = {name: module.state_dict() for name, module in agent.checkpoint_modules.items()}
    modules[METADATA_KEY] = metadata
    atomic_torch_save(modules, path)


def train(args, env_cfg, agent_cfg: dict) -> None:
    from dexgrasp.cli.train import default_log_dir
    from dexgrasp.tasks.grasp.mdp import get_curriculum_state, set_curriculum_state

    from .env_factory import make_env, simulation

    rollouts = agent_cfg["agent"]["rollouts"]
    if args.max_iterations is not None:
        agent_cfg["trainer"]["timesteps"] = args.max_iterations * rollouts
    log_dir = args.log_dir or default_log_dir("skrl", agent_cfg["agent"]["experiment"]["directory"])
    os.makedirs(log_dir, exist_ok=True)
    print(f"[dexgrasp] task {args.task}, {env_cfg.scene.num_envs} envs on {args.device}, logging to {log_dir}")
    with simulation(env_cfg, args.device, viewer=args.viewer):
        env = make_env(args.task, env_cfg)
        try:
            runner, _ = build_runner(env, agent_cfg, log_dir)
            if args.resume:
                runner.agent.load(args.resume)
                set_curriculum_state(env.unwrapped, read_metadata(args.resume).get("curriculum", {}))
                print(f"[dexgrasp] resumed from {args.resume}")
            runner.run("train")
            metadata = {
                "task": args.task,
                "library": "skrl",
                "obs_groups": {"actor": agent_cfg.get("observation_groups", ["policy"]), "critic": ["critic"]},
                "curriculum": get_curriculum_state(env.unwrapped),
                "agent_cfg": agent_cfg,
            }
            path = os.path.join(log_dir, "checkpoints", "model_final.pt")
            save_agent(runner.agent, path, metadata)
            print(f"[dexgrasp] saved {path}")
        finally:
            env.close()
