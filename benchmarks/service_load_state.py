"""A throwaway course service state for `service_load.py`: one open homework with N hidden
labels, M students with API tokens, and a reader of what the database ended up holding.

The homework is published the way `tests/service/tiny_homework.py` publishes its tiny one
(`answers.write_answer` + `store.record_homework`: the real private format, no data set
needed), at the size and dates a load test needs: open now, 10,000 items, a daily limit
high enough never to interfere. Students get no password: the API takes tokens, and 300
argon2 hashes would cost a minute and a half of setup.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import select

from practicum import store
from practicum.grading.split import make_split
from practicum.settings.service import ServiceConfig, load_config

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "service"))
from tiny_homework import labels_csv, publish_labels

HOMEWORK = "hw-load"
N_CLASSES = 10
PUBLIC_FRACTION = 0.3
SPLIT_SEED = 7


def _toml_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def course_toml(now: datetime, daily_limit: int) -> str:
    """A one-homework course, open from yesterday for a month (UTC)."""
    return f"""
[course]
id = "load"
title = "Load test"
timezone = "UTC"

[[lessons]]
number = 1
title = "Load"
opens = {_toml_time(now - timedelta(days=2))}
credits = 10

[homework.{HOMEWORK}]
lesson = 1
title = "Ten classes, many students"
dataset = "fashion-mnist"
metric = "accuracy"
target = 0.5
submission = "labels"
n_classes = {N_CLASSES}
public_fraction = {PUBLIC_FRACTION}
daily_limit = {daily_limit}
final_picks = 1
opens = {_toml_time(now - timedelta(days=1))}
deadline = {_toml_time(now + timedelta(days=30))}
task = "Predict one of ten classes per row."

[completion]
required_homework = ["{HOMEWORK}"]
report_required = false
"""


@dataclass(frozen=True)
class LoadState:
    config: ServiceConfig
    env: dict[str, str]
    """The PRACTICUM_* variables that point a server process at this state."""
    y_test: np.ndarray
    public_mask: np.ndarray
    tokens: dict[str, str]
    """Student name -> API token."""


def make_state(
    root: Path,
    *,
    n_items: int,
    n_students: int,
    daily_limit: int,
    seed: int = 0,
    database_url: str | None = None,
) -> LoadState:
    """A fresh, migrated state under `root` (which must be empty or missing); its database
    is SQLite in there unless `database_url` (an empty PostgreSQL database) is given."""
    now = datetime.now(UTC)
    root.mkdir(parents=True, exist_ok=True)
    course = root / "course.toml"
    course.write_text(course_toml(now, daily_limit), encoding="utf-8")
    env = {"PRACTICUM_STATE": str(root / "state"), "PRACTICUM_COURSE": str(course)}
    if database_url is not None:
        env["PRACTICUM_DATABASE_URL"] = database_url
    config = load_config({**os.environ, **env})  # exactly what the server process will read
    config.course()  # a course.toml mistake stops here, not in the server's log

    y_test = np.random.default_rng(seed).integers(0, N_CLASSES, n_items)
    public_mask = make_split(n_items, PUBLIC_FRACTION, seed=SPLIT_SEED)
    store.upgrade(config.database_url)
    engine = store.make_engine(config.database_url)
    try:
        publish_labels(  # what `practicum homework publish` leaves, without a data set to cut
            config,
            engine,
            HOMEWORK,
            y_test,
            public_mask,
            seed=SPLIT_SEED,
            public_fraction=PUBLIC_FRACTION,
            published_at=now - timedelta(days=1),
        )
        with store.session_scope(engine) as session:
            tokens = {}
            for i in range(n_students):
                user = store.create_user(session, f"load{i:04d}", "student")
                tokens[user.name] = store.create_token(session, user, "load test")
    finally:
        engine.dispose()
    config.secret_key()  # created here, not raced by several server workers
    return LoadState(config, env, y_test, public_mask, tokens)


@dataclass(frozen=True)
class Upload:
    student: str
    round: int
    content: bytes
    expected_score: float
    """The public score computed here from the hidden labels, independently of the grader."""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def make_uploads(state: LoadState, round_: int) -> list[Upload]:
    """One CSV of random labels per student, different in every round."""
    uploads = []
    mask = state.public_mask
    for i, student in enumerate(state.tokens):
        labels = np.random.default_rng([round_, i]).integers(0, N_CLASSES, len(state.y_test))
        score = float(np.mean(labels[mask] == state.y_test[mask]))
        uploads.append(Upload(student, round_, labels_csv(labels), score))
    return uploads


@dataclass(frozen=True)
class StoredRow:
    submission_id: int
    student: str
    public_score: float
    file_sha256: str


def stored_submissions(config: ServiceConfig) -> list[StoredRow]:
    """Every submission row of the load homework, read after the server has stopped."""
    engine = store.make_engine(config.database_url)
    try:
        with store.session_scope(engine, read_only=True) as session:
            rows = session.execute(
                select(
                    store.Submission.id,
                    store.User.name,
                    store.Submission.public_score,
                    store.Submission.file_sha256,
                )
                .join(store.User, store.User.id == store.Submission.user_id)
                .where(store.Submission.homework_id == HOMEWORK)
                .order_by(store.Submission.id)
            )
            return [StoredRow(*row) for row in rows]
    finally:
        engine.dispose()
