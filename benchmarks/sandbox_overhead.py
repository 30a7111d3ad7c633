"""What the sandbox adds to starting a process, as root: a student's first start creates
their system user (useradd), and every start runs the server through bubblewrap + setpriv.

    sudo .venv/bin/python benchmarks/sandbox_overhead.py --runs 15

Times `python -c "import numpy"` (a small Python start, like a server's first seconds)
plainly and inside the same sandbox a notebook server gets (its own user, this Python
environment read-only, a private /tmp and /proc), checks that the sandboxed one really ran
as the student, and prints one Markdown row for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench_machine import cpu_model

from practicum.sandbox import bwrap
from practicum.sandbox.users import ensure_user, give_home, remove_user

PROGRAM = "import numpy, os; print(os.getuid())"


def median_ms(command: list[str], runs: int) -> tuple[float, str]:
    times, out = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, out.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: the sandbox needs it, as `practicum up` does")
    name = f"ptbench{secrets.token_hex(3)}"
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        started = time.perf_counter()
        user = ensure_user(name, home)
        useradd_ms = (time.perf_counter() - started) * 1000
        try:
            give_home(home, user)
            sandbox = bwrap.Sandbox(
                uid=user.uid,
                gid=user.gid,
                workdir=home,
                writable=(home,),
                read_only=bwrap.python_paths(),
            )
            argv = [sys.executable, "-c", PROGRAM]
            boxed = bwrap.command(
                sandbox, argv, bwrap=bwrap.find_bwrap(), setpriv=bwrap.find_setpriv()
            )
            plain_ms, _ = median_ms(argv, args.runs)
            boxed_ms, uid = median_ms(boxed, args.runs)
            assert uid == str(user.uid), f"the sandboxed program ran as uid {uid}"
        finally:
            remove_user(name)
    print(
        f"useradd {useradd_ms:.0f} ms (first start only); python + numpy: plain "
        f"{plain_ms:.0f} ms, sandboxed {boxed_ms:.0f} ms (median of {args.runs})"
    )
    print(
        f"| {date.today()} | {cpu_model()}, 2 cores | {args.runs} runs | {useradd_ms:.0f} ms "
        f"| {plain_ms:.0f} ms | {boxed_ms:.0f} ms |"
    )


if __name__ == "__main__":
    main()
