"""The device options of every topology, read and checked once; a bad one raises ValueError with one line."""

from __future__ import annotations

import os

from dexgrasp.runner.layout import Layout, check_device


def resolve_device(device: str | None) -> str:
    """A torch device string that exists on this machine (``None``: the first GPU, else the CPU)."""
    import torch

    if device is None:
        return "cuda:0" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        return device
    if device == "cuda":
        device = "cuda:0"
    if device.startswith("cuda:") and device[5:].isdigit():
        count = torch.cuda.device_count()
        if int(device[5:]) >= count:
            have = f"{count} CUDA device(s)" if count else "no CUDA device"
            raise ValueError(f"device '{device}' does not exist: this machine has {have}")
        return device
    raise ValueError(f"unknown device '{device}' (use cpu, cuda or cuda:N)")


def device_list(text: str | None) -> list[str]:
    """``cuda:0, cuda:1`` as ``["cuda:0", "cuda:1"]`` (empty entries dropped)."""
    return [d.strip() for d in (text or "").split(",") if d.strip()]


def data_parallel_devices(devices: str | None) -> list[str]:
    """The ``--devices`` list, each checked to exist."""
    names = device_list(devices)
    if not names:
        raise ValueError("--devices is empty: name one device per data-parallel process")
    kinds = {d.split(":")[0] for d in names}
    if len(kinds) > 1:
        raise ValueError("--devices mixes cpu and cuda: data-parallel processes all-reduce on one backend")
    cuda = [d for d in names if d != "cpu"]
    if len(set(cuda)) < len(cuda):
        raise ValueError("--devices names a GPU twice: each data-parallel process needs its own")
    return [check_device(d) for d in names]


def disaggregated_layout(sim_devices: str | None, learner_devices: str | None, num_envs: int | None) -> Layout:
    """The layout of ``--sim_devices`` / ``--learner_device`` / ``--num_envs``.

    Under torchrun on several nodes, device names are per node, and only this node's devices are checked here.
    """
    sims, learners = device_list(sim_devices), device_list(learner_devices)
    if not sims:
        raise ValueError("--sim_devices is empty: name at least one simulation device")
    if not learners:
        raise ValueError("--learner_device is empty: name the learner's device")
    if num_envs is None:
        raise ValueError(
            "--num_envs (the total over all simulation processes) is required with --topology disaggregated"
        )
    nodes = {}
    if "RANK" in os.environ and "LOCAL_WORLD_SIZE" in os.environ and "GROUP_RANK" in os.environ:
        nodes = {"ranks_per_node": int(os.environ["LOCAL_WORLD_SIZE"]), "node": int(os.environ["GROUP_RANK"])}
    return Layout(sim_devices=sims, learner_devices=learners, num_envs=num_envs, **nodes)
