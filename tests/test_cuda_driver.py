"""The driver check: an NVIDIA driver too old for torch's CUDA is named in one line before anything starts."""

from __future__ import annotations

import pytest
from dexgrasp.runner.cuda_driver import driver_error, parse_driver_version
from dexgrasp.runner.layout import check_device

PROPRIETARY = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\nGCC version: gcc"
OPEN = "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release Build  (dvs-builder@U16)  Sun Jul"


def test_driver_version_is_read_from_either_kernel_module():
    assert parse_driver_version(PROPRIETARY) == "550.54.15"
    assert parse_driver_version(OPEN) == "580.65.06"
    assert parse_driver_version("no such module") is None


def test_cuda_13_needs_r580():
    error = driver_error("13.0", "550.54.15")
    assert error is not None and "\n" not in error
    assert "built for CUDA 13.0, which needs an NVIDIA driver R580 or newer; this node's driver is 550.54.15" in error
    assert driver_error("13.0", "580.65.06") is None
    assert driver_error("12.8", "550.54.15") is None
    assert driver_error(None, "470.1") is None  # a CPU-only torch
    assert driver_error("13.0", None) is None  # no NVIDIA driver: torch reports no GPU itself


def test_a_cuda_device_is_checked_against_the_driver(monkeypatch):
    monkeypatch.setattr("dexgrasp.runner.cuda_driver.driver_version", lambda: "550.54.15")
    monkeypatch.setattr("torch.version.cuda", "13.0")
    with pytest.raises(ValueError, match="needs an NVIDIA driver R580 or newer"):
        check_device("cuda:0")
    assert check_device("cpu") == "cpu"
