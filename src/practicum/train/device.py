"""Choosing where to train: the best accelerator present, unless the user says otherwise."""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

import torch
from torch import nn

log = logging.getLogger("practicum.train")

ENV_VAR = "PRACTICUM_DEVICE"
_threads_set = False


def choose_device(prefer: str | None = None) -> torch.device:
    """CUDA, then MPS, then CPU.

    ``prefer`` ("cpu", "cuda", "cuda:1", "mps") forces a device; without it $PRACTICUM_DEVICE
    does, so a course can pin notebooks to the CPU without editing them. "auto" means no
    preference. Asking for an accelerator that is absent is an error, not a silent CPU run.
    """
    wanted = prefer or os.environ.get(ENV_VAR) or "auto"
    source = "prefer" if prefer else (ENV_VAR if os.environ.get(ENV_VAR) else "auto")
    device = _auto_device() if wanted.strip().lower() == "auto" else _parse(wanted, source)
    if device.type == "cpu":
        _use_all_allowed_cores()
    log.info("practicum: training on %s (%s)", _describe(device), source)
    return device


def model_device(model: nn.Module) -> torch.device:
    """The device a model's weights live on (CPU for a model without any)."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


def _auto_device() -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _parse(wanted: str, source: str) -> torch.device:
    try:
        device = torch.device(wanted.strip().lower())
    except RuntimeError:
        raise ValueError(
            f"{source}={wanted!r} is not a device; use auto, cpu, cuda, cuda:N or mps"
        ) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{source}={wanted!r} but no CUDA GPU is available to this PyTorch")
    count = torch.cuda.device_count() if device.type == "cuda" else 0
    if device.type == "cuda" and device.index is not None and device.index >= count:
        raise ValueError(f"{source}={wanted!r} but only {count} GPU(s) are visible")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"{source}={wanted!r} but Apple MPS is not available here")
    if device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"{source}={wanted!r}: only cpu, cuda and mps are supported")
    return device


def _use_all_allowed_cores() -> None:
    """Use the cores this process may run on (once, and never against OMP_NUM_THREADS).

    PyTorch counts the machine's cores; in a container, a notebook pod with a CPU limit or
    under taskset it may use only a few, and surplus threads then slow training down.
    """
    global _threads_set
    if _threads_set or os.environ.get("OMP_NUM_THREADS"):
        return
    _threads_set = True
    torch.set_num_threads(allowed_cores())


def allowed_cores() -> int:
    """Cores in this process's affinity mask, capped by a cgroup CPU quota if there is one."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity masks
        cores = os.cpu_count() or 1
    quota = _cgroup_cpu_quota()
    return max(1, min(cores, quota) if quota else cores)


def _cgroup_cpu_quota(root: Path = Path("/sys/fs/cgroup")) -> int | None:
    """Whole CPUs allowed by cgroup v2 ``cpu.max`` or v1 ``cfs_quota_us``; None if unlimited."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        try:
            quota = (root / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (root / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return None
    if quota in ("max", "-1") or not (quota.isdigit() and period.isdigit()) or int(period) == 0:
        return None
    return max(1, math.ceil(int(quota) / int(period)))


def _describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return str(device)
