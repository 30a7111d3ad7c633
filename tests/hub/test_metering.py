"""Metering ticks: exact charges that survive restarts and crashes, stops at zero, lesson
grants, the GPU queue moving as GPUs free, and one meter at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from credit_helpers import (
    MINUTE,
    T0,
    FakeHub,
    add_users,
    compute,
    course,
    server,
    total_charged_mc,
)
from db_backends import Databases
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from practicum.compute.credits import Entry
from practicum.course import Course
from practicum.hub import metering
from practicum.hub.metering import Start, TickReport, meter_once, run_metering_forever, tick
from practicum.hub.spawn_policy import decide_spawn, request_start
from practicum.hub.types import RunningServer, SpawnDecision
from practicum.store import (
    MeteredRun,
    User,
    acquire_lease,
    add_entries,
    add_entry,
    assignments,
    balances,
    history,
    make_engine,
    session_scope,
    waiting,
)

SECOND = timedelta(seconds=1)


def gpu_mc(slots: int) -> int:
    """What `slots` one-minute GPU slots cost in total at 2 credits an hour."""
    return round(Fraction(2000 * slots, 60))


def run_tick(
    engine: Engine,
    hub: FakeHub,
    now: datetime,
    *,
    gpus: Sequence[str] = ("0",),
    the_course: Course | None = None,
) -> TickReport:
    hub.now = now
    the_course = the_course or course()
    return tick(engine, hub, the_course, compute(gpus, the_course), now)


def balance_of(engine: Engine, name: str) -> int:
    with session_scope(engine, read_only=True) as session:
        user = session.scalar(select(User).where(User.name == name))
        assert user is not None
        return balances(session, [user.id])[user.id]


def adjust(engine: Engine, name: str, mc: int) -> None:
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.name == name))
        assert user is not None
        add_entry(session, user, "adjust", mc, actor="tara", reason="test", now=T0)


# --- charges -------------------------------------------------------------------------------


def test_a_running_gpu_server_pays_each_minute_as_it_begins(engine: Engine) -> None:
    add_users(engine, "ann")
    hub = FakeHub([server("ann", "gpu", T0)])
    first = run_tick(engine, hub, T0)
    assert (first.grants, first.charges, first.charged_mc) == (1, 1, 33)
    later = run_tick(engine, hub, T0 + 10 * MINUTE + 30 * SECOND)
    assert (later.charges, later.charged_mc) == (1, gpu_mc(11) - 33)
    assert total_charged_mc(engine) == gpu_mc(11) == 367
    assert balance_of(engine, "ann") == 40_000 - 367
    with session_scope(engine, read_only=True) as session:
        user = session.scalar(select(User).where(User.name == "ann"))
        assert user is not None
        newest = history(session, user)[0]
        assert (newest.kind, newest.actor, newest.amount_mc) == ("charge", "meter", -(367 - 33))
        assert newest.reason == "GPU server 2026-12-02 09:01-09:11 at 2 credits an hour"
        assert newest.key == "charge:ann::2026-12-02T09:00:00.000000Z:1"


def test_free_servers_cost_nothing_and_spawning_ones_pay_from_their_start(engine: Engine) -> None:
    add_users(engine, "ann", "bob")
    hub = FakeHub([server("ann", "cpu", T0), server("bob", "gpu", T0, ready=False)])
    report = run_tick(engine, hub, T0 + 2 * MINUTE)
    assert (report.charges, report.charged_mc) == (0, 0)
    hub.servers["bob"] = server("bob", "gpu", T0)  # ready now: pays from when it started
    assert run_tick(engine, hub, T0 + 3 * MINUTE).charged_mc == gpu_mc(4)
    assert balance_of(engine, "ann") == 40_000


def test_ticking_twice_at_the_same_moment_charges_once(engine: Engine) -> None:
    add_users(engine, "ann", "bob")
    hub = FakeHub([server("ann", "gpu", T0), server("bob", "gpu", T0 + 90 * SECOND)])
    now = T0 + 7 * MINUTE
    first = run_tick(engine, hub, now)
    again = run_tick(engine, hub, now)
    assert first.charges == 2 and (again.charges, again.charged_mc, again.grants) == (0, 0, 0)
    assert total_charged_mc(engine) == gpu_mc(8) + gpu_mc(6)


def test_hub_users_practicum_does_not_know_are_reported_not_charged(engine: Engine) -> None:
    add_users(engine, "ann")
    hub = FakeHub([server("ann", "gpu", T0), server("mallory", "gpu", T0)])
    report = run_tick(engine, hub, T0)
    assert report.unknown_users == ["mallory"] and report.charges == 1


def _servers() -> list[RunningServer]:
    return [
        server("ann", "gpu", T0),
        server("bob", "gpu", T0 + 3 * MINUTE + 20 * SECOND),
        server("cat", "cpu", T0),
    ]


def _fresh(url: str) -> Engine:
    engine = make_engine(url)
    add_users(engine, "ann", "bob", "cat")
    return engine


@pytest.mark.parametrize(("crash_after", "resume_at"), [(0, 1), (4, 30), (17, 18), (5, 91)])
def test_a_restart_between_ticks_neither_loses_nor_doubles(
    databases: Databases, tmp_path: Path, crash_after: int, resume_at: int
) -> None:
    steady = _fresh(databases.new(tmp_path / "steady"))
    hub = FakeHub(_servers())
    for minute in range(resume_at + 1):
        run_tick(steady, hub, T0 + minute * MINUTE + 7 * SECOND)

    url = databases.new(tmp_path / "restarted")
    before = _fresh(url)
    hub = FakeHub(_servers())
    for minute in range(crash_after + 1):
        run_tick(before, hub, T0 + minute * MINUTE + 7 * SECOND)
    before.dispose()  # Practicum and the hub restart: new engine, new hub client
    after = make_engine(url)
    run_tick(after, FakeHub(_servers()), T0 + resume_at * MINUTE + 7 * SECOND)

    bob_ran = (resume_at * MINUTE + 7 * SECOND) - (3 * MINUTE + 20 * SECOND)
    bob_slots = bob_ran // MINUTE + 1 if bob_ran >= timedelta(0) else 0
    expected = gpu_mc(resume_at + 1) + gpu_mc(bob_slots)
    assert total_charged_mc(after) == total_charged_mc(steady) == expected
    for name in ("ann", "bob", "cat"):
        assert balance_of(after, name) == balance_of(steady, name)
    after.dispose()
    steady.dispose()


def test_a_crash_inside_the_tick_writes_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_users(engine, "ann", "bob")
    hub = FakeHub([server("ann", "gpu", T0), server("bob", "gpu", T0)])
    run_tick(engine, hub, T0)
    written: list[int] = []

    def add_then_remember(session: Session, entries: Iterable[Entry]) -> int:
        written.append(add_entries(session, entries))
        return written[-1]

    def crash(*args: object) -> dict[int, int]:
        raise OSError("disk gone")

    monkeypatch.setattr(metering, "add_entries", add_then_remember)
    monkeypatch.setattr(metering, "balances", crash)
    with pytest.raises(OSError, match="disk gone"):
        run_tick(engine, hub, T0 + 5 * MINUTE)
    assert written == [2]  # the charges were in the transaction when it failed
    assert total_charged_mc(engine) == 2 * 33
    with session_scope(engine, read_only=True) as session:
        assert {r.next_slot for r in session.scalars(select(MeteredRun))} == {1}

    monkeypatch.undo()
    run_tick(engine, hub, T0 + 5 * MINUTE)
    assert total_charged_mc(engine) == 2 * gpu_mc(6)


class FlakyHub(FakeHub):
    """A hub that fails the first call of each kind, as while it restarts."""

    def __init__(self, servers: Sequence[RunningServer]) -> None:
        super().__init__(servers)
        self.failed: set[str] = set()

    def stop_server(self, user: str) -> None:
        if "stop" not in self.failed:
            self.failed.add("stop")
            raise ConnectionError("hub restarting")
        super().stop_server(user)


def test_at_zero_the_server_stops_and_the_next_start_is_refused(engine: Engine) -> None:
    add_users(engine, "ann")
    adjust(engine, "ann", -(40_000 - 50))  # the lesson grant comes with the first tick
    hub = FlakyHub([server("ann", "gpu", T0)])
    assert run_tick(engine, hub, T0).stops == []  # 17 mc left
    failed = run_tick(engine, hub, T0 + MINUTE)  # -17 mc: stop, but the hub is restarting
    assert failed.stops == ["ann"] and failed.failures == ["stop ann: hub restarting"]
    retried = run_tick(engine, hub, T0 + MINUTE)
    assert (retried.stops, retried.failures, retried.charges) == (["ann"], [], 0)
    assert hub.stopped == ["ann"] and "ann" not in hub.servers
    assert balance_of(engine, "ann") == 50 - gpu_mc(2)

    with session_scope(engine) as session:
        refused = decide_spawn(session, course(), compute(), "ann", "gpu", T0 + 2 * MINUTE)
        cpu = decide_spawn(session, course(), compute(), "ann", "cpu", T0 + 2 * MINUTE)
    assert not refused.allowed and refused.message.startswith("no credits left")
    assert cpu.allowed
    assert run_tick(engine, hub, T0 + 3 * MINUTE).stops == []


def test_lessons_grant_once_as_they_open(engine: Engine) -> None:
    add_users(engine, "ann", "bob")
    hub = FakeHub()
    assert run_tick(engine, hub, T0).grants == 2
    assert run_tick(engine, hub, T0 + MINUTE).grants == 0
    lesson2 = datetime(2026, 12, 8, 10, 0, tzinfo=T0.tzinfo)
    assert run_tick(engine, hub, lesson2 - SECOND).grants == 0
    assert run_tick(engine, hub, lesson2).grants == 2
    assert run_tick(engine, hub, lesson2).grants == 0
    assert balance_of(engine, "ann") == balance_of(engine, "bob") == 80_000


# --- the GPU queue -------------------------------------------------------------------------


class Course_:
    """Students pressing Start on the dashboard, and the hub asking before each spawn."""

    def __init__(self, engine: Engine, gpus: Sequence[str]) -> None:
        self.engine = engine
        self.gpus = gpus
        self.hub = FakeHub(check=self.spawn_check)

    def spawn_check(self, user: str, profile: str) -> SpawnDecision:
        with session_scope(self.engine) as session:
            return decide_spawn(session, course(), compute(self.gpus), user, profile, self.hub.now)

    def press_start(self, user: str, at: datetime, profile: str = "gpu") -> SpawnDecision:
        self.hub.now = at
        with session_scope(self.engine) as session:
            decision = request_start(session, course(), compute(self.gpus), user, profile, at)
        if decision.allowed:  # what the web layer does
            self.hub.start_server(user, profile)
        return decision

    def tick(self, at: datetime) -> TickReport:
        report = run_tick(self.engine, self.hub, at, gpus=self.gpus)
        self.check_gpus_are_never_shared()
        return report

    def gpu_of(self, user: str) -> str:
        return self.hub.environment[user]["CUDA_VISIBLE_DEVICES"]

    def check_gpus_are_never_shared(self) -> None:
        on_gpu = [u for u, s in self.hub.servers.items() if s.profile == "gpu"]
        devices = [self.gpu_of(u) for u in on_gpu]
        assert len(set(devices)) == len(devices), f"GPU shared: {devices}"
        with session_scope(self.engine, read_only=True) as session:
            held = assignments(session)
        assert {a.user: a.gpu for a in held if a.user in on_gpu} == dict(
            zip(on_gpu, devices, strict=True)
        )

    def queue(self) -> list[str]:
        with session_scope(self.engine, read_only=True) as session:
            return [e.user for e in waiting(session)]


def test_one_gpu_three_students_start_in_order_as_it_frees(engine: Engine) -> None:
    add_users(engine, "ann", "bob", "cat")
    c = Course_(engine, ["0"])
    assert c.press_start("ann", T0).allowed and c.gpu_of("ann") == "0"
    assert c.press_start("bob", T0 + MINUTE).queue_position == 1
    assert c.press_start("cat", T0 + 2 * MINUTE).queue_position == 2
    assert c.press_start("bob", T0 + 3 * MINUTE).queue_position == 1  # no second place
    assert c.queue() == ["bob", "cat"]
    assert c.tick(T0 + 5 * MINUTE).starts == []

    del c.hub.servers["ann"]  # culled when idle
    freed = c.tick(T0 + 30 * MINUTE)
    assert freed.releases == ["0"] and freed.starts == [Start("bob", "gpu", "0")]
    assert c.gpu_of("bob") == "0" and c.queue() == ["cat"]
    assert c.tick(T0 + 31 * MINUTE).starts == []

    c.hub.stop_server("bob")
    assert c.tick(T0 + 60 * MINUTE).starts == [Start("cat", "gpu", "0")]
    assert c.gpu_of("cat") == "0" and c.queue() == []
    assert c.hub.started == [("ann", "gpu"), ("bob", "gpu"), ("cat", "gpu")]


def test_two_gpus_are_never_given_to_one_student_nor_one_to_two(engine: Engine) -> None:
    add_users(engine, "ann", "bob", "cat", "dan")
    c = Course_(engine, ["0", "1"])
    for minute, user in enumerate(["ann", "bob", "cat", "dan", "ann", "cat"]):
        c.press_start(user, T0 + minute * MINUTE)
    assert (c.gpu_of("ann"), c.gpu_of("bob"), c.queue()) == ("0", "1", ["cat", "dan"])
    c.hub.stop_server("bob")
    assert c.tick(T0 + 20 * MINUTE).starts == [Start("cat", "gpu", "1")]
    c.hub.stop_server("ann")
    assert c.tick(T0 + 21 * MINUTE).starts == [Start("dan", "gpu", "0")]
    assert c.press_start("cat", T0 + 22 * MINUTE).environment == {"CUDA_VISIBLE_DEVICES": "1"}


class RefusingHub(FakeHub):
    def start_server(self, user: str, profile: str) -> None:
        raise ConnectionError("spawn failed")


def test_a_gpu_whose_server_never_comes_goes_back_after_the_grace(engine: Engine) -> None:
    add_users(engine, "ann", "bob", "zed")
    with session_scope(engine) as session:
        for user, at in [("zed", T0), ("ann", T0 + MINUTE), ("bob", T0 + 2 * MINUTE)]:
            decide_spawn(session, course(), compute(), user, "gpu", at)
    hub = RefusingHub()  # zed's server is gone; ann's start will fail
    start = T0 + 10 * MINUTE
    report = run_tick(engine, hub, start)
    assert report.starts == [Start("ann", "gpu", "0")]
    assert report.failures == ["start ann on GPU 0: spawn failed"]
    assert run_tick(engine, hub, start + 4 * MINUTE).releases == []  # the spawn may still come
    late = run_tick(engine, hub, start + 5 * MINUTE)
    assert late.releases == ["0"] and late.starts == [Start("bob", "gpu", "0")]


def test_a_student_on_a_cpu_server_keeps_their_place_but_is_skipped(engine: Engine) -> None:
    add_users(engine, "ann", "bob", "cat")
    c = Course_(engine, ["0"])
    c.press_start("ann", T0)
    c.press_start("bob", T0 + MINUTE)
    c.press_start("cat", T0 + 2 * MINUTE)
    c.hub.servers["bob"] = server("bob", "cpu", T0)  # bob opened a CPU server meanwhile
    c.hub.stop_server("ann")
    assert c.tick(T0 + 30 * MINUTE).starts == [Start("cat", "gpu", "0")]
    assert c.queue() == ["bob"]


# --- one meter at a time -------------------------------------------------------------------


def test_the_lease_lets_one_replica_meter_at_a_time(engine: Engine) -> None:
    add_users(engine, "ann")
    hub = FakeHub([server("ann", "gpu", T0)])
    ttl = 3 * MINUTE

    def meter(holder: str, at: datetime) -> TickReport | None:
        return meter_once(engine, hub, course(), compute(), at, holder=holder, lease_ttl=ttl)

    assert meter("a", T0) is not None
    assert meter("b", T0 + MINUTE) is None
    assert meter("a", T0 + 2 * MINUTE) is not None
    assert meter("b", T0 + 4 * MINUTE) is None
    taken = meter("b", T0 + 5 * MINUTE)  # "a" stopped renewing: the lease passes on
    assert taken is not None and taken.charges == 1
    assert total_charged_mc(engine) == gpu_mc(6)


def test_the_loop_meters_until_stopped_and_gives_the_lease_back(engine: Engine) -> None:
    add_users(engine, "ann")

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        times = iter([T0, T0 + MINUTE, T0 + 2 * MINUTE])

        class StoppingHub(FakeHub):
            calls = 0

            def running_servers(self) -> list[RunningServer]:
                self.calls += 1
                if self.calls == 3:
                    loop.call_soon_threadsafe(stop.set)
                return super().running_servers()

        hub = StoppingHub([server("ann", "gpu", T0)])
        await asyncio.wait_for(
            run_metering_forever(
                engine,
                hub,
                course(),
                compute(),
                interval_seconds=0.01,
                holder="a",
                clock=lambda: next(times),
                stop=stop,
            ),
            timeout=10,
        )
        return hub.calls

    assert asyncio.run(main()) == 3
    assert total_charged_mc(engine) == gpu_mc(3)
    with session_scope(engine) as session:
        assert acquire_lease(session, metering.LEASE_NAME, "b", T0, 3 * MINUTE)
