"""A tiny course with one published homework (20 test items, 3 classes), shared by the
service and web tests (imported by name; tests/web/conftest.py puts this folder on the path).

Answers are written with `answers.write_answer`, the one definition of the private format,
so the tests exercise the real loading and checking of hidden labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from practicum import store
from practicum.course import Course
from practicum.grading.split import make_split, split_digest
from practicum.service import submissions
from practicum.service.answers import write_answer
from practicum.settings.service import ServiceConfig, load_config

if TYPE_CHECKING:  # the benchmarks import this module without tests/ on their path
    from db_backends import Databases

HW = "hw-tiny"
UNPUBLISHED = "hw-later"
TZ = ZoneInfo("Asia/Tokyo")
OPENS = datetime(2026, 12, 1, 10, 0, tzinfo=TZ)
DEADLINE = datetime(2026, 12, 10, 23, 59, tzinfo=TZ)
BEFORE = datetime(2026, 12, 5, 12, 0, tzinfo=TZ)
"""A moment the homework is open."""
AFTER = DEADLINE + timedelta(hours=12)
DAILY_LIMIT = 3
N_ITEMS, N_CLASSES = 20, 3
Y_TEST = np.random.default_rng(0).integers(0, N_CLASSES, N_ITEMS)
PUBLIC_MASK = make_split(N_ITEMS, 0.4, seed=3)

COURSE_TOML = f"""
[course]
id = "tiny"
title = "Tiny course"
timezone = "{TZ.key}"

[[lessons]]
number = 1
title = "Basics"
opens = 2026-12-01T10:00:00
credits = 10

[[lessons]]
number = 2
title = "Later"
opens = 2027-01-01T10:00:00
credits = 10

[homework.{HW}]
lesson = 1
title = "Three classes"
dataset = "fashion-mnist"
metric = "accuracy"
target = 0.6
submission = "labels"
n_classes = {N_CLASSES}
public_fraction = 0.4
daily_limit = {DAILY_LIMIT}
final_picks = 1
opens = 2026-12-01T10:00:00
deadline = 2026-12-10T23:59:00
late_policy = {{ mode = "refuse" }}
task = "Predict one of **three** classes per row of `x_test`."

[homework.{UNPUBLISHED}]
lesson = 2
title = "Not yet"
dataset = "fashion-mnist"
metric = "accuracy"
submission = "labels"
n_classes = 10
deadline = 2027-01-20T23:59:00
task = "Later."

