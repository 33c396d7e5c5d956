"""Which process runs what, on which device, with how many environments.

A run has ``L`` learner processes and ``S`` simulation processes. Global ranks are fixed by the layout: ranks
``0 .. L-1`` are the learners, ranks ``L .. L+S-1`` the simulation processes in the order of ``sim_devices``. The
same mapping is used whether our launcher spawns the processes or ``torchrun`` does.

Every simulation process feeds exactly one learner (``feeds``). With one learner this is the disaggregated
topology of the paper; with several learners, each fed by its own group of simulation processes, it is the hybrid
topology (learners all-reduce gradients among themselves). The layout describes both; the launcher runs both.

A bad layout raises :class:`ValueError` with a one-line message at construction, so a CLI can print it as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch

from .cuda_driver import check_driver

_DEVICE_RE = re.compile(r"^(cpu|cuda:(\d+))$")


def check_device(device: str) -> str:
    """Return ``device`` if it names a device of this machine ("cpu" or "cuda:N"), else raise ValueError."""
    match = _DEVICE_RE.match(device) if isinstance(device, str) else None
    if match is None:
        raise ValueError(f"unknown device {device!r}: use 'cpu' or 'cuda:N'")
    if match.group(2) is not None:
        check_driver()  # an old driver otherwise shows as "no CUDA device"
        count = torch.cuda.device_count()
        if int(match.group(2)) >= count:
            raise ValueError(f"device {device!r} does not exist: this machine has {count} CUDA device(s)")
    return device


def split_evenly(total: int, parts: int) -> list[int]:
    """Split ``total`` into ``parts`` counts that differ by at most one (larger counts first)."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


