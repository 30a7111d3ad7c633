"""What the dashboard shows about compute: credits, the student's server, the GPU queue.

Gathered here from the store and the hub's server list, so the template only lays it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from practicum.compute import Compute
from practicum.compute.credits import WarningLevel, time_left, warning_level
from practicum.compute.profiles import Profile
from practicum.compute.queue import position
from practicum.hub.types import RunningServer
from practicum.store import User
from practicum.store.credits import balance_mc, history, is_metered
from practicum.store.gpu_queue import assignment_of, assignments, waiting
from practicum.store.models import CreditEntry
from practicum.web.hub_servers import ServersSnapshot

HISTORY_ROWS = 50
HISTORY_ENTRIES = 2000
"""Ledger lines read to fill the history: a GPU hour is 60 one-minute charges."""


@dataclass(frozen=True)
class HistoryRow:
    """A ledger line, or the consecutive charges of one server run added up."""

    at: datetime
    since: datetime | None
    """First charge of a run shown as one row (None for a single line)."""
    kind: str
    amount_mc: int
    actor: str
    reason: str
    lines: int = 1


def history_rows(entries: Sequence[CreditEntry], limit: int = HISTORY_ROWS) -> list[HistoryRow]:
    """Newest first, each run's charges in one row: a slot a minute would bury the grants."""
    rows: list[HistoryRow] = []
    last_run = None
    for entry in entries:
        run = entry.key.rsplit(":", 1)[0] if entry.kind == "charge" and entry.key else None
        if run is not None and run == last_run:
            top = rows[-1]
            rows[-1] = HistoryRow(
                top.at,
                entry.created_at,
                top.kind,
                top.amount_mc + entry.amount_mc,
                top.actor,
                top.reason,
                top.lines + 1,
            )
            continue
        if len(rows) == limit:
            break
        rows.append(
            HistoryRow(
                entry.created_at, None, entry.kind, entry.amount_mc, entry.actor, entry.reason
            )
        )
        last_run = run
    return rows


@dataclass(frozen=True)
class StartOption:
    profile: Profile
    rate_per_hour: float
    lasts: timedelta | None
    """How long the balance pays for this profile; None when it is free."""
    available: bool
    """False for GPU profiles on a machine without GPUs."""


@dataclass(frozen=True)
class QueuePlace:
    position: int
    profile: str
    requested_at: datetime
    wait: timedelta


@dataclass(frozen=True)
class ServerView:
    server: RunningServer
    profile: Profile | None
    """None: a profile practicum.toml no longer lists."""
    state: str
    """"starting", "running" or "stopping"."""


@dataclass(frozen=True)
class CreditPanel:
    metered: bool
    """False for staff: their servers are neither charged nor refused for credits."""
    balance_mc: int
    rate_per_hour: float
    """Of the running server, else of the dearest profile (what a start could cost)."""
    rate_profile: Profile | None
    time_left: timedelta | None
    warning: WarningLevel
    server: ServerView | None
    gpu: str | None
    """The GPU held for the student (their server runs on it, or is about to)."""
    queue: QueuePlace | None
    options: tuple[StartOption, ...]
    history: tuple[HistoryRow, ...]
    hub_error: str
    warn_below: float
    lab_url: str

    @property
    def refresh(self) -> bool:
        """The page reloads itself while something is about to change (no scripts here)."""
        return self.queue is not None or (
            self.server is not None and self.server.state != "running"
        )


def _state(server: RunningServer) -> str:
    if server.pending == "stop":
        return "stopping"
    return "running" if server.ready else "starting"


def _queue_place(
    session: Session, user: User, compute: Compute, now: datetime
) -> QueuePlace | None:
    queue = waiting(session)
    place = position(queue, user.name)
    if place is None:
        return None
    entry = next(e for e in queue if e.user == user.name)
    elapsed = [now - a.assigned_at for a in assignments(session)]
    wait = compute.queue_wait(place, elapsed) if compute.gpus else timedelta(0)
    return QueuePlace(place, entry.profile, entry.requested_at, wait)


def credit_panel(
    session: Session,
    compute: Compute,
    user: User,
    servers: ServersSnapshot,
    now: datetime,
    lab_url: str,
) -> CreditPanel:
    balance = balance_mc(session, user)
    running = servers.of(user.name)
    server = None
    if running is not None:
        server = ServerView(running, compute.profile(running.profile), _state(running))
    options = tuple(
        StartOption(
            profile=p,
            rate_per_hour=compute.rate(p),
            lasts=time_left(balance, compute.rate(p)),
            available=bool(compute.gpus) or not p.gpu,
        )
        for p in compute.profiles.values()
    )
    if server is not None and server.profile is not None:
        rate_profile: Profile | None = server.profile
    else:
        rate_profile = max(options, key=lambda o: o.rate_per_hour).profile if options else None
    rate = compute.rate(rate_profile) if rate_profile is not None else 0.0
    held = assignment_of(session, user)
    return CreditPanel(
        metered=is_metered(user),
        balance_mc=balance,
        rate_per_hour=rate,
        rate_profile=rate_profile,
        time_left=time_left(balance, rate),
        warning=warning_level(balance, rate, compute.credits.warn_below),
        server=server,
        gpu=held.gpu if held is not None else None,
        queue=_queue_place(session, user, compute, now),
        options=options,
        history=tuple(history_rows(history(session, user, HISTORY_ENTRIES))),
        hub_error=servers.error,
        warn_below=compute.credits.warn_below,
        lab_url=lab_url,
    )
