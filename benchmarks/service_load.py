"""Load benchmark of the course service: many students submit a 10,000-row CSV at once.

    python benchmarks/service_load.py                       # 300 clients, 1 round, 1 worker,
                                                            # on SQLite and on PostgreSQL
    python benchmarks/service_load.py --database sqlite      # one database only
    python benchmarks/service_load.py --workers 1,2 --rounds 2
    python benchmarks/service_load.py --workers 1,2          # also 2 uvicorn workers
    python benchmarks/service_load.py --breakdown            # stage timings, in process
    python benchmarks/service_load.py --profile /tmp/prof    # the server under py-spy --idle

Each configuration gets a fresh state (tmp folder; a SQLite file there, or a new database on
a throwaway PostgreSQL server started for the run) and its own server process on 127.0.0.1: `practicum serve --standalone` for the shipped app on 1 worker (the default
deployment), uvicorn --workers N over an app factory of `service_load_variants` otherwise.
All clients wait on one event and post together; a round ends when every client has its
answer, or at --timeout. Afterwards the database is compared with what the clients were
told: every 200 has its submission id in the database, for the same student, with the same
public score (which must also equal the score computed here from the hidden labels) and the
same file; no row exists that no client was told about; each student's count matches. Any
mismatch exits with status 1.

Prints one Markdown row per configuration for BENCHMARKS.md, naming the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import numpy as np
from bench_machine import cpu_model
from service_load_profile import breakdown, profile_breakdown, start_profiler
from service_load_state import (
    HOMEWORK,
    LoadState,
    StoredRow,
    Upload,
    make_state,
    make_uploads,
    stored_submissions,
)
from service_load_variants import VARIANTS

from practicum import store
from practicum.store.scratch_postgres import ScratchPostgres

READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0


def machine() -> str:
    return f"{cpu_model()}, {len(os.sched_getaffinity(0))} cores"


def software(postgres: ScratchPostgres | None) -> str:
    found = f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    return f"{found}, {postgres.version()}" if postgres else found


# ---------------------------------------------------------------------------------------------
# The server process


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


DATABASES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Setup:
    variant: str
    """An app factory of `service_load_variants`: `as_is`, or a candidate fix."""
    workers: int
    database: str
    """sqlite or postgresql"""

    @property
    def name(self) -> str:
        return f"{self.variant}-workers-{self.workers}-{self.database}"

    def describe(self) -> str:
        plural = "s" if self.workers > 1 else ""
        how = "`practicum serve`" if self.plain else f"uvicorn {self.variant}"
        return f"{self.workers} worker{plural}, {how}"

    @property
    def plain(self) -> bool:
        """The default deployment, started the way staff start it."""
        return self.variant == "as_is" and self.workers == 1


def server_command(port: int, setup: Setup) -> list[str]:
    if setup.plain:
        return [sys.executable, "-m", "practicum.cli", "serve", "--standalone", "--port", str(port)]
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        f"service_load_variants:{setup.variant}",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(setup.workers),
    ]


def _pythonpath() -> str:
    """benchmarks/ first, so that uvicorn finds `service_load_variants`."""
    return os.pathsep.join(filter(None, [str(Path(__file__).parent), os.environ.get("PYTHONPATH")]))


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"server exited with {process.returncode}; its log:\n{log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    sys.exit(f"server not ready after {READY_TIMEOUT_S:.0f} s; its log: {log}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT (a graceful uvicorn shutdown), then SIGKILL if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def running_server(
    state: LoadState, setup: Setup, log: Path, profile: Path | None
) -> Iterator[tuple[str, int]]:
    """(base URL, pid) while the service runs; stopped (its profile written) on exit."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            server_command(port, setup),
            env={**os.environ, **state.env, "PYTHONPATH": _pythonpath()},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        profiler: subprocess.Popen[bytes] | None = None
        try:
            wait_ready(url, server, log)
            if profile is not None:
                profiler = start_profiler(server.pid, profile, log.with_suffix(".py-spy.log"))
            yield url, server.pid
        finally:
            if profiler is not None:
                stop(profiler)
            stop(server)


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live descendants (uvicorn's workers)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return own + sum(tree_cpu_seconds(int(child)) for child in children)


# ---------------------------------------------------------------------------------------------
# The clients


@dataclass(frozen=True)
class Outcome:
    upload: Upload
    status: int | None
    """None: no answer (timeout, connection refused or reset)."""
    latency_s: float
    submission_id: int | None
    public_score: float | None
    error: str | None


async def post_one(
    client: httpx.AsyncClient, token: str, upload: Upload, start: asyncio.Event
) -> Outcome:
    await start.wait()
    began = time.perf_counter()
    try:
        answer = await client.post(
            f"/api/homework/{HOMEWORK}/submissions",
            headers={"Authorization": f"Bearer {token}"},
            files={"file": (f"{upload.student}-{upload.round}.csv", upload.content, "text/csv")},
        )
    except httpx.HTTPError as exc:
        return Outcome(upload, None, time.perf_counter() - began, None, None, repr(exc))
    latency = time.perf_counter() - began
    if answer.status_code != 200:
        return Outcome(upload, answer.status_code, latency, None, None, answer.text[:200])
    body = answer.json()
    return Outcome(upload, 200, latency, body["submission_id"], body["public_score"], None)


async def fire(
    url: str, state: LoadState, uploads: Sequence[Upload], timeout_s: float
) -> tuple[list[Outcome], float]:
    """Every upload posted at once; (outcomes, wall seconds from the start to the last).

    Requests still open after `timeout_s` are abandoned and count as unanswered.
    """
    limits = httpx.Limits(max_connections=len(uploads) + 10, max_keepalive_connections=None)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout_s) as client:
        start = asyncio.Event()
        tasks = [
            asyncio.create_task(post_one(client, state.tokens[u.student], u, start))
            for u in uploads
        ]
        await asyncio.sleep(0.1)  # every task is waiting on the event
        began = time.perf_counter()
        start.set()
        await asyncio.wait(tasks, timeout=timeout_s)
        wall = time.perf_counter() - began
        for task in tasks:
            task.cancel()
        outcomes = [
            task.result()
            if task.done() and not task.cancelled()
            else Outcome(upload, None, wall, None, None, f"abandoned after {timeout_s:.0f} s")
            for task, upload in zip(tasks, uploads, strict=True)
        ]
        return outcomes, wall


