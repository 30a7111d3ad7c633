"""May this student start a server now? The hub's pre-spawn question, answered from the store.

The answer says why not and what to do, because the hub shows it to the student as is.
GPUs are handed out here (or by the metering tick from the queue), never by the spawner,
so that one GPU can never end up in two servers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from practicum.course import Course
from practicum.hub.credits import format_credits, format_duration, time_left, warning_level
from practicum.hub.queue import estimated_wait
from practicum.hub.types import Profile, SpawnDecision
from practicum.store.credits import balance_mc, grant_due_lessons
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

TYPICAL_GPU_SESSION = timedelta(hours=1)
"""Session length assumed for queue wait estimates; idle culling keeps real ones near it."""
NO_GPU = ""
"""CUDA_VISIBLE_DEVICES for CPU servers: torch sees no GPU even on a GPU machine."""


def profile_named(profiles: Mapping[str, Profile], name: str) -> Profile | None:
    """The profile a server runs with; "" (started without options) is the spawner's default,
    the first CPU profile, else the first profile."""
    if name:
        return profiles.get(name)
    cpu = [p for p in profiles.values() if not p.gpu]
    return next(iter(cpu or profiles.values()), None)


def rate_for(course: Course, profile: Profile) -> float:
    policy = course.credits
    return policy.gpu_rate_per_hour if profile.gpu else policy.cpu_rate_per_hour


def is_metered(user: User) -> bool:
    """Staff run servers to prepare the course: neither charged nor refused for credits."""
    return user.role != "staff"


def _refuse(message: str, position: int | None = None) -> SpawnDecision:
    return SpawnDecision(allowed=False, message=message, queue_position=position)


def _gpu_allowed(
    assignment: Assignment, balance: int | None, course: Course, profile: Profile
) -> SpawnDecision:
    note = f"GPU {assignment.gpu} is yours"
    rate = rate_for(course, profile)
    if balance is not None and warning_level(balance, rate, course.credits.warn_below) == "low":
        left = time_left(balance, rate) or timedelta(0)
        note += f"; {format_credits(balance)} credits left, about {format_duration(left)}"
    return SpawnDecision(
        allowed=True, message=note, environment={"CUDA_VISIBLE_DEVICES": assignment.gpu}
    )


def _no_credits(course: Course, profile: Profile) -> str:
    message = (
        f"no credits left: a {profile.display_name} server costs "
        f"{rate_for(course, profile):g} credits an hour; staff can grant credits"
    )
    if profile.gpu and course.credits.cpu_rate_per_hour <= 0:
        message += "; CPU servers are free"
    return message


def decide_spawn(
    session: Session,
    course: Course,
    settings_profiles: Mapping[str, Profile],
    gpus: Sequence[str],
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
    profile = profile_named(settings_profiles, profile_name)
    if profile is None:
        known = ", ".join(settings_profiles) or "none configured"
        return _refuse(f"unknown server profile {profile_name!r}; choose one of: {known}")

    balance = None
    if is_metered(user):
        grant_due_lessons(session, user, course, now)
        balance = balance_mc(session, user)
        if rate_for(course, profile) > 0 and balance <= 0:
            leave_queue(session, user)
            return _refuse(_no_credits(course, profile))

    if not profile.gpu:
        leave_queue(session, user)
        release_gpu_of(session, user)
        return SpawnDecision(allowed=True, environment={"CUDA_VISIBLE_DEVICES": NO_GPU})
    if not gpus:
        return _refuse(
            f"this machine has no GPUs for {profile.display_name} servers; start a CPU one"
        )

    held = assignment_of(session, user)
    if held is not None:
        return _gpu_allowed(held, balance, course, profile)
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
            return _gpu_allowed(held, balance, course, profile)

    place = join_queue(session, user, profile.name, now)
    elapsed = [now - a.assigned_at for a in busy]
    wait = estimated_wait(place, len(gpus), elapsed, TYPICAL_GPU_SESSION)
    return _refuse(
        f"all {len(gpus)} GPU(s) are busy: you are number {place} in the queue, "
        f"about {format_duration(wait)} to wait; your server starts by itself when a GPU "
        "frees; keep the dashboard open",
        place,
    )


def request_start(
    session: Session,
    course: Course,
    settings_profiles: Mapping[str, Profile],
    gpus: Sequence[str],
    user_name: str,
    profile_name: str,
    now: datetime,
) -> SpawnDecision:
    """The dashboard's Start button: `decide_spawn`, and the spawn grace period restarts now.

    The web layer calls hub.start_server when this allows; the hub then asks `decide_spawn`
    again from its pre-spawn hook, which finds the GPU already assigned.
    """
    decision = decide_spawn(session, course, settings_profiles, gpus, user_name, profile_name, now)
    gpu = decision.environment.get("CUDA_VISIBLE_DEVICES")
    if decision.allowed and gpu:
        mark_start_requested(session, gpu, now)
    return decision
