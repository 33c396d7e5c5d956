"""Distillation: offline from datasets, then online DAgger on any topology.

:func:`plan` checks everything that can be checked without a simulator (teacher, datasets, settings) so a
bad input costs seconds; :func:`run` then learns, handing each phase's ``VecEnv`` to the distillation learner
(:mod:`dexgrasp.learners.distillation.learner`): recorded episodes in this process, the simulation on the topology
the settings name.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field

from dexgrasp.datasets import DatasetError, open_datasets, schema
from dexgrasp.learners.distillation.config import LIBRARY, load_variant_cfgs, offline_train_cfg, online_train_cfg
from dexgrasp.learners.distillation.learner import LearnResult, learn, learn_dagger
from dexgrasp.learners.distillation.offline import dataset_variant, iterations_for, open_replay, required_keys
from dexgrasp.learners.distillation.teacher import PolicySpec, check_teacher_fits, read_teacher
from dexgrasp.runs import check_checkpoint, default_log_dir, latest_checkpoint, read_metadata
from dexgrasp.tasks.grasp.distill_tasks import DistillVariant, variant_for


@dataclass
class DistillSettings:
    """A distillation run as ``scripts/distill.py`` asks for it."""

    task: str
    device: str
    topology: str = "single"
    teacher: str | None = None
    datasets: list[str] = field(default_factory=list)
    offline_epochs: float = 1.0
    max_iterations: int | None = None
    num_envs: int | None = None
    seed: int | None = None
    log_dir: str | None = None
    resume: str | None = None
    overrides: list[str] = field(default_factory=list)
    viewer: object = None
    """Served in the single topology (the multi-process ones serve none in distillation)."""
    layout: object = None
    """The disaggregated topology's :class:`~dexgrasp.runner.layout.Layout`, else None."""
    devices: list[str] | None = None
    """One device per data-parallel process (``--topology data_parallel``), else None."""
    worker_timeout: float = 60.0


@dataclass
class Plan:
    """The settings with what was read and decided from them before any simulator starts."""

    settings: DistillSettings
    variant: DistillVariant
    teacher: PolicySpec | None
    env_cfg: object
    agent_cfg: object
    log_dir: str
    online_iterations: int


AGGREGATED_NEEDS_FEED_FORWARD = (
    "the aggregated dataset (agent.algorithm.dataset_size > 0) keeps steps without their order and needs a"
    " feed-forward student: add agent.student.rnn_type=null"
)


def plan(s: DistillSettings) -> Plan:
    """The run ``s`` asks for, checked; raises one-line errors (checkpoint, dataset, variant, settings)."""
    teacher = read_teacher(s.teacher) if s.teacher else None
    variant = variant_for(s.task, teacher.task) if teacher else None
    for path in s.datasets:
        recorded = dataset_variant(path, s.task)
        if variant is None:
            variant = recorded
        elif recorded != variant:
            raise DatasetError(
                f"{path} was labelled by a teacher of '{recorded.teacher_task}', this run's teacher is of"
                f" '{variant.teacher_task}': distil from datasets of one teacher task, or record this one again"
                f" with a teacher of '{variant.teacher_task}'"
            )
    if s.resume:  # the run goes on as it was configured; what the command line sets wins
        from dexgrasp.envs.overrides import checkpoint_overrides

        meta = check_checkpoint(s.resume, s.task, LIBRARY)
        s.overrides = checkpoint_overrides(variant.env_id, "rsl_rl", meta, s.overrides, resume=True)
    env_cfg, agent_cfg = load_variant_cfgs(variant, s.overrides, s.num_envs, s.device, s.seed)
    if agent_cfg.algorithm.dataset_size > 0 and getattr(agent_cfg.student, "rnn_type", None) is not None:
        raise ValueError(AGGREGATED_NEEDS_FEED_FORWARD)
    if teacher is not None:
        check_teacher_fits(teacher, env_cfg)
    if s.max_iterations is not None:
        online = s.max_iterations
    else:
        online = 0 if s.datasets else agent_cfg.max_iterations
    if s.datasets:
        files = open_datasets(s.datasets, s.task, required_keys(variant, agent_cfg.algorithm.aux_obs_group))
        shapes = {key: files[0].keys[key][0] for key in files[0].keys}
        for opened in files:
            opened.close()
        if online:
            _check_recorded_images(shapes, variant, env_cfg)
    log_dir = os.path.abspath(s.log_dir or default_log_dir(LIBRARY, agent_cfg.experiment_name))
    return Plan(s, variant, teacher, env_cfg, agent_cfg, log_dir, online)


