"""The course as plain frozen data: what staff wrote in course.toml, checked and typed.

Nothing here reads a clock, a file or a database, so the web service, the CLI and the
tests all reason about the same values (see `rules` for the decisions made over them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Literal, get_args
from zoneinfo import ZoneInfo

Metric = Literal[
    "accuracy",
    "macro_f1",
    "rmse",
    "mae",
    "bleu",
    "caption_bleu",
    "cider_d",
    "class_frechet",
    "class_consistency",
    "mean_return",
]
SubmissionKind = Literal["labels", "regression", "tokens", "images", "policy"]
LateMode = Literal["refuse", "accept_unranked", "penalty"]

METRICS: tuple[Metric, ...] = get_args(Metric)
SUBMISSION_KINDS: tuple[SubmissionKind, ...] = get_args(SubmissionKind)
LATE_MODES: tuple[LateMode, ...] = get_args(LateMode)

HIGHER_IS_BETTER: dict[Metric, bool] = {
    "accuracy": True,
    "macro_f1": True,
    "bleu": True,
    "caption_bleu": True,
    "cider_d": True,
    "class_consistency": True,
    "mean_return": True,
    "rmse": False,
    "mae": False,
    "class_frechet": False,
}

SUBMISSIONS_FOR_METRIC: dict[Metric, tuple[SubmissionKind, ...]] = {
    "accuracy": ("labels",),
    "macro_f1": ("labels",),
    "rmse": ("regression", "images"),
    "mae": ("regression", "images"),
    "bleu": ("tokens",),
    "caption_bleu": ("tokens",),
    "cider_d": ("tokens",),
    "class_frechet": ("images",),
    "class_consistency": ("images",),
    "mean_return": ("policy",),
}
"""A metric is only meaningful over some kinds of predictions (accuracy over labels...)."""

METRIC_RANGE: dict[Metric, tuple[float, float]] = {
    "accuracy": (0.0, 1.0),
    "macro_f1": (0.0, 1.0),
    "bleu": (0.0, 100.0),
    "caption_bleu": (0.0, 100.0),
    "cider_d": (0.0, 10.0),
    "rmse": (0.0, float("inf")),
    "mae": (0.0, float("inf")),
    "class_frechet": (0.0, float("inf")),
    "class_consistency": (0.0, 1.0),
    "mean_return": (float("-inf"), float("inf")),
}
"""Values a score can take; bleu and caption_bleu on sacrebleu's 0-100 scale, cider_d on the
coco-caption 0-10 one; class_frechet is a Fréchet distance (0 for the training images' own
feature statistics), class_consistency a share; mean_return a policy's mean game score
(a game's rewards may be negative). Catches a target of 90 for 0.90."""

DEFAULT_GAMES = 10
"""Games a submitted policy plays (submission "policy"): Lesson 7's protocol."""


def higher_is_better(metric: Metric) -> bool:
    return HIGHER_IS_BETTER[metric]


@dataclass(frozen=True)
class Lesson:
    number: int
    title: str
    opens: datetime
    closes: datetime | None
    credits: float
    """Compute credits every student receives when the lesson opens."""


@dataclass(frozen=True)
class LatePolicy:
    """What happens to a submission after the deadline.

    refuse: not accepted. accept_unranked: scored and shown to the student only, neither
    ranked nor counted for completion. penalty: ranked with the score multiplied (higher is
    better) or divided (lower is better) by (1 - penalty_per_day) ** days_late.
    No submission at all is accepted after `until`.
    """

    mode: LateMode = "refuse"
    until: datetime | None = None
    penalty_per_day: float = 0.0


@dataclass(frozen=True)
class RefreshPolicy:
    """When the public leaderboard catches up: at once, or once a day at a local time.

    A daily refresh keeps students from probing the public split submission by submission.
    """

    daily_at: time | None = None
    """None: instant."""

    @property
    def instant(self) -> bool:
        return self.daily_at is None

    @classmethod
    def parse(cls, text: str) -> RefreshPolicy:
        """Read "instant" or "daily HH:MM" (24-hour local time), the way course.toml says it."""
        if text == "instant":
            return cls()
        match = re.fullmatch(r"daily ([01]\d|2[0-3]):([0-5]\d)", text)
        if match is None:
            raise ValueError(f"{text!r} is not 'instant' or 'daily HH:MM' (e.g. 'daily 09:00')")
        return cls(time(int(match[1]), int(match[2])))

    def __str__(self) -> str:
        return "instant" if self.daily_at is None else f"daily {self.daily_at:%H:%M}"


@dataclass(frozen=True)
class HomeworkFiles:
    """Staff's own data instead of a catalog data set: the one way to score on labels nobody
    else has, since a public data set's official test labels are public."""

    x_train: Path
    y_train: Path
    x_test: Path
    y_test: Path
    """The hidden answers: keep the file where students cannot read it."""

    def paths(self) -> dict[str, Path]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Homework:
    id: str
    lesson: int
    title: str
    dataset: str | None
    """A data catalog name, e.g. "fashion-mnist"; None when `files` gives the data."""
    task: str
    """Markdown shown to students."""
    metric: Metric
    target: float | None
    """Score to reach for completion; None: the homework is practice only."""
    submission: SubmissionKind
    n_classes: int | None
    public_fraction: float
    daily_limit: int
    opens: datetime
    deadline: datetime
    final_picks: int
    """Submissions a student picks for the private board; 0: their best one counts."""
    late_policy: LatePolicy
    leaderboard_refresh: RefreshPolicy
    horizon: int | None = None
    """Forecasting (submission "regression" on a series): the series' last `horizon`
    values are hidden and must be forecast from the values before them."""
    files: HomeworkFiles | None = None
    """Staff's own files, read from disk only when publishing; None for a catalog data set."""
    source_lang: str | None = None
    target_lang: str | None = None
    """Translation (submission "tokens" on a parallel corpus): the arrays of the data set
    students translate from and into, e.g. "en" and "ja"; None: the data set's usual
    direction (English to Japanese for small-parallel-enja). Both or neither are given."""
    games: int | None = None
    """Submission "policy": how many whole games the service plays with each policy (the
    hidden answer is their seeds); None for every other kind."""
    reference_release: datetime | None = None
    """When the course releases the homework's reference to the students' servers
    (`coursework.withheld`); None: when the homework closes."""

    @property
    def higher_is_better(self) -> bool:
        return higher_is_better(self.metric)


@dataclass(frozen=True)
class CreditPolicy:
    gpu_rate_per_hour: float = 2.0
    cpu_rate_per_hour: float = 0.0
    warn_below: float = 4.0
    """Balance under which a student is warned that their server will soon be stopped."""


@dataclass(frozen=True)
class SubmissionRate:
    """At most `attempts` uploads per student within any `minutes`, over all homework, taken
    or refused. The daily limit counts scored submissions only; this also bounds the
    invalid and oversized files, each of which the service has to read and parse."""

    attempts: int = 20
    minutes: int = 10

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class CompletionRules:
    required_homework: tuple[str, ...]
    """Homework whose target must be reached (on time or within a penalty policy)."""
    report_required: bool


@dataclass(frozen=True)
class Course:
    id: str
    title: str
    timezone: ZoneInfo
    lessons: tuple[Lesson, ...]
    """Sorted by lesson number."""
    homework: dict[str, Homework]
    credits: CreditPolicy
    completion: CompletionRules
    submission_rate: SubmissionRate = SubmissionRate()
    """course.toml's [submissions] rate."""

    def lesson(self, number: int) -> Lesson:
        for lesson in self.lessons:
            if lesson.number == number:
                return lesson
        raise KeyError(f"lesson {number} does not exist in course {self.id}")
