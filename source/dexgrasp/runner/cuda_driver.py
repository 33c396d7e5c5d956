"""Whether this node's NVIDIA driver can run the CUDA that torch was built for, checked before anything starts.

A torch wheel built for CUDA 13 needs an R580 or newer driver (CUDA 12: R525). With an older driver the failure
comes from deep inside the first CUDA call, or torch just sees no GPU, far from its cause; this says it in one
line instead. The driver's version is read from the kernel module, without initialising CUDA (a process that is
still to limit the GPUs it sees must not have).
"""

from __future__ import annotations

import re

import torch

MIN_DRIVER = {11: 450, 12: 525, 13: 580}
"""Oldest driver branch per CUDA major version (NVIDIA's CUDA toolkit release notes, minor version compatibility)."""

VERSION_FILE = "/proc/driver/nvidia/version"


def parse_driver_version(text: str) -> str | None:
    """The driver version in the text of :data:`VERSION_FILE` (proprietary or open kernel module), or None."""
    match = re.search(r"Kernel Module(?: for \S+)?\s+(\d+\.\d+(?:\.\d+)?)", text)
    return match.group(1) if match else None


def driver_version() -> str | None:
    """The loaded NVIDIA kernel driver's version; None when no NVIDIA driver is loaded."""
    try:
        with open(VERSION_FILE) as f:
            return parse_driver_version(f.read())
    except OSError:
        return None


def driver_error(cuda: str | None, driver: str | None) -> str | None:
    """One line when ``driver`` is too old for torch's ``cuda`` (``torch.version.cuda``); None when it will do
    or either is unknown (a CPU-only torch, no NVIDIA driver: torch then reports no GPU itself)."""
    if cuda is None or driver is None:
        return None
    need = MIN_DRIVER.get(int(cuda.split(".")[0]))
    if need is None or int(driver.split(".")[0]) >= need:
        return None
    return (
        f"torch {torch.__version__} is built for CUDA {cuda}, which needs an NVIDIA driver R{need} or newer; this"
        f" node's driver is {driver}: update the driver, or install a torch built for an older CUDA"
    )


def check_driver() -> None:
    """Raise ValueError (one line) when this node's driver cannot run torch's CUDA."""
    error = driver_error(torch.version.cuda, driver_version())
    if error:
        raise ValueError(error)
