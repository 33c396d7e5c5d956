"""The ``disaggregated`` topology: simulation processes feed an RSL-RL learner process on its own device.

With several learner devices (``--learner_device cuda:6,cuda:7``, the hybrid topology) each learner is fed by
its own consecutive group of simulation processes and the learners train data-parallel among themselves
(RSL-RL's gradient averaging over the learners' process group); the first learner logs and checkpoints.
"""

from __future__ import annotations

import os

from dexgrasp.runner.launcher import run_disaggregated
from dexgrasp.runner.layout import Layout
from dexgrasp.runner.process import log


def learn_rsl_rl(vec_env, task: str, agent_cfg: dict, log_dir: str, resume: str | None, max_iterations: int, adr: dict):
    """The learner process: RSL-RL PPO (pipelined rollout) on the environments of every simulation process.

    Returns the runner after training (its storage, models and iteration count), for callers that report on it.
    """
    from dexgrasp.runner.curriculum import LockstepCurriculum

    from .rsl_rl_runner import GraspPipelinedRunner, learners_env_counts

    agent_cfg = {**agent_cfg, "device": vec_env.device}
    # every learner must run the same number of mini-batches (their gradients are averaged per mini-batch), and a
    # recurrent one splits by environment: none may hold fewer environments than mini-batches
    fewest = min(learners_env_counts(vec_env.num_envs))
    if agent_cfg["algorithm"].get("num_mini_batches", 1) > fewest:
        log(f"a learner has {fewest} environments: using that many mini-batches")
        agent_cfg["algorithm"] = {**agent_cfg["algorithm"], "num_mini_batches": fewest}
    vec_env.curriculum = LockstepCurriculum.from_params(adr)

    def metadata() -> dict:
        return {
            "task": task,
            "library": "rsl_rl",
            "obs_groups": dict(agent_cfg["obs_groups"]),
            "curriculum": vec_env.curriculum_state(),
            "agent_cfg": agent_cfg,
        }

    runner = GraspPipelinedRunner(vec_env, agent_cfg, log_dir, vec_env.device, metadata=metadata)

    def save_on_failure(exc: BaseException) -> None:
        if runner.gpu_global_rank != 0:  # with several learners, the first one keeps the checkpoints
            return
        path = os.path.join(log_dir, f"model_{runner.current_learning_iteration}.pt")
        runner.save(path)
        log(f"learner saved {path} before stopping")

    vec_env.on_failure(save_on_failure)
    if resume:
        from .checkpoint import read_metadata

        runner.load(resume, map_location=vec_env.device)
        vec_env.set_curriculum_state(read_metadata(resume).get("curriculum", {}))
        log(f"resumed from {resume} at iteration {runner.current_learning_iteration}")
    runner.learn(num_learning_iterations=max_iterations, init_at_random_ep_len=True)
    return runner


def learn_skrl(
    vec_env, task: str, agent_cfg: dict, log_dir: str, resume: str | None, max_iterations: int, adr: dict
) -> None:
    """The learner process with skrl: its PPO, models and memory on the learner's view of the simulation."""
    from skrl.utils.runner.torch import Runner

    from dexgrasp.runner.curriculum import LockstepCurriculum

    from .skrl_env import GroupedVecEnvWrapper
    from .train_skrl import save_agent, skrl_cfg

    vec_env.curriculum = LockstepCurriculum.from_params(adr)
    cfg, groups = skrl_cfg(agent_cfg, log_dir)
    cfg["trainer"]["timesteps"] = max_iterations * cfg["agent"]["rollouts"]
    runner = Runner(GroupedVecEnvWrapper(vec_env, groups), cfg)

    def save(name: str) -> str:
        path = os.path.join(log_dir, "checkpoints", name)
        metadata = {
            "task": task,
            "library": "skrl",
            "obs_groups": {"actor": groups, "critic": ["critic"]},
            "curriculum": vec_env.curriculum_state(),
            "agent_cfg": agent_cfg,
        }
        save_agent(runner.agent, path, metadata)
        return path

    vec_env.on_failure(lambda exc: log(f"learner saved {save('model_interrupted.pt')} before stopping"))
    if resume:
        from .checkpoint import read_metadata

        runner.agent.load(resume)
        vec_env.set_curriculum_state(read_metadata(resume).get("curriculum", {}))
    runner.run("train")
    log(f"learner saved {save('model_final.pt')}")


def make_layout(args) -> Layout:
    """The layout of ``--sim_devices`` / ``--learner_device`` / ``--num_envs`` (ValueError when it is bad)."""
    sims = [d.strip() for d in (args.sim_devices or "").split(",") if d.strip()]
    learners = [d.strip() for d in (args.learner_device or "").split(",") if d.strip()]
    if not sims:
        raise ValueError("--sim_devices is empty: name at least one simulation device")
    if not learners:
        raise ValueError("--learner_device is empty: name the learner's device")
    if args.num_envs is None:
        raise ValueError(
            "--num_envs (the total over all simulation processes) is required with --topology disaggregated"
        )
    nodes = {}
    if "RANK" in os.environ and "LOCAL_WORLD_SIZE" in os.environ and "GROUP_RANK" in os.environ:
        # torchrun on several nodes: device names are per node, and only this node's devices can be checked here
        nodes = {"ranks_per_node": int(os.environ["LOCAL_WORLD_SIZE"]), "node": int(os.environ["GROUP_RANK"])}
    return Layout(sim_devices=sims, learner_devices=learners, num_envs=args.num_envs, **nodes)


def train(args, layout: Layout, env_cfg, agent_cfg, overrides: list[str], log_dir: str) -> int:
    from isaaclab.utils.io import dump_yaml

    from .sim_env import make_sim_vec_env

    if args.rl_library == "skrl":
        agent, learner = dict(agent_cfg), learn_skrl
        iterations = args.max_iterations or max(1, agent["trainer"]["timesteps"] // agent["agent"]["rollouts"])
        clip_actions = None  # skrl clips in its models, as in a single process
    else:
        agent, learner = agent_cfg.to_dict(), learn_rsl_rl
        iterations = args.max_iterations or agent["max_iterations"]
        clip_actions = agent["clip_actions"]  # RSL-RL clips in the environment wrapper: the simulation processes
    seed = agent["seed"]
    dump_yaml(os.path.join(log_dir, "params", "agent.yaml"), agent)
    print(f"[dexgrasp] task {args.task}, disaggregated: {layout.describe()}; logging to {log_dir}", flush=True)
    return run_disaggregated(
        layout,
        make_sim_vec_env,
        {"task": args.task, "overrides": list(overrides), "clip_actions": clip_actions, "viewer": args.viewer},
        learner,
        {
            "task": args.task,
            "agent_cfg": agent,
            "log_dir": log_dir,
            "resume": args.resume,
            "max_iterations": iterations,
            "adr": dict(env_cfg.curriculum.adr.params),
        },
        worker_timeout=args.worker_timeout,
        seed=seed,
        synchronous=args.synchronous,
    )
