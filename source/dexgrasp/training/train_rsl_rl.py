"""Single-process RSL-RL training of a grasp task (the ``single`` topology)."""

from __future__ import annotations

import os

from isaaclab.utils.io import dump_yaml


def metadata_for(task: str, library: str, env, agent_cfg) -> dict:
    from dexgrasp.tasks.grasp.mdp import get_curriculum_state

    return {
        "task": task,
        "library": library,
        "obs_groups": dict(agent_cfg["obs_groups"]) if isinstance(agent_cfg, dict) else dict(agent_cfg.obs_groups),
        "curriculum": get_curriculum_state(env.unwrapped),
        "agent_cfg": agent_cfg if isinstance(agent_cfg, dict) else agent_cfg.to_dict(),
    }


def train(args, env_cfg, agent_cfg) -> None:
    from dexgrasp.tasks.grasp.mdp import set_curriculum_state

    from .checkpoint import read_metadata
    from .env_factory import make_env, simulation
    from .rsl_rl_runner import GraspOnPolicyRunner
    from .sim_env import GraspVecEnv

    if args.max_iterations is not None:
        agent_cfg.max_iterations = args.max_iterations
    log_dir = args.log_dir or _default_log_dir(agent_cfg.experiment_name)
    os.makedirs(log_dir, exist_ok=True)
    print(f"[dexgrasp] task {args.task}, {env_cfg.scene.num_envs} envs on {args.device}, logging to {log_dir}")
    with simulation(env_cfg, args.device, viewer=args.viewer):
        env = make_env(args.task, env_cfg)
        try:
            dump_yaml(os.path.join(log_dir, "params", "env.yaml"), env_cfg)
            dump_yaml(os.path.join(log_dir, "params", "agent.yaml"), agent_cfg)
            wrapped = GraspVecEnv(env, clip_actions=agent_cfg.clip_actions)
            runner = GraspOnPolicyRunner(
                wrapped,
                agent_cfg.to_dict(),
                log_dir=log_dir,
                device=agent_cfg.device,
                metadata=lambda: metadata_for(args.task, "rsl_rl", env, agent_cfg),
            )
            if args.resume:
                runner.load(args.resume, map_location=agent_cfg.device)
                set_curriculum_state(env.unwrapped, read_metadata(args.resume).get("curriculum", {}))
                print(f"[dexgrasp] resumed from {args.resume} at iteration {runner.current_learning_iteration}")
            if getattr(args, "init_actor", None):
                init_actor(runner, args.init_actor, agent_cfg.device)
                print(f"[dexgrasp] actor initialised from the student {args.init_actor}")
            runner.learn(num_learning_iterations=agent_cfg.max_iterations, init_at_random_ep_len=True)
        finally:
            env.close()


def init_actor(runner, path: str, device: str) -> None:
    """Load a distilled student's weights (and observation normaliser) into PPO's actor: RL on top of behaviour
    cloning. The action noise stays the actor's configured initial std (exploration is PPO's to set, e.g.
    ``agent.actor.distribution_cfg.init_std=0.2``) and the critic starts fresh. The student must have the actor's
    model (``presets=mlp`` and the state student of ``scripts/distill.py``)."""
    import torch

    from dexgrasp.distillation.policy import load_state

    state = torch.load(path, map_location=device, weights_only=False)
    weights = dict(state.get("student_state_dict") or {})
    own = runner.alg.actor.state_dict()
    weights.update({key: value for key, value in own.items() if key.startswith("distribution.")})
    load_state(runner.alg.actor, weights, f"student {path}")


def _default_log_dir(experiment: str) -> str:
    from dexgrasp.cli.train import default_log_dir

    return default_log_dir("rsl_rl", experiment)
