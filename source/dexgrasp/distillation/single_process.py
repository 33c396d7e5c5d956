"""Distillation in one process (``--topology single``): offline from datasets, then online DAgger.

:func:`plan` checks everything that can be checked without a simulator (teacher, datasets, settings) so a
bad input costs seconds; :func:`run` then learns, handing each phase's ``VecEnv`` to
:func:`~dexgrasp.distillation.learner.learn`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from dexgrasp.datasets import DatasetError, open_datasets, schema
from dexgrasp.tasks.grasp.distill_tasks import DistillVariant, variant_for
from dexgrasp.training.checkpoint import check_checkpoint, read_metadata
from dexgrasp.viewer import viewer_from_args

from .config import LIBRARY, load_variant_cfgs, offline_train_cfg, online_train_cfg
from .learner import LearnResult, learn
from .offline import dataset_variant, iterations_for, open_replay, required_keys
from .teacher import PolicySpec, check_teacher_fits, read_teacher


@dataclass
class Plan:
    task: str
    variant: DistillVariant
    teacher: PolicySpec | None
    env_cfg: object
    agent_cfg: object
    log_dir: str
    device: str
    online_iterations: int
    datasets: list[str] = field(default_factory=list)
    offline_epochs: float = 1.0
    lanes: int | None = None
    resume: str | None = None
    viewer: object = None
    """A :class:`dexgrasp.viewer.Viewer` (``--viz``), else None."""
    overrides: list[str] = field(default_factory=list)
    layout: object = None
    """The disaggregated runner's layout (``--topology disaggregated``), else None."""
    devices: list[str] | None = None
    """One device per data-parallel process (``--topology data_parallel``, under torchrun), else None."""
    worker_timeout: float = 60.0


def plan(args, overrides: list[str]) -> Plan:
    """The run ``args`` ask for, checked; raises one-line errors (usage, checkpoint, dataset, variant)."""
    teacher = read_teacher(args.teacher) if args.teacher else None
    variant = variant_for(args.task, teacher.task) if teacher else None
    for path in args.dataset:
        recorded = dataset_variant(path, args.task)
        if variant is None:
            variant = recorded
        elif recorded != variant:
            raise DatasetError(
                f"{path} was labelled by a teacher of '{recorded.teacher_task}', this run's teacher is of"
                f" '{variant.teacher_task}'"
            )
    env_cfg, agent_cfg = load_variant_cfgs(variant, overrides, args.num_envs, args.device, args.seed)
    if teacher is not None:
        check_teacher_fits(teacher, env_cfg)
    if args.max_iterations is not None:
        online = args.max_iterations
    else:
        online = 0 if args.dataset else agent_cfg.max_iterations
    if args.dataset:
        files = open_datasets(args.dataset, args.task, required_keys(variant, agent_cfg.algorithm.aux_obs_group))
        shapes = {key: files[0].keys[key][0] for key in files[0].keys}
        for opened in files:
            opened.close()
        if online:
            _check_recorded_images(shapes, variant, env_cfg)
    if args.resume:
        check_checkpoint(args.resume, args.task, LIBRARY)
    log_dir = os.path.abspath(args.log_dir or _default_log_dir(agent_cfg.experiment_name))
    return Plan(
        task=args.task,
        variant=variant,
        teacher=teacher,
        env_cfg=env_cfg,
        agent_cfg=agent_cfg,
        log_dir=log_dir,
        device=args.device,
        online_iterations=online,
        datasets=list(args.dataset),
        offline_epochs=args.offline_epochs,
        lanes=args.num_envs,
        resume=args.resume,
        viewer=viewer_from_args(args),
        overrides=list(overrides),
        layout=getattr(args, "layout", None),
        devices=getattr(args, "device_list", None),
        worker_timeout=getattr(args, "worker_timeout", 60.0),
    )


