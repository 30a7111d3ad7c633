"""Publishing a homework on a tiny Fashion-MNIST look-alike: files, permissions, split, row."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from db_backends import Databases
from sqlalchemy import Engine
from tiny_homework import demo_course_config

from practicum import data
from practicum.data import synthetic
from practicum.service import publish as publish_module
from practicum.service.answers import (
    AnswerCorrupt,
    NotPublished,
    load_answer,
    submission_spec,
)
from practicum.service.publish import PublishError, publish
from practicum.settings.service import ServiceConfig
from practicum.store import (
    DailyWindow,
    FileStore,
    Homework,
    Submission,
    create_user,
    make_engine,
    record_submission,
    session_scope,
    upgrade,
)

HW = "lesson1-fashion-mnist"
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
N_TRAIN, N_TEST = 60, 40


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, databases: Databases) -> ServiceConfig:
    config = demo_course_config(tmp_path, monkeypatch, databases)
    folder = synthetic.write_mnist_like(tmp_path / "raw", n_train=N_TRAIN, n_test=N_TEST)
    data.import_files("fashion-mnist", [folder], verify=False)
    return config


@pytest.fixture
def engine(config: ServiceConfig) -> Iterator[Engine]:
    upgrade(config.database_url)
    engine = make_engine(config.database_url)
    yield engine
    engine.dispose()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_publish_writes_public_and_private_files(config: ServiceConfig, engine: Engine) -> None:
    result = publish(config, engine, HW, now=NOW)
    shared, private = config.shared_dir / HW, config.private_dir / HW
    assert result.public_dir == shared.resolve() and not result.kept_split
    assert sorted(p.name for p in shared.iterdir()) == [
        "README.md",
        "x_test.npy",
        "x_train.npy",
        "y_train.npy",
    ]
    assert np.load(shared / "x_train.npy").shape == (N_TRAIN, 28, 28)
    assert np.load(shared / "y_train.npy").shape == (N_TRAIN,)
    assert np.load(shared / "x_test.npy").shape == (N_TEST, 28, 28)
    for path in shared.iterdir():
        assert _mode(path) == 0o444, path
    assert _mode(shared) == 0o755
    assert _mode(private) == 0o700
    assert sorted(p.name for p in private.iterdir()) == [
        "public_mask.npy",
        "split.json",
        "y_test.npy",
    ]
    for path in private.iterdir():
        assert _mode(path) == 0o600, path
    assert config.shared_dir.resolve() not in private.resolve().parents
    assert not list(config.shared_dir.glob(".*")) and not list(config.private_dir.glob(f".{HW}*"))


def test_hidden_labels_never_reach_the_shared_folder(config: ServiceConfig, engine: Engine) -> None:
    publish(config, engine, HW, now=NOW)
    y_test = data.load("fashion-mnist", "test")["y"]
    answer = load_answer(config, HW)
    assert np.array_equal(answer.y_test, y_test)
    for path in (config.shared_dir / HW).iterdir():
        raw = path.read_bytes()
        assert y_test.tobytes() not in raw, path
        assert y_test.astype(np.uint8).tobytes() not in raw, path
        if path.suffix == ".npy":
            array = np.load(path)
            assert not (array.shape == y_test.shape and np.array_equal(array, y_test)), path
    readme = (config.shared_dir / HW / "README.md").read_text()
    assert ",".join(map(str, y_test[:8])) not in readme.replace("\n", ",")


def test_split_is_recorded_with_fraction_and_digest(config: ServiceConfig, engine: Engine) -> None:
    result = publish(config, engine, HW, now=NOW)
    answer = load_answer(config, HW)
    assert answer.public_count == round(N_TEST * 0.3) == result.public_count
    record = json.loads((config.private_dir / HW / "split.json").read_text())
    assert record["public_fraction"] == 0.3 and record["n_items"] == N_TEST
    assert record["digest"] == result.split_digest
    assert record["published_at"] == NOW.isoformat()
    with session_scope(engine, read_only=True) as session:
        row = session.get(Homework, HW)
        assert row is not None
        assert (row.split_seed, row.split_digest) == (record["seed"], record["digest"])
        assert (row.n_items, row.public_count, row.metric) == (N_TEST, 12, "accuracy")
        assert row.higher_is_better and row.submission_kind == "labels"


def test_readme_tells_the_student_everything(config: ServiceConfig, engine: Engine) -> None:
    publish(config, engine, HW, now=NOW)
    readme = (config.shared_dir / HW / "README.md").read_text()
    for expected in (
        "multi-layer perceptron",  # the course's task text
        f"| `x_train.npy` | ({N_TRAIN}, 28, 28) | uint8 |",
        f"| `x_test.npy` | ({N_TEST}, 28, 28) | uint8 |",
        "id,label\n0,0\n1,1\n2,2\n...",
        "**accuracy** (higher is better)",
        "**0.9**",
        "2027-03-31 23:59 JST",
        "Up to 5 submissions a day",
        "pick up to 2 submission(s)",
        f'practicum.submit("{HW}", y_pred)',
        "30%",
    ):
        assert expected in readme, expected


def test_republish_keeps_the_split(config: ServiceConfig, engine: Engine) -> None:
    first = publish(config, engine, HW, now=NOW)
    mask = load_answer(config, HW).public_mask
    again = publish(config, engine, HW, now=NOW.replace(hour=5))
    assert again.kept_split and again.split_digest == first.split_digest
    assert np.array_equal(load_answer(config, HW).public_mask, mask)


def test_split_is_rebuilt_from_the_recorded_seed_when_private_files_are_lost(
    config: ServiceConfig, engine: Engine
) -> None:
    first = publish(config, engine, HW, now=NOW)
    for path in (config.private_dir / HW).iterdir():
        path.unlink()
    again = publish(config, engine, HW, now=NOW)
    assert again.kept_split and again.split_digest == first.split_digest


def test_force_draws_a_new_split_only_before_any_submission(
    config: ServiceConfig, engine: Engine, tmp_path: Path
) -> None:
    first = publish(config, engine, HW, now=NOW)
    redrawn = publish(config, engine, HW, now=NOW, force=True)
    assert not redrawn.kept_split
    seeds = {json.loads((config.private_dir / HW / "split.json").read_text())["seed"]}
    with session_scope(engine) as session:
        ann = create_user(session, "ann", "student")
        row = Submission(
            homework_id=HW,
            user_id=ann.id,
            filename="submission.csv",
            created_at=NOW,
            public_score=0.5,
            private_score=0.5,
            full_score=0.5,
            status="scored",
        )
        day = DailyWindow(NOW, NOW.replace(day=2))
        record_submission(session, FileStore(tmp_path / "blobs"), row, b"id,label\n", day)
    before = (config.private_dir / HW / "public_mask.npy").read_bytes()
    with pytest.raises(PublishError, match=r"already has 1 submission\(s\); its split cannot"):
        publish(config, engine, HW, now=NOW, force=True)
    assert (config.private_dir / HW / "public_mask.npy").read_bytes() == before
    assert publish(config, engine, HW, now=NOW).kept_split  # plain republish still works
    assert json.loads((config.private_dir / HW / "split.json").read_text())["seed"] in seeds
    assert first.n_items == N_TEST


def test_store_refusal_is_surfaced_and_leaves_files_untouched(
    config: ServiceConfig, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(config, engine, HW, now=NOW)
    before = {p.name: p.read_bytes() for p in (config.shared_dir / HW).iterdir()}

    def refuse(*args: object, **kwargs: object) -> None:
        from practicum.store import StoreError

        raise StoreError("homework 'x' already has 3 submission(s); refusing to change n_items")

    monkeypatch.setattr(publish_module, "record_homework", refuse)
    with pytest.raises(PublishError, match="refusing to change n_items"):
        publish(config, engine, HW, now=NOW)
    after = {p.name: p.read_bytes() for p in (config.shared_dir / HW).iterdir()}
    assert after == before
    assert load_answer(config, HW).record.published_at == NOW.isoformat()


def test_failed_swap_restores_previous_state(
    config: ServiceConfig, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(config, engine, HW, now=NOW)
    real_swap = publish_module._swap_in
    calls: list[Path] = []

    def swap_then_fail(staged: Path, target: Path) -> Path | None:
        calls.append(target)
        if len(calls) == 2:  # the public folder, after the private one went in
            raise OSError("disk full")
        return real_swap(staged, target)

    monkeypatch.setattr(publish_module, "_swap_in", swap_then_fail)
    with pytest.raises(OSError, match="disk full"):
        publish(config, engine, HW, now=NOW.replace(hour=9), force=True)
    answer = load_answer(config, HW)  # the old private files are back and verify
    assert answer.record.published_at == NOW.isoformat()
    with session_scope(engine, read_only=True) as session:
        row = session.get(Homework, HW)
        assert row is not None and row.split_digest == answer.record.digest
        assert row.published_at == NOW
    assert not list(config.private_dir.glob(f".{HW}*")) and not list(config.shared_dir.glob(".*"))


def test_tampered_mask_is_detected(config: ServiceConfig, engine: Engine) -> None:
    publish(config, engine, HW, now=NOW)
    path = config.private_dir / HW / "public_mask.npy"
    mask = np.load(path)
    mask[np.argmax(~mask)] = True  # one private item made public
    path.unlink()
    np.save(path, mask)
    with pytest.raises(AnswerCorrupt, match=r"public_mask\.npy does not match the digest"):
        load_answer(config, HW)
    with pytest.raises(PublishError, match="--force"):
        publish(config, engine, HW, now=NOW)


def test_tampered_labels_are_detected(config: ServiceConfig, engine: Engine) -> None:
    publish(config, engine, HW, now=NOW)
    path = config.private_dir / HW / "y_test.npy"
    y = np.load(path)
    path.unlink()
    np.save(path, (y + 1) % 10)
    with pytest.raises(AnswerCorrupt, match=r"y_test\.npy does not match"):
        load_answer(config, HW)


def test_pickled_answer_file_is_refused_not_loaded(config: ServiceConfig, engine: Engine) -> None:
    publish(config, engine, HW, now=NOW)
    path = config.private_dir / HW / "y_test.npy"
    path.unlink()
    np.save(path, np.array([object()] * N_TEST), allow_pickle=True)
    with pytest.raises(AnswerCorrupt, match=r"y_test\.npy: unreadable"):
        load_answer(config, HW)


def test_unpublished_homework_says_how_to_publish(config: ServiceConfig) -> None:
    with pytest.raises(NotPublished) as info:
        load_answer(config, HW)
    assert str(info.value) == (
        f"homework {HW} is not published yet; staff: practicum homework publish {HW}"
    )
    with pytest.raises(NotPublished):
        load_answer(config, "../../etc")


def test_spec_for_the_web_matches_the_homework(config: ServiceConfig, engine: Engine) -> None:
    publish(config, engine, HW, now=NOW)
    spec = submission_spec(config.course().homework[HW], load_answer(config, HW), max_bytes=99)
    assert (spec.kind, spec.n_items, spec.n_classes, spec.max_bytes) == ("labels", N_TEST, 10, 99)


def test_private_inside_shared_is_refused(config: ServiceConfig, engine: Engine) -> None:
    nested = ServiceConfig(
        state=config.state,
        database_url=config.database_url,
        shared_dir=config.shared_dir,
        private_dir=config.shared_dir / "private",
        blob_dir=config.blob_dir,
        course_path=None,
    )
    with pytest.raises(PublishError, match="overlap"):
        publish(nested, engine, HW, now=NOW)
    assert not (config.shared_dir / "private").exists()


def test_unknown_homework_and_dataset_without_labeled_test_split(
    config: ServiceConfig, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(PublishError, match="has no homework 'nope' \\(it has: lesson1"):
        publish(config, engine, "nope", now=NOW)
    course = config.course()
    homework = course.homework[HW]
    series = homework.__class__(**{**homework.__dict__, "dataset": "airline-passengers"})
    monkeypatch.setattr(
        ServiceConfig,
        "course",
        lambda self: course.__class__(**{**course.__dict__, "homework": {HW: series}}),
    )
    with pytest.raises(PublishError, match="airline-passengers has no labeled train/test"):
        publish(config, engine, HW, now=NOW)
    assert not (config.shared_dir / HW).exists()


def test_labels_outside_the_course_classes_are_refused(
    config: ServiceConfig, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    course = config.course()
    homework = course.homework[HW]
    binary = homework.__class__(**{**homework.__dict__, "n_classes": 2})
    monkeypatch.setattr(
        ServiceConfig,
        "course",
        lambda self: course.__class__(**{**course.__dict__, "homework": {HW: binary}}),
    )
    with pytest.raises(
        PublishError, match=r"labels span 0\.\.9, but the course says n_classes = 2"
    ):
        publish(config, engine, HW, now=NOW)
