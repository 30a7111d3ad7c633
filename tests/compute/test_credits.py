"""Credit arithmetic: exact per-slot charges, keys, time left, warnings and display."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from practicum.compute.credits import (
    Charge,
    charge_key,
    credits_to_mc,
    format_credits,
    format_duration,
    grant_key,
    parse_credits,
    run_key,
    slot_charges,
    time_left,
    warning_level,
)

START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
rates = st.decimals(min_value=0, max_value=50, places=3).map(float)


def test_every_slot_is_paid_when_it_begins() -> None:
    # 2 credits an hour, 60 s slots: 33.33 mc a slot, so slot 0 is due at the start itself.
    assert slot_charges(2.0, START, START, 0, 60) == [Charge(0, 33)]
    assert slot_charges(2.0, START, START + timedelta(seconds=59), 0, 60) == [Charge(0, 33)]
    assert slot_charges(2.0, START, START + timedelta(seconds=60), 0, 60) == [
        Charge(0, 33),
        Charge(1, 34),
    ]
    assert slot_charges(2.0, START, START + timedelta(seconds=179), 1, 60) == [
        Charge(1, 34),
        Charge(2, 33),
    ]


def test_nothing_is_due_before_the_start_or_beyond_the_first_slot_asked() -> None:
    assert slot_charges(2.0, START, START - timedelta(seconds=1), 0, 60) == []
    assert slot_charges(2.0, START, START + timedelta(seconds=90), 2, 60) == []


@given(
    rate=rates,
    slot_seconds=st.sampled_from([1, 7, 60, 300, 3600]),
    slots=st.integers(min_value=0, max_value=500),
    into_slot=st.floats(min_value=0, max_value=0.999),
    cuts=st.lists(st.floats(min_value=0, max_value=1), max_size=6),
)
def test_slot_charges_sum_exactly_however_the_ticks_fall(
    rate: float, slot_seconds: int, slots: int, into_slot: float, cuts: list[float]
) -> None:
    """Ticks at arbitrary moments, each resuming where the last stopped: same total, exact."""
    elapsed = int((slots + into_slot) * slot_seconds)
    now = START + timedelta(seconds=elapsed)
    charged: list[Charge] = []
    next_slot = 0
    for cut in [*sorted(int(c * elapsed) for c in cuts), elapsed]:
        due = slot_charges(rate, START, START + timedelta(seconds=cut), next_slot, slot_seconds)
        charged += due
        next_slot = due[-1].slot + 1 if due else next_slot
    n = elapsed // slot_seconds + 1
    assert [c.slot for c in charged] == list(range(n))
    exact = Fraction(str(rate)) * 1000 * n * slot_seconds / 3600
    assert sum(c.amount_mc for c in charged) == round(exact)
    assert all(c.amount_mc >= 0 for c in charged)
    assert charged == slot_charges(rate, START, now, 0, slot_seconds)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        slot_charges(-1.0, START, START, 0, 60)
    with pytest.raises(ValueError, match="slot_seconds must be positive"):
        slot_charges(1.0, START, START, 0, 0)


def test_credits_convert_from_the_decimal_the_course_wrote() -> None:
    assert credits_to_mc(40) == 40_000
    assert credits_to_mc(0.1) == 100  # not 100.0000000000000055...
    assert credits_to_mc(2.0005) == 2000  # half a millicredit rounds to even


def test_keys_name_one_slot_of_one_run_whatever_the_zone_of_started() -> None:
    tokyo = START.astimezone(ZoneInfo("Asia/Tokyo"))
    assert charge_key("ann", "", START, 3) == charge_key("ann", "", tokyo, 3)
    assert charge_key("ann", "", START, 3) == "charge:ann::2026-12-02T09:00:00.000000Z:3"
    assert charge_key("ann", "", START, 3) != charge_key("ann", "", START, 4)
    assert charge_key("ann", "", START, 3) != charge_key("ann", "", START + timedelta(1), 3)
    assert grant_key(2, 17) == "grant:lesson:2:17"


def test_long_server_names_still_give_short_distinct_keys() -> None:
    a, b = "x" * 255, "x" * 254 + "y"
    assert len(charge_key("ann", a, START, 99999)) <= 200
    assert run_key("ann", a, START) != run_key("ann", b, START)


def test_time_left_at_a_rate() -> None:
    assert time_left(4000, 2.0) == timedelta(hours=2)
    assert time_left(1000, 1.5) == timedelta(minutes=40)
    assert time_left(0, 2.0) == timedelta(0)
    assert time_left(-50, 2.0) == timedelta(0)
    assert time_left(4000, 0.0) is None


@pytest.mark.parametrize(
    ("balance", "rate", "level"),
    [
        (10_000, 2.0, "ok"),
        (4_000, 2.0, "ok"),
        (3_999, 2.0, "low"),
        (1, 2.0, "low"),
        (0, 2.0, "empty"),
        (-33, 2.0, "empty"),
        (0, 0.0, "ok"),
    ],
)
def test_warning_levels(balance: int, rate: float, level: str) -> None:
    assert warning_level(balance, rate, warn_below=4.0) == level


@pytest.mark.parametrize(
    ("mc", "text"),
    [(0, "0.00"), (40_000, "40.00"), (12_345, "12.35"), (33, "0.03"), (-33, "-0.03"), (5, "0.01")],
)
def test_credits_display_with_two_decimals(mc: int, text: str) -> None:
    assert format_credits(mc) == text


def test_durations_read_like_a_person_would_say_them() -> None:
    assert format_duration(timedelta(seconds=59)) == "under a minute"
    assert format_duration(timedelta(minutes=12, seconds=30)) == "12 min"
    assert format_duration(timedelta(hours=3, minutes=5)) == "3 h 05 min"


@pytest.mark.parametrize(
    ("typed", "mc"), [("10", 10_000), (" -2.5 ", -2_500), ("0.001", 1), ("1e2", 100_000)]
)
def test_typed_amounts_become_exact_millicredits(typed: str, mc: int) -> None:
    assert parse_credits(typed) == mc


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("ten", "not a number of credits"),
        ("nan", "limited to"),
        ("inf", "limited to"),
        ("100001", "limited to"),
        ("0.0005", "at most three decimals"),
    ],
)
def test_typos_in_amounts_are_refused_with_the_reason(typed: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_credits(typed)
