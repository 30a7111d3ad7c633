"""The GPU device nodes one notebook server may open.

An environment variable (CUDA_VISIBLE_DEVICES) is advice a student's code can change; a
device node that does not exist in the sandbox cannot be opened. A GPU server sees its own
/dev/nvidia<N> plus the control nodes every CUDA process needs; a CPU server sees none.
Inside the sandbox the one GPU is the only one the driver finds, so CUDA numbers it 0.
"""

from __future__ import annotations

import re
from pathlib import Path

CONTROL_NODES = ("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset", "nvidia-caps")
"""Needed by every CUDA process (nvidia-caps: a folder, for MIG); bound when present."""
SANDBOX_DEV = Path("/dev")


class DeviceError(RuntimeError):
    """The assigned GPU has no device node here; the message names what is missing."""


def gpu_node_name(gpu: str) -> str:
    if not re.fullmatch(r"\d+", gpu):
        raise DeviceError(f"GPU {gpu!r} is not a device number (expected 0, 1, ...)")
    return f"nvidia{int(gpu)}"


def gpu_device_binds(device_dir: Path, gpu: str | None) -> list[tuple[Path, Path]]:
    """(node on the machine, where it appears in the sandbox) for the server's GPU; [] for
    none. `device_dir` is /dev on a real machine (stand-in files in tests)."""
    if gpu is None or gpu == "":
        return []
    own = device_dir / gpu_node_name(gpu)
    if not own.exists():
        raise DeviceError(f"GPU {gpu} was assigned but {own} does not exist")
    names = [own.name, *(n for n in CONTROL_NODES if (device_dir / n).exists())]
    return [(device_dir / name, SANDBOX_DEV / name) for name in names]
