"""Scoring a submitted policy without trusting it: checked, then played in a sandbox.

A policy is a TorchScript file, and TorchScript is code. The file is first checked as
data (size, a zip archive with TorchScript's `code/` folder, no zip bomb); then a child
process (`policy_play`) loads and plays it inside a bubblewrap sandbox as the `nobody`
user, with no network, only the Python environment and the policy's folder to read,
and kernel limits on memory (cgroup), CPU time, wall time, written bytes, open files and
processes. Whatever the policy does, the parent gets scores or a message saying what went
wrong, and goes on.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from practicum.grading import policy_play
from practicum.sandbox import bwrap, limits

MAX_POLICY_BYTES = 50 * 2**20
MAX_UNPACKED_BYTES = 200 * 2**20
SANDBOX_USER = "nobody"


class PolicyRefused(ValueError):
    """The file is not a policy the service can play; the message is for the student."""


class PolicyFailed(RuntimeError):
    """The policy was played and failed (crashed, hung, ran out of memory...)."""


@dataclass(frozen=True)
class PlayLimits:
    wall_seconds: float = 900.0
    memory_bytes: int = 3 * 2**30
    cpus: float = 1.0
    cpu_seconds: int = 1800
    output_bytes: int = 2**20
    """What the child may write to stdout and stderr (a file-size limit)."""
    processes: int = 64


@dataclass(frozen=True)
class PolicyScores:
    scores: tuple[float, ...]
    frames: tuple[int, ...]
    seconds: float

    @property
    def mean(self) -> float:
        return sum(self.scores) / len(self.scores)


def check_file(
    path: Path, max_bytes: int = MAX_POLICY_BYTES, max_unpacked: int = MAX_UNPACKED_BYTES
) -> None:
    """Refuse what is not a TorchScript archive of a sensible size, reading it only as a zip."""
    size = path.stat().st_size
    if size > max_bytes:
        raise PolicyRefused(
            f"the policy file is {size / 2**20:.1f} MiB; the limit is {max_bytes / 2**20:.0f} MiB"
        )
    if not zipfile.is_zipfile(path):
        raise PolicyRefused(
            "not a TorchScript file: save the policy with "
            "torch.jit.save(torch.jit.script(model), 'policy.pt')"
        )
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
    if sum(entry.file_size for entry in entries) > max_unpacked:
        raise PolicyRefused(f"the archive unpacks to more than {max_unpacked / 2**20:g} MiB")
    if not any("/code/" in entry.filename for entry in entries):
        raise PolicyRefused(
            "this is a torch.save file (weights or a pickled model), not TorchScript: save "
            "the policy with torch.jit.save(torch.jit.script(model), 'policy.pt')"
        )


def sandbox_available() -> bool:
    """Root (to enter the sandbox and set its limits) and bubblewrap installed."""
    if os.geteuid() != 0:
        return False
    try:
        bwrap.find_bwrap()
        bwrap.find_setpriv()
    except bwrap.SandboxError:
        return False
    return True


def play(
    path: Path,
    *,
    episodes: int,
    seed: int,
    play_limits: PlayLimits = PlayLimits(),
    sandboxed: bool = True,
) -> PolicyScores:
    """Check the file, play it in a child process, and return its games' scores.

    `sandboxed=False` is for a learner's own policy on their own machine: the same child
    and limits, without the sandbox.
    """
    check_file(path)
    if sandboxed and not sandbox_available():
        raise bwrap.SandboxError(
            "playing submitted policies needs root and bubblewrap (scripts/setup.sh installs "
            "it): untrusted code is never run outside the sandbox"
        )
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="practicum-policy-") as tmp:
        folder = Path(tmp) / "policy"
        folder.mkdir(mode=0o755)
        os.chmod(tmp, 0o755)
        policy = folder / "policy.pt"
        shutil.copyfile(path, policy)
        policy.chmod(0o644)
        argv = [
            sys.executable,
            "-m",
            "practicum.grading.policy_play",
            str(policy),
            "--episodes",
            str(episodes),
        ]
        if sandboxed:
            user = pwd.getpwnam(SANDBOX_USER)
            box = bwrap.Sandbox(
                uid=user.pw_uid,
                gid=user.pw_gid,
                workdir=folder,
                read_only=(*bwrap.python_paths(), folder),
                network=False,
            )
            argv = bwrap.command(box, argv, bwrap=bwrap.find_bwrap(), setpriv=bwrap.find_setpriv())
        output = Path(tmp) / "output.txt"
        secret = json.dumps({"token": token, "seed": seed}) + "\n"
        returncode = _run(argv, secret, output, play_limits, token[:12])
        text = output.read_bytes()[: play_limits.output_bytes + 1].decode("utf-8", "replace")
    return _parse(text, token, returncode, play_limits)


def _environment() -> dict[str, str]:
    """Only what Python and the BLAS libraries need: none of the service's secrets."""
    keep = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    threads = {k: "1" for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    return keep | threads | {"HOME": "/tmp"}


def _run(argv: list[str], secret: str, output: Path, play_limits: PlayLimits, name: str) -> int:
    """Run the child in its cgroup with its limits, hand it `secret` on stdin, wait."""
    placement = limits.place(
        f"policy-{name}", limits.Limits(play_limits.memory_bytes, play_limits.cpus)
    )

    def enter() -> None:
        placement.join()
        cpu = play_limits.cpu_seconds
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (play_limits.output_bytes,) * 2)
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
        resource.setrlimit(resource.RLIMIT_NPROC, (play_limits.processes,) * 2)

    try:
        with output.open("wb") as sink:
            child = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=_environment(),
                preexec_fn=enter,
                start_new_session=True,
                close_fds=True,
            )
            assert child.stdin is not None
            with contextlib.suppress(BrokenPipeError):  # a child that died at once
                child.stdin.write(secret.encode())
                child.stdin.close()
            try:
                return child.wait(timeout=play_limits.wall_seconds)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
                raise PolicyFailed(
                    f"the policy did not finish its games in {play_limits.wall_seconds:.0f} s "
                    "and was stopped"
                ) from None
    finally:
        _remove(placement)


