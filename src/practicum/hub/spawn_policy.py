"""May this student start a server now? The hub's pre-spawn question, answered from the store.

The answer says why not and what to do, because the hub shows it to the student as is.
GPUs are handed out here (or by the metering tick from the queue), never by the spawner,
so that one GPU can never end up in two servers.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from practicum.compute import Compute
from practicum.compute.credits import format_credits, format_duration, time_left, warning_level
from practicum.compute.profiles import Profile
from practicum.course import Course
from practicum.hub.types import SpawnDecision
from practicum.store.credits import balance_mc, grant_due_lessons, is_metered
from practicum.store.gpu_queue import (
    Assignment,
    GpuBusy,
    assign_gpu,
    assignment_of,
    assignments,
    join_queue,
    leave_queue,
    mark_start_requested,
    release_gpu_of,
    waiting,
)
from practicum.store.models import User

NO_GPU = ""
"""CUDA_VISIBLE_DEVICES for CPU servers: torch sees no GPU even on a GPU machine."""


def _refuse(message: str, position: int | None = None) -> SpawnDecision:
    return SpawnDecision(allowed=False, message=message, queue_position=position)


def _gpu_allowed(
    assignment: Assignment, balance: int | None, compute: Compute, profile: Profile
) -> SpawnDecision:
    note = f"GPU {assignment.gpu} is yours"
    rate = compute.rate(profile)
    if balance is not None and warning_level(balance, rate, compute.credits.warn_below) == "low":
        left = time_left(balance, rate) or timedelta(0)
        note += f"; {format_credits(balance)} credits left, about {format_duration(left)}"
    return SpawnDecision(
        allowed=True, message=note, environment={"CUDA_VISIBLE_DEVICES": assignment.gpu}
    )


def _no_credits(compute: Compute, profile: Profile) -> str:
    message = (
        f"no credits left: a {profile.display_name} server costs "
        f"{compute.rate(profile):g} credits an hour; staff can grant credits"
    )
    if profile.gpu and compute.credits.cpu_rate_per_hour <= 0:
        message += "; CPU servers are free"
    return message


def decide_spawn(
    session: Session,
    course: Course,
    compute: Compute,
    user_name: str,
    profile_name: str,
    now: datetime,
) -> SpawnDecision:
    """Admitted, known profile, credits for a charged profile, and for a GPU: a GPU of one's own.

    A GPU is granted when the student already holds one, or when one is free and nobody
    waiting ahead of them is owed it; otherwise the student keeps (or takes) a place in the
    queue and the metering loop starts their server when their turn comes.
    """
    user = session.scalar(select(User).where(User.name == user_name))
    if user is None or not user.admitted:
        return _refuse(f"not admitted to {course.title} yet: ask staff")
    profile = compute.profile(profile_name)
    if profile is None:
        known = ", ".join(compute.profiles) or "none configured"
        return _refuse(f"unknown server profile {profile_name!r}; choose one of: {known}")

    balance = None
    if is_metered(user):
        grant_due_lessons(session, user, course, now)
        balance = balance_mc(session, user)
        if compute.rate(profile) > 0 and balance <= 0:
            leave_queue(session, user)
            return _refuse(_no_credits(compute, profile))

    if not profile.gpu:
        leave_queue(session, user)
        release_gpu_of(session, user)
        return SpawnDecision(allowed=True, environment={"CUDA_VISIBLE_DEVICES": NO_GPU})
    gpus = compute.gpus
    if not gpus:
        return _refuse(
            f"this machine has no GPUs for {profile.display_name} servers; start a CPU one"
        )

    held = assignment_of(session, user)
    if held is not None:
        return _gpu_allowed(held, balance, compute, profile)
    busy = assignments(session)
    taken = {a.gpu for a in busy}
    free = [gpu for gpu in gpus if gpu not in taken]
    queue = waiting(session)
    ahead = next((i for i, e in enumerate(queue) if e.user == user.name), len(queue))
    if ahead < len(free):
        # Those ahead keep the first free GPUs; the tick starts their servers on them.
        with contextlib.suppress(GpuBusy):  # taken by a concurrent check: queue instead
            held = assign_gpu(session, user, free[ahead], now)
            leave_queue(session, user)
            return _gpu_allowed(held, balance, compute, profile)

    place = join_queue(session, user, profile.name, now)
    elapsed = [now - a.assigned_at for a in busy]
    wait = compute.queue_wait(place, elapsed)
    return _refuse(
        f"all {len(gpus)} GPU(s) are busy: you are number {place} in the queue, "
        f"about {format_duration(wait)} to wait; your server starts by itself when a GPU "
        "frees; keep the dashboard open",
        place,
    )


def request_start(
    session: Session,
    course: Course,
    compute: Compute,
    user_name: str,
    profile_name: str,
    now: datetime,
) -> SpawnDecision:
    """The dashboard's Start button: `decide_spawn`, and the spawn grace period restarts now.

    The web layer calls hub.start_server when this allows; the hub then asks `decide_spawn`
    again from its pre-spawn hook, which finds the GPU already assigned.
    """
    decision = decide_spawn(session, course, compute, user_name, profile_name, now)
    gpu = decision.environment.get("CUDA_VISIBLE_DEVICES")
    if decision.allowed and gpu:
        mark_start_requested(session, gpu, now)
    return decision
