"""The policy worker beside a standalone `practicum serve`: started as a process of its own
(`practicum homework play-queue`), so no submitted policy is ever played in the web
process, and stopped when the service stops. `practicum up` has the hub run it instead."""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys

from practicum.cli.common import err
from practicum.grading import policy_sandbox

STOP_GRACE_SECONDS = 30.0
PR_SET_PDEATHSIG = 1


def warn_unless_playable() -> bool:
    """Whether submitted policies can be played here; a warning saying why not."""
    if policy_sandbox.sandbox_available():
        return True
    err.print(
        "[yellow]warning:[/yellow] submitted policies are not played here: their sandbox "
        "needs root and bubblewrap (they stay queued)",
        soft_wrap=True,
    )
    return False


def start(stdout: int | None = None) -> subprocess.Popen[bytes] | None:
    """The worker's process (its output: ours, unless `stdout` says), or None and a warning
    where the sandbox cannot be entered."""
    if not warn_unless_playable():
        return None
    command = [sys.executable, "-m", "practicum.cli", "homework", "play-queue"]
    return subprocess.Popen(command, stdout=stdout, preexec_fn=_stop_with_parent)


def _stop_with_parent() -> None:
    """Between fork and exec: SIGTERM the worker if the service dies without stopping it."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def stop(worker: subprocess.Popen[bytes] | None, grace: float = STOP_GRACE_SECONDS) -> None:
    """Ask the worker to stop (it lets its games finish), then make sure it has."""
    if worker is None or worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
