"""The fair GPU queue as plain data: who starts next, where a student stands, how long to wait.

First come, first served by request time (ties by queue id, i.e. insertion order), one place
per student. The store keeps the queue; these functions only decide over a snapshot of it.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

TYPICAL_GPU_SESSION = timedelta(hours=1)
"""Session length assumed for queue wait estimates; idle culling keeps real ones near it."""


@dataclass(frozen=True)
class QueueEntry:
    user: str
    profile: str
    requested_at: datetime
    id: int = 0
    """The store's row id: breaks ties between equal request times in insertion order."""


def in_order(waiting: Iterable[QueueEntry]) -> list[QueueEntry]:
    """The queue first to last, one place per user (their earliest)."""
    seen: set[str] = set()
    ordered = []
    for entry in sorted(waiting, key=lambda e: (e.requested_at, e.id)):
        if entry.user not in seen:
            seen.add(entry.user)
            ordered.append(entry)
    return ordered


def plan_starts(
    waiting: Iterable[QueueEntry], free_gpus: Sequence[str]
) -> list[tuple[QueueEntry, str]]:
    """Pair the head of the queue with the free GPUs, each GPU to one student."""
    return list(zip(in_order(waiting), dict.fromkeys(free_gpus), strict=False))


def position(waiting: Iterable[QueueEntry], user: str) -> int | None:
    """The user's 1-based place in the queue, None if they are not waiting."""
    for place, entry in enumerate(in_order(waiting), start=1):
        if entry.user == user:
            return place
    return None


def estimated_wait(
    position: int,
    n_gpus: int,
    running_elapsed: Sequence[timedelta],
    typical: timedelta,
) -> timedelta:
    """When the student at `position` should get a GPU, assuming sessions last `typical`.

    Each GPU frees when its current session reaches `typical` (at once if it already has,
    or if the GPU is idle); the queue then takes the GPUs in the order they free, each new
    session again lasting `typical`.
    """
    if n_gpus < 1:
        raise ValueError("there are no GPUs, so the queue never moves")
    if position < 1:
        raise ValueError(f"queue positions start at 1; got {position}")
    busy = sorted(running_elapsed, reverse=True)[:n_gpus]
    frees = [max(typical - elapsed, timedelta(0)) for elapsed in busy]
    frees += [timedelta(0)] * (n_gpus - len(frees))
    heapq.heapify(frees)
    for _ in range(position - 1):
        heapq.heappush(frees, heapq.heappop(frees) + typical)
    return frees[0]
