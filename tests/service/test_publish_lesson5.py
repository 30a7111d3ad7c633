"""The demo course's lesson 5 homework (image captioning, BLEU-4 against every human caption of
a photo), published from Flickr8k look-alike files in Kaggle's layout and scored through the
service."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from db_backends import Databases
from flickr8k_homework import HW, SIGNATURE, Photos, corpus_bleu, write_photos
from sqlalchemy import Engine
from tiny_homework import count_stored, demo_course_config, migrated_engine, submit_as

from practicum import store
from practicum.data.captioned import decode_image
from practicum.grading.submission import SubmissionError
from practicum.service import boards, submissions
from practicum.service.answers import load_answer
from practicum.service.homework_data import CAPTION_EXAMPLES
from practicum.service.publish import PublishError, publish
from practicum.settings.service import ServiceConfig

NOW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # lesson 5 is open, the deadline far away
PUBLIC_FILES = ["README.md", "x_dev.zip", "x_test.zip", "x_train.zip", "y_dev.csv", "y_train.csv"]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, databases: Databases) -> ServiceConfig:
    return demo_course_config(tmp_path, monkeypatch, databases)


@pytest.fixture
def engine(config: ServiceConfig) -> Iterator[Engine]:
    with migrated_engine(config) as engine:
        yield engine


@pytest.fixture
def photos(tmp_path: Path) -> Photos:
    return write_photos(tmp_path / "flickr8k")


def submit(
    config: ServiceConfig, engine: Engine, user: str, captions: list[str]
) -> submissions.SubmitOutcome:
    content = "".join(f"{c}\n" for c in captions).encode()
    return submit_as(config, engine, (HW, user, NOW), content)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def caption_rows(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        assert next(reader) == ["image", "caption"]
        return [(image, caption) for image, caption in reader]


def test_photos_are_published_as_zips_and_captions_as_csv(
    config: ServiceConfig, engine: Engine, photos: Photos
) -> None:
    result = publish(config, engine, HW, now=NOW)
    n_test = len(photos.names["test"])
    assert n_test >= 10 and result.n_items == n_test
    assert result.public_count == round(0.3 * n_test)
    assert result.shapes == {}
    assert result.files == ("x_train.zip", "y_train.csv", "x_dev.zip", "y_dev.csv", "x_test.zip")
    shared = config.shared_dir / HW
    assert sorted(p.name for p in shared.iterdir()) == PUBLIC_FILES

    for split in ("train", "dev"):
        photos_zip = members(shared / f"x_{split}.zip")
        names = photos.names[split]
        assert list(photos_zip) == [f"x_{split}/{name}" for name in names]
        for name in names:
            assert photos_zip[f"x_{split}/{name}"] == photos.image(name)
        expected = [
            (name, caption)
            for name, captions in zip(names, photos.captions[split], strict=True)
            for caption in captions
        ]
        assert caption_rows(shared / f"y_{split}.csv") == expected
        assert len(expected) == 5 * len(names)

    test_zip = members(shared / "x_test.zip")
    assert list(test_zip) == [f"x_test/{i:04d}.jpg" for i in range(n_test)]
    for i, name in enumerate(photos.names["test"]):
        content = test_zip[f"x_test/{i:04d}.jpg"]
        assert content == photos.image(name)
        assert decode_image(content, name).shape[2] == 3
    with zipfile.ZipFile(shared / "x_test.zip") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}

    y_test = load_answer(config, HW).y_test
    assert y_test.shape == (n_test, 5) and y_test.dtype.kind == "U"
    assert y_test.tolist() == photos.captions["test"]
    with store.session_scope(engine, read_only=True) as session:
        row = session.get(store.Homework, HW)
        assert row is not None and row.higher_is_better
        assert (row.submission_kind, row.metric, row.n_items) == ("tokens", "caption_bleu", n_test)

    before = {p.name: p.read_bytes() for p in shared.iterdir()}
    again = publish(config, engine, HW, now=NOW)
    assert again.kept_split and again.split_digest == result.split_digest
    assert {p.name: p.read_bytes() for p in shared.iterdir()} == before  # built the same


def test_nothing_public_leads_to_a_test_caption(
    config: ServiceConfig, engine: Engine, photos: Photos
) -> None:
    publish(config, engine, HW, now=NOW)
    shared = config.shared_dir / HW
    contents = {p.name: p.read_bytes() for p in shared.iterdir()}
    secrets = [c for captions in photos.captions["test"] for c in captions]
    secrets += [name.removesuffix(".jpg") for name in photos.names["test"]]
    for name, content in contents.items():
        for secret in secrets:
            assert secret.encode() not in content, (name, secret)
    public_names = {m for name in ("x_train.zip", "x_dev.zip") for m in members(shared / name)}
    assert not any(n.removeprefix("x_train/") in photos.names["test"] for n in public_names)


def test_the_readme_says_what_to_submit_and_how_it_is_scored(
    config: ServiceConfig, engine: Engine, photos: Photos
) -> None:
    publish(config, engine, HW, now=NOW)
    readme = (config.shared_dir / HW / "README.md").read_text(encoding="utf-8")
    n_test, n_train = len(photos.names["test"]), len(photos.names["train"])
    for expected in (
        f"| `x_test.zip` | {n_test} images | ZIP, `x_test/0000.jpg`, `x_test/0001.jpg`, … |",
        f"| `x_train.zip` | {n_train} images | ZIP, `x_train/<file name>` |",
        f"| `y_train.csv` | {5 * n_train} captions, 5 an image | CSV, `image,caption` |",
        f"`submission.txt`: UTF-8 text of exactly {n_test} lines, line *i* the caption",
        "photo of `x_test.zip` in file-name order",
        "lowercased or not: scoring lowercases them and the references.",
        f"`y_pred` is a list of {n_test} strings",
        "Scored by BLEU-4 over the whole test set against every human caption",
        "**caption_bleu** (higher is better; sacrebleu signature",
        f"`{SIGNATURE}`",
        "reach **9.5** on the private leaderboard",
        'practicum.submit("lesson5-captions", captions)',
    ):
        assert expected in " ".join(readme.split()), expected  # wherever lines wrap
    example = readme.split("## Submission", 1)[1].split("```", 2)[1]
    assert example.strip().splitlines() == [*CAPTION_EXAMPLES, "..."]
    assert "numpy.load" not in readme


def test_captions_are_scored_by_bleu_against_every_reference(
    config: ServiceConfig, engine: Engine, photos: Photos
) -> None:
    publish(config, engine, HW, now=NOW)
    references = photos.captions["test"]
    mask = load_answer(config, HW).public_mask
    first = [captions[0] for captions in references]
    perfect = submit(config, engine, "ann", [c.upper() for c in first])  # case does not count
    assert perfect.public_score == pytest.approx(100.0)
    assert (perfect.rank, perfect.signature) == (1, SIGNATURE)

    guesses = [" ".join(w for w in c.split() if not w.startswith("row")) for c in first]
    scored = submit(config, engine, "bob", guesses)
    assert 0 < scored.public_score < 100
    assert scored.public_score == pytest.approx(corpus_bleu(guesses, references, mask))
    constant = submit(config, engine, "cat", ["a photo of something ."] * len(first))
    assert constant.public_score < 10 < scored.public_score
    with store.session_scope(engine, read_only=True) as session:
        row = session.get(store.Submission, scored.submission_id)
        assert row is not None
        assert row.private_score == pytest.approx(corpus_bleu(guesses, references, ~mask))
        everything = np.ones(len(first), bool)
        assert row.full_score == pytest.approx(corpus_bleu(guesses, references, everything))
        board = boards.leaderboard(session, config.course(), HW, NOW)
    assert [r.student for r in board.rows] == ["ann", "bob", "cat"]
    assert board.signature == SIGNATURE


def test_fewer_captions_for_some_photos_are_padded_and_scored_right(
    config: ServiceConfig, engine: Engine, tmp_path: Path
) -> None:
    photos = write_photos(tmp_path / "flickr8k", drop=2)
    publish(config, engine, HW, now=NOW)
    references = photos.captions["test"]
    counts = sorted({len(c) for c in references})
    assert counts == [3, 5]  # the look-alike's seed gives the test set photos of both
    y_test = load_answer(config, HW).y_test
    for row, captions in zip(y_test.tolist(), references, strict=True):
        assert row == captions + [""] * (5 - len(captions))
    readme = (config.shared_dir / HW / "README.md").read_text(encoding="utf-8")
    per_photo = [len(c) for c in photos.captions["train"]]
    assert min(per_photo) == 3  # the train photos too
    assert f"| `y_train.csv` | {sum(per_photo)} captions, 3-5 an image |" in readme
    # short captions keep their brevity penalty: "" padding is no reference of length 0
    short = [" ".join(c[0].split()[:2]) for c in references]
    mask = load_answer(config, HW).public_mask
    outcome = submit(config, engine, "ann", short)
    assert outcome.public_score == pytest.approx(corpus_bleu(short, references, mask))


@pytest.mark.parametrize("missing", [True, False])
def test_a_wrong_number_of_lines_is_refused_and_nothing_stored(
    config: ServiceConfig, engine: Engine, photos: Photos, missing: bool
) -> None:
    publish(config, engine, HW, now=NOW)
    n = len(photos.names["test"])
    count = n - 1 if missing else n + 1
    files = store.FileStore(config.blob_dir)
    with pytest.raises(SubmissionError) as refused:
        submit(config, engine, "ann", ["a dog runs ."] * count)
    if missing:
        assert str(refused.value) == f"expected {n} lines, found {count}"
    else:
        assert str(refused.value) == f"line {count}: expected {n} lines, found more"
    assert count_stored(engine, files) == (0, 0)


def test_publishing_needs_the_photos_imported(config: ServiceConfig, engine: Engine) -> None:
    with pytest.raises(PublishError, match=rf"homework {HW}: flickr8k/train is not in the cache"):
        publish(config, engine, HW, now=NOW)
    assert not (config.shared_dir / HW).exists()


def test_a_caption_data_set_without_train_and_test_splits_is_refused(
    config: ServiceConfig, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    course = config.course()
    homework = replace(course.homework[HW], dataset="coco-captions")
    changed = replace(course, homework={**course.homework, HW: homework})
    monkeypatch.setattr(ServiceConfig, "course", lambda self: changed)
    with pytest.raises(PublishError, match="coco-captions has no test, train split"):
        publish(config, engine, HW, now=NOW)