# ---------------------------------------------------------------------------------------------
# Checking the database against the answers


def verify(
    outcomes: Sequence[Outcome], rows: Sequence[StoredRow], files: store.FileStore
) -> list[str]:
    """Every way the database and the clients' answers disagree, one line each."""
    problems: list[str] = []
    told = [o for o in outcomes if o.status == 200]
    by_id: dict[int, Outcome] = {}
    for o in told:
        assert o.submission_id is not None
        if o.submission_id in by_id:
            problems.append(f"submission {o.submission_id} was answered to two requests")
        by_id[o.submission_id] = o
        if o.public_score != o.upload.expected_score:
            problems.append(
                f"submission {o.submission_id}: told public score {o.public_score}, "
                f"the hidden labels give {o.upload.expected_score}"
            )
    stored = {row.submission_id: row for row in rows}
    for sid, o in by_id.items():
        row = stored.get(sid)
        if row is None:
            problems.append(f"submission {sid} ({o.upload.student}) was answered 200, not stored")
            continue
        if row.student != o.upload.student:
            problems.append(
                f"submission {sid}: sent by {o.upload.student}, stored for {row.student}"
            )
        if row.public_score != o.public_score:
            problems.append(f"submission {sid}: told {o.public_score}, stored {row.public_score}")
        if row.file_sha256 != o.upload.sha256:
            problems.append(
                f"submission {sid}: stored file {row.file_sha256[:12]} is not the upload"
            )
        elif not files.exists(row.file_sha256) or files.read(row.file_sha256) != o.upload.content:
            problems.append(f"submission {sid}: blob {row.file_sha256[:12]} missing or changed")
    unanswered = {o.upload.student for o in outcomes if o.status is None}
    untold = [row for sid, row in stored.items() if sid not in by_id]
    for gave_up in (True, False):
        ids = [row.submission_id for row in untold if (row.student in unanswered) == gave_up]
        why = "whose client got no answer (timeout)" if gave_up else "no client was told about"
        if ids:
            problems.append(f"{len(ids)} stored submission(s) {why}: {ids[:10]}")
    told_count = collections.Counter(o.upload.student for o in told)
    stored_count = collections.Counter(row.student for row in rows)
    for student in sorted(told_count.keys() | stored_count.keys()):
        if told_count[student] != stored_count[student]:
            problems.append(
                f"{student}: {told_count[student]} accepted, {stored_count[student]} stored"
            )
    return problems


