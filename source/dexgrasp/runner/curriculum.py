"""A curriculum decided on the learner over every simulation process, so all of them stay at one level.

Each simulation process reports, per step, how many episodes ended and how many of those succeeded. The
learner sums them over all processes and applies the task's curriculum rule (:class:`dexgrasp.curriculum_rule.
CurriculumRule`, the rule every simulation process applies alone) to the union of all environments. The step goes
back to every process in the next action header. With several learners (hybrid topology), or several
data-parallel processes, the counts are also summed over the default process group, so every process takes the
same decision at the same step. That sum is a collective with a deadline: a learner that died or hangs ends the
others' wait with :class:`~dexgrasp.runner.transport.PeerFailure` instead of holding them.
"""

from __future__ import annotations

import torch
import torch.distributed as dist

from dexgrasp.curriculum_rule import CurriculumRule

from .transport import all_reduce_within

COLLECTIVE_TIMEOUT_S = 600.0
"""Default deadline of the sum over processes (NCCL's own default timeout); a disaggregated learner passes its
per-step deadline."""


class LockstepCurriculum(CurriculumRule):
    @classmethod
    def from_params(cls, params: dict) -> LockstepCurriculum:
        """The curriculum of the task's ADR term parameters, starting where the term starts (``init_step``)."""
        return cls(params["num_steps"], params["success_threshold"], params["min_episodes"], params.get("init_step", 0))

    def add(self, successes: float, episodes: float, timeout_s: float = COLLECTIVE_TIMEOUT_S) -> None:
        """Count one step's outcomes (summed over processes, waiting at most ``timeout_s`` for the others); decide
        when the window is full."""
        if dist.is_initialized() and dist.get_world_size() > 1:
            device = "cuda" if dist.get_backend() == "nccl" else "cpu"
            counts = torch.tensor([successes, episodes], dtype=torch.float64, device=device)
            all_reduce_within(counts, timeout_s, "the other processes of the process group")
            successes, episodes = counts.tolist()
        super().add(successes, episodes)
