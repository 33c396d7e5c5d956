"""The learner side of distillation: a function of an RSL-RL ``VecEnv`` and picklable settings.

The same function learns from a simulation in this process (``--topology single``), from recorded episodes
(:class:`~dexgrasp.envs.replay.ReplayVecEnv`), in each data-parallel process, and in the learner process of a
disaggregated run, whose learner sees its simulation processes as one ``VecEnv`` (:func:`learn_dagger`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from dexgrasp.runs import checkpoint_metadata

from ..curriculum import decide_curriculum
from .config import LIBRARY
from .runner import GraspDistillationRunner


@dataclass
class LearnResult:
    checkpoint: str | None
    iterations: int
    losses: list[dict[str, float]] = field(default_factory=list)
    """The loss terms of every update, in order."""


def curriculum_of(env) -> dict:
    """The ADR state of a simulated environment (agreed by all processes in a disaggregated run); replayed
    episodes have none."""
    if hasattr(env, "curriculum_state"):
        return env.curriculum_state()
    if not hasattr(env, "unwrapped"):
        return {}
    from dexgrasp.tasks.grasp.mdp import get_curriculum_state

    return get_curriculum_state(env.unwrapped)


def learn(
    env,
    *,
    train_cfg: dict,
    metadata: dict,
    iterations: int,
    log_dir: str | None,
    device: str,
    teacher_checkpoint: str | None = None,
    student_checkpoint: str | None = None,
    init_at_random_ep_len: bool = False,
) -> LearnResult:
    """Distil for ``iterations`` updates on ``env``; checkpoints go to ``log_dir`` tagged with ``metadata`` (the
    fields of :func:`~dexgrasp.runs.checkpoint_metadata` but the library and the curriculum).

    ``teacher_checkpoint`` is the teacher's training checkpoint (None when the teacher is recorded labels);
    ``student_checkpoint`` a distillation checkpoint to go on from (resume, or online after offline). Gradients are
    averaged over the default process group when there is one (data-parallel processes).
    """
    runner = GraspDistillationRunner(
        env,
        train_cfg,
        log_dir=log_dir,
        device=device,
        metadata=lambda: checkpoint_metadata(**metadata, library=LIBRARY, curriculum=curriculum_of(env)),
    )
    if teacher_checkpoint is not None:
        runner.load_teacher(teacher_checkpoint)
    if student_checkpoint is not None:
        runner.load_student(student_checkpoint)
    if log_dir is not None and hasattr(env, "on_failure"):  # a stop (SIGTERM, Ctrl-C) keeps the iteration in progress
        env.on_failure(lambda exc: runner.save_before_stopping(log_dir))
    runner.learn(num_learning_iterations=iterations, init_at_random_ep_len=init_at_random_ep_len)
    last = runner.current_learning_iteration
    checkpoint = os.path.join(log_dir, f"model_{last}.pt") if log_dir else None
    return LearnResult(checkpoint, iterations, runner.alg.loss_history)


def learn_dagger(env, *, adr: dict, **kwargs) -> LearnResult:
    """The learner function of the multi-process topologies: :func:`learn` on ``env``'s device, with the curriculum
    decided here over every process."""
    decide_curriculum(env, adr)
    return learn(env, device=env.device, **kwargs)
