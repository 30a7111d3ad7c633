"""The bubblewrap command line that shows a process only what it may see.

bwrap runs as root (so it can bind folders that only root may enter, such as a home under
the hub's 0700 state folder, and needs no unprivileged user namespaces), builds a fresh
mount namespace from an empty root, and hands over to setpriv, which drops to the
student's user with no capabilities and no way to regain any (no_new_privs). With its own
PID namespace the process sees only its own children in /proc.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

SYSTEM_READ_ONLY = (Path("/usr"), Path("/etc"), Path("/sys"))
"""Programs, libraries and configuration (/etc's secrets are root-only by their modes);
/sys for CPU and PCI topology that numerical libraries and CUDA read."""
MERGED_DIRS = (Path("/bin"), Path("/sbin"), Path("/lib"), Path("/lib32"), Path("/lib64"))
"""Links into /usr on a merged-/usr system, real folders on older ones."""
PRIVATE_TMP = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"))


class SandboxError(RuntimeError):
    """The sandbox cannot be built here; the message says what to install or fix."""


@dataclass(frozen=True)
class Sandbox:
    """What one sandboxed process sees, besides the system's programs and libraries."""

    uid: int
    gid: int
    workdir: Path
    writable: tuple[Path, ...] = ()
    read_only: tuple[Path, ...] = ()
    """Bound at their own paths, after `masked`: a folder inside a mask shows through it."""
    masked: tuple[Path, ...] = ()
    """Replaced by an empty folder (e.g. the system data folder, then some files re-bound)."""
    devices: tuple[tuple[Path, Path], ...] = ()
    """(node on the machine, path in the sandbox)."""
    covered: tuple[tuple[Path, Path], ...] = ()
    """(file on the machine, file in the sandbox), bound read-only after everything above:
    a withheld module shown as a stub (`coursework.withheld`)."""
    emptied: tuple[Path, ...] = ()
    """Folders covered by an empty one after everything above (a withheld module's
    bytecode cache); each must exist."""
    hostname: str = "practicum"
    network: bool = True
    """False: a network namespace of its own with only a loopback (no way out)."""


def _program(name: str) -> str | None:
    """On PATH, else where Debian puts it (the hub may run with a bare PATH)."""
    found = shutil.which(name)
    if found is None and Path("/usr/bin", name).is_file():
        found = str(Path("/usr/bin", name))
    return found


def find_bwrap() -> str:
    found = _program("bwrap")
    if found is None:
        raise SandboxError(
            "bubblewrap (bwrap) is not installed: run scripts/setup.sh as root, or "
            "apt-get install bubblewrap"
        )
    return found


def find_setpriv() -> str:
    found = _program("setpriv")
    if found is None:
        raise SandboxError("setpriv (util-linux) is not installed: apt-get install util-linux")
    return found


def python_paths(paths: Iterable[str] | None = None) -> tuple[Path, ...]:
    """The folders this Python needs (prefix, base prefix, sys.path), outside /usr,
    without ones nested in another."""
    candidates = [sys.prefix, sys.base_prefix, *(sys.path if paths is None else paths)]
    found: list[Path] = []
    for entry in candidates:
        if not entry:
            continue
        path = Path(entry).resolve()
        if not path.is_dir() or _under(path, (Path("/usr"),)):
            continue
        found.append(path)
    return _outermost(found)


def command(sandbox: Sandbox, argv: Sequence[str], *, bwrap: str, setpriv: str) -> list[str]:
    """bwrap ... -- setpriv ... -- argv."""
    args = [bwrap]
    for path in SYSTEM_READ_ONLY:
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    for path in MERGED_DIRS:
        if path.is_symlink():
            args += ["--symlink", str(path.readlink()), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    args += ["--proc", "/proc", "--dev", "/dev"]
    for path in PRIVATE_TMP:
        args += ["--tmpfs", str(path)]
    made: set[Path] = set()
    for option, paths in (
        ("--tmpfs", sandbox.masked),
        ("--ro-bind", sandbox.read_only),
        ("--bind", sandbox.writable),
    ):
        for path in paths:
            args += _parent_dirs(path, made)
            args += [option, str(path)] if option == "--tmpfs" else [option, str(path), str(path)]
    for host, inside in sandbox.devices:
        args += ["--dev-bind", str(host), str(inside)]
    for host, inside in sandbox.covered:
        args += ["--ro-bind", str(host), str(inside)]
    for path in sandbox.emptied:
        args += ["--tmpfs", str(path)]
    args += ["--chdir", str(sandbox.workdir), "--hostname", sandbox.hostname]
    args += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if not sandbox.network:
        args += ["--unshare-net"]
    args += ["--die-with-parent", "--new-session", "--"]
    args += [setpriv, f"--reuid={sandbox.uid}", f"--regid={sandbox.gid}", "--clear-groups"]
    args += ["--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"]
    return [*args, *argv]


def _parent_dirs(path: Path, made: set[Path]) -> list[str]:
    """--dir for each missing parent: bwrap would make them 0700 root, which the student
    could not pass through."""
    args = []
    for parent in reversed(path.parents[:-1]):  # outermost first, without "/"
        if parent not in made and not _under(parent, SYSTEM_READ_ONLY):
            made.add(parent)
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def _under(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def _outermost(paths: list[Path]) -> tuple[Path, ...]:
    kept: list[Path] = []
    for path in sorted(set(paths), key=lambda p: len(p.parts)):
        if not _under(path, kept):
            kept.append(path)
    return tuple(kept)