@dataclass
class Layout:
    """Devices, environment counts and learner assignment of one run.

    Attributes:
        sim_devices: One device per simulation process ("cpu" or "cuda:N", as seen by the launching process).
            Several processes may share "cpu"; a CUDA device may host several simulation processes.
        learner_devices: One device per learner process. A CUDA learner device must not also be a simulation
            device: the learner's GPU is reserved for the policy, the optimizer and the rollout storage.
        num_envs: Total number of environments over all simulation processes.
        env_counts: Environments per simulation process; default: ``num_envs`` split as evenly as possible.
        feeds: Index into ``learner_devices`` of the learner each simulation process feeds; default: all feed 0.
        ranks_per_node: Several nodes (torchrun ``--nnodes``): ranks ``k * ranks_per_node ..`` run on node ``k``, and
            device names are per node (``cuda:0`` on two nodes are two GPUs). Default: one node.
        node: The node this process runs on. Only its devices are checked to exist (another node's GPUs cannot be
            seen from here).
    """

    sim_devices: list[str]
    learner_devices: list[str]
    num_envs: int
    env_counts: list[int] | None = None
    feeds: list[int] | None = None
    ranks_per_node: int | None = None
    node: int = 0

    def __post_init__(self) -> None:
        self.sim_devices = list(self.sim_devices)
        self.learner_devices = list(self.learner_devices)
        if not self.sim_devices:
            raise ValueError("no simulation device given")
        if not self.learner_devices:
            raise ValueError("no learner device given")
        if self.ranks_per_node is not None and self.ranks_per_node < 1:
            raise ValueError(f"ranks_per_node must be positive, got {self.ranks_per_node}")
        learners = [(self.node_of(r), d) for r, d in enumerate(self.learner_devices)]
        sims = [(self.node_of(len(learners) + i), d) for i, d in enumerate(self.sim_devices)]
        for node, device in (*sims, *learners):
            if node == self.node or not _DEVICE_RE.match(device):  # another node's device: only its name is checked
                check_device(device)
        shared = sorted({(n, d) for n, d in learners if d != "cpu" and (n, d) in sims})
        if shared:
            raise ValueError(
                f"learner device {self._where(*shared[0])} is also a simulation device: a GPU either simulates"
                " or learns"
            )
        cuda_learners = [(n, d) for n, d in learners if d != "cpu"]
        if len(set(cuda_learners)) < len(cuda_learners):
            raise ValueError("two learners on the same CUDA device")
        num_sims = len(self.sim_devices)
        if self.num_envs < num_sims:
            raise ValueError(
                f"{num_sims} simulation processes need at least {num_sims} environments, got {self.num_envs}"
            )
        if self.env_counts is None:
            self.env_counts = split_evenly(self.num_envs, num_sims)
        else:
            self.env_counts = [int(n) for n in self.env_counts]
            if len(self.env_counts) != num_sims:
                raise ValueError(f"env_counts has {len(self.env_counts)} entries for {num_sims} simulation processes")
            if min(self.env_counts) < 1:
                raise ValueError(f"every simulation process needs at least one environment, got {self.env_counts}")
            if sum(self.env_counts) != self.num_envs:
                raise ValueError(f"env_counts {self.env_counts} sum to {sum(self.env_counts)}, not {self.num_envs}")
        if self.feeds is None:
            # consecutive groups of simulation processes, one group per learner, as even as possible
            groups = split_evenly(num_sims, len(self.learner_devices))
            self.feeds = [learner for learner, size in enumerate(groups) for _ in range(size)]
        else:
            self.feeds = [int(i) for i in self.feeds]
            if len(self.feeds) != num_sims:
                raise ValueError(f"feeds has {len(self.feeds)} entries for {num_sims} simulation processes")
            bad = [i for i in self.feeds if not 0 <= i < len(self.learner_devices)]
            if bad:
                raise ValueError(f"feeds names learner {bad[0]}, but there are {len(self.learner_devices)} learners")
        idle = [i for i in range(len(self.learner_devices)) if i not in self.feeds]
        if idle:
            raise ValueError(f"learner {idle[0]} ({self.learner_devices[idle[0]]}) is fed by no simulation process")

    def node_of(self, rank: int) -> int:
        """The node a global rank runs on (0 on a single node)."""
        return 0 if self.ranks_per_node is None else rank // self.ranks_per_node

    def _where(self, node: int, device: str) -> str:
        return f"{device} of node {node}" if self.ranks_per_node is not None else device

    @property
    def num_learners(self) -> int:
        return len(self.learner_devices)

    @property
    def num_sims(self) -> int:
        return len(self.sim_devices)

    @property
    def world_size(self) -> int:
        return self.num_learners + self.num_sims

    @property
    def backend(self) -> str:
        """ "nccl" when every process runs on a CUDA device, else "gloo" (tensors then travel through host memory)."""
        devices = (*self.sim_devices, *self.learner_devices)
        return "nccl" if all(d.startswith("cuda") for d in devices) else "gloo"

    @property
    def is_uneven(self) -> bool:
        return len(set(self.env_counts)) > 1

    def role(self, rank: int) -> tuple[str, int]:
        """("learner", i) or ("sim", i) for a global rank."""
        if not 0 <= rank < self.world_size:
            raise ValueError(f"rank {rank} outside a world of {self.world_size} processes")
        if rank < self.num_learners:
            return "learner", rank
        return "sim", rank - self.num_learners

    def rank_of_learner(self, learner_index: int) -> int:
        return learner_index

    def rank_of_sim(self, sim_index: int) -> int:
        return self.num_learners + sim_index

    def device_of(self, rank: int) -> str:
        kind, index = self.role(rank)
        return self.learner_devices[index] if kind == "learner" else self.sim_devices[index]

    def sims_of(self, learner_index: int) -> list[int]:
        """Simulation processes feeding a learner, in rank order (their environments are concatenated so)."""
        return [i for i, feed in enumerate(self.feeds) if feed == learner_index]

    def describe(self) -> str:
        """One line for logs: who simulates how many environments where, who learns where."""
        counts = zip(self.sim_devices, self.env_counts, strict=True)
        sims = ", ".join(f"sim{i}@{d} ({n} env{'s' if n != 1 else ''})" for i, (d, n) in enumerate(counts))
        learners = ", ".join(f"learner{i}@{d}" for i, d in enumerate(self.learner_devices))
        split = f"uneven split of {self.num_envs} envs" if self.is_uneven else f"{self.num_envs} envs"
        return f"{sims} -> {learners} ({split}, backend {self.backend})"