# ---------------------------------------------------------------------------------------------
# One configuration, measured


@dataclass(frozen=True)
class RoundResult:
    outcomes: list[Outcome]
    wall_s: float
    server_cpu_s: float
    """CPU time of the server's processes during the round."""
    client_cpu_s: float
    """CPU time of this process (the clients) during the round: the same two cores."""


@dataclass(frozen=True)
class Measured:
    setup: Setup
    clients: int
    rounds: list[RoundResult]
    problems: list[str]
    server_errors: collections.Counter[str]
    """The database errors in the server's log, by first line."""
    profiled: bool

    @property
    def outcomes(self) -> list[Outcome]:
        return [o for r in self.rounds for o in r.outcomes]

    def statuses(self) -> collections.Counter[str]:
        return collections.Counter(str(o.status or "no answer") for o in self.outcomes)

    def latency_ms(self, q: float) -> float:
        latencies = [o.latency_s for o in self.outcomes]
        return float(np.percentile(latencies, q)) * 1000 if latencies else float("nan")

    @property
    def wall_s(self) -> float:
        return sum(r.wall_s for r in self.rounds)

    @property
    def throughput(self) -> float:
        """Accepted submissions per second of round wall time."""
        ok = sum(o.status == 200 for o in self.outcomes)
        return ok / self.wall_s if self.wall_s else 0.0


