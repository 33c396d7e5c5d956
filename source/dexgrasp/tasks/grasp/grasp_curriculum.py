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


class GraspCurriculum:
    """The environment's curriculum level, the rule that advances it, and the outcomes counted for a learner.

    ``on_level`` is called with the new level whenever the step changes (the environment passes it on to the
    terms that keep the level themselves, such as the scheduled observation noise).
    """

    def __init__(self, rule: CurriculumRule, on_level: Callable[[float], None]) -> None:
        self._rule = rule
        self._on_level = on_level
        self.following = False
        """True once the step is decided outside this environment (:meth:`follow`); it then only measures."""
        self._outcomes = [0, 0]

    @property
    def step(self) -> int:
        return self._rule.step

    @property
    def num_steps(self) -> int:
        return self._rule.num_steps

    @property
    def level(self) -> float:
        """The level every scheduled term reads, in [0, 1]."""
        return self._rule.level

    @property
    def last_rate(self) -> float:
        """Success rate of this environment's last full window of episodes."""
        return self._rule.last_rate

    def record(self, successes: int, episodes: int) -> None:
        """Count finished episodes (the curriculum term calls this at each reset) and apply the rule."""
        self._outcomes[0] += successes
        self._outcomes[1] += episodes
        step = self._rule.step
        self._rule.add(successes, episodes, advance=not self.following)
        if self._rule.step != step:
            self._on_level(self.level)

    def drain_outcomes(self) -> tuple[int, int]:
        """(successes, episodes) finished since the last call, for a learner's decision over several processes."""
        outcomes, self._outcomes = tuple(self._outcomes), [0, 0]
        return outcomes

    def set_step(self, step: int) -> None:
        """Move to ``step`` (clamped to ``[0, num_steps]``)."""
        self._rule.set_step(step)
        self._on_level(self.level)

    def follow(self, step: int) -> None:
        """Take ``step`` as decided outside this environment, from now on (the rule here no longer advances)."""
        self.following = True
        self.set_step(step)

    def state(self) -> dict:
        """The state to checkpoint or share across simulation processes."""
        return self._rule.state()

    def load(self, state: dict) -> None:
        """Restore a :meth:`state` (resume, lockstep); a state without a step changes nothing."""
        if "step" in state:
            self.set_step(state["step"])
