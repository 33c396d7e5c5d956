"""The rule that advances the grasp task's curriculum, written once for every place that decides it.

One scalar, the curriculum *level* in [0, 1] reached in ``num_steps`` steps, drives every schedule of the task.
The rule counts finished episodes and their successes into a window; once the window holds ``min_episodes``
episodes it compares their success rate with ``threshold``, raises the step by one when the rate passes it (up to
``num_steps``) and opens a new window. A simulation process applies it to its own environments
(:class:`dexgrasp.tasks.grasp.grasp_curriculum.GraspCurriculum`); a learner that drives several processes applies
it to their summed counts (:class:`dexgrasp.runner.curriculum.LockstepCurriculum`). It imports nothing, so both
layers import it without pulling in the other's dependencies.
"""

from __future__ import annotations


class CurriculumRule:
    """A success-rate window deciding a step in ``[0, num_steps]``."""

    def __init__(self, num_steps: int, threshold: float, min_episodes: int, step: int = 0) -> None:
        self.num_steps = int(num_steps)
        self.threshold = float(threshold)
        self.min_episodes = int(min_episodes)
        self.step = 0
        self.set_step(step)
        self.last_rate = 0.0
        """Success rate of the last full window (0 before the first)."""
        self._successes = 0.0
        self._episodes = 0.0

    def add(self, successes: float, episodes: float, advance: bool = True) -> None:
        """Count finished episodes; when the window is full, measure its success rate and, if ``advance``, decide.

        ``advance`` False only measures: a process whose step is decided elsewhere still reports its own rate.
        """
        self._successes += successes
        self._episodes += episodes
        if self._episodes >= self.min_episodes:
            self.last_rate = self._successes / self._episodes
            if advance and self.last_rate > self.threshold:
                self.set_step(self.step + 1)
            self._successes = self._episodes = 0.0

    def set_step(self, step: int) -> None:
        self.step = max(0, min(int(step), self.num_steps))

    @property
    def level(self) -> float:
        """The step as a share of ``num_steps`` (0 for a curriculum without steps)."""
        return self.step / self.num_steps if self.num_steps else 0.0

    def state(self) -> dict:
        """What a checkpoint keeps, and what processes share to stay at one level."""
        return {"step": self.step, "num_steps": self.num_steps}

    def load(self, state: dict) -> None:
        """Restore a :meth:`state` (a state without a step, as from a run without a curriculum, changes nothing)."""
        if "step" in state:
            self.set_step(state["step"])
