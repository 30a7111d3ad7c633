"""Cost of one metering tick with 300 running notebook servers on SQLite.

    python benchmarks/metering_tick.py                     # 300 servers, 10 steady ticks
    python benchmarks/metering_tick.py --servers 1000 --history 2000

A fake hub reports the servers (most on CPU, one per GPU on GPU, all charged), a few more
students wait in the GPU queue, and every student's ledger already holds `--history`
charges (a course well under way: balances are sums over it). The first tick creates the
metered runs and grants the open lessons; the steady ticks, one simulated minute apart,
each charge one slot per server. Checks that every tick charged what it should, then prints
one Markdown row for BENCHMARKS.md, naming the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import tempfile
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench_machine import cpu_model
from sqlalchemy import insert

from practicum.compute import Compute
from practicum.compute.profiles import Profile
from practicum.course import demo_course
from practicum.hub.metering import tick
from practicum.hub.types import RunningServer
from practicum.store import CreditEntry, User, make_engine, session_scope, upgrade
from practicum.store.gpu_queue import assign_gpu, join_queue

PROFILES = {
    "cpu": Profile("cpu", "CPU", gpu=False, idle_timeout_minutes=120),
    "gpu": Profile("gpu", "GPU", gpu=True, idle_timeout_minutes=20),
}
MINUTE = timedelta(minutes=1)


class BenchHub:
    def __init__(self, servers: list[RunningServer]) -> None:
        self.servers = servers

    def running_servers(self) -> list[RunningServer]:
        return self.servers

    def start_server(self, user: str, profile: str) -> None:
        raise AssertionError("no GPU frees during the benchmark")

    def stop_server(self, user: str) -> None:
        raise AssertionError("nobody runs out of credits during the benchmark")


def populate(
    url: str, n_servers: int, n_gpus: int, n_queued: int, history: int, now: datetime
) -> BenchHub:
    """Students, their past charges, GPU assignments and queue; the hub's running servers."""
    gpus = [str(i) for i in range(n_gpus)]
    names = [f"student{i:04d}" for i in range(n_servers + n_queued)]
    engine = make_engine(url)
    with session_scope(engine) as session:
        session.execute(
            insert(User),
            [{"name": n, "role": "student", "created_at": now, "admitted": True} for n in names],
        )
        users = {u.name: u for u in session.query(User)}
        rows = [
            {
                "user_id": user.id,
                "kind": "charge",
                "amount_mc": -1,
                "created_at": now - timedelta(days=1),
                "actor": "meter",
                "reason": "earlier GPU time",
                "key": None,
            }
            for user in users.values()
            for _ in range(history)
        ]
        for start in range(0, len(rows), 50_000):
            session.execute(insert(CreditEntry), rows[start : start + 50_000])
        for gpu, name in zip(gpus, names, strict=False):
            assign_gpu(session, users[name], gpu, now - 30 * MINUTE)
        for minute, name in enumerate(names[n_servers:]):
            join_queue(session, users[name], "gpu", now - minute * MINUTE)
    engine.dispose()
    servers = [
        RunningServer(
            user=name,
            server_name="",
            profile="gpu" if i < n_gpus else "cpu",
            started=now - timedelta(minutes=30, seconds=i % 60),
            last_activity=now,
            ready=True,
        )
        for i, name in enumerate(names[:n_servers])
    ]
    return BenchHub(servers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=300)
    parser.add_argument("--gpus", type=int, default=8)
    parser.add_argument("--queued", type=int, default=20)
    parser.add_argument("--history", type=int, default=1000, help="past charges per student")
    parser.add_argument("--ticks", type=int, default=10, help="steady ticks after the first")
    args = parser.parse_args()

    base = demo_course()
    course = replace(base, credits=replace(base.credits, cpu_rate_per_hour=1.0))
    now = max(lesson.opens for lesson in course.lessons).astimezone(UTC) + timedelta(days=1)
    compute = Compute(course.credits, PROFILES, [str(i) for i in range(args.gpus)])
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'practicum.db'}"
        upgrade(url)
        hub = populate(url, args.servers, args.gpus, args.queued, args.history, now)
        engine = make_engine(url)
        first = tick(engine, hub, course, compute, now)
        assert first.charges == args.servers and not first.stops and not first.starts, first
        steady = []
        for i in range(1, args.ticks + 1):
            report = tick(engine, hub, course, compute, now + i * MINUTE)
            assert report.charges == args.servers and report.grants == 0, report
            steady.append(report.seconds)
        engine.dispose()

    rows = args.servers + args.queued
    machine = f"{cpu_model()}, {len(os.sched_getaffinity(0))} cores"
    software = f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    print(
        f"| {date.today()} | {machine} | {software} | {args.servers} servers ({args.gpus} GPU), "
        f"{args.queued} queued, {rows * args.history:,} past ledger rows | "
        f"{first.seconds * 1000:.0f} ms (first: {first.grants} grants, {first.charges} charges) | "
        f"{statistics.median(steady) * 1000:.0f} ms median, {max(steady) * 1000:.0f} ms max "
        f"over {args.ticks} |"
    )


if __name__ == "__main__":
    main()