def _remove(placement: limits.Placement, patience: float = 10.0) -> None:
    """Remove the run's cgroups once the processes killed in them have gone."""
    deadline = time.monotonic() + patience
    for procs in placement.procs_files:
        while procs.exists() and procs.read_text().strip() and time.monotonic() < deadline:
            time.sleep(0.05)
        with contextlib.suppress(OSError):  # already gone, or still busy after `patience`
            procs.parent.rmdir()


def _parse(text: str, token: str, returncode: int, play_limits: PlayLimits) -> PolicyScores:
    marker = f"{policy_play.RESULT} {token} "
    lines = [line for line in text.splitlines() if line.startswith(marker)]
    if returncode != 0 or not lines:
        raise PolicyFailed(_why(returncode, text, play_limits))
    result = json.loads(lines[-1][len(marker) :])
    if "error" in result:
        raise PolicyFailed(f"the policy failed: {result['error']}")
    return PolicyScores(
        tuple(float(s) for s in result["scores"]),
        tuple(int(f) for f in result["frames"]),
        float(result["seconds"]),
    )


def _why(returncode: int, text: str, play_limits: PlayLimits) -> str:
    signals = {
        signal.SIGKILL: f"it was killed, most likely for using more than "
        f"{play_limits.memory_bytes / 2**30:g} GiB of memory",
        signal.SIGXCPU: f"it used more than {play_limits.cpu_seconds} s of CPU time",
        signal.SIGXFSZ: f"it printed more than {play_limits.output_bytes // 1024} KiB",
    }
    # bwrap reports its child's signal as the exit status 128 + n
    number = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else 0
    if number in signals:
        return f"the policy was stopped: {signals[signal.Signals(number)]}"
    tail = text.strip().splitlines()[-3:]
    shown = " / ".join(line[:300] for line in tail) or "no output"
    return f"the policy's process ended with status {returncode} ({shown})"
