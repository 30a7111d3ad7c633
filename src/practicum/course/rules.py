"""Decisions over a course at a given moment: limits, lateness, leaderboards, completion.

Every function takes `now` instead of reading the clock, so that the service, a replay of
past events and the tests get the same answer for the same moment. All datetimes must be
timezone-aware; arithmetic is done in UTC so that a DST change never shifts a deadline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from practicum.course.model import Course, Homework, Lesson

DAY = timedelta(days=1)
FINAL_REPORT = "final report"
"""The `missing` item for a report; never a homework id, since ids have no spaces."""

LateStatus = Literal["on_time", "late", "closed"]
Phase = Literal["public", "private"]


@dataclass(frozen=True)
class Late:
    status: LateStatus
    """closed: no submission is accepted now (not yet open, or past what the policy allows)."""
    days_late: int
    """Started 24-hour periods since the deadline: one second late is one day late."""


@dataclass(frozen=True)
class CompletionStatus:
    complete: bool
    missing: list[str]
    """Required homework ids whose target is not reached, then FINAL_REPORT if needed."""


def _utc(moment: datetime) -> datetime:
    """The same instant in UTC; refuses naive datetimes, whose meaning would be a guess."""
    if moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: pass a timezone-aware one")
    return moment.astimezone(UTC)


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def submissions_left_today(
    homework: Homework, course_tz: ZoneInfo, times: Sequence[datetime], now: datetime
) -> tuple[int, datetime]:
    """Submissions left in the course-local day of `now`, and the local midnight that resets it.

    Days follow the course's time zone, not UTC, so that every student's day is the same
    calendar day the staff announce.
    """
    today = _utc(now).astimezone(course_tz).date()
    start = _utc(_local_midnight(today, course_tz))
    resets_at = _local_midnight(today + DAY, course_tz)
    end = _utc(resets_at)
    used = sum(1 for moment in times if start <= _utc(moment) < end)
    return max(0, homework.daily_limit - used), resets_at


def lateness(homework: Homework, now: datetime) -> Late:
    """Whether a submission made at `now` is on time, late but accepted, or refused."""
    now = _utc(now)
    if now < _utc(homework.opens):
        return Late("closed", 0)
    overdue = now - _utc(homework.deadline)
    if overdue <= timedelta(0):
        return Late("on_time", 0)
    days = -(-overdue // DAY)
    policy = homework.late_policy
    if policy.mode == "refuse" or (policy.until is not None and now > _utc(policy.until)):
        return Late("closed", days)
    return Late("late", days)


def is_open(homework: Homework, now: datetime) -> bool:
    """Whether a submission made at `now` is accepted (on time, or late under the policy)."""
    return lateness(homework, now).status != "closed"


def apply_late_policy(
    homework: Homework, score: float, metric_higher_is_better: bool, now: datetime
) -> tuple[float | None, str]:
    """The score a submission made at `now` ranks with (None: not ranked), and why."""
    late = lateness(homework, now)
    if late.status == "on_time":
        return score, ""
    if late.status == "closed":
        if _utc(now) < _utc(homework.opens):
            return None, f"not open yet: opens {homework.opens:%Y-%m-%d %H:%M %Z}"
        closed_at = homework.late_policy.until or homework.deadline
        return None, f"closed: no submissions after {closed_at:%Y-%m-%d %H:%M %Z}"
    days = f"{late.days_late} day{'s' if late.days_late != 1 else ''} late"
    if homework.late_policy.mode == "accept_unranked":
        return None, f"{days}: scored but not ranked and not counted for completion"
    rate = homework.late_policy.penalty_per_day
    factor = (1 - rate) ** late.days_late
    ranked, sign = (score * factor, "×") if metric_higher_is_better else (score / factor, "÷")
    return ranked, (
        f"{days}: score {score:.4g} {sign} {factor:.4g} (penalty {rate:.0%} per day) = {ranked:.4g}"
    )


def leaderboard_phase(homework: Homework, now: datetime) -> Phase:
    """Public scores until the deadline; the private split decides after it."""
    return "private" if _utc(now) > _utc(homework.deadline) else "public"


def public_cutoff(homework: Homework, course_tz: ZoneInfo, now: datetime) -> datetime:
    """The public board shows submissions made up to this moment (the last refresh)."""
    refresh_at = homework.leaderboard_refresh.daily_at
    if refresh_at is None:
        return now
    today = _utc(now).astimezone(course_tz).date()
    cutoff = datetime.combine(today, refresh_at, tzinfo=course_tz)
    if _utc(cutoff) > _utc(now):
        cutoff = datetime.combine(today - DAY, refresh_at, tzinfo=course_tz)
    return cutoff


def open_lessons(course: Course, now: datetime) -> tuple[Lesson, ...]:
    """Lessons opened and not closed at `now`."""
    now = _utc(now)
    return tuple(
        lesson
        for lesson in course.lessons
        if _utc(lesson.opens) <= now and (lesson.closes is None or now < _utc(lesson.closes))
    )


def credits_granted(course: Course, now: datetime) -> float:
    """Credits every student has received by `now`: a lesson grants its allocation as it opens,
    and keeps it granted after it closes."""
    now = _utc(now)
    return sum((lesson.credits for lesson in course.lessons if _utc(lesson.opens) <= now), 0.0)


def target_reached(homework: Homework, score: float) -> bool:
    """Whether `score` reaches the target in the metric's direction (no target: any score)."""
    if homework.target is None:
        return True
    if homework.higher_is_better:
        return score >= homework.target
    return score <= homework.target


def completion(
    course: Course, best_scores: Mapping[str, float], report_accepted: bool
) -> CompletionStatus:
    """Whether a student completed the course, and what is still missing.

    `best_scores` holds each homework's best *ranked* score (late penalties applied; late
    unranked submissions left out), keyed by homework id.
    """
    missing = [
        hw_id
        for hw_id in course.completion.required_homework
        if hw_id not in best_scores
        or not target_reached(course.homework[hw_id], best_scores[hw_id])
    ]
    if course.completion.report_required and not report_accepted:
        missing.append(FINAL_REPORT)
    return CompletionStatus(complete=not missing, missing=missing)
