"""RSL-RL's DistillationRunner with this package's atomic, task-tagged checkpoints, in every topology."""

from __future__ import annotations

import torch
from rsl_rl.runners import DistillationRunner

from dexgrasp.runs import CheckpointError

from ..rsl_rl_runners import CheckpointMixin, ProcessGroupMultiGpuMixin
from .policy import load_state


class GraspDistillationRunner(ProcessGroupMultiGpuMixin, CheckpointMixin, DistillationRunner):
    """The distillation loop of RSL-RL; saving atomically with metadata as the training runners do, gradients
    averaged over the default process group when there is one (data-parallel processes)."""

    def load_teacher(self, path: str) -> None:
        """The frozen teacher's weights from its training checkpoint (its actor)."""
        state = torch.load(path, map_location=self.device, weights_only=False)
        load_state(self.alg.teacher, state.get("actor_state_dict"), f"teacher {path}")
        self.alg.teacher_loaded = True

    def load_student(self, path: str) -> None:
        """Student, auxiliary head, optimizer and DAgger schedule from a distillation checkpoint; learning goes
        on at the iteration after the checkpoint's, so its file is not overwritten."""
        state = torch.load(path, map_location=self.device, weights_only=False)
        if "student_state_dict" not in state:
            raise CheckpointError(f"{path} is not a distillation checkpoint (no student weights)")
        try:
            self.alg.load(state, {"student": True, "optimizer": True}, strict=True)
        except (RuntimeError, ValueError) as exc:
            raise CheckpointError(f"student {path} does not fit this run ({str(exc).splitlines()[0]})") from None
        self.current_learning_iteration = int(state.get("iter", 0)) + 1
