"""Scores of a valid submission and the leaderboard built from them: pure, so the service,
the command line and the tests all rank students the same way."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple

import numpy as np

from practicum.grading.metrics import METRICS
from practicum.grading.submission import Kind, Parsed

DEFAULT_METRIC: dict[Kind, str] = {
    "labels": "accuracy",
    "regression": "rmse",
    "tokens": "bleu",
    "images": "rmse",  # over pixels
}


@dataclass(frozen=True)
class Scores:
    public: float
    private: float
    full: float


def score(
    parsed: Parsed, y_test: Any, public_mask: np.ndarray, metric: str | None = None
) -> Scores:
    """Score on the public part, the private part and the whole test set.

    `y_test` is what the homework stores: labels, values or images as an array indexed by id,
    or the references of a tokens homework: one sentence an item (a 1-D string array or list),
    or several, as a 2-D (n_items, n_refs) string array padded with "" where an item has
    fewer (see `metrics.References`). `metric` defaults to the kind's usual one. The parts
    are scored as corpora of their own: BLEU's brevity penalty and CIDEr-D's document
    frequencies are computed over the public items alone, and over the private items alone.
    """
    name = metric or DEFAULT_METRIC[parsed.kind]
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; known: {', '.join(METRICS)}")
    info = METRICS[name]
    if parsed.kind not in info.kinds:
        raise ValueError(f"metric {name} cannot score {parsed.kind} submissions")
    mask = np.asarray(public_mask)
    n = len(parsed)
    if mask.dtype != np.bool_ or mask.shape != (n,) or len(y_test) != n:
        raise ValueError(
            f"score: {n} predictions, {len(y_test)} truths and a mask of {mask.dtype}{mask.shape}"
        )
    if mask.all() or not mask.any():
        raise ValueError("score: the split leaves the public or the private part empty")

    if parsed.sentences is not None:
        hypotheses, references = parsed.sentences, list(y_test)

        def part(where: np.ndarray) -> float:
            picked = np.flatnonzero(where)
            return info.fn([references[i] for i in picked], [hypotheses[i] for i in picked])

    else:
        predictions, truth = parsed.array(), np.asarray(y_test)

        def part(where: np.ndarray) -> float:
            return info.fn(truth[where], predictions[where])

    return Scores(public=part(mask), private=part(~mask), full=part(np.ones(n, dtype=bool)))


class SubmissionScore(NamedTuple):
    submission_id: int
    student: str
    submitted_at: datetime
    public: float
    private: float


class Row(NamedTuple):
    rank: int
    student: str
    score: float
    submission_id: int
    submitted_at: datetime
    entries: int  # all the student's submissions, picked or not


def leaderboard(
    submissions: Sequence[SubmissionScore],
    *,
    use: Literal["public", "private"],
    higher_is_better: bool,
    picks: Mapping[str, Sequence[int]] | None = None,
) -> list[Row]:
    """One row per student, best first, ranked 1..n without shared ranks.

    A student's row is their best submission by the `use` score, among the ones they picked
    when `picks` names any of theirs (ids that are not theirs are ignored), else among all.
    Equal scores go to the earlier submission, between submissions and between students:
    the one who got there first keeps the place. A NaN score ranks last.
    """
    if use not in ("public", "private"):
        raise ValueError(f"leaderboard: use must be 'public' or 'private', got {use!r}")

    def chosen(s: SubmissionScore) -> float:
        return s.public if use == "public" else s.private

    def order(s: SubmissionScore) -> tuple[float, datetime, int]:
        value = chosen(s)
        badness = math.inf if math.isnan(value) else (-value if higher_is_better else value)
        return badness, s.submitted_at, s.submission_id

    by_student: dict[str, list[SubmissionScore]] = defaultdict(list)
    for s in submissions:
        by_student[s.student].append(s)
    best = []
    for student, theirs in by_student.items():
        picked = set((picks or {}).get(student, ()))
        candidates = [s for s in theirs if s.submission_id in picked] or theirs
        best.append((min(candidates, key=order), len(theirs)))
    best.sort(key=lambda pair: order(pair[0]))
    return [
        Row(
            rank=rank,
            student=s.student,
            score=chosen(s),
            submission_id=s.submission_id,
            submitted_at=s.submitted_at,
            entries=entries,
        )
        for rank, (s, entries) in enumerate(best, 1)
    ]
