"""The demo course's lesson 3 homework, published from catalog look-alikes and scored: ECG5000
labels (its official test split must be imported by the user) and the airline forecast
(the last 12 months of the series hidden, RMSE, lower is better)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from db_backends import Databases
from sqlalchemy import Engine
from tiny_homework import demo_course_config

from practicum import data, store
from practicum.data import synthetic
from practicum.grading.submission import SubmissionError
from practicum.service import boards, submissions
from practicum.service.answers import load_answer
from practicum.service.publish import PublishError, publish
from practicum.settings.service import ServiceConfig

ECG, AIRLINE = "lesson3-ecg5000", "lesson3-airline-forecast"
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # lesson 3 is open, the deadline far away


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, databases: Databases) -> ServiceConfig:
    return demo_course_config(tmp_path, monkeypatch, databases)


@pytest.fixture
def engine(config: ServiceConfig) -> Iterator[Engine]:
    store.upgrade(config.database_url)
    engine = store.make_engine(config.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def airline(tmp_path: Path) -> np.ndarray:
    csv = synthetic.write_airline_like(tmp_path / "airline-passengers.csv", seed=4)
    data.import_files("airline-passengers", [csv], verify=False)
    return np.asarray(data.load("airline-passengers")["passengers"], np.float64)


def test_ecg_needs_the_official_test_split_imported(
    config: ServiceConfig, engine: Engine, tmp_path: Path
) -> None:
    folder = synthetic.write_ecg_like(tmp_path / "ecg", n_train=50, n_test=30)
    data.import_files("ecg5000", [folder / "ECG5000_TRAIN.txt"], verify=False)
    with pytest.raises(PublishError, match=rf"homework {ECG}: ecg5000/test is not in the cache"):
        publish(config, engine, ECG, now=NOW)
    assert not (config.shared_dir / ECG).exists()

    data.import_files("ecg5000", [folder / "ECG5000_TEST.txt"], verify=False)
    result = publish(config, engine, ECG, now=NOW)
    assert result.shapes == {"x_train": (50, 140), "y_train": (50,), "x_test": (30, 140)}
    assert (result.n_items, result.public_count) == (30, 9)
    answer = load_answer(config, ECG)
    assert np.array_equal(answer.y_test, data.load("ecg5000", "test")["y"])
    assert answer.y_test.min() >= 0 and answer.y_test.max() <= 4  # 0-based, 5 classes
    readme = (config.shared_dir / ECG / "README.md").read_text()
    assert "id,label" in readme and "**0.95**" in readme


def test_airline_forecast_hides_the_last_year(
    config: ServiceConfig, engine: Engine, airline: np.ndarray
) -> None:
    result = publish(config, engine, AIRLINE, now=NOW)
    assert result.shapes == {"x_train": (132,), "y_train": (132,), "x_test": (12,)}
    assert (result.n_items, result.public_count) == (12, 4)
    shared = config.shared_dir / AIRLINE
    months = np.load(shared / "x_train.npy")
    assert (months[0], months[-1]) == ("1949-01", "1959-12")
    assert np.load(shared / "x_test.npy").tolist() == [f"1960-{m:02d}" for m in range(1, 13)]
    assert np.array_equal(np.load(shared / "y_train.npy"), airline[:132])
    answer = load_answer(config, AIRLINE)
    assert answer.y_test.dtype == np.float64 and np.array_equal(answer.y_test, airline[132:])
    for path in shared.iterdir():
        assert answer.y_test.tobytes() not in path.read_bytes(), path
    readme = (shared / "README.md").read_text()
    for expected in ("id,value\n0,", "**rmse** (lower is better)", "**25**", "1959-12"):
        assert expected in readme, expected
    with store.session_scope(engine, read_only=True) as session:
        row = session.get(store.Homework, AIRLINE)
        assert row is not None and not row.higher_is_better
        assert (row.submission_kind, row.n_items, row.metric) == ("regression", 12, "rmse")


def _csv(values: list[str]) -> bytes:
    return ("id,value\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values))).encode()


def test_forecasts_are_scored_by_rmse_and_lower_ranks_first(
    config: ServiceConfig, engine: Engine, airline: np.ndarray, tmp_path: Path
) -> None:
    publish(config, engine, AIRLINE, now=NOW)
    mask = load_answer(config, AIRLINE).public_mask
    truth = airline[132:]
    files = store.FileStore(tmp_path / "blobs")
    course = config.course()

    def send(user: store.User, forecast: np.ndarray) -> submissions.SubmitOutcome:
        content = _csv([repr(float(v)) for v in forecast])
        with store.session_scope(engine) as session:
            ctx = submissions.SubmitContext(session, files, config, course)
            request = submissions.SubmissionRequest(AIRLINE, user, content, "s.csv", NOW)
            return submissions.submit(ctx, request)

    with store.session_scope(engine) as session:
        ann = store.create_user(session, "ann", "student")
        bob = store.create_user(session, "bob", "student")
    last_year = airline[120:132]  # seasonal naive
    near = truth + np.where(np.arange(12) % 2, 3.0, -3.0)  # off by exactly 3 everywhere
    naive = send(ann, last_year)
    good = send(bob, near)
    expected = math.sqrt(np.mean((last_year[mask] - truth[mask]) ** 2))
    assert naive.public_score == pytest.approx(expected)
    assert good.public_score == pytest.approx(3.0)
    with store.session_scope(engine, read_only=True) as session:
        board = boards.leaderboard(session, course, AIRLINE, NOW)
    assert [(row.student, row.rank) for row in board.rows] == [("bob", 1), ("ann", 2)]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["1.0"] * 11, "expected 12 rows, found 11; missing ids: 11 (1 in all)"),
        (["1.0"] * 13, "line 14: expected 12 rows, found more"),
        (["nan", *["1.0"] * 11], "line 2, column value: 'nan' is not a finite number"),
        ([*["1.0"] * 5, "inf", *["1.0"] * 6], "line 7, column value: 'inf' is not a finite"),
        ([*["1.0"] * 11, "1e400"], "line 13, column value: '1e400' is not a finite number"),
        (["1,0", *["1.0"] * 11], "line 2: expected 2 columns (id,value), found 3"),
    ],
)
def test_hostile_forecast_files_are_refused_with_the_reason(
    config: ServiceConfig,
    engine: Engine,
    airline: np.ndarray,
    tmp_path: Path,
    values: list[str],
    message: str,
) -> None:
    publish(config, engine, AIRLINE, now=NOW)
    with store.session_scope(engine) as session:
        ann = store.create_user(session, "ann", "student")
    with pytest.raises(SubmissionError) as refused, store.session_scope(engine) as session:
        submissions.submit(
            submissions.SubmitContext(
                session, store.FileStore(tmp_path / "blobs"), config, config.course()
            ),
            submissions.SubmissionRequest(AIRLINE, ann, _csv(values), "s.csv", NOW),
        )
    assert str(refused.value).startswith(message)


def test_a_huge_forecast_file_is_refused_before_parsing(
    config: ServiceConfig, engine: Engine, airline: np.ndarray, tmp_path: Path
) -> None:
    publish(config, engine, AIRLINE, now=NOW)
    with store.session_scope(engine) as session:
        ann = store.create_user(session, "ann", "student")
    huge = _csv(["1.0"] * 12) + b"\n" * config.max_upload_bytes
    with pytest.raises(SubmissionError, match="the limit is"), store.session_scope(engine) as s:
        submissions.submit(
            submissions.SubmitContext(
                s, store.FileStore(tmp_path / "blobs"), config, config.course()
            ),
            submissions.SubmissionRequest(AIRLINE, ann, huge, "s.csv", NOW),
        )


def test_a_forecast_homework_needs_a_horizon_and_a_series(
    config: ServiceConfig, engine: Engine, airline: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    course = config.course()
    homework = course.homework[AIRLINE]
    for changes, message in (
        ({"horizon": None}, "needs `horizon` in course.toml"),
        ({"horizon": 144}, "horizon 144 leaves no history to forecast from"),
        ({"dataset": "ecg5000"}, "ecg5000 is not a single series"),
    ):
        broken = homework.__class__(**{**homework.__dict__, **changes})
        monkeypatch.setattr(
            ServiceConfig,
            "course",
            lambda self, hw=broken: course.__class__(
                **{**course.__dict__, "homework": {AIRLINE: hw}}
            ),
        )
        with pytest.raises(PublishError, match=message):
            publish(config, engine, AIRLINE, now=NOW)
    assert not (config.shared_dir / AIRLINE).exists()
