"""Credit arithmetic: per-slot charges, idempotency keys, time left, display.

Amounts are integer millicredits (1 credit = 1000 mc) so that sums are exact and a ledger
replayed anywhere gives the same balance. Rates are exact fractions of the decimal the
course wrote (2.5 credits an hour is 5/2, not the nearest binary float).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from hashlib import sha256
from typing import Literal, NamedTuple

MC_PER_CREDIT = 1000
SECONDS_PER_HOUR = 3600
RUN_KEY_MAX = 150
"""Longer run keys are shortened with a hash so that charge keys fit String(200)."""

WarningLevel = Literal["ok", "low", "empty"]


class Charge(NamedTuple):
    """What one prepaid slot of a running server costs."""

    slot: int
    amount_mc: int


@dataclass(frozen=True)
class Entry:
    """A ledger line about to be written; the store adds its id.

    Charges are negative, grants and refunds positive, staff adjustments either.
    """

    user_id: int
    kind: str
    """One of grant, charge, refund, adjust."""
    amount_mc: int
    actor: str
    """"system" (lesson grants), "meter" (charges), or the staff member's name."""
    reason: str
    created_at: datetime
    key: str | None = None
    """Unique when set: writing an entry whose key exists does nothing."""


def _exact(value: float) -> Fraction:
    # str() gives the shortest decimal that round-trips: the number the course file holds.
    return Fraction(str(value))


def credits_to_mc(credits: float) -> int:
    """Whole millicredits for an amount in credits (half a millicredit rounds to even)."""
    return round(_exact(credits) * MC_PER_CREDIT)


MAX_GRANT_CREDITS = Decimal(100_000)
"""A typo guard: no single grant or adjustment moves more than this."""


def parse_credits(text: str) -> int:
    """A staff member's typed amount ('10', '-2.5') in millicredits, exactly (no float
    rounding); ValueError with the reason for anything else."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(
            f"{text.strip()[:20]!r} is not a number of credits (e.g. 10 or -2.5)"
        ) from None
    if not value.is_finite() or abs(value) > MAX_GRANT_CREDITS:
        raise ValueError(f"grants are limited to ±{MAX_GRANT_CREDITS} credits at a time")
    mc = value * MC_PER_CREDIT
    if mc != mc.to_integral_value():
        raise ValueError("credits have at most three decimals")
    return int(mc)


def _cumulative_mc(rate: Fraction, slots: int, slot_seconds: int) -> int:
    return round(rate * MC_PER_CREDIT * slots * slot_seconds / SECONDS_PER_HOUR)


def slot_charges(
    rate_per_hour: float,
    started: datetime,
    now: datetime,
    first_slot: int,
    slot_seconds: int,
) -> list[Charge]:
    """Charges for the slots from `first_slot` on that are due at `now`.

    Slot i covers [started + i*slot, started + (i+1)*slot) and is paid when it begins, so a
    server never runs on time it has not paid for. Each slot costs the rounding difference
    of the running total, so slots 0..n-1 together cost exactly round(rate * n slots), however
    the slots are split between ticks.
    """
    if rate_per_hour < 0:
        raise ValueError(f"rate must not be negative; got {rate_per_hour} credits an hour")
    if slot_seconds <= 0:
        raise ValueError(f"slot_seconds must be positive; got {slot_seconds}")
    if first_slot < 0:
        raise ValueError(f"first_slot must not be negative; got {first_slot}")
    elapsed = now - started
    if elapsed < timedelta(0):
        return []
    due = int(elapsed // timedelta(seconds=slot_seconds)) + 1
    rate = _exact(rate_per_hour)
    charges = []
    before = _cumulative_mc(rate, first_slot, slot_seconds)
    for slot in range(first_slot, due):
        after = _cumulative_mc(rate, slot + 1, slot_seconds)
        charges.append(Charge(slot, after - before))
        before = after
    return charges


def run_key(user: str, server_name: str, started: datetime) -> str:
    """Names one run of one server: a restarted server is a new run with new slots."""
    stamp = started.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    key = f"{user}:{server_name}:{stamp}"
    if len(key) > RUN_KEY_MAX:
        digest = sha256(server_name.encode()).hexdigest()[:16]
        key = f"{user[:64]}:#{digest}:{stamp}"
    return key


def charge_key(user: str, server_name: str, started: datetime, slot: int) -> str:
    """The ledger key of the charge that begins at `slot`: the same slot is never paid twice."""
    return f"charge:{run_key(user, server_name, started)}:{slot}"


GRANT_KEY_PREFIX = "grant:lesson:"


def grant_key(lesson_number: int, user_id: int) -> str:
    return f"{GRANT_KEY_PREFIX}{lesson_number}:{user_id}"


def time_left(balance_mc: int, rate_per_hour: float) -> timedelta | None:
    """How long the balance lasts at this rate; None when the rate is free."""
    rate = _exact(rate_per_hour)
    if rate <= 0:
        return None
    if balance_mc <= 0:
        return timedelta(0)
    seconds = Fraction(balance_mc, MC_PER_CREDIT) / rate * SECONDS_PER_HOUR
    return timedelta(seconds=int(seconds))


def warning_level(balance_mc: int, rate_per_hour: float, warn_below: float) -> WarningLevel:
    """ "empty": a charged server stops now; "low": under the course's warning threshold."""
    if rate_per_hour <= 0:
        return "ok"
    if balance_mc <= 0:
        return "empty"
    if balance_mc < credits_to_mc(warn_below):
        return "low"
    return "ok"


def format_credits(mc: int) -> str:
    """Credits with two decimals, e.g. 12345 mc -> "12.35"."""
    value = (Decimal(mc) / MC_PER_CREDIT).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value:.2f}"


def format_duration(span: timedelta) -> str:
    """A rough human duration for waits and time left: "3 h 05 min", "12 min", "under a minute"."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    if hours == 0:
        return f"{minutes} min"
    return f"{hours} h {minutes:02d} min"