def run(p: Plan) -> str | None:
    """Learn as planned; returns the last student checkpoint."""
    from isaaclab.utils.io import dump_yaml

    os.makedirs(p.log_dir, exist_ok=True)
    dump_yaml(os.path.join(p.log_dir, "params", "env.yaml"), p.env_cfg)
    student = p.resume
    if p.datasets:
        result = _offline(p, student)
        student = result.checkpoint
    if p.online_iterations:
        student = _online(p, student).checkpoint
    return student


def _metadata(p: Plan, train_cfg: dict) -> dict:
    return {
        "task": p.task,
        "env_id": p.variant.env_id,
        "obs_groups": dict(train_cfg["obs_groups"]),
        "student_model": train_cfg["student"],
        "aux_obs_group": train_cfg["algorithm"].get("aux_obs_group"),
        "teacher": {"task": p.teacher.task, "checkpoint": p.teacher.checkpoint} if p.teacher else None,
        "datasets": [os.path.abspath(d) for d in p.datasets],
    }


def _offline(p: Plan, student: str | None) -> LearnResult:
    import torch
    from isaaclab.utils.io import dump_yaml

    cfg = offline_train_cfg(p.agent_cfg, p.variant)
    seed = cfg.get("seed", 0)
    torch.manual_seed(seed)  # no simulator seeds this phase
    env, files = open_replay(p.datasets, p.variant, cfg["algorithm"].get("aux_obs_group"), p.lanes, p.device, seed)
    try:
        dump_yaml(os.path.join(p.log_dir, "params", "agent_offline.yaml"), cfg)
        iterations = iterations_for(p.offline_epochs, env, cfg["num_steps_per_env"])
        episodes = sum(len(f.episodes) for f in files)
        print(
            f"[dexgrasp] offline: {episodes} episodes in {len(files)} file(s), {env.num_envs} lanes, {iterations} iterations"
        )
        result = learn(
            env,
            train_cfg=cfg,
            metadata=_metadata(p, cfg),
            iterations=iterations,
            log_dir=p.log_dir,
            device=p.device,
            student_checkpoint=student,
        )
    finally:
        for opened in files:
            opened.close()
    first, last = result.losses[0]["total"], result.losses[-1]["total"]
    print(f"offline: {iterations} iterations, {env.passes:.2f} passes, loss {first:.5f} -> {last:.5f}")
    return result


def _online(p: Plan, student: str | None) -> LearnResult:
    from isaaclab.utils.io import dump_yaml
    from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper

    from dexgrasp.tasks.grasp.mdp import set_curriculum_state
    from dexgrasp.training.env_factory import make_env, simulation

    cfg = online_train_cfg(p.agent_cfg, p.variant, p.teacher)
    dump_yaml(os.path.join(p.log_dir, "params", "agent.yaml"), cfg)
    if p.layout is not None:
        return _online_disaggregated(p, cfg, student)
    if p.devices is not None:
        return _online_data_parallel(p, cfg, student)
    num_envs = p.env_cfg.scene.num_envs
    print(f"[dexgrasp] DAgger on {p.variant.env_id}, {num_envs} envs on {p.device}, logging to {p.log_dir}")
    with simulation(p.env_cfg, p.device, viewer=p.viewer):
        env = make_env(p.variant.env_id, p.env_cfg)
        try:
            if p.resume and not p.datasets:
                set_curriculum_state(env.unwrapped, read_metadata(p.resume).get("curriculum", {}))
            wrapped = RslRlVecEnvWrapper(env, clip_actions=cfg.get("clip_actions"))
            result = learn(
                wrapped,
                train_cfg=cfg,
                metadata=_metadata(p, cfg),
                iterations=p.online_iterations,
                log_dir=p.log_dir,
                device=p.device,
                teacher_checkpoint=p.teacher.checkpoint,
                student_checkpoint=student,
                init_at_random_ep_len=bool(cfg.get("init_at_random_ep_len", False)),
            )
        finally:
            env.close()
    first, last = result.losses[0]["total"], result.losses[-1]["total"]
    print(f"online: {p.online_iterations} iterations, loss {first:.5f} -> {last:.5f}")
    return result


