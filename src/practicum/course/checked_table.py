"""A TOML table that knows its key path, so that every refusal can say exactly where.

The course loader reads course.toml through this instead of raw dicts: typed getters
refuse wrong types (a boolean is not an integer, a quoted date is not a date-time), and
`only` refuses unknown keys with a did-you-mean, because a misspelt optional key would
otherwise be ignored in silence.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import NoReturn, TypeVar, overload
from zoneinfo import ZoneInfo

from practicum.course.errors import CourseError

T = TypeVar("T")
S = TypeVar("S", bound=str)

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_EXPECTED: dict[type, str] = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    dict: "a table",
    list: "an array",
}
DATETIME_EXAMPLE = "2026-04-01T10:00:00"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or '' when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def describe(value: object) -> str:
    """A TOML value as a user would recognise it in their file."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, date | time):
        kind = "date-time" if isinstance(value, datetime) else type(value).__name__
        return f"{kind} {value.isoformat()}"
    return "an array" if isinstance(value, list) else "a table"


class CheckedTable:
    def __init__(self, data: Mapping[str, object], path: str, source: str) -> None:
        self.data = data
        self.path = path
        self.source = source

    def at(self, key: str, index: int | None = None) -> str:
        """Key path of `key` (and an array item), e.g. homework.hw1.metric, lessons[2]."""
        name = key if _BARE_KEY.fullmatch(key) else json.dumps(key)
        path = f"{self.path}.{name}" if self.path else name
        return path if index is None else f"{path}[{index}]"

    def fail(self, key: str | None, reason: str, index: int | None = None) -> NoReturn:
        raise CourseError(self.source, self.path if key is None else self.at(key, index), reason)

    def missing(self, key: str, why: str = "required") -> NoReturn:
        self.fail(key, f"missing ({why})")

    def only(self, *allowed: str) -> None:
        for key in self.data:
            if key not in allowed:
                hint = did_you_mean(key, allowed) or f" (expected one of {', '.join(allowed)})"
                self.fail(None, f"unknown key '{key}'{hint}")

    @overload
    def get(self, key: str, kind: type[T]) -> T | None: ...
    @overload
    def get(self, key: str, kind: type[T], default: T) -> T: ...
    def get(self, key: str, kind: type[T], default: T | None = None) -> T | None:
        if key not in self.data:
            return default
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) != (kind is bool) or not isinstance(value, kind):
            self.fail(key, f"expected {_EXPECTED[kind]}, got {describe(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(key, f"expected a finite number, got {value}")
        return value

    def need(self, key: str, kind: type[T]) -> T:
        value = self.get(key, kind)
        if value is None:
            self.missing(key)
        return value

    def text(self, key: str) -> str:
        """A required string that says something (titles, task descriptions)."""
        value = self.need(key, str)
        if not value.strip():
            self.fail(key, "empty")
        return value

    def choice(self, key: str, choices: tuple[S, ...], default: S | None = None) -> S:
        value = self.get(key, str, default) if default is not None else self.need(key, str)
        for choice in choices:
            if choice == value:
                return choice
        self.fail(key, f"{value!r} is not one of {', '.join(choices)}")

    def integer(self, key: str, default: int | None = None, *, minimum: int) -> int:
        value = self.get(key, int, default) if default is not None else self.need(key, int)
        if value < minimum:
            self.fail(key, f"{value} is less than {minimum}")
        return value

    def table(self, key: str) -> CheckedTable | None:
        value = self.get(key, dict)
        return None if value is None else CheckedTable(value, self.at(key), self.source)

    def need_table(self, key: str) -> CheckedTable:
        table = self.table(key)
        if table is None:
            self.missing(key, f"add a [{self.at(key)}] table")
        return table

    def tables(self, key: str) -> list[CheckedTable]:
        """An array of tables ([[key]] blocks); paths count items from 0."""
        items = self.get(key, list, [])
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                self.fail(key, f"expected a table, got {describe(item)}", index)
        return [CheckedTable(item, self.at(key, i), self.source) for i, item in enumerate(items)]

    def when(self, key: str, tz: ZoneInfo) -> datetime | None:
        """A TOML date-time: local ones are read in `tz`, offset ones converted to it."""
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, datetime):
            self.fail(key, f"not a date-time (expected e.g. {DATETIME_EXAMPLE}){_hint(value)}")
        if value.tzinfo is not None:
            return value.astimezone(tz)
        aware = value.replace(tzinfo=tz)
        if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != value:
            self.fail(key, f"{value.isoformat()} does not exist in {tz.key} (clocks skip it)")
        return aware

    def need_when(self, key: str, tz: ZoneInfo) -> datetime:
        value = self.when(key, tz)
        if value is None:
            self.missing(key)
        return value


def _hint(value: object) -> str:
    """Why a value that looks like a date-time is not one."""
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return f", got {describe(value)}"
        return "; write it without quotes"
    if isinstance(value, date):
        return f"; {value.isoformat()} is a date alone, add the time of day"
    return f", got {describe(value)}"
