"""The demo course's lesson 6 homework (conditional generation, the class-conditional Fréchet
distance in the judge's features), published from a Fashion-MNIST look-alike with a judge
trained on it (tests/judge_helpers.py) and scored through the service."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from db_backends import Databases
from judge_helpers import JudgedData, judged_data
from sqlalchemy import Engine
from tiny_homework import count_stored, demo_course_config, migrated_engine, submit_as

from practicum import store
from practicum.grading import generative
from practicum.grading import judge as judges
from practicum.grading.metrics import METRICS
from practicum.grading.submission import SubmissionError
from practicum.service import boards, submissions
from practicum.service import publish as publish_module
from practicum.service.answers import load_answer
from practicum.service.publish import publish
from practicum.settings.service import ServiceConfig

HW = "lesson6-cgan"
NOW = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)  # lesson 6 is open, the deadline far away
PER_CLASS = 20
"""Items a class here (100 in the course): the look-alike's test split is small."""
N_ITEMS = 10 * PER_CLASS
SPLIT_SEED = 3
"""A split with at least 2 items of every class on both sides (checked below), which a
Fréchet distance needs; with 100 a class, any split has them."""


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> JudgedData:
    return judged_data(tmp_path_factory)


@pytest.fixture
def config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, databases: Databases, judged: JudgedData
) -> ServiceConfig:
    config = demo_course_config(tmp_path, monkeypatch, databases)
    judged.use(monkeypatch)
    monkeypatch.setattr(generative, "PER_CLASS", PER_CLASS)
    monkeypatch.setattr(publish_module, "new_seed", lambda: SPLIT_SEED)
    return config


@pytest.fixture
def engine(config: ServiceConfig) -> Iterator[Engine]:
    with migrated_engine(config) as engine:
        yield engine


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def training_images(judged: JudgedData, classes: np.ndarray, *, offset: int = 0) -> np.ndarray:
    """For each item, a training image of its class (uint8): what a perfect generator
    would draw from, standing in for one here."""
    rows = {c: np.flatnonzero(judged.train_y == c) for c in range(10)}
    return np.stack(
        [
            judged.train_x[rows[int(c)][(offset + i) % len(rows[int(c)])]]
            for i, c in enumerate(classes)
        ]
    )


def submit(
    config: ServiceConfig, engine: Engine, user: str, content: bytes, filename: str = "s.npy"
) -> submissions.SubmitOutcome:
    return submit_as(config, engine, (HW, user, NOW), content, filename)


def test_publishing_gives_the_classes_to_draw_hides_real_images_and_names_the_judge(
    config: ServiceConfig, engine: Engine, judged: JudgedData
) -> None:
    result = publish(config, engine, HW, now=NOW)
    n_train = len(judged.train_y)
    assert result.shapes == {
        "x_train": (n_train, 28, 28),
        "y_train": (n_train,),
        "x_test": (N_ITEMS,),
    }
    assert (result.n_items, result.public_count) == (N_ITEMS, round(0.3 * N_ITEMS))
    shared = config.shared_dir / HW
    assert sorted(p.name for p in shared.iterdir()) == [
        "README.md",
        "x_test.npy",
        "x_train.npy",
        "y_train.npy",
    ]
    classes = np.load(shared / "x_test.npy")
    assert classes.dtype == np.int64
    assert classes.tolist() == np.repeat(np.arange(10), PER_CLASS).tolist()
    assert np.array_equal(np.load(shared / "x_train.npy"), judged.train_x)
    assert np.array_equal(np.load(shared / "y_train.npy"), judged.train_y)

    answer = load_answer(config, HW)
    real = answer.y_test
    assert (real.dtype, real.shape) == (np.uint8, (N_ITEMS, 28, 28))
    assert np.array_equal(judged.judge.classify(real), classes)
    test_images = {image.tobytes() for image in judged.test_x}
    assert all(image.tobytes() in test_images for image in real)
    for path in shared.iterdir():
        raw = path.read_bytes()
        assert real.tobytes() not in raw, path
        assert not any(image.tobytes() in raw for image in real), path
    for c in range(10):  # the precondition of SPLIT_SEED
        mine = classes == c
        assert (answer.public_mask & mine).sum() >= 2 and (~answer.public_mask & mine).sum() >= 2

    with store.session_scope(engine, read_only=True) as session:
        row = session.get(store.Homework, HW)
        assert row is not None and not row.higher_is_better
        assert (row.submission_kind, row.metric, row.n_items) == (
            "images",
            "class_frechet",
            N_ITEMS,
        )
    again = publish(config, engine, HW, now=NOW)
    assert again.kept_split and again.split_digest == result.split_digest

    readme = (config.shared_dir / HW / "README.md").read_text(encoding="utf-8")
    flat = " ".join(readme.split())
    for expected in (
        f"| `x_test.npy` | ({N_ITEMS},) | int64 |",
        "| `x_train.npy` | (1000, 28, 28) | uint8 |",
        f"`submission.npy`: one image per item of `x_test`, in order, as an array of shape "
        f"`({N_ITEMS}, 28, 28)` (or `({N_ITEMS}, 784)`): uint8 pixels 0..255, or floats in 0..1",
        "0..255 floats are refused",
        f"{PER_CLASS} of each of the 10 classes, in class order (items 0-{PER_CLASS - 1} class 0",
        f"SHA-256 `{judged.judge.sha256}`",
        "the class-conditional Fréchet distance (lower is better)",
        "Real test images of the classes in `x_test` are hidden",
        "**class_frechet** (lower is better); reach **70** on the private leaderboard",
        'practicum.submit("lesson6-cgan", images)',
    ):
        assert expected in flat, expected


