"""Training: checks what can be checked before a simulator starts, then runs a PPO learner on a topology."""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass, field

from dexgrasp.runs import check_checkpoint, default_log_dir, latest_checkpoint

from . import SettingsError

ARCHITECTURE_KEYS = ("class_name", "hidden_dims", "activation", "rnn_type")
"""What a cloned student and the PPO actor it starts must share (the rest of a mismatch shows as tensor shapes)."""


@dataclass
class TrainSettings:
    """A training run as ``scripts/train.py`` asks for it."""

    task: str
    rl_library: str
    topology: str
    device: str
    """The single topology's device (configurations of the multi-process topologies are checked on "cpu")."""
    overrides: list[str] = field(default_factory=list)
    num_envs: int | None = None
    seed: int | None = None
    max_iterations: int | None = None
    log_dir: str | None = None
    resume: str | None = None
    init_actor: str | None = None
    critic_warmup: int = 0
    """Iterations at the start in which only the critic learns (with ``init_actor``)."""
    guide: bool = False
    """PPO with the scripted expert's behaviour-cloning term (:mod:`dexgrasp.learners.guided_ppo`)."""
    layout: object = None
    """The disaggregated topology's :class:`~dexgrasp.runner.layout.Layout`."""
    devices: list[str] | None = None
    """The data-parallel topology's devices, one per process."""
    worker_timeout: float = 60.0
    synchronous: bool = False
    viewer: object = None
    argv: list[str] = field(default_factory=list)
    """The command line, for torchrun to start the data-parallel processes with."""

    @property
    def scene_task(self) -> str:
        """The registered id whose configurations build the run: the task, or with ``guide`` its variant that adds
        the expert's labels. Checkpoints name ``task``: the policy is the task's."""
        from dexgrasp.tasks.grasp.config.kuka_allegro import GUIDED_VARIANTS

        return GUIDED_VARIANTS[self.task] if self.guide else self.task


def train(s: TrainSettings) -> int:
    """Check, then train; returns the exit code."""
    from dexgrasp.topologies import TOPOLOGIES, RunSpec
    from dexgrasp.topologies.torchrun import in_torchrun, relaunch

    topology = TOPOLOGIES[s.topology]
    if s.resume:
        from dexgrasp.envs.overrides import checkpoint_overrides

        meta = check_checkpoint(s.resume, s.task, s.rl_library)
        try:  # the run goes on as it was configured; what the command line sets wins
            s.overrides = checkpoint_overrides(s.scene_task, s.rl_library, meta, s.overrides, resume=True)
        except ValueError as exc:
            raise SettingsError(str(exc).splitlines()[0]) from exc
    if topology.torchrun and not in_torchrun():
        _load_cfgs(s, "cpu")  # fail fast, before torchrun starts a process per device
        argv = s.argv if s.log_dir is not None else [*s.argv, "--log_dir", default_log_dir("rsl_rl", "dexgrasp")]
        return relaunch("dexgrasp.cli.train", argv, len(s.devices))
    if s.init_actor:
        student = check_checkpoint(s.init_actor, s.task, "rsl_rl_distill").get("student_model", {})
    env_cfg, agent_cfg = _load_cfgs(s, s.device)
    if s.init_actor:
        actor = agent_cfg.actor.to_dict()
        differ = [key for key in ARCHITECTURE_KEYS if student.get(key) != actor.get(key)]
        if differ:
            raise SettingsError(
                f"student {s.init_actor} and the actor differ in {', '.join(differ)}: "
                + ", ".join(f"{k} {student.get(k)} vs agent.actor.{k}={actor.get(k)}" for k in differ)
                + " (the state student matches presets=mlp)"
            )
    if s.topology == "disaggregated" and s.rl_library == "rsl_rl" and not in_torchrun():
        check_learners_fit(s)
    start = time.time()
    log_dir = _log_dir(s, agent_cfg)
    spec = RunSpec(
        task=s.scene_task,
        env_cfg=env_cfg,
        overrides=s.overrides,
        device=s.device,
        layout=s.layout,
        devices=s.devices,
        seed=env_cfg.seed,
        viewer=s.viewer,
        title=f"task {s.task}",
        log_dir=log_dir,
        worker_timeout=s.worker_timeout,
        synchronous=s.synchronous,
    )
    learner, kwargs = _learner(s, topology, spec, agent_cfg, log_dir)
    from dexgrasp.runner.process import Refused

    try:
        result = topology.start(spec, learner, kwargs, log_dir)
    except Refused as exc:  # the learner ran in this process (single topology)
        raise SettingsError(str(exc)) from exc
    if topology.returns_exit_code:
        _say_checkpoint(log_dir)
        return result
    if not topology.shares_curriculum:  # the whole run was this process
        print(f"training finished in {time.time() - start:.1f} s")
    _say_checkpoint(log_dir)
    return 0


