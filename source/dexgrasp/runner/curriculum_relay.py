"""The curriculum over the pipe: how a learner's decision reaches its simulation processes, in one place.

Each simulation process reports, with every step, the episodes that ended and how many of them succeeded
(:func:`episode_outcomes`, read from the environment's ``drain_episode_outcomes()`` when it has one). The learner
counts them over all its processes into its :class:`~dexgrasp.runner.curriculum.LockstepCurriculum` and sends the
step back in the next action header (:class:`CurriculumRelay`); the process applies it with the environment's
``set_curriculum_step(step)`` (:func:`follow`). Without a curriculum set on the learner the header carries
:data:`NO_STEP` and the environments decide alone.

One step late, on purpose: the step a process gets with its actions for step ``t + 1`` is the decision counted
through step ``t - 1``. The pipelined rollout sends a process its next actions before the other processes' results
of step ``t`` are in, so one step of delay is what every rollout (pipelined, synchronous) can apply alike: rollouts
stay identical, and a level change reaches all processes at the same step.
"""

from __future__ import annotations

from .curriculum import LockstepCurriculum

NO_STEP = -1
"""Header value: the learner sets no curriculum step."""

LEVEL_LOG_KEY, RATE_LOG_KEY = "Curriculum/lockstep/level", "Curriculum/lockstep/success_rate"


def follow(env, step: int) -> None:
    """Simulation side: apply the step of an action header."""
    if step != NO_STEP:
        env.set_curriculum_step(step)


def episode_outcomes(env) -> tuple[int, int]:
    """Simulation side: (successes, episodes) ended since the last call; (0, 0) for an environment without them."""
    drain = getattr(env, "drain_episode_outcomes", None)
    return drain() if drain is not None else (0, 0)


class CurriculumRelay:
    """Learner side: the curriculum the learner decides (None: none), the step each header carries, the counting
    of every collected step's outcomes and its log entries."""

    def __init__(self) -> None:
        self.curriculum: LockstepCurriculum | None = None
        self._sent_step: int | None = None
        """The curriculum's step as it stood before the outcomes of the last collected step were counted."""

    def header_step(self, answers_collected_step: bool) -> int:
        """The step to send with a process's next actions. ``answers_collected_step``: those actions answer the last
        collected step (the synchronous order), so they get the decision from before that step was counted."""
        if self.curriculum is None:
            return NO_STEP
        if answers_collected_step and self._sent_step is not None:
            return self._sent_step
        return self.curriculum.step

    def count(self, successes: float, episodes: float, log: dict, timeout_s: float) -> None:
        """Count one collected step's outcomes over all processes (waiting at most ``timeout_s`` for other learners);
        log the level and the last success rate."""
        if self.curriculum is None:
            return
        self._sent_step = self.curriculum.step
        self.curriculum.add(successes, episodes, timeout_s)
        log[LEVEL_LOG_KEY] = self.curriculum.level
        log[RATE_LOG_KEY] = self.curriculum.last_rate

    def state(self) -> dict:
        return self.curriculum.state() if self.curriculum is not None else {}

    def load(self, state: dict) -> None:
        if self.curriculum is not None:
            self.curriculum.load(state)
