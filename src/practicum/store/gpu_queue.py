"""The GPU queue, GPU assignments and leases as rows: the state the queue policy decides over.

The schema itself enforces the fairness rules that matter most: one queue place per
student, each GPU to one student, each student at most one GPU. A concurrent writer that
would break one gets a clear error (or False) instead of a second row. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from practicum.compute.queue import QueueEntry, in_order
from practicum.store.errors import StoreError
from practicum.store.models import GpuAssignment, GpuQueueEntry, Lease, User, check_aware


class GpuBusy(StoreError):
    """The GPU is someone else's, or the student already holds another one."""


class Assignment(NamedTuple):
    gpu: str
    user: str
    user_id: int
    assigned_at: datetime
    start_requested_at: datetime | None

    @property
    def since(self) -> datetime:
        """When the hub was last asked to use this GPU: spawn grace periods count from here."""
        return max(self.assigned_at, self.start_requested_at or self.assigned_at)


@contextmanager
def _unique_or_false(session: Session) -> Iterator[list[bool]]:
    """Run inserts in a savepoint; the yielded flag turns False if a unique key refused them."""
    ok = [True]
    try:
        with session.begin_nested():
            yield ok
    except IntegrityError:
        ok[0] = False


def waiting(session: Session) -> list[QueueEntry]:
    """Everyone waiting for a GPU, first to last."""
    rows = session.execute(
        select(User.name, GpuQueueEntry.profile, GpuQueueEntry.requested_at, GpuQueueEntry.id)
        .join(User, User.id == GpuQueueEntry.user_id)
        .order_by(GpuQueueEntry.requested_at, GpuQueueEntry.id)
    )
    return in_order(QueueEntry(*row) for row in rows)


def join_queue(session: Session, user: User, profile: str, now: datetime) -> int:
    """Put the user in the queue (joining again keeps their first place); returns the place."""
    check_aware(now, "now")
    if session.scalar(select(GpuQueueEntry.id).where(GpuQueueEntry.user_id == user.id)) is None:
        with _unique_or_false(session):  # a concurrent join of the same user: theirs stands
            session.add(GpuQueueEntry(user_id=user.id, profile=profile, requested_at=now))
            session.flush()
    ahead = [entry.user for entry in waiting(session)]
    return ahead.index(user.name) + 1


def leave_queue(session: Session, user: User) -> bool:
    """Take the user out of the queue; False if they were not in it."""
    result = session.execute(delete(GpuQueueEntry).where(GpuQueueEntry.user_id == user.id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def assignments(session: Session) -> list[Assignment]:
    rows = session.execute(
        select(
            GpuAssignment.gpu,
            User.name,
            User.id,
            GpuAssignment.assigned_at,
            GpuAssignment.start_requested_at,
        )
        .join(User, User.id == GpuAssignment.user_id)
        .order_by(GpuAssignment.gpu)
    )
    return [Assignment(*row) for row in rows]


def assignment_of(session: Session, user: User) -> Assignment | None:
    return next((a for a in assignments(session) if a.user_id == user.id), None)


def assign_gpu(
    session: Session, user: User, gpu: str, now: datetime, *, start_requested: bool = False
) -> Assignment:
    """Give `gpu` to `user`; `start_requested`: Practicum is about to ask the hub to start it.

    Raises GpuBusy if the GPU is taken or the user already holds a GPU, also when a
    concurrent transaction took it first.
    """
    check_aware(now, "now")
    holder = session.get(GpuAssignment, gpu)
    if holder is not None:
        raise GpuBusy(f"GPU {gpu} is already assigned")
    held = session.scalar(select(GpuAssignment.gpu).where(GpuAssignment.user_id == user.id))
    if held is not None:
        raise GpuBusy(f"{user.name} already holds GPU {held}")
    row = GpuAssignment(
        gpu=gpu,
        user_id=user.id,
        assigned_at=now,
        start_requested_at=now if start_requested else None,
    )
    with _unique_or_false(session) as ok:
        session.add(row)
        session.flush()
    if not ok[0]:
        raise GpuBusy(f"GPU {gpu} was just assigned to someone else, or {user.name} got another")
    return Assignment(gpu, user.name, user.id, now, row.start_requested_at)


def mark_start_requested(session: Session, gpu: str, now: datetime) -> None:
    session.execute(
        update(GpuAssignment).where(GpuAssignment.gpu == gpu).values(start_requested_at=now)
    )


def release_gpu(session: Session, gpu: str) -> bool:
    """Free the GPU for the queue; False if it was not assigned."""
    result = session.execute(delete(GpuAssignment).where(GpuAssignment.gpu == gpu))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release_gpu_of(session: Session, user: User) -> str | None:
    """Free whatever GPU the user holds; returns it, or None."""
    gpu = session.scalar(select(GpuAssignment.gpu).where(GpuAssignment.user_id == user.id))
    if gpu is not None:
        release_gpu(session, gpu)
    return gpu


def acquire_lease(session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease `name` until now + ttl; False while someone else holds it.

    One conditional UPDATE (or the INSERT of a missing row) decides, so two replicas that
    try at the same moment cannot both win.
    """
    check_aware(now, "now")
    if ttl <= timedelta(0):
        raise ValueError(f"lease ttl must be positive; got {ttl}")
    expires = now + ttl
    renewed = session.execute(
        update(Lease)
        .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at <= now))
        .values(holder=holder, expires_at=expires)
    )
    if renewed.rowcount:  # type: ignore[attr-defined]
        return True
    if session.get(Lease, name) is not None:
        return False
    with _unique_or_false(session) as ok:
        session.add(Lease(name=name, holder=holder, expires_at=expires))
        session.flush()
    return ok[0]


def release_lease(session: Session, name: str, holder: str) -> bool:
    """Give the lease up early (on shutdown) so another replica need not wait for it to expire."""
    result = session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))
    return bool(result.rowcount)  # type: ignore[attr-defined]