def check_learners_fit(s: TrainSettings) -> None:
    """Before any simulation process starts: refuse in one line a disaggregated run whose CUDA learner cannot fit
    its PPO update at any mini-batch count.

    The learner checks this again once the simulation processes have told it their observations
    (:func:`~dexgrasp.learners.learner_memory.fit_learner_memory`), but by then they have built their scenes, which
    takes minutes on GPUs. Here a two-environment scene on the CPU gives the observation shapes, and a learner of the
    run's size is built on each of this node's CUDA learner devices (in a process of its own, on synthetic
    observations) to estimate its update; CPU learners are not checked (host memory). Under torchrun (several
    nodes) every rank would run it at once on shared devices: there the learner's own check is the one."""
    from dexgrasp.metrics.benchmark import run_probe

    layout = s.layout
    learners = [
        (device, sum(layout.env_counts[j] for j in layout.sims_of(i)))
        for i, device in enumerate(layout.learner_devices)
        if device.startswith("cuda") and layout.node_of(layout.rank_of_learner(i)) == layout.node
    ]
    if not learners:
        return
    print("[dexgrasp] checking that the learner's update fits its GPU (observation shapes from a 2-environment CPU"
          " scene)", flush=True)  # fmt: skip
    try:
        spec = run_probe("sim", {"task": s.scene_task, "overrides": s.overrides, "num_envs": 2, "device": "cpu",
                                 "steps": 1})["spec"]  # fmt: skip
        for device, num_envs in learners:
            report = run_probe("learner", {"spec": spec, "num_envs": num_envs, "device": device, "iterations": 0,
                                           "fit_memory": True})  # fmt: skip
            if "refused" in report:
                raise SettingsError(report["refused"])
    except RuntimeError as exc:
        raise SettingsError(f"the learner memory check failed: {str(exc).splitlines()[0]}") from exc


def _say_checkpoint(log_dir: str) -> None:
    """The run's last checkpoint, in the line every topology ends with (play and resume take it)."""
    if os.environ.get("RANK", "0") == "0":
        print(f"[dexgrasp] last checkpoint: {latest_checkpoint(log_dir) or 'none written'}", flush=True)


def _load_cfgs(s: TrainSettings, device: str):
    from dexgrasp.envs.factory import load_cfgs

    try:
        return load_cfgs(s.scene_task, s.rl_library, s.overrides, s.num_envs, device, s.seed)
    except ValueError as exc:
        raise SettingsError(str(exc).splitlines()[0]) from exc


def _experiment(s: TrainSettings, agent_cfg) -> str:
    return agent_cfg.experiment_name if s.rl_library == "rsl_rl" else agent_cfg["agent"]["experiment"]["directory"]


def _log_dir(s: TrainSettings, agent_cfg) -> str:
    log_dir = s.log_dir or default_log_dir(s.rl_library, _experiment(s, agent_cfg))
    os.makedirs(log_dir, exist_ok=True)
    return log_dir


