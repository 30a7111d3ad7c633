"""Rules over a course at a given moment: daily limits, lateness, boards, credits, completion."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from practicum.course import (
    FINAL_REPORT,
    Course,
    Homework,
    Late,
    LateMode,
    LatePolicy,
    RefreshPolicy,
    apply_late_policy,
    completion,
    credits_granted,
    is_open,
    lateness,
    leaderboard_phase,
    open_lessons,
    public_cutoff,
    submissions_left_today,
)

TOKYO = ZoneInfo("Asia/Tokyo")
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)


def jst(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


def with_late(
    hw: Homework, mode: LateMode, per_day: float = 0.0, until: datetime | None = None
) -> Homework:
    return replace(hw, late_policy=LatePolicy(mode, until, per_day))


# --- daily submission limit -------------------------------------------------------------


def test_local_midnight_in_tokyo_splits_one_utc_day(base: Course) -> None:
    hw = base.homework["hw1"]
    before_midnight, after_midnight = jst(12, 10, 23, 59), jst(12, 11, 0, 1)
    assert before_midnight.astimezone(UTC).date() == after_midnight.astimezone(UTC).date()
    left, resets_at = submissions_left_today(hw, TOKYO, [before_midnight] * 5, after_midnight)
    assert (left, resets_at) == (5, jst(12, 12))
    left, resets_at = submissions_left_today(hw, TOKYO, [before_midnight] * 2, before_midnight)
    assert (left, resets_at) == (3, jst(12, 11))


def test_submissions_count_down_and_never_below_zero(base: Course) -> None:
    hw = base.homework["hw1"]
    now = jst(12, 11, 12)
    times = [jst(12, 11, 0, 1), jst(12, 11, 9), (jst(12, 11, 10)).astimezone(UTC)]
    assert submissions_left_today(hw, TOKYO, times, now)[0] == 2
    assert submissions_left_today(hw, TOKYO, times * 3, now)[0] == 0


def test_day_length_follows_dst_in_the_course_zone(base: Course) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    now = datetime(2027, 3, 28, 12, tzinfo=berlin)
    _, resets_at = submissions_left_today(base.homework["hw1"], berlin, [], now)
    assert resets_at == datetime(2027, 3, 29, tzinfo=berlin)
    assert resets_at.astimezone(UTC) == datetime(2027, 3, 28, 22, tzinfo=UTC)


def test_naive_datetimes_are_refused(base: Course) -> None:
    with pytest.raises(ValueError, match="naive datetime 2026-12-11T00:00:00"):
        submissions_left_today(base.homework["hw1"], TOKYO, [], datetime(2026, 12, 11))


ZONES = st.sampled_from([TOKYO, ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")])
MOMENTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 1, 1), timezones=st.just(UTC)
)


@given(zone=ZONES, now=MOMENTS, times=st.lists(MOMENTS, max_size=8), limit=st.integers(1, 6))
def test_daily_limit_properties(
    base: Course, zone: ZoneInfo, now: datetime, times: list[datetime], limit: int
) -> None:
    hw = replace(base.homework["hw1"], daily_limit=limit)
    left, resets_at = submissions_left_today(hw, zone, times, now)
    today = now.astimezone(zone).date()
    same_day = sum(1 for t in times if t.astimezone(zone).date() == today)
    assert left == max(0, limit - same_day)
    assert now < resets_at <= now + timedelta(hours=25)
    local = resets_at.astimezone(zone)
    assert (local.date(), local.time()) == (today + DAY, time(0))


# --- lateness and late policies -----------------------------------------------------------


def test_lateness_counts_started_days_after_the_deadline(base: Course) -> None:
    hw = base.homework["hw2"]  # penalty, until a week after the deadline
    deadline = hw.deadline
    assert lateness(hw, hw.opens - SECOND) == Late("closed", 0)
    assert lateness(hw, deadline) == Late("on_time", 0)
    assert lateness(hw, deadline + SECOND) == Late("late", 1)
    assert lateness(hw, deadline + DAY) == Late("late", 1)
    assert lateness(hw, deadline + DAY + SECOND) == Late("late", 2)
    until = hw.late_policy.until
    assert until is not None
    assert lateness(hw, until + SECOND) == Late("closed", 8)
    assert not is_open(hw, hw.opens - SECOND) and is_open(hw, deadline + DAY)


def test_refuse_closes_at_the_deadline(base: Course) -> None:
    hw = base.homework["hw1"]
    assert is_open(hw, hw.deadline) and not is_open(hw, hw.deadline + SECOND)
    assert apply_late_policy(hw, 0.95, True, hw.deadline) == (0.95, "")
    score, note = apply_late_policy(hw, 0.95, True, hw.deadline + SECOND)
    assert score is None and note == "closed: no submissions after 2026-12-29 23:59 JST"


def test_accept_unranked_scores_but_does_not_rank(base: Course) -> None:
    hw = with_late(base.homework["hw1"], "accept_unranked")
    assert lateness(hw, hw.deadline + 40 * DAY) == Late("late", 40)
    score, note = apply_late_policy(hw, 0.95, True, hw.deadline + DAY + SECOND)
    assert score is None
    assert note == "2 days late: scored but not ranked and not counted for completion"


@pytest.mark.parametrize(
    ("higher_is_better", "score", "expected"),
    [(True, 0.9, 0.9 * 0.81), (False, 30.0, 30.0 / 0.81)],
)
def test_penalty_compounds_per_day_in_the_metric_direction(
    base: Course, higher_is_better: bool, score: float, expected: float
) -> None:
    hw = with_late(base.homework["hw1"], "penalty", per_day=0.1)
    assert apply_late_policy(hw, score, higher_is_better, hw.deadline - SECOND) == (score, "")
    ranked, note = apply_late_policy(hw, score, higher_is_better, hw.deadline + 2 * DAY)
    assert ranked == pytest.approx(expected)
    assert note.startswith("2 days late: score") and "penalty 10% per day" in note
    ranked_one_day, _ = apply_late_policy(hw, score, higher_is_better, hw.deadline + DAY)
    assert ranked_one_day == pytest.approx(score * 0.9 if higher_is_better else score / 0.9)


def test_nothing_is_ranked_after_until(base: Course) -> None:
    hw = base.homework["hw2"]
    until = hw.late_policy.until
    assert until is not None
    assert apply_late_policy(hw, 20.0, False, until)[0] == pytest.approx(20.0 / 0.9**7)
    assert apply_late_policy(hw, 20.0, False, until + SECOND) == (
        None,
        "closed: no submissions after 2027-01-19 23:59 JST",
    )


# --- leaderboards ---------------------------------------------------------------------------


def test_phase_switches_to_private_after_the_deadline(base: Course) -> None:
    hw = base.homework["hw1"]
    assert leaderboard_phase(hw, hw.opens) == "public"
    assert leaderboard_phase(hw, hw.deadline) == "public"
    assert leaderboard_phase(hw, hw.deadline + timedelta(microseconds=1)) == "private"


def test_instant_refresh_shows_everything_up_to_now(base: Course) -> None:
    now = jst(12, 20, 8, 59)
    assert public_cutoff(base.homework["hw1"], TOKYO, now) == now


@pytest.mark.parametrize(
    ("now", "cutoff"),
    [
        (jst(12, 20, 8, 59), jst(12, 19, 9)),
        (jst(12, 20, 9), jst(12, 20, 9)),
        (jst(12, 20, 23, 59), jst(12, 20, 9)),
        (datetime(2026, 12, 20, 0, 30, tzinfo=UTC), jst(12, 20, 9)),  # 09:30 JST
    ],
)
def test_daily_refresh_cutoff_is_the_last_local_refresh(
    base: Course, now: datetime, cutoff: datetime
) -> None:
    assert public_cutoff(base.homework["hw2"], TOKYO, now) == cutoff


@given(zone=ZONES, now=MOMENTS, at=st.times())
def test_daily_cutoff_properties(base: Course, zone: ZoneInfo, now: datetime, at: time) -> None:
    at = at.replace(second=0, microsecond=0)
    hw = replace(base.homework["hw2"], leaderboard_refresh=RefreshPolicy(at))
    cutoff = public_cutoff(hw, zone, now)
    assert now - timedelta(hours=25) < cutoff <= now
    assert cutoff.time() == at and cutoff.tzinfo is zone


# --- lessons and credits --------------------------------------------------------------------


def test_lessons_open_and_grant_credits_over_time(base: Course) -> None:
    first, second, third = base.lessons
    assert open_lessons(base, first.opens - SECOND) == ()
    assert credits_granted(base, first.opens - SECOND) == 0
    assert open_lessons(base, first.opens) == (first,)
    assert credits_granted(base, first.opens) == 40
    assert open_lessons(base, third.opens) == (first, second, third)
    assert credits_granted(base, third.opens) == 140
    assert third.closes is not None
    assert open_lessons(base, third.closes) == (first, second)
    assert credits_granted(base, third.closes + 100 * DAY) == 140


# --- completion -----------------------------------------------------------------------------


def test_completion_lists_what_is_missing(base: Course) -> None:
    assert completion(base, {}, False).missing == ["hw1", "hw2", FINAL_REPORT]
    below = completion(base, {"hw1": 0.89, "hw2": 30.1}, True)
    assert (below.complete, below.missing) == (False, ["hw1", "hw2"])
    at_target = completion(base, {"hw1": 0.9, "hw2": 30.0}, True)
    assert (at_target.complete, at_target.missing) == (True, [])
    no_report = completion(base, {"hw1": 0.99, "hw2": 10.0}, False)
    assert no_report.missing == [FINAL_REPORT]


def test_completion_without_a_report_rule(base: Course) -> None:
    course = replace(base, completion=replace(base.completion, report_required=False))
    assert completion(course, {"hw1": 0.95, "hw2": 12.5}, False).complete
