"""The `practicum` command as a user meets it: help everywhere, clear one-line errors."""

import gzip
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from practicum.cli import app
from practicum.data import get as get_dataset
from practicum.data import synthetic

runner = CliRunner()


def _all_command_paths() -> list[list[str]]:
    root = get_command(app)
    paths: list[list[str]] = [[]]

    def walk(cmd: object, prefix: list[str]) -> None:
        for name, sub in getattr(cmd, "commands", {}).items():
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", _all_command_paths(), ids=lambda p: " ".join(p) or "practicum")
def test_every_command_has_help(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_data_list_shows_all_seven_with_status() -> None:
    result = runner.invoke(app, ["data", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name in ("mnist", "fashion-mnist", "cifar10", "ecg5000", "airline-passengers",
                 "small-parallel-enja", "coco-captions"):  # fmt: skip
        assert name in result.output
    assert "missing" in result.output


def test_import_then_list_shows_cached(tmp_path: Path) -> None:
    archive = synthetic.write_cifar10_jpeg_like(tmp_path / "c.tar.gz", n_per_class=2)
    result = runner.invoke(app, ["data", "import", "cifar10", str(archive)])
    assert result.exit_code == 0, result.output
    assert "cifar10/train: 20 items" in result.output
    listing = runner.invoke(app, ["data", "list"], env={"COLUMNS": "200"})
    assert "train: cached (unverified) 20" in listing.output
    assert runner.invoke(app, ["data", "verify", "cifar10"]).exit_code == 0


def test_tampered_file_is_refused_with_one_line(tmp_path: Path) -> None:
    folder = synthetic.write_mnist_like(tmp_path / "m", n_train=10, n_test=10)
    result = runner.invoke(app, ["data", "import", "mnist", str(folder)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "sha256 mismatch" in lines[0], result.output


def test_truncated_file_is_refused_with_one_line(tmp_path: Path) -> None:
    folder = synthetic.write_mnist_like(tmp_path / "m", n_train=10, n_test=10)
    labels = folder / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(gzip.decompress(labels.read_bytes())[:12]))
    result = runner.invoke(app, ["data", "import", "mnist", str(folder), "--unverified"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: train-labels-idx1-ubyte.gz:"), (
        result.output
    )


def test_info_names_files_checksums_and_urls() -> None:
    result = runner.invoke(app, ["data", "info", "mnist"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "train-images-idx3-ubyte.gz" in result.output
    assert "LeCun" in result.output and "https://" in result.output
    spec = get_dataset("mnist").file("t10k-labels-idx1-ubyte.gz")
    assert spec is not None and f"gunzip {spec.content_sha256}" in result.output
    assert "a copy gzipped again is accepted" in result.output


def test_unknown_dataset_is_one_line() -> None:
    result = runner.invoke(app, ["data", "info", "imagenet"])
    assert result.exit_code == 1 and "unknown data set 'imagenet'" in result.output


def test_homework_for_missing_lesson_is_clear() -> None:
    result = runner.invoke(app, ["lesson", "homework", "42", "--out", "x.csv"])
    assert result.exit_code == 1 and "lesson 42 has no homework reference" in result.output
