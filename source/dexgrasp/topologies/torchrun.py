"""torchrun: starting this node's processes of a run, and joining the run from inside one of them."""

from __future__ import annotations

import os
import subprocess
import sys

import torch
import torch.distributed as dist

from dexgrasp.runner.launcher import free_port
from dexgrasp.runner.layout import split_evenly


def in_torchrun() -> bool:
    return "WORLD_SIZE" in os.environ and "LOCAL_RANK" in os.environ


def relaunch(module: str, argv: list[str], num_processes: int) -> int:
    """Run ``python -m <module> <argv>`` under torchrun, one process per device on this node; its exit code.

    The command line tool names itself (``dexgrasp.cli.train``), so this works from any installation, not only
    from a checkout with ``scripts/``.
    """
    cmd = [
        sys.executable, "-m", "torch.distributed.run",
        "--nnodes", "1", "--nproc_per_node", str(num_processes), "--master_port", str(free_port()),
        "-m", module, *argv,
    ]  # fmt: skip
    print(f"[dexgrasp] data_parallel: {num_processes} processes via torchrun", flush=True)
    return subprocess.call(cmd)


def join(devices: list[str], total_envs: int) -> tuple[str, int, int, list[int]]:
    """Join the data-parallel group under torchrun: (this process's device, rank, world size, env counts)."""
    local_rank, rank, world = int(os.environ["LOCAL_RANK"]), int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    if local_rank >= len(devices):
        raise ValueError(f"local rank {local_rank} has no device: --devices lists {len(devices)}")
    device = devices[local_rank]
    if device.startswith("cuda"):
        torch.cuda.set_device(torch.device(device))
    dist.init_process_group("nccl" if device.startswith("cuda") else "gloo", init_method="env://")
    return device, rank, world, split_evenly(total_envs, world)
