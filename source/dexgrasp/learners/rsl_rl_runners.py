"""RSL-RL runners with atomic, task-tagged checkpoints that carry the curriculum state, in every topology.

:class:`CheckpointMixin` gives RSL-RL's runners this package's checkpoints; :class:`ProcessGroupMultiGpuMixin`
averages gradients over whatever ``torch.distributed`` group the topology started (none in one process).
:class:`GraspOnPolicyRunner` is the PPO runner of every topology: the pipelined rollout when its environment is a
disaggregated learner's, RSL-RL's own loop otherwise. The distillation runner builds on the same mixins.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

import torch

import dexgrasp
from dexgrasp.learners.run_logger import CoefficientLogger
from dexgrasp.runner.pipelined_runner import PipelinedOnPolicyRunner
from dexgrasp.runs import METADATA_KEY, CheckpointError, atomic_torch_save

NORMALIZER_UNTIL = "actor_obs_normalizer_until"
"""Checkpoint ``infos`` key: the sample count at which the actor's observation normaliser stopped learning."""


class CheckpointMixin:
    """``save`` is atomic and records the package metadata; ``load`` continues after the saved iteration; the
    log keeps schedule coefficients apart from losses (:class:`~dexgrasp.learners.run_logger.CoefficientLogger`).

    ``metadata`` is a callable so the curriculum state is read at save time: in a disaggregated run it is
    the state agreed by all simulation processes.
    """

    def __init__(self, env, train_cfg: dict, log_dir: str | None, device: str, metadata: Callable[[], dict]):
        super().__init__(env, train_cfg, log_dir=log_dir, device=device)
        self._metadata = metadata
        self.logger = CoefficientLogger(
            log_dir=log_dir,
            cfg=self.cfg,
            env_cfg=self.env.cfg,
            num_envs=self.env.num_envs,
            is_distributed=self.is_distributed,
            gpu_world_size=self.gpu_world_size,
            gpu_global_rank=self.gpu_global_rank,
            device=self.device,
        )
        # RSL-RL records the repository its own package lies in; the run's code is this package's, wherever it is
        # installed from (as Isaac Lab's training scripts add theirs)
        self.add_git_repo_to_log(dexgrasp.__file__)

    def save(self, path: str, infos: dict | None = None) -> None:
        saved = self.alg.save()
        saved["iter"] = self.current_learning_iteration
        saved["infos"] = {**(infos or {}), METADATA_KEY: self._metadata()}
        frozen_at = getattr(self.actor_normalizer(), "until", None)
        if frozen_at is not None:
            saved["infos"][NORMALIZER_UNTIL] = int(frozen_at)
        atomic_torch_save(saved, path)
        self.logger.save_model(path, self.current_learning_iteration)

    def save_before_stopping(self, log_dir: str) -> None:
        """Keep the iteration in progress when a signal or a failed peer stops the run (the environment's
        ``on_failure``); with several learners the first one keeps the checkpoints."""
        from dexgrasp.runner.process import log

        if self.gpu_global_rank != 0:
            return
        path = os.path.join(log_dir, f"model_{self.current_learning_iteration}.pt")
        self.save(path)
        log(f"learner saved {path} before stopping")

    def load(self, path: str, load_cfg: dict | None = None, strict: bool = True, map_location: str | None = None):
        """Load, then continue *after* the checkpoint's iteration (RSL-RL would repeat it); an actor normaliser
        that was frozen (a cloned actor's, see ``load_actor_from_student``) stays frozen."""
        try:
            infos = super().load(path, load_cfg=load_cfg, strict=strict, map_location=map_location)
        except RuntimeError as exc:  # torch lists every mismatched tensor: one line says what to do
            if "size mismatch" not in str(exc):
                raise
            first = next(line.strip() for line in str(exc).splitlines() if "size mismatch" in line)
            raise CheckpointError(
                f"{path} does not fit this model ({first.rstrip('.')}): it was trained with other settings; give the"
                " presets and overrides of its run (its params/agent.yaml and env.yaml) on the command line"
            ) from None
        if load_cfg is None or load_cfg.get("iteration", True):
            self.current_learning_iteration += 1
        normalizer = self.actor_normalizer()
        if normalizer is not None and (infos or {}).get(NORMALIZER_UNTIL) is not None:
            normalizer.until = infos[NORMALIZER_UNTIL]
        return infos

    def actor_normalizer(self):
        """The actor's running observation normaliser (None when it has none: no normalisation, or no actor)."""
        from rsl_rl.modules import EmpiricalNormalization

        actor = getattr(self.alg, "actor", None)
        normalizer = getattr(actor, "obs_normalizer", None)
        return normalizer if isinstance(normalizer, EmpiricalNormalization) else None