def _learner(s: TrainSettings, topology, spec, agent_cfg, log_dir: str):
    """The learner function for ``topology`` and its arguments; sets how ``spec`` hands it the environment."""
    from isaaclab.utils.io import dump_yaml

    from dexgrasp.envs.vec_env import GraspVecEnv
    from dexgrasp.learners.rsl_rl_ppo import learn_rsl_rl
    from dexgrasp.learners.skrl_ppo import learn_skrl, learn_skrl_isaaclab

    agent_yaml = os.path.join(log_dir, "params", "agent.yaml")
    if not topology.shares_curriculum:  # one process: the task decides the curriculum in its environment
        if s.rl_library == "skrl":
            if s.max_iterations is not None:
                agent_cfg["trainer"]["timesteps"] = s.max_iterations * agent_cfg["agent"]["rollouts"]
            return learn_skrl_isaaclab, {
                "task": s.task,
                "agent_cfg": agent_cfg,
                "log_dir": log_dir,
                "resume": s.resume,
                "overrides": s.overrides,
            }
        if s.max_iterations is not None:
            agent_cfg.max_iterations = s.max_iterations
        spec.wrap = functools.partial(GraspVecEnv, clip_actions=agent_cfg.clip_actions)

        def learn(vec_env, **kwargs):
            # the configurations as the built environment completed them
            dump_yaml(os.path.join(log_dir, "params", "env.yaml"), spec.env_cfg)
            dump_yaml(agent_yaml, agent_cfg)
            return learn_rsl_rl(vec_env, **kwargs)

        return learn, _rsl_rl_kwargs(s, agent_cfg.to_dict(), log_dir, adr=None)
    # several processes: the learner decides the curriculum over all of them
    adr = dict(spec.env_cfg.curriculum.adr.params)
    if s.rl_library == "skrl":
        agent = dict(agent_cfg)
        iterations = s.max_iterations or max(1, agent["trainer"]["timesteps"] // agent["agent"]["rollouts"])
        spec.clip_actions = None  # skrl clips in its models, as in a single process
        kwargs = {"task": s.task, "agent_cfg": agent, "log_dir": log_dir, "resume": s.resume, "overrides": s.overrides}
        learner, kwargs = learn_skrl, {**kwargs, "max_iterations": iterations, "adr": adr}
    else:
        agent = agent_cfg.to_dict()
        spec.clip_actions = agent["clip_actions"]  # RSL-RL clips in the environment wrapper
        learner, kwargs = learn_rsl_rl, _rsl_rl_kwargs(s, agent, log_dir, adr)
    writes = True
    if topology.torchrun:  # each process holds its share of the environments; the first one writes the files
        from dexgrasp.runner.layout import split_evenly

        writes = int(os.environ["RANK"]) == 0
        fewest = min(split_evenly(spec.env_cfg.scene.num_envs, int(os.environ["WORLD_SIZE"])))
        if agent["algorithm"]["num_mini_batches"] > fewest:  # recurrent mini-batches split each process's envs
            agent["algorithm"]["num_mini_batches"] = fewest
            if writes:
                print(f"[dexgrasp] a process has {fewest} environments: using that many mini-batches", flush=True)
    if writes:  # the environment as configured (the simulation processes complete their own copies)
        dump_yaml(os.path.join(log_dir, "params", "env.yaml"), spec.env_cfg)
        dump_yaml(agent_yaml, agent)
    return learner, kwargs


def _rsl_rl_kwargs(s: TrainSettings, agent: dict, log_dir: str, adr: dict | None) -> dict:
    return {
        "task": s.task,
        "agent_cfg": agent,
        "log_dir": log_dir,
        "resume": s.resume,
        "max_iterations": s.max_iterations or agent["max_iterations"],
        "adr": adr,
        "init_actor": s.init_actor,
        "critic_warmup": s.critic_warmup,
        "overrides": s.overrides,
    }
