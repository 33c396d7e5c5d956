"""The grasp environment's curriculum: the one level every scheduled term reads, and who decides it.

Automatic domain randomisation (ADR): the level in [0, 1] drives object spawn width and rotation, robot start
noise, physics randomisation, object pushes, observation noise and bias, camera pose and depth artefacts, reward
sharpness and weights. Level 0 is an easy start with no randomisation at all. The environment owns one
:class:`GraspCurriculum` (``env.curriculum``); the task's curriculum term
(:class:`dexgrasp.tasks.grasp.mdp.GraspADR`) reports the episodes that end to it, and it applies
:class:`dexgrasp.curriculum_rule.CurriculumRule` to them. A learner that drives several simulation processes reads
their outcomes (:meth:`GraspCurriculum.drain_outcomes`) and makes each process :meth:`~GraspCurriculum.follow`
the step it decides over all of them, so they stay in lockstep.
"""

from __future__ import annotations

from collections.abc import Callable

from dexgrasp.curriculum_rule import CurriculumRule


class GraspCurriculum(CurriculumRule):
    """The environment's curriculum level, the rule that advances it, and the outcomes counted for a learner.

    ``on_level`` is called with the new level whenever the step is set (the environment passes it on to the
    terms that keep the level themselves, such as the scheduled observation noise).
    """

    _on_level: Callable[[float], None] | None = None

    def __init__(
        self, num_steps: int, threshold: float, min_episodes: int, on_level: Callable[[float], None]
    ) -> None:
        super().__init__(num_steps, threshold, min_episodes)
        self._on_level = on_level
        self.following = False
        """True once the step is decided outside this environment (:meth:`follow`); it then only measures."""
        self._outcomes = [0, 0]

    def record(self, successes: int, episodes: int) -> None:
        """Count finished episodes (the curriculum term calls this at each reset) and apply the rule."""
        self._outcomes[0] += successes
        self._outcomes[1] += episodes
        self.add(successes, episodes, advance=not self.following)

    def drain_outcomes(self) -> tuple[int, int]:
        """(successes, episodes) finished since the last call, for a learner's decision over several processes."""
        outcomes, self._outcomes = tuple(self._outcomes), [0, 0]
        return outcomes

    def set_step(self, step: int) -> None:
        """Move to ``step`` (clamped to ``[0, num_steps]``) and pass the level on."""
        super().set_step(step)
        if self._on_level is not None:
            self._on_level(self.level)

    def follow(self, step: int) -> None:
        """Take ``step`` as decided outside this environment, from now on (the rule here no longer advances)."""
        self.following = True
        self.set_step(step)