def test_generated_images_are_scored_lower_is_better_and_bad_files_refused(
    config: ServiceConfig, engine: Engine, judged: JudgedData
) -> None:
    publish(config, engine, HW, now=NOW)
    answer = load_answer(config, HW)
    classes = np.repeat(np.arange(10), PER_CLASS)
    good = training_images(judged, classes)
    wrong_class = training_images(judged, (classes + 1) % 10, offset=5)

    as_bytes = submit(config, engine, "ann", npy(good))
    frechet = METRICS["class_frechet"].fn
    mask = answer.public_mask
    assert as_bytes.public_score == pytest.approx(frechet(answer.y_test[mask], good[mask]))
    as_floats = submit(config, engine, "bob", npy(good.astype(np.float32) / 255))
    assert as_floats.public_score == pytest.approx(as_bytes.public_score, rel=1e-6)
    worse = submit(config, engine, "cat", npy(wrong_class), filename="wrong.npy")
    assert worse.public_score > 3 * as_bytes.public_score

    with store.session_scope(engine, read_only=True) as session:
        row = session.get(store.Submission, as_bytes.submission_id)
        assert row is not None
        assert row.private_score == pytest.approx(frechet(answer.y_test[~mask], good[~mask]))
        assert row.full_score == pytest.approx(frechet(answer.y_test, good))
        board = boards.leaderboard(session, config.course(), HW, NOW)
    assert [r.student for r in board.rows] == ["ann", "bob", "cat"]  # ties: the earlier first
    assert board.rows[0].score < board.rows[2].score

    files = store.FileStore(config.blob_dir)
    stored = count_stored(engine, files)
    for images, message in REFUSED:
        with pytest.raises(SubmissionError) as refused:
            submit(config, engine, "dan", npy(images))
        assert str(refused.value) == message
    assert count_stored(engine, files) == stored


REFUSED = [
    (
        np.zeros((N_ITEMS, 28, 27), np.float32),
        f"expected shape ({N_ITEMS}, 28, 28) or ({N_ITEMS}, 784), found ({N_ITEMS}, 28, 27)",
    ),
    (
        np.zeros((N_ITEMS - 1, 28, 28), np.uint8),
        f"expected {N_ITEMS} predictions, found {N_ITEMS - 1}",
    ),
    (
        np.full((N_ITEMS, 28, 28), 200.0, np.float32),
        "image 0: value 200 at pixel (0, 0) is out of range 0..1 (pixels are floats in 0..1 "
        "or uint8 0..255; divide other 8-bit values by 255)",
    ),
]
"""A wrong shape, a wrong count, and 8-bit values as floats: each refused with its reason."""


def test_a_changed_judge_stops_scoring_instead_of_failing(
    config: ServiceConfig,
    engine: Engine,
    judged: JudgedData,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    publish(config, engine, HW, now=NOW)
    damaged = tmp_path / "judge" / judged.judge_path.name
    damaged.parent.mkdir()
    raw = bytearray(judged.judge_path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    damaged.write_bytes(bytes(raw))
    damaged.with_suffix(".json").write_bytes(judged.judge_path.with_suffix(".json").read_bytes())
    monkeypatch.setattr(judges, "path", lambda **_: damaged)
    images = np.zeros((N_ITEMS, 28, 28), np.uint8)
    with pytest.raises(submissions.ScoringUnavailable, match="cannot be scored right now"):
        submit(config, engine, "ann", npy(images))
    assert count_stored(engine, store.FileStore(config.blob_dir)) == (0, 0)