def run(p: Plan) -> str | None:
    """Learn as planned; returns the last student checkpoint."""
    from isaaclab.utils.io import dump_yaml

    os.makedirs(p.log_dir, exist_ok=True)
    dump_yaml(os.path.join(p.log_dir, "params", "env.yaml"), p.env_cfg)
    student = p.settings.resume
    if p.settings.datasets:
        result = _offline(p, student)
        student = result.checkpoint
    if p.online_iterations:
        student = _online(p, student).checkpoint
    return student


def _metadata(p: Plan, train_cfg: dict) -> dict:
    return {
        "task": p.settings.task,
        "env_id": p.variant.env_id,
        "obs_groups": dict(train_cfg["obs_groups"]),
        "student_model": train_cfg["student"],
        "aux_obs_group": train_cfg["algorithm"].get("aux_obs_group"),
        "aux_input": train_cfg["algorithm"].get("aux_input", "latent"),
        "teacher": {"task": p.teacher.task, "checkpoint": p.teacher.checkpoint} if p.teacher else None,
        "datasets": [os.path.abspath(d) for d in p.settings.datasets],
        "overrides": list(p.settings.overrides),
    }


def _offline(p: Plan, student: str | None) -> LearnResult:
    import torch
    from isaaclab.utils.io import dump_yaml

    cfg = offline_train_cfg(p.agent_cfg, p.variant)
    seed = cfg.get("seed", 0)
    torch.manual_seed(seed)  # no simulator seeds this phase
    env, files = open_replay(
        p.settings.datasets,
        p.variant,
        cfg["algorithm"].get("aux_obs_group"),
        p.settings.num_envs,
        p.settings.device,
        seed,
    )
    try:
        dump_yaml(os.path.join(p.log_dir, "params", "agent_offline.yaml"), cfg)
        iterations = iterations_for(p.settings.offline_epochs, env, cfg["num_steps_per_env"])
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
            device=p.settings.device,
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

    from dexgrasp.envs.vec_env import GraspVecEnv
    from dexgrasp.topologies import TOPOLOGIES, RunSpec

    topology = TOPOLOGIES[p.settings.topology]
    cfg = online_train_cfg(p.agent_cfg, p.variant, p.teacher)
    dump_yaml(os.path.join(p.log_dir, "params", "agent.yaml"), cfg)
    kwargs = {
        "train_cfg": cfg,
        "metadata": _metadata(p, cfg),
        "iterations": p.online_iterations,
        "log_dir": p.log_dir,
        "teacher_checkpoint": p.teacher.checkpoint,
        "student_checkpoint": student,
        "init_at_random_ep_len": bool(cfg.get("init_at_random_ep_len", False)),
    }
    if topology.shares_curriculum:  # the learner decides the curriculum over every process
        learner, kwargs = learn_dagger, {"adr": dict(p.env_cfg.curriculum.adr.params), **kwargs}
    else:  # one process: the task decides it in its environment
        resumed = (
            read_metadata(p.settings.resume).get("curriculum", {})
            if p.settings.resume and not p.settings.datasets
            else None
        )

        def learner(vec_env, **kwargs) -> LearnResult:
            if resumed is not None:
                from dexgrasp.tasks.grasp.mdp import set_curriculum_state

                set_curriculum_state(vec_env.unwrapped, resumed)
            return learn(vec_env, device=p.settings.device, **kwargs)

    spec = RunSpec(
        task=p.variant.env_id,
        env_cfg=p.env_cfg,
        overrides=p.settings.overrides,
        device=p.settings.device,
        layout=p.settings.layout,
        devices=p.settings.devices,
        seed=cfg.get("seed", 0),
        clip_actions=cfg.get("clip_actions"),
        wrap=functools.partial(GraspVecEnv, clip_actions=cfg.get("clip_actions")),
        viewer=None if topology.shares_curriculum else p.settings.viewer,
        title=f"DAgger on {p.variant.env_id}",
        worker_timeout=p.settings.worker_timeout,
    )
    result = topology.start(spec, learner, kwargs, p.log_dir)
    if topology.returns_exit_code:  # the student learned in another process
        if result != 0:
            raise SystemExit(result)
        print(f"online: {p.online_iterations} iterations ({p.settings.topology})")
        return LearnResult(latest_checkpoint(p.log_dir), p.online_iterations)
    if not topology.shares_curriculum:  # the whole run was this process
        first, last = result.losses[0]["total"], result.losses[-1]["total"]
        print(f"online: {p.online_iterations} iterations, loss {first:.5f} -> {last:.5f}")
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
