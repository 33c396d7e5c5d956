"""A curriculum decided on the learner over every simulation process, so all of them stay at one level.

Each simulation process reports, per step, how many episodes ended and how many of those succeeded. The
learner sums them over all processes into one window; when the window holds ``min_episodes`` episodes it
compares the success rate with ``threshold`` and raises the step by one (up to ``num_steps``). The step goes
back to every process in the next action header. This is the rule of the task's single-process curriculum
(:class:`dexgrasp.tasks.grasp.mdp.GraspADR`), applied to the union of all environments. With several learners
(hybrid topology), or several data-parallel processes, the counts are also summed over the default process
group, so every process takes the same decision at the same step.
"""

from __future__ import annotations

import torch
import torch.distributed as dist


class LockstepCurriculum:
    @classmethod
    def from_params(cls, params: dict) -> LockstepCurriculum:
        """The curriculum of the task's ADR term parameters, starting where the term starts (``init_step``)."""
        return cls(params["num_steps"], params["success_threshold"], params["min_episodes"], params.get("init_step", 0))

    def __init__(self, num_steps: int, threshold: float, min_episodes: int, step: int = 0) -> None:
        self.num_steps = int(num_steps)
        self.threshold = float(threshold)
        self.min_episodes = int(min_episodes)
        self.step = int(step)
        self.last_rate = 0.0
        self._successes = 0.0
        self._episodes = 0.0

    def add(self, successes: float, episodes: float) -> None:
        """Count one step's outcomes (summed over processes); decide when the window is full."""
        if dist.is_initialized() and dist.get_world_size() > 1:
            device = "cuda" if dist.get_backend() == "nccl" else "cpu"
            counts = torch.tensor([successes, episodes], dtype=torch.float64, device=device)
            dist.all_reduce(counts)
            successes, episodes = counts.tolist()
        self._successes += successes
        self._episodes += episodes
        if self._episodes >= self.min_episodes:
            self.last_rate = self._successes / self._episodes
            if self.last_rate > self.threshold:
                self.step = min(self.step + 1, self.num_steps)
            self._successes = self._episodes = 0.0

    @property
    def level(self) -> float:
        return self.step / self.num_steps if self.num_steps else 0.0

    def state(self) -> dict:
        return {"step": self.step, "num_steps": self.num_steps}

    def load(self, state: dict) -> None:
        if "step" in state:
            self.step = max(0, min(int(state["step"]), self.num_steps))
