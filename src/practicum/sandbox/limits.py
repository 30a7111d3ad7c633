"""Memory and CPU limits of a profile, enforced by the kernel where it allows.

In order of preference: cgroup v2 (memory.max, cpu.max), cgroup v1 (the memory and cpu
controllers' limit files), else rlimits (RLIMIT_AS caps memory; nothing caps CPU). The
hub prepares a cgroup per student before a start; the server's process joins it between
fork and exec, so everything it starts stays inside.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP = "practicum"
CPU_PERIOD_US = 100_000
Mechanism = Literal["cgroup2", "cgroup1", "rlimit", "none"]


@dataclass(frozen=True)
class Limits:
    mem_bytes: int | None = None
    cpus: float | None = None

    @property
    def any(self) -> bool:
        return self.mem_bytes is not None or self.cpus is not None


@dataclass(frozen=True)
class Placement:
    """Where a server's processes go, and how its limits are enforced."""

    mechanism: Mechanism
    procs_files: tuple[Path, ...] = ()
    """cgroup.procs files the process writes its pid into."""
    rlimit_as: int | None = None

    def describe(self, limits: Limits) -> str:
        if not limits.any:
            return "no memory or CPU limit set"
        if self.mechanism == "rlimit":
            cpu = "; CPU not limited (needs cgroups)" if limits.cpus else ""
            return f"memory capped by RLIMIT_AS{cpu}"
        return f"limits enforced by {self.mechanism}"

    def join(self) -> None:
        """In the child, before exec: enter the cgroup, or set the rlimit."""
        for procs in self.procs_files:
            procs.write_text(str(os.getpid()))
        if self.rlimit_as is not None:
            resource.setrlimit(resource.RLIMIT_AS, (self.rlimit_as, self.rlimit_as))


def cpu_max(cpus: float, period_us: int = CPU_PERIOD_US) -> str:
    """cgroup v2's cpu.max for `cpus` CPUs: '<quota> <period>' (1.5 CPUs: 150000 100000)."""
    return f"{max(1000, round(cpus * period_us))} {period_us}"


def detect(root: Path = CGROUP_ROOT) -> Mechanism:
    """The best mechanism this kernel offers to this process."""
    controllers = root / "cgroup.controllers"
    writable = controllers.is_file() and os.access(root, os.W_OK)
    if writable and {"memory", "cpu"} <= set(controllers.read_text().split()):
        return "cgroup2"
    if all(os.access(root / c, os.W_OK) for c in ("memory", "cpu")):
        return "cgroup1"
    return "rlimit"


def place(name: str, limits: Limits, root: Path = CGROUP_ROOT) -> Placement:
    """Create (or update) the cgroup `practicum/<name>` with `limits`."""
    if not limits.any:
        return Placement("none")
    mechanism = detect(root)
    try:
        if mechanism == "cgroup2":
            return _place_v2(root, name, limits)
        if mechanism == "cgroup1":
            return _place_v1(root, name, limits)
    except OSError:  # e.g. a delegated hierarchy that refuses a controller: the fallback
        pass
    return Placement("rlimit", rlimit_as=limits.mem_bytes)


def _place_v2(root: Path, name: str, limits: Limits) -> Placement:
    parent = root / GROUP
    parent.mkdir(exist_ok=True)
    (root / "cgroup.subtree_control").write_text("+memory +cpu")
    (parent / "cgroup.subtree_control").write_text("+memory +cpu")
    group = parent / name
    group.mkdir(exist_ok=True)
    (group / "memory.max").write_text(str(limits.mem_bytes) if limits.mem_bytes else "max")
    (group / "cpu.max").write_text(cpu_max(limits.cpus) if limits.cpus else "max")
    return Placement("cgroup2", (group / "cgroup.procs",))


def _place_v1(root: Path, name: str, limits: Limits) -> Placement:
    memory = root / "memory" / GROUP / name
    cpu = root / "cpu" / GROUP / name
    memory.mkdir(parents=True, exist_ok=True)
    cpu.mkdir(parents=True, exist_ok=True)
    (memory / "memory.limit_in_bytes").write_text(str(limits.mem_bytes or -1))
    (cpu / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
    quota = cpu_max(limits.cpus).split()[0] if limits.cpus else "-1"
    (cpu / "cpu.cfs_quota_us").write_text(quota)
    return Placement("cgroup1", (memory / "cgroup.procs", cpu / "cgroup.procs"))
