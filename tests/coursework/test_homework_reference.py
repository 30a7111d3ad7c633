"""`practicum lesson homework 1`: the contract (files, formats, errors) on look-alike data;
the accuracy target itself on real Fashion-MNIST is a slow test and a benchmark."""

import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner, Result

from practicum import data
from practicum.cli import app
from practicum.coursework.registry import run_homework
from practicum.data import synthetic

runner = CliRunner()


@pytest.fixture
def fashion_like(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Look-alike Fashion-MNIST in the cache; smoke mode keeps training to seconds."""
    folder = synthetic.write_mnist_like(tmp_path / "fm", n_train=600, n_test=200, seed=3)
    data.import_files("fashion-mnist", [folder], verify=False)
    monkeypatch.setenv("PRACTICUM_SMOKE", "1")


def _rows(path: Path) -> list[list[str]]:
    return [line.split(",") for line in path.read_text().splitlines()]


@pytest.mark.usefixtures("fashion_like")
def test_cli_writes_submission_and_scores_on_official_test_split(tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    result = runner.invoke(app, ["lesson", "homework", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert rows[0] == ["id", "label"] and len(rows) == 201
    assert [int(r[0]) for r in rows[1:]] == list(range(200))
    labels = np.array([int(r[1]) for r in rows[1:]])
    assert labels.min() >= 0 and labels.max() <= 9
    truth = data.load("fashion-mnist", "test")["y"]
    expected = f"accuracy: {np.mean(labels == truth):.4f}"
    assert expected in result.output


@pytest.mark.usefixtures("fashion_like")
def test_x_test_file_gives_one_row_per_item_and_no_score(tmp_path: Path) -> None:
    x = data.load("fashion-mnist", "test")["x"][:37]
    np.save(tmp_path / "x.npy", x)
    result = run_homework(1, tmp_path / "s.csv", x_test=tmp_path / "x.npy")
    assert result.rows == 37 and result.score is None
    assert len(_rows(tmp_path / "s.csv")) == 38


@pytest.mark.usefixtures("fashion_like")
def test_same_seed_same_predictions(tmp_path: Path) -> None:
    run_homework(1, tmp_path / "a.csv", seed=5)
    run_homework(1, tmp_path / "b.csv", seed=5)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def _homework_on(tmp_path: Path, array: np.ndarray) -> Result:
    np.save(tmp_path / "x.npy", array, allow_pickle=array.dtype == object)
    args = ["lesson", "homework", "1", "--x-test", str(tmp_path / "x.npy")]
    return runner.invoke(app, [*args, "--out", str(tmp_path / "s.csv")])


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (
            np.zeros((4, 32, 32), np.uint8),
            r"items have shape \(32, 32\), lesson 1 expects \(28, 28\)",
        ),
        (np.zeros((4, 28, 28), np.float64), "dtype float64, expected uint8"),
    ],
)
def test_bad_x_test_is_refused_before_training(
    tmp_path: Path, array: np.ndarray, message: str
) -> None:
    result = _homework_on(tmp_path, array)
    assert result.exit_code == 1
    assert re.search("error: .*" + message, result.output.replace("\n", ""))
    assert not (tmp_path / "s.csv").exists()


def test_pickled_x_test_is_never_unpickled(tmp_path: Path) -> None:
    result = _homework_on(tmp_path, np.array([object()], dtype=object))
    assert result.exit_code == 1 and "not a readable .npy array" in result.output
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.slow
def test_real_fashion_mnist_reaches_the_homework_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PRACTICUM_SMOKE", raising=False)
    monkeypatch.delenv("PRACTICUM_SYSTEM_DATA", raising=False)
    result = run_homework(1, tmp_path / "s.csv")
    assert result.score is not None and result.score >= 0.90


@pytest.fixture
def enja_like(tmp_path: Path) -> Path:
    """Look-alike small_parallel_enja (train, dev, test) in the cache."""
    folder = synthetic.write_enja_like(tmp_path / "enja", n_train=300, n_dev=30, n_test=25)
    files = sorted(folder.iterdir())
    data.import_files("small-parallel-enja", files, verify=False)
    return folder


def test_lesson4_translates_a_text_file_line_for_line(enja_like: Path, tmp_path: Path) -> None:
    """Sentences in, one tokenized Japanese line out per English line; the official test
    split is scored by BLEU on the tokens as given."""
    x_test = tmp_path / "mine.en"
    x_test.write_text("you see the book .\ni take the cat .\n\nwe read the letter .\n")
    out = tmp_path / "s.txt"
    result = runner.invoke(
        app,
        [
            "lesson",
            "homework",
            "4",
            "--x-test",
            str(x_test),
            "--out",
            str(out),
            "--budget-minutes",
            "0.1",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").split("\n")
    assert len(lines) == 5 and lines[-1] == ""  # four lines, each ended by a newline
    official = runner.invoke(
        app, ["lesson", "homework", "4", "--out", str(out), "--budget-minutes", "0.1"]
    )
    assert official.exit_code == 0, official.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 25
    assert re.search(r"small-parallel-enja test bleu: \d+\.\d{4} \(target 25\.0\)", official.output)


def test_lesson4_refuses_a_file_that_is_not_lines_of_text(enja_like: Path, tmp_path: Path) -> None:
    x_test = tmp_path / "dos.en"
    x_test.write_bytes(b"you see the book .\r\n")
    result = runner.invoke(
        app, ["lesson", "homework", "4", "--x-test", str(x_test), "--budget-minutes", "0.1"]
    )
    assert result.exit_code != 0 and "carriage return" in result.output
