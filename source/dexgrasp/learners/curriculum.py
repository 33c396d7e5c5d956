"""The learner's side of the curriculum: one decision over every environment the learner trains on."""

from __future__ import annotations

from dexgrasp.runner.curriculum import LockstepCurriculum


def decide_curriculum(vec_env, adr: dict | None) -> None:
    """Let the learner decide the curriculum for all of ``vec_env``'s environments.

    ``adr``: the task's ADR term parameters. The environment then follows a :class:`LockstepCurriculum` counted over
    every simulation process (and every learner of the process group), so all of them stay at one level. None
    leaves the decision to the task's own ADR term (one process, one environment).
    """
    if adr is not None:
        vec_env.curriculum = LockstepCurriculum.from_params(adr)