def learners_env_counts(num_envs: int) -> list[int]:
    """Environment count of every process in the default ``torch.distributed`` group (the learners), in rank order;
    ``[num_envs]`` without a group."""
    import torch.distributed as dist

    if not dist.is_initialized():
        return [num_envs]
    device = "cuda" if dist.get_backend() == "nccl" else "cpu"
    counts = torch.zeros(dist.get_world_size(), dtype=torch.long, device=device)
    counts[dist.get_rank()] = num_envs
    dist.all_reduce(counts)
    return counts.tolist()


class ProcessGroupMultiGpuMixin:
    """RSL-RL's multi-GPU mode over the default ``torch.distributed`` group, whatever its backend, with gradients
    averaged by sample count.

    RSL-RL starts its own NCCL group from ``WORLD_SIZE`` and insists on ``cuda:<LOCAL_RANK>``. Here the group
    already exists (the data-parallel processes, or the learners of a hybrid run: simulation processes are
    never in it), may be gloo (CPU), and each process keeps the device it was given.

    RSL-RL averages the processes' gradients with equal weights. Processes may hold different numbers of
    environments (a hybrid run with 3 simulation processes on 2 learners, an uneven data-parallel split); each
    gradient is a mean over that process's samples, so each is scaled by ``envs * processes / total envs`` before the
    average, which makes it the gradient of the mean over all samples.
    """

    def __init__(self, env, train_cfg: dict, log_dir: str | None, device: str, metadata: Callable[[], dict]):
        super().__init__(env, train_cfg, log_dir=log_dir, device=device, metadata=metadata)
        if self.is_distributed:
            counts = learners_env_counts(int(env.num_envs))
            weight = env.num_envs * len(counts) / sum(counts)
            if weight != 1.0:
                self.alg.reduce_parameters = functools.partial(
                    _reduce_weighted, self.alg, self.alg.reduce_parameters, weight
                )

    def _configure_multi_gpu(self) -> None:
        import os

        import torch.distributed as dist

        self.gpu_world_size = dist.get_world_size() if dist.is_initialized() else 1
        self.is_distributed = self.gpu_world_size > 1
        self.gpu_global_rank = dist.get_rank() if dist.is_initialized() else 0
        self.gpu_local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.cfg["multi_gpu"] = (
            {"global_rank": self.gpu_global_rank, "local_rank": self.gpu_local_rank, "world_size": self.gpu_world_size}
            if self.is_distributed
            else None
        )


def _reduce_weighted(alg, reduce: Callable[[], None], weight: float) -> None:
    """Scale this process's gradients by its share of the samples, then let RSL-RL average them."""
    modules = [alg.actor, alg.critic] + ([alg.rnd] if alg.rnd else [])
    for module in modules:
        for param in module.parameters():
            if param.grad is not None:
                param.grad.mul_(weight)
    reduce()


class GraspOnPolicyRunner(ProcessGroupMultiGpuMixin, CheckpointMixin, PipelinedOnPolicyRunner):
    """PPO in any topology: alone, data-parallel, or as the learner(s) of a disaggregated run."""
