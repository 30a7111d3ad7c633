"""The Lesson 1 homework through the whole course service, at full size, on real Fashion-MNIST.

    python benchmarks/homework_e2e.py

Staff steps and the student's training run as the `practicum` command does them
(`homework publish`, `users add`, `tokens create`, `lesson homework 1`: the full reference,
about 4 minutes on 2 cores), against `practicum serve --standalone` started as a subprocess;
the predictions go in through `practicum.submit`. The scores the service answers are checked
against accuracies computed here from the t10k labels read straight from the system copy.
State lives in a temporary folder; the data cache is the user's. Prints one Markdown row for
BENCHMARKS.md (with its header), naming the machine.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
import numpy as np
from lesson1_homework import machine

import practicum
from practicum import settings
from practicum.course import demo_course_toml, is_open, parse_course
from practicum.data.formats.idx import read_idx
from practicum.service.answers import load_answer
from practicum.settings.service import load_config

HW = "lesson1-fashion-mnist"
STUDENT, STAFF = "ann", "tara"
HEADER = (
    "| date | machine | public score (service) | public part, recomputed | full t10k (service) "
    "| full t10k, recomputed | publish | lesson homework 1 | service start | submit |\n"
    "|---|---|---|---|---|---|---|---|---|---|"
)


def open_course(folder: Path) -> Path | None:
    """The demo course, with the homework's window moved around now if it is not open now
    (so the benchmark runs on any date); None when the demo course is open as it is."""
    text = demo_course_toml()
    course = parse_course(text, source="demo")
    homework, now = course.homework[HW], datetime.now(UTC)
    if is_open(homework, now):
        return None
    local = now.astimezone(course.timezone).replace(tzinfo=None, microsecond=0)
    window = {"opens": local - timedelta(days=1), "deadline": local + timedelta(days=30)}
    section = re.search(rf"^\[homework\.{HW}\]$.*?(?=^\[)", text, re.MULTILINE | re.DOTALL)
    assert section, f"demo course has no [homework.{HW}] table"
    moved = section[0]
    for key, moment in window.items():
        moved = re.sub(rf"^{key} = .*$", f"{key} = {moment.isoformat()}", moved, flags=re.M)
    path = folder / "course.toml"
    path.write_text(text.replace(section[0], moved), encoding="utf-8")
    return path


def cli(*args: str, stdin: str | None = None) -> str:
    """Run `practicum ARGS`, streaming its output; its standard output."""
    command = [str(Path(sys.executable).parent / "practicum"), *args]
    with subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    ) as process:
        assert process.stdin and process.stdout
        process.stdin.write(stdin or "")
        process.stdin.close()
        lines = []
        for line in process.stdout:
            print(line, end="", file=sys.stderr)
            lines.append(line)
    if process.returncode != 0:
        raise SystemExit(f"practicum {' '.join(args)} failed with status {process.returncode}")
    return "".join(lines)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def service(port: int) -> Iterator[str]:
    """`practicum serve --standalone` on a loopback port, until the block ends."""
    url = f"http://127.0.0.1:{port}"
    command = [str(Path(sys.executable).parent / "practicum"), "serve", "--port", str(port)]
    process = subprocess.Popen(command, stdout=sys.stderr, stderr=sys.stderr)
    try:
        give_up = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/login", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > give_up:
                raise SystemExit(f"practicum serve did not answer on {url}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    labels_file = next(
        (d / "fashion-mnist/t10k-labels-idx1-ubyte.gz" for d in settings.system_data_dirs()),
        None,
    )
    if labels_file is None or not labels_file.is_file():
        raise SystemExit("needs the system copy of Fashion-MNIST (Debian: dataset-fashion-mnist)")
    with TemporaryDirectory(prefix="practicum-e2e-") as tmp:
        folder = Path(tmp)
        for name in ("PRACTICUM_DATABASE_URL", "PRACTICUM_SHARED_DIR", "PRACTICUM_PRIVATE_DIR"):
            os.environ.pop(name, None)
        os.environ.pop("PRACTICUM_SMOKE", None)
        os.environ["PRACTICUM_STATE"] = str(folder / "state")
        course = open_course(folder)
        if course:
            os.environ["PRACTICUM_COURSE"] = str(course)
        else:
            os.environ.pop("PRACTICUM_COURSE", None)
        os.chdir(folder)

        seconds: dict[str, float] = {}
        start = time.perf_counter()
        cli("homework", "publish", HW)
        seconds["publish"] = time.perf_counter() - start
        tokens = {}
        for name, role in ((STUDENT, "student"), (STAFF, "staff")):
            cli("users", "add", name, "--role", role, "--no-password")
            tokens[name] = cli("tokens", "create", name).split()[-1]

        start = time.perf_counter()
        cli("lesson", "homework", "1", "--out", "submission.csv")
        seconds["training"] = time.perf_counter() - start
        predictions = np.loadtxt("submission.csv", delimiter=",", skiprows=1, dtype=np.int64)[:, 1]

        start = time.perf_counter()
        with service(free_port()) as url:
            seconds["start"] = time.perf_counter() - start
            start = time.perf_counter()
            result = practicum.submit(HW, predictions, url=url, token=tokens[STUDENT])
            seconds["submit"] = time.perf_counter() - start
            staff_view = httpx.get(
                f"{url}/api/staff/submissions",
                headers={"Authorization": f"Bearer {tokens[STAFF]}"},
            ).json()
        full = float(staff_view[0]["full_score"])

        y_test = read_idx(labels_file).astype(np.int64)
        public = load_answer(load_config(), HW).public_mask
        public_again = float(np.mean(predictions[public] == y_test[public]))
        full_again = float(np.mean(predictions == y_test))
    assert result.public_score is not None
    if abs(result.public_score - public_again) > 1e-9 or abs(full - full_again) > 1e-9:
        raise SystemExit(
            f"scores disagree: service {result.public_score}/{full}, "
            f"recomputed {public_again}/{full_again}"
        )
    print(HEADER)
    print(
        f"| {time.strftime('%Y-%m-%d')} | {machine()} | {result.public_score:.4f} | "
        f"{public_again:.4f} ({public.sum():,} items) | {full:.4f} | {full_again:.4f} | "
        f"{seconds['publish']:.1f} s | {seconds['training']:.0f} s | {seconds['start']:.1f} s | "
        f"{seconds['submit']:.2f} s |"
    )


if __name__ == "__main__":
    main()