[completion]
required_homework = ["{HW}"]
report_required = false
"""


def make_config(
    root: Path,
    *,
    max_upload_mb: int = 1,
    database_url: str | None = None,
    course_toml: str = COURSE_TOML,
) -> ServiceConfig:
    """`database_url`: a database made by the `databases` fixture; SQLite in `root` if None;
    `course_toml`: another course than the tiny one."""
    course = root / "course.toml"
    course.write_text(course_toml, encoding="utf-8")
    state = root / "state"
    return ServiceConfig(
        state=state,
        database_url=database_url or f"sqlite:///{state / 'practicum.db'}",
        shared_dir=root / "shared",
        private_dir=root / "private",
        blob_dir=state / "blobs",
        course_path=course,
        max_upload_bytes=max_upload_mb * 2**20,
    )


def publish_labels(
    config: ServiceConfig,
    engine: Engine,
    homework_id: str,
    y_test: np.ndarray,
    mask: np.ndarray,
    *,
    seed: int,
    public_fraction: float,
    published_at: datetime,
    x_test: np.ndarray | None = None,
) -> None:
    """What `practicum homework publish` leaves behind for a labels homework: the hidden
    answer (private), x_test if given (shared) and the database record."""
    private = config.private_dir / homework_id
    private.mkdir(parents=True)
    write_answer(
        private,
        y_test,
        mask,
        seed=seed,
        public_fraction=public_fraction,
        published_at=published_at,
    )
    shared = config.shared_dir / homework_id
    shared.mkdir(parents=True)
    if x_test is not None:
        np.save(shared / "x_test.npy", x_test)
    with store.session_scope(engine) as session:
        store.record_homework(
            session,
            homework_id=homework_id,
            published_at=published_at,
            metric="accuracy",
            higher_is_better=True,
            submission_kind="labels",
            n_items=len(y_test),
            split_seed=seed,
            split_digest=split_digest(mask),
            public_count=int(mask.sum()),
            private_path=private,
            public_dir=shared,
        )


def publish_tiny(config: ServiceConfig, engine: Engine) -> None:
    """The tiny homework, published."""
    x_test = np.zeros((N_ITEMS, 4), np.float32)
    published_at = OPENS - timedelta(days=1)
    publish_labels(
        config,
        engine,
        HW,
        Y_TEST,
        PUBLIC_MASK,
        seed=3,
        public_fraction=0.4,
        published_at=published_at,
        x_test=x_test,
    )


def labels_csv(labels: np.ndarray) -> bytes:
    return ("id,label\n" + "".join(f"{i},{int(v)}\n" for i, v in enumerate(labels))).encode()


def accuracy(labels: np.ndarray, where: np.ndarray) -> float:
    """Computed here, independently of the grader."""
    return float(np.mean(labels[where] == Y_TEST[where]))


def with_errors(n_wrong_public: int, n_wrong_private: int = 0) -> np.ndarray:
    """Predictions with exactly that many wrong labels in each part of the split."""
    labels = Y_TEST.copy()
    public, private = np.flatnonzero(PUBLIC_MASK), np.flatnonzero(~PUBLIC_MASK)
    for index in [*public[:n_wrong_public], *private[:n_wrong_private]]:
        labels[index] = (labels[index] + 1) % N_CLASSES
    return labels


def count_stored(engine: Engine, files: store.FileStore) -> tuple[int, int]:
    """(submission rows, blobs): what a refused submission must leave unchanged."""
    with store.session_scope(engine, read_only=True) as session:
        rows = len(session.scalars(store.Submission.__table__.select()).all())
    return rows, len(list(files.digests()))


@contextmanager
def migrated_engine(config: ServiceConfig) -> Iterator[Engine]:
    """An engine on the config's database, migrated to the newest schema; disposed after."""
    store.upgrade(config.database_url)
    engine = store.make_engine(config.database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def submit_as(
    config: ServiceConfig,
    engine: Engine,
    request: tuple[str, str, datetime],
    content: bytes,
    filename: str = "submission.txt",
) -> submissions.SubmitOutcome:
    """One upload through the service: request = (homework id, student, when); the student is
    made on first use."""
    homework_id, user, at = request
    with store.session_scope(engine) as session:
        found = session.scalar(select(store.User).where(store.User.name == user))
        found = found or store.create_user(session, user, "student")
        ctx = submissions.SubmitContext(
            session, store.FileStore(config.blob_dir), config, config.course()
        )
        return submissions.submit(
            ctx, submissions.SubmissionRequest(homework_id, found, content, filename, at)
        )


def forget_submissions(engine: Engine, files: store.FileStore) -> None:
    """Back to a homework nobody has submitted to (nor tried to), keeping users and tokens."""
    with store.session_scope(engine) as session:
        session.execute(delete(store.SubmissionAttempt))
        session.execute(delete(store.Submission))
        session.execute(delete(store.StoredFile))
    for digest in list(files.digests()):
        files.delete(digest)


@dataclass
class State:
    """A migrated database with the tiny homework published, for tests without the web."""

    config: ServiceConfig
    engine: Engine
    files: store.FileStore
    course: Course
    user_ids: dict[str, int]

    def user(self, session: Session, name: str) -> store.User:
        found = session.get(store.User, self.user_ids[name])
        assert found is not None
        return found


def open_state(root: Path, users: dict[str, str], databases: Databases) -> State:
    """`users`: name -> role; no passwords, so no argon2 cost."""
    config = make_config(root, database_url=databases.new(root / "state"))
    store.upgrade(config.database_url)
    engine = store.make_engine(config.database_url)
    publish_tiny(config, engine)
    with store.session_scope(engine) as session:
        ids = {name: store.create_user(session, name, role).id for name, role in users.items()}
    return State(config, engine, store.FileStore(config.blob_dir), config.course(), ids)


def homework_with(course: Course, **changes: Any) -> Course:
    """The course with the tiny homework changed (late policy, refresh...)."""
    return replace(
        course, homework={**course.homework, HW: replace(course.homework[HW], **changes)}
    )


def demo_course_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, databases: Databases | None = None
) -> ServiceConfig:
    """The demo course, its state under tmp_path: no overrides from the environment and never
    the machine's real data sets. Its database: SQLite in the state folder, or one made by
    `databases`."""
    for name in ("PRACTICUM_COURSE", "PRACTICUM_DATABASE_URL", "PRACTICUM_SHARED_DIR"):
        monkeypatch.delenv(name, raising=False)
    if databases is not None:
        monkeypatch.setenv("PRACTICUM_DATABASE_URL", databases.new(tmp_path / "state"))
    monkeypatch.delenv("PRACTICUM_PRIVATE_DIR", raising=False)
    monkeypatch.setenv("PRACTICUM_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("PRACTICUM_SYSTEM_DATA", "")
    return load_config()


def publish_images(
    config: ServiceConfig, homework_id: str, y_test: np.ndarray, mask: np.ndarray
) -> None:
    """A labels homework on 28x28 images (all zeros), published an hour ago with the
    course's public fraction of 0.5."""
    engine = store.make_engine(config.database_url)
    publish_labels(
        config,
        engine,
        homework_id,
        y_test,
        mask,
        seed=5,
        public_fraction=0.5,
        published_at=datetime.now(UTC) - timedelta(hours=1),
        x_test=np.zeros((len(y_test), 28, 28), np.uint8),
    )
    engine.dispose()