def _online_disaggregated(p: Plan, cfg: dict, student: str | None) -> LearnResult:
    """DAgger with the simulation in separate processes; the student learns in the learner process."""
    import glob

    from dexgrasp.runner.launcher import run_disaggregated
    from dexgrasp.training.sim_env import make_sim_vec_env

    from .learner import learn_disaggregated

    print(f"[dexgrasp] DAgger on {p.variant.env_id}, disaggregated: {p.layout.describe()}; logging to {p.log_dir}")
    code = run_disaggregated(
        p.layout,
        make_sim_vec_env,
        {"task": p.variant.env_id, "overrides": p.overrides, "clip_actions": cfg.get("clip_actions")},
        learn_disaggregated,
        {
            "adr": dict(p.env_cfg.curriculum.adr.params),
            "train_cfg": cfg,
            "metadata": _metadata(p, cfg),
            "iterations": p.online_iterations,
            "log_dir": p.log_dir,
            "teacher_checkpoint": p.teacher.checkpoint,
            "student_checkpoint": student,
            "init_at_random_ep_len": bool(cfg.get("init_at_random_ep_len", False)),
        },
        worker_timeout=p.worker_timeout,
        seed=cfg.get("seed", 0),
    )
    if code != 0:
        raise SystemExit(code)
    checkpoints = sorted(glob.glob(os.path.join(p.log_dir, "model_*.pt")), key=os.path.getmtime)
    print(f"online: {p.online_iterations} iterations (disaggregated)")
    return LearnResult(checkpoints[-1] if checkpoints else None, p.online_iterations)


def _online_data_parallel(p: Plan, cfg: dict, student: str | None) -> LearnResult:
    """One process of data-parallel DAgger (under torchrun): its share of the scenes, gradients averaged."""
    import torch.distributed as dist

    from dexgrasp.runner.curriculum import LockstepCurriculum
    from dexgrasp.training.data_parallel import LockstepGraspVecEnv, join
    from dexgrasp.training.env_factory import make_env, simulation

    device, rank, world, counts = join(p.devices, p.env_cfg.scene.num_envs)
    p.env_cfg.scene.num_envs = counts[rank]
    p.env_cfg.sim.device = cfg["device"] = device
    cfg["seed"] = cfg.get("seed", 0) + rank
    p.env_cfg.seed = cfg["seed"]
    adr = p.env_cfg.curriculum.adr.params
    curriculum = LockstepCurriculum.from_params(adr)
    if rank == 0:
        print(f"[dexgrasp] DAgger on {p.variant.env_id}, data_parallel over {world} processes: envs {counts}")
    try:
        with simulation(p.env_cfg, device):
            env = make_env(p.variant.env_id, p.env_cfg)
            try:
                result = learn(
                    LockstepGraspVecEnv(env, cfg.get("clip_actions"), curriculum),
                    train_cfg=cfg,
                    metadata=_metadata(p, cfg),
                    iterations=p.online_iterations,
                    log_dir=p.log_dir if rank == 0 else None,
                    device=device,
                    teacher_checkpoint=p.teacher.checkpoint,
                    student_checkpoint=student,
                    init_at_random_ep_len=bool(cfg.get("init_at_random_ep_len", False)),
                    data_parallel=True,
                )
            finally:
                env.close()
    finally:
        dist.destroy_process_group()
    return result


def _check_recorded_images(shapes: dict, variant: DistillVariant, env_cfg) -> None:
    """A student learned offline must see images of the online scene's size."""
    for group in variant.student_groups:
        shape = shapes.get(schema.obs_key(group))
        if shape is not None and len(shape) == 3 and tuple(shape[1:]) != (env_cfg.image.height, env_cfg.image.width):
            raise DatasetError(
                f"recorded {group} images are {shape[2]}x{shape[1]}, this scene renders"
                f" {env_cfg.image.width}x{env_cfg.image.height}"
            )


def _default_log_dir(experiment: str) -> str:
    from dexgrasp.cli.train import default_log_dir

    return default_log_dir(LIBRARY, experiment)
