"""The metering loop: charge running servers, stop those out of credits, feed the GPU queue.

Each tick reads the hub's running servers, then decides everything in ONE write transaction
(lesson grants, charges, stops, GPU releases, queued starts) and only after it commits asks
the hub to stop and start servers. A crash before the commit leaves the ledger as it was,
and the next tick catches up from each server's start time; a crash after it repeats
nothing, because every charged slot is recorded in `metered_runs` and keyed in the ledger.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from practicum.compute import Compute
from practicum.compute.credits import Entry, charge_key, format_credits, run_key, slot_charges
from practicum.compute.queue import plan_starts
from practicum.course import Course
from practicum.hub.types import HubApi, RunningServer
from practicum.store.credits import add_entries, balances, grant_due_lessons_to_all, is_metered
from practicum.store.db import session_scope
from practicum.store.gpu_queue import (
    GpuBusy,
    acquire_lease,
    assign_gpu,
    assignments,
    leave_queue,
    release_gpu,
    release_lease,
    waiting,
)
from practicum.store.models import MeteredRun, User, utcnow

log = logging.getLogger(__name__)

METER_ACTOR = "meter"
LEASE_NAME = "metering"
SPAWN_GRACE = timedelta(minutes=5)
"""How long a GPU stays assigned without a server on the hub: spawns take a while."""


@dataclass(frozen=True)
class Start:
    user: str
    profile: str
    gpu: str


@dataclass
class TickReport:
    grants: int = 0
    charges: int = 0
    charged_mc: int = 0
    stops: list[str] = field(default_factory=list)
    """Users whose server was stopped because their credits ran out."""
    starts: list[Start] = field(default_factory=list)
    """Queued students given a GPU; their servers were asked to start."""
    releases: list[str] = field(default_factory=list)
    """GPUs taken back because no server of their holder is on the hub."""
    unknown_users: list[str] = field(default_factory=list)
    """Hub users Practicum does not know: not metered (the spawn check refuses them)."""
    failures: list[str] = field(default_factory=list)
    """Hub calls that failed after the commit; stops are retried by the next tick."""
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"metering: {self.charges} charge(s), {format_credits(self.charged_mc)} credits, "
            f"{self.grants} grant(s), {len(self.stops)} stop(s), {len(self.starts)} start(s), "
            f"{len(self.releases)} release(s), {len(self.failures)} failure(s) "
            f"in {self.seconds * 1000:.0f} ms"
        )


@dataclass(frozen=True)
class _Meter:
    """What a tick needs besides the database and the servers."""

    course: Course
    compute: Compute
    now: datetime
    slot_seconds: int
    grace: timedelta

    def rate(self, server_profile: str) -> float:
        """Credits an hour of a server that runs with `server_profile`."""
        return self.compute.rate(self.compute.charged_as(server_profile))


def tick(
    engine: Engine,
    hub: HubApi,
    course: Course,
    compute: Compute,
    now: datetime,
    *,
    slot_seconds: int = 60,
    grace: timedelta = SPAWN_GRACE,
) -> TickReport:
    """One round of metering at `now`; running it twice at the same `now` changes nothing.

    `course` grants the lessons and names the local time in charge reasons; `compute` says
    what each server costs and which GPUs the queue may hand out."""
    began = time.perf_counter()
    meter = _Meter(course, compute, now, slot_seconds, grace)
    servers = hub.running_servers()
    report = TickReport()
    with session_scope(engine) as session:
        _decide(session, meter, servers, report)
    _act(hub, report)
    report.seconds = time.perf_counter() - began
    log.info(report.summary())
    return report


def _decide(
    session: Session, meter: _Meter, servers: Sequence[RunningServer], report: TickReport
) -> None:
    report.grants = grant_due_lessons_to_all(session, meter.course, meter.now)
    queue = waiting(session)
    names = {s.user for s in servers} | {e.user for e in queue}
    users = {u.name: u for u in session.scalars(select(User).where(User.name.in_(names)))}
    report.unknown_users = sorted({s.user for s in servers} - users.keys())
    running: defaultdict[str, list[RunningServer]] = defaultdict(list)
    for server in servers:
        if server.user in users:
            running[server.user].append(server)

    _charge(session, meter, running, users, report)
    metered = [u for u in users.values() if is_metered(u)]
    balance = balances(session, (u.id for u in metered))
    broke = {u.name for u in metered if balance[u.id] <= 0}
    report.stops = sorted(
        name
        for name in broke & running.keys()
        if any(meter.rate(s.profile) > 0 and s.pending != "stop" for s in running[name])
    )
    _release_unused_gpus(session, meter, running, report)
    can_start = [
        e
        for e in queue
        if e.user in users
        and e.user not in running
        and not (e.user in broke and meter.rate(e.profile) > 0)
    ]
    taken = {a.gpu for a in assignments(session)}
    for entry, gpu in plan_starts(can_start, [g for g in meter.compute.gpus if g not in taken]):
        user = users[entry.user]
        try:
            assign_gpu(session, user, gpu, meter.now, start_requested=True)
        except GpuBusy:  # a spawn check took it meanwhile (PostgreSQL); next tick tries again
            continue
        leave_queue(session, user)
        report.starts.append(Start(user.name, entry.profile, gpu))


def _charge(
    session: Session,
    meter: _Meter,
    running: Mapping[str, Iterable[RunningServer]],
    users: Mapping[str, User],
    report: TickReport,
) -> None:
    """Charge every due slot of every ready server, resuming where the last tick stopped."""
    ready = [
        (users[name], server)
        for name, servers in running.items()
        if is_metered(users[name])
        for server in servers
        if server.ready
    ]
    keys = [run_key(s.user, s.server_name, s.started) for _, s in ready]
    runs = {r.key: r for r in session.scalars(select(MeteredRun).where(MeteredRun.key.in_(keys)))}
    slot = timedelta(seconds=meter.slot_seconds)
    entries = []
    for (user, server), key in zip(ready, keys, strict=True):
        run = runs.get(key)
        first = run.next_slot if run is not None else 0
        rate = meter.rate(server.profile)
        due = slot_charges(rate, server.started, meter.now, first, meter.slot_seconds)
        if run is None:
            run = MeteredRun(
                key=key,
                user_id=user.id,
                profile=meter.compute.charged_as(server.profile).name,
                started=server.started,
                next_slot=0,
                last_seen=meter.now,
            )
            session.add(run)
        run.last_seen = meter.now
        if not due:
            continue
        run.next_slot = due[-1].slot + 1
        amount = sum(c.amount_mc for c in due)
        if amount == 0:
            continue
        local = meter.course.timezone
        begin = (server.started + first * slot).astimezone(local)
        end = (server.started + run.next_slot * slot).astimezone(local)
        entries.append(
            Entry(
                user_id=user.id,
                kind="charge",
                amount_mc=-amount,
                actor=METER_ACTOR,
                reason=(
                    f"{meter.compute.charged_as(server.profile).display_name} server "
                    f"{begin:%Y-%m-%d %H:%M}-{end:%H:%M} at {rate:g} credits an hour"
                ),
                created_at=meter.now,
                key=charge_key(server.user, server.server_name, server.started, first),
            )
        )
    session.flush()
    report.charges = add_entries(session, entries)
    report.charged_mc = sum(-e.amount_mc for e in entries)


def _release_unused_gpus(
    session: Session,
    meter: _Meter,
    running: Mapping[str, Iterable[RunningServer]],
    report: TickReport,
) -> None:
    for held in assignments(session):
        uses_gpu = any(meter.compute.charged_as(s.profile).gpu for s in running.get(held.user, ()))
        if not uses_gpu and meter.now - held.since >= meter.grace:
            release_gpu(session, held.gpu)
            report.releases.append(held.gpu)


def _act(hub: HubApi, report: TickReport) -> None:
    """Ask the hub for what the committed tick decided; a failure waits for the next tick."""
    calls: list[tuple[str, Callable[[], None]]] = [
        (f"stop {user}", partial(hub.stop_server, user)) for user in report.stops
    ]
    calls += [
        (f"start {s.user} on GPU {s.gpu}", partial(hub.start_server, s.user, s.profile))
        for s in report.starts
    ]
    for what, call in calls:
        try:
            call()
        except Exception as exc:  # the hub may be restarting; the ledger is already right
            log.warning("metering: could not %s: %s", what, exc)
            report.failures.append(f"{what}: {exc}")


def meter_once(
    engine: Engine,
    hub: HubApi,
    course: Course,
    compute: Compute,
    now: datetime,
    *,
    holder: str,
    lease_ttl: timedelta,
    slot_seconds: int = 60,
) -> TickReport | None:
    """A tick if `holder` holds (or can take) the metering lease, else None: one meter at a time."""
    with session_scope(engine) as session:
        if not acquire_lease(session, LEASE_NAME, holder, now, lease_ttl):
            return None
    return tick(engine, hub, course, compute, now, slot_seconds=slot_seconds)


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def run_metering_forever(
    engine: Engine,
    hub: HubApi,
    course: Course,
    compute: Compute,
    *,
    interval_seconds: float = 60,
    slot_seconds: int = 60,
    holder: str | None = None,
    clock: Callable[[], datetime] = utcnow,
    stop: asyncio.Event | None = None,
) -> None:
    """Meter every `interval_seconds` until `stop` is set (or the task is cancelled).

    Every replica may run this; the lease lets one of them meter and passes to another
    when that one stops renewing it. Errors are logged and the loop goes on: a hub that is
    restarting must not end metering.
    """
    holder = holder or default_holder()
    stop = stop or asyncio.Event()
    ttl = timedelta(seconds=3 * interval_seconds)
    try:
        while not stop.is_set():
            try:
                await asyncio.to_thread(
                    meter_once,
                    engine,
                    hub,
                    course,
                    compute,
                    clock(),
                    holder=holder,
                    lease_ttl=ttl,
                    slot_seconds=slot_seconds,
                )
            except Exception:
                log.exception("metering tick failed; retrying in %s s", interval_seconds)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_seconds)
    finally:
        with session_scope(engine) as session:
            release_lease(session, LEASE_NAME, holder)
