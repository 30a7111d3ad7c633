"""A small course, two profiles, students and a fake hub for the credit and queue tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from course_helpers import edited
from sqlalchemy import Engine, func, select

from practicum.compute import Compute
from practicum.compute.profiles import Profile
from practicum.course import Course, parse_course
from practicum.hub.types import RunningServer, SpawnDecision
from practicum.store import CreditEntry, User, create_user, session_scope

COURSE_TOML = edited(('timezone = "Asia/Tokyo"', 'timezone = "UTC"'))
"""The course tests' course in UTC: lessons of 40, 40 and 60 credits, the default credit
policy (2 credits a GPU hour, CPU free, warned under 4)."""

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
"""Lesson 1 (40 credits) is open, lesson 2 not yet."""
MINUTE = timedelta(minutes=1)

CPU = Profile("cpu", "CPU", gpu=False, idle_timeout_minutes=120)
GPU = Profile("gpu", "GPU", gpu=True, idle_timeout_minutes=20)
PROFILES = {"cpu": CPU, "gpu": GPU}


def course(**credit_changes: float) -> Course:
    parsed = parse_course(COURSE_TOML)
    return replace(parsed, credits=replace(parsed.credits, **credit_changes))


def compute(gpus: Sequence[str] = ("0",), of: Course | None = None) -> Compute:
    """The two test profiles and `gpus`, at the credit rates of `of` (default `course()`)."""
    return Compute((of or course()).credits, PROFILES, gpus)


def add_users(engine: Engine, *names: str, role: str = "student") -> None:
    with session_scope(engine) as session:
        for name in names:
            create_user(session, name, role, now=T0)


def set_admitted(engine: Engine, name: str, admitted: bool) -> None:
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.name == name))
        assert user is not None
        user.admitted = admitted


def total_charged_mc(engine: Engine) -> int:
    with session_scope(engine, read_only=True) as session:
        total = session.scalar(
            select(func.coalesce(func.sum(CreditEntry.amount_mc), 0)).where(
                CreditEntry.kind == "charge"
            )
        )
        return -int(total or 0)


SpawnCheck = Callable[[str, str], SpawnDecision]
"""The hub's pre-spawn hook: (user, profile) -> Practicum's answer."""


class FakeHub:
    """The hub's REST API as a dict of running servers; starts become ready at once.

    With `check`, a start first asks it, as JupyterHub's pre-spawn hook does, and keeps the
    environment it answers (CUDA_VISIBLE_DEVICES) with the server.
    """

    def __init__(
        self, servers: Iterable[RunningServer] = (), check: SpawnCheck | None = None
    ) -> None:
        self.servers = {s.user: s for s in servers}
        self.check = check
        self.environment: dict[str, dict[str, str]] = {}
        self.started: list[tuple[str, str]] = []
        self.stopped: list[str] = []
        self.now = T0
        """The time a started server records as its start."""

    def running_servers(self) -> list[RunningServer]:
        return list(self.servers.values())

    def start_server(self, user: str, profile: str) -> None:
        if self.check is not None:
            decision = self.check(user, profile)
            if not decision.allowed:
                raise RuntimeError(f"spawn refused: {decision.message}")
            self.environment[user] = decision.environment
        self.started.append((user, profile))
        self.servers[user] = server(user, profile, self.now)

    def stop_server(self, user: str) -> None:
        self.stopped.append(user)
        self.servers.pop(user, None)


def server(user: str, profile: str, started: datetime, *, ready: bool = True) -> RunningServer:
    return RunningServer(
        user=user,
        server_name="",
        profile=profile,
        started=started,
        last_activity=started,
        ready=ready,
        pending=None if ready else "spawn",
    )