def server_errors(log: Path) -> collections.Counter[str]:
    """SQLAlchemy errors the server logged (why the 500s), by their first 90 characters."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return collections.Counter(
        line[len("sqlalchemy.exc.") :][:90] for line in lines if line.startswith("sqlalchemy.exc.")
    )


def measure(
    args: argparse.Namespace, setup: Setup, scratch: Path, postgres: ScratchPostgres | None
) -> Measured:
    root = scratch / setup.name
    database_url = None
    if setup.database == "postgresql":
        assert postgres is not None
        database_url = postgres.create_database(setup.name.replace("-", "_"))
    state = make_state(
        root,
        n_items=args.rows,
        n_students=args.clients,
        daily_limit=args.daily_limit,
        database_url=database_url,
    )
    profile = args.profile / f"py-spy-{setup.name}.txt" if args.profile else None
    rounds: list[RoundResult] = []
    log = root / "server.log"
    with running_server(state, setup, log, profile) as (url, pid):
        deadline = time.monotonic() + args.timeout
        for round_ in range(args.rounds):
            uploads = make_uploads(state, round_)
            left = deadline - time.monotonic()
            if left <= 0:
                print(f"  round {round_ + 1}: skipped, --timeout {args.timeout:.0f} s spent")
                break
            server_cpu, client_cpu = tree_cpu_seconds(pid), time.process_time()
            outcomes, wall = asyncio.run(fire(url, state, uploads, left))
            server_cpu = tree_cpu_seconds(pid) - server_cpu
            result = RoundResult(outcomes, wall, server_cpu, time.process_time() - client_cpu)
            rounds.append(result)
            ok = sum(o.status == 200 for o in outcomes)
            print(
                f"  round {round_ + 1}: {ok}/{len(outcomes)} accepted in {wall:.1f} s; "
                f"CPU: server {server_cpu:.1f} s ({server_cpu / wall:.2f} cores), "
                f"clients {result.client_cpu_s:.1f} s"
            )
    outcomes = [o for r in rounds for o in r.outcomes]
    files = store.FileStore(state.config.blob_dir)
    problems = verify(outcomes, stored_submissions(state.config), files)
    return Measured(setup, args.clients, rounds, problems, server_errors(log), profile is not None)


def markdown_row(m: Measured, today: date, where: str) -> str:
    errors = {k: v for k, v in m.statuses().items() if k != "200"}
    shown_errors = ", ".join(f"{v} x {k}" for k, v in sorted(errors.items())) or "none"
    server = m.setup.describe() + (" (under py-spy)" if m.profiled else "")
    check = "consistent" if not m.problems else f"**{len(m.problems)} mismatches**"
    return (
        f"| {today} | {where} | {m.setup.database} | {server} | {m.clients} x {len(m.rounds)} "
        f"| {m.statuses().get('200', 0)} | {shown_errors} | {m.wall_s:.1f} s "
        f"| {m.throughput:.1f} | {m.latency_ms(50):.0f} | {m.latency_ms(90):.0f} "
        f"| {m.latency_ms(99):.0f} | {m.latency_ms(100):.0f} | {check} |"
    )


TABLE_HEADER = (
    "| date | machine | database | server | clients x rounds | accepted | errors | wall "
    "| submissions/s | p50 ms | p90 ms | p99 ms | max ms | database vs answers |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--rows", type=int, default=10_000, help="test items per CSV")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--workers", default="1", help="comma-separated server worker counts, e.g. 1,2"
    )
    parser.add_argument(
        "--variant",
        default="as_is",
        help=f"comma-separated app factories of service_load_variants: {', '.join(VARIANTS)}",
    )
    parser.add_argument(
        "--database",
        default=",".join(DATABASES),
        help="comma-separated: sqlite, postgresql (a throwaway server, Debian's postgresql)",
    )
    parser.add_argument("--daily-limit", type=int, default=1000)
    parser.add_argument(
        "--timeout", type=float, default=300, help="seconds for all rounds of a configuration"
    )
    parser.add_argument("--profile", type=Path, help="folder for py-spy's collapsed stacks")
    parser.add_argument(
        "--breakdown", action="store_true", help="time the stages of in-process submits"
    )
    parser.add_argument("--keep", action="store_true", help="keep the tmp state folders")
    args = parser.parse_args()
    unknown = set(args.variant.split(",")) - set(VARIANTS)
    if unknown:
        parser.error(f"--variant {', '.join(sorted(unknown))}: choose from {', '.join(VARIANTS)}")
    databases = [name for name in args.database.split(",") if name]
    if not databases or set(databases) - set(DATABASES):
        parser.error(f"--database: choose from {', '.join(DATABASES)}")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)

    scratch = Path(tempfile.mkdtemp(prefix="practicum-load-"))
    postgres = ScratchPostgres(max_connections=400) if "postgresql" in databases else None
    if postgres is not None:
        postgres.start()
    where, today = machine(), datetime.now(UTC).date()
    print(f"{where}, {software(postgres)}; state under {scratch}")
    results: list[Measured] = []
    setups = [
        Setup(variant, int(workers), database)
        for database in databases
        for variant in args.variant.split(",")
        for workers in args.workers.split(",")
        if variant and workers
    ]
    try:
        if args.breakdown:
            breakdown(args.rows, args.clients, scratch / "breakdown")
        for setup in setups:
            print(
                f"\n{args.clients} clients x {args.rounds} round(s), {setup.database}, "
                f"{setup.describe()}:"
            )
            results.append(measure(args, setup, scratch, postgres))
            if args.profile:
                profile_breakdown(args.profile / f"py-spy-{setup.name}.txt")
    finally:
        if postgres is not None:
            postgres.stop()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)

    for m in results:
        print(f"\n{m.setup.database}, {m.setup.describe()}: statuses {dict(m.statuses())}")
        for line, count in m.server_errors.most_common(5):
            print(f"  server log: {count} x {line}")
        for problem in m.problems[:20]:
            print(f"  MISMATCH {problem}")
    if results:
        print("\n" + TABLE_HEADER)
        for m in results:
            print(markdown_row(m, today, where))
    sys.exit(1 if any(m.problems for m in results) else 0)


if __name__ == "__main__":
    main()
