"""The demo course's lesson 4 homework (English to Japanese, BLEU on tokens), published from
small files in small_parallel_enja's own format and scored through the service."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import sacrebleu
from db_backends import Databases
from sacrebleu.metrics.bleu import BLEU
from sqlalchemy import Engine
from tiny_homework import count_stored, demo_course_config, migrated_engine, submit_as

from practicum import data, store
from practicum.data import synthetic
from practicum.grading.submission import SubmissionError
from practicum.service import boards, submissions
from practicum.service.answers import load_answer
from practicum.service.homework_data import EXAMPLE_LINES
from practicum.service.publish import PublishError, publish
from practicum.settings.service import ServiceConfig

HW = "lesson4-enja"
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # lesson 4 is open, the deadline far away
N_TRAIN, N_DEV, N_TEST = 40, 8, 20
SIGNATURE = f"nrefs:1|case:mixed|eff:no|tok:none|smooth:exp|version:{sacrebleu.__version__}"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, databases: Databases) -> ServiceConfig:
    return demo_course_config(tmp_path, monkeypatch, databases)


@pytest.fixture
def engine(config: ServiceConfig) -> Iterator[Engine]:
    with migrated_engine(config) as engine:
        yield engine


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """train/dev/test .en/.ja as the official repository ships them, imported into the cache."""
    folder = synthetic.write_enja_like(tmp_path / "enja", N_TRAIN, N_DEV, N_TEST, seed=7)
    data.import_files("small-parallel-enja", [folder], verify=False)
    return folder


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def corpus_bleu(hypotheses: list[str], references: list[str], where: np.ndarray) -> float:
    """sacrebleu itself, not the grader, over the items `where` picks."""
    picked = np.flatnonzero(where)
    return (
        BLEU(tokenize="none")
        .corpus_score([hypotheses[i] for i in picked], [[references[i] for i in picked]])
        .score
    )


def one_token_wrong(sentences: list[str]) -> list[str]:
    """Each sentence with its second token replaced: partly right."""
    return [" ".join([s.split()[0], "犬", *s.split()[2:]]) for s in sentences]


def submit(
    config: ServiceConfig, engine: Engine, user: str, content: bytes
) -> submissions.SubmitOutcome:
    return submit_as(config, engine, (HW, user, NOW), content)


def text(sentences: list[str]) -> bytes:
    return "".join(f"{s}\n" for s in sentences).encode()


def test_translation_publishes_sentences_as_arrays_and_text(
    config: ServiceConfig, engine: Engine, corpus: Path
) -> None:
    result = publish(config, engine, HW, now=NOW)
    assert result.shapes == {
        "x_train": (N_TRAIN,),
        "y_train": (N_TRAIN,),
        "x_dev": (N_DEV,),
        "y_dev": (N_DEV,),
        "x_test": (N_TEST,),
    }
    assert (result.n_items, result.public_count) == (N_TEST, 6)
    shared = config.shared_dir / HW
    stems = ("x_train", "y_train", "x_dev", "y_dev", "x_test")
    expected = sorted(["README.md", *(f"{s}.npy" for s in stems), *(f"{s}.txt" for s in stems)])
    assert sorted(p.name for p in shared.iterdir()) == expected
    official = {"x_train": "train.en", "y_train": "train.ja", "x_dev": "dev.en"}
    official |= {"y_dev": "dev.ja", "x_test": "test.en"}
    for stem, name in official.items():
        assert (shared / f"{stem}.txt").read_bytes() == (corpus / name).read_bytes(), stem
        assert np.load(shared / f"{stem}.npy").tolist() == lines(corpus / name), stem

    hidden = (corpus / "test.ja").read_bytes()
    for path in shared.iterdir():
        assert hidden not in path.read_bytes(), path
    assert load_answer(config, HW).y_test.tolist() == lines(corpus / "test.ja")
    with store.session_scope(engine, read_only=True) as session:
        row = session.get(store.Homework, HW)
        assert row is not None and row.higher_is_better
        assert (row.submission_kind, row.metric, row.n_items) == ("tokens", "bleu", N_TEST)
    again = publish(config, engine, HW, now=NOW)  # the string answers pass their digest check
    assert again.kept_split and again.split_digest == result.split_digest


def test_the_readme_describes_the_text_files_and_the_submission(
    config: ServiceConfig, engine: Engine, corpus: Path
) -> None:
    publish(config, engine, HW, now=NOW)
    readme = (config.shared_dir / HW / "README.md").read_text(encoding="utf-8")
    for expected in (
        f"| `x_test.txt` | {N_TEST} lines | UTF-8 text |",
        f"| `y_train.txt` | {N_TRAIN} lines | UTF-8 text |",
        f"| `x_test.npy` | ({N_TEST},) |",
        f"`submission.txt`: UTF-8 text of exactly {N_TEST} lines",
        f"`y_pred` is a list of {N_TEST} sentences",
        "**bleu** (higher is better; sacrebleu signature",
        f"`{SIGNATURE}`",
        "reach **25** on the private leaderboard",
    ):
        assert expected in readme, expected
    example = readme.split("## Submission", 1)[1].split("```", 2)[1]
    assert example.strip().splitlines() == [*EXAMPLE_LINES["ja"], "..."]
    for sentence in lines(corpus / "test.ja"):
        assert sentence not in readme


def test_translations_are_scored_by_sacrebleu_corpus_bleu(
    config: ServiceConfig, engine: Engine, corpus: Path
) -> None:
    publish(config, engine, HW, now=NOW)
    references = lines(corpus / "test.ja")
    mask = load_answer(config, HW).public_mask
    perfect = submit(config, engine, "ann", text(references))
    assert perfect.public_score == pytest.approx(100.0)
    assert (perfect.rank, perfect.signature) == (1, SIGNATURE)

    partial = one_token_wrong(references)
    scored = submit(config, engine, "bob", text(partial))
    assert 0 < scored.public_score < 100
    assert scored.public_score == pytest.approx(corpus_bleu(partial, references, mask))
    assert (scored.rank, scored.n_ranked) == (2, 2)
    with store.session_scope(engine, read_only=True) as session:
        row = session.get(store.Submission, scored.submission_id)
        assert row is not None
        assert row.private_score == pytest.approx(corpus_bleu(partial, references, ~mask))
        everything = np.ones(N_TEST, bool)
        assert row.full_score == pytest.approx(corpus_bleu(partial, references, everything))
        board = boards.leaderboard(session, config.course(), HW, NOW)
    assert [r.student for r in board.rows] == ["ann", "bob"]
    assert board.signature == SIGNATURE


def test_whitespace_and_line_ends_do_not_change_the_score(
    config: ServiceConfig, engine: Engine, corpus: Path
) -> None:
    publish(config, engine, HW, now=NOW)
    references = lines(corpus / "test.ja")
    messy = "\ufeff" + "".join(f"  {s.replace(' ', '   ')}\t\r\n" for s in references)
    assert submit(config, engine, "ann", messy.encode()).public_score == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("count", "message"),
    [
        (N_TEST - 1, f"expected {N_TEST} lines, found {N_TEST - 1}"),
        (N_TEST + 1, f"line {N_TEST + 1}: expected {N_TEST} lines, found more"),
    ],
)
def test_a_wrong_number_of_lines_is_refused_and_nothing_stored(
    config: ServiceConfig, engine: Engine, corpus: Path, count: int, message: str
) -> None:
    publish(config, engine, HW, now=NOW)
    sentences = (lines(corpus / "test.ja") * 2)[:count]
    files = store.FileStore(config.blob_dir)
    with pytest.raises(SubmissionError) as refused:
        submit(config, engine, "ann", text(sentences))
    assert str(refused.value) == message
    assert count_stored(engine, files) == (0, 0)


def test_runaway_outputs_of_a_real_size_still_fit_the_upload_cap(
    config: ServiceConfig, engine: Engine, corpus: Path
) -> None:
    """A decoder that never emits its end token writes up to its length limit on every line
    (250 tokens, 1.75 KB of UTF-8 here); that scores near 0, but it must be scored, not
    refused as too big."""
    publish(config, engine, HW, now=NOW)
    runaway = [" ".join(["です"] * 250)] * N_TEST
    outcome = submit(config, engine, "ann", text(runaway))
    assert outcome.public_score < 1


def test_the_completion_rule_needs_the_translation_target(
    config: ServiceConfig, engine: Engine, corpus: Path
) -> None:
    assert HW in config.course().completion.required_homework
    publish(config, engine, HW, now=NOW)
    references = lines(corpus / "test.ja")
    submit(config, engine, "ann", text(references))
    word_salad = [" ".join(reversed(s.split())) for s in references]
    assert 0 < corpus_bleu(word_salad, references, np.ones(N_TEST, bool)) < 15
    submit(config, engine, "bob", text(word_salad))
    with store.session_scope(engine, read_only=True) as session:
        table = boards.gradebook_csv(session, config.course())
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO(table))}
    assert rows["ann"][f"{HW}:target_reached"] == "yes"
    assert rows["bob"][f"{HW}:target_reached"] == "no"
    assert HW not in rows["ann"]["missing"] and HW in rows["bob"]["missing"]


def test_publishing_needs_the_official_test_split(
    config: ServiceConfig, engine: Engine, tmp_path: Path
) -> None:
    """The shared copy of the corpus has train and dev only, like many mirrors."""
    folder = synthetic.write_enja_like(tmp_path / "enja", N_TRAIN, N_DEV, N_TEST)
    for name in ("test.en", "test.ja"):
        (folder / name).unlink()
    data.import_files("small-parallel-enja", [folder], verify=False)
    with pytest.raises(PublishError, match=rf"homework {HW}: small-parallel-enja/test is not in"):
        publish(config, engine, HW, now=NOW)
    assert not (config.shared_dir / HW).exists()


def _course_with(config: ServiceConfig, monkeypatch: pytest.MonkeyPatch, **changes: str) -> None:
    course = config.course()
    homework = replace(course.homework[HW], **changes)
    changed = replace(course, homework={**course.homework, HW: homework})
    monkeypatch.setattr(ServiceConfig, "course", lambda self: changed)


def test_course_toml_can_turn_the_direction_around(
    config: ServiceConfig, engine: Engine, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _course_with(config, monkeypatch, source_lang="ja", target_lang="en")
    publish(config, engine, HW, now=NOW)
    shared = config.shared_dir / HW
    assert (shared / "x_test.txt").read_bytes() == (corpus / "test.ja").read_bytes()
    assert (shared / "y_train.txt").read_bytes() == (corpus / "train.en").read_bytes()
    assert load_answer(config, HW).y_test.tolist() == lines(corpus / "test.en")
    readme = (shared / "README.md").read_text(encoding="utf-8")
    assert EXAMPLE_LINES["en"][0] in readme


def test_a_direction_the_corpus_does_not_have_is_refused(
    config: ServiceConfig, engine: Engine, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _course_with(config, monkeypatch, source_lang="en", target_lang="de")
    with pytest.raises(PublishError, match="small-parallel-enja/train holds en, ja, not en and de"):
        publish(config, engine, HW, now=NOW)
    assert not (config.shared_dir / HW).exists()
