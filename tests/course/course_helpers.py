"""A small valid course.toml that tests break one line at a time."""

from __future__ import annotations

from collections.abc import Callable

from practicum.course import Course

BASE = """\
[course]
id = "dl-test"
title = "Test course"
timezone = "Asia/Tokyo"

[[lessons]]
number = 1
title = "Basics"
opens = 2026-12-01T10:00:00
credits = 40

[[lessons]]
number = 2
title = "CNNs"
opens = 2026-12-08T10:00:00
credits = 40

[[lessons]]
number = 3
title = "RNNs"
opens = 2026-12-15T10:00:00
closes = 2027-01-15T10:00:00
credits = 60

[homework.hw1]
lesson = 1
title = "Fashion-MNIST"
dataset = "fashion-mnist"
task = "Classify."
metric = "accuracy"
target = 0.9
submission = "labels"
n_classes = 10
deadline = 2026-12-29T23:59:00

[homework.hw2]
lesson = 3
title = "Airline passengers"
dataset = "airline-passengers"
task = "Forecast."
metric = "rmse"
target = 30.0
submission = "regression"
opens = 2026-12-15T12:00:00
deadline = 2027-01-12T23:59:00
leaderboard_refresh = "daily 09:00"
late_policy = { mode = "penalty", penalty_per_day = 0.1, until = 2027-01-19T23:59:00 }

[completion]
required_homework = ["hw1", "hw2"]
report_required = true
"""

Edit = Callable[..., Course]


def edited(*pairs: tuple[str, str]) -> str:
    """BASE with each (old, new) replaced once; a missing `old` is a broken test, not a pass."""
    text = BASE
    for old, new in pairs:
        assert text.count(old) == 1, f"test edit {old!r} must match BASE exactly once"
        text = text.replace(old, new)
    return text
