"""`practicum lesson homework 5`: the captioning reference's contract (a folder of photos in,
one lowercased caption a photo out, in file-name order; the official test split scored by
caption BLEU against every reference) with the lesson's solver replaced by a stand-in that
names the photo it was given; the real solver's training is the lesson's own test."""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from practicum import data
from practicum.cli import app
from practicum.coursework import registry
from practicum.data import synthetic
from practicum.data.captioned import captioned_images
from practicum.grading.metrics import caption_bleu

runner = CliRunner()


@dataclass
class StandIn:
    """Captions each photo with what `names` says about its bytes, and records its calls."""

    names: dict[bytes, str]
    calls: list[tuple[list[str], int, float | None]] = field(default_factory=list)
    budget: float | None = None

    def budgeted(self, minutes: float) -> StandIn:
        self.budget = minutes
        return self

    def __call__(self, train: dict[str, np.ndarray], x: Sequence[bytes], seed: int) -> list[str]:
        self.calls.append((sorted(train), seed, self.budget))
        assert all(isinstance(photo, bytes) for photo in x)
        return [f"  The Photo\t{self.names[photo]}  ." for photo in x]


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """Flickr8k look-alike in the cache; returns its folder of photos."""
    folder = synthetic.write_flickr8k_like(tmp_path / "flickr8k", n_images=40, seed=2)
    data.import_files("flickr8k", [folder], verify=False)
    return folder / "Images"


@pytest.fixture
def stand_in(photos: Path, monkeypatch: pytest.MonkeyPatch) -> StandIn:
    solver = StandIn({path.read_bytes(): path.name for path in photos.iterdir()})
    reference = replace(registry.HOMEWORK[5], solve=solver, budgeted=solver.budgeted)
    monkeypatch.setitem(registry.HOMEWORK, 5, reference)
    return solver


def test_the_reference_is_registered_for_flickr8k_and_caption_bleu() -> None:
    reference = registry.get(5)
    assert (reference.dataset, reference.train_split, reference.test_split) == (
        "flickr8k",
        "train",
        "test",
    )
    assert reference.metric_name == "caption_bleu"
    assert reference.budgeted is not None and reference.read_x_test is not None


def test_a_folder_of_photos_is_captioned_in_file_name_order(
    stand_in: StandIn, photos: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "x_test"
    folder.mkdir()
    chosen = sorted(p.name for p in photos.iterdir())[:7]
    renamed = {f"{i:04d}.jpg": name for i, name in enumerate(reversed(chosen))}
    for new, old in sorted(renamed.items(), reverse=True):  # created out of order
        shutil.copyfile(photos / old, folder / new)
    (folder / ".hidden.jpg").write_bytes(b"not a photo")
    (folder / "notes.txt").write_text("not a photo either")
    out = tmp_path / "s.txt"
    args = ["lesson", "homework", "5", "--x-test", str(folder), "--out", str(out)]
    result = runner.invoke(app, [*args, "--seed", "3", "--budget-minutes", "2"])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and len(lines) == 8  # seven lines, each ended by a newline
    expected = [f"the photo {renamed[name].lower()} ." for name in sorted(renamed)]
    assert lines[:-1] == expected
    assert stand_in.calls == [(sorted(data.load("flickr8k", "train")), 3, 2.0)]
    assert "wrote" in result.output and "caption_bleu" not in result.output  # no truth here


def test_the_official_test_split_is_captioned_and_scored(stand_in: StandIn, tmp_path: Path) -> None:
    out = tmp_path / "s.txt"
    result = registry.run_homework(5, out)
    test = captioned_images("flickr8k", "test")
    assert result.rows == len(test) == len(out.read_text(encoding="utf-8").splitlines())
    captions = out.read_text(encoding="utf-8").splitlines()
    assert captions == [f"the photo {name} ." for name in test.file_names]
    padded = [refs + [""] * (5 - len(refs)) for refs in test.captions]
    assert result.score == pytest.approx(caption_bleu(np.array(padded), captions).score)
    assert stand_in.calls[0][2] is None  # the default budget


def test_the_cli_prints_the_official_score(stand_in: StandIn, tmp_path: Path) -> None:
    result = runner.invoke(app, ["lesson", "homework", "5", "--out", str(tmp_path / "s.txt")])
    assert result.exit_code == 0, result.output
    assert re.search(r"flickr8k test caption_bleu: \d+\.\d{4} \(target 18\.0\)", result.output)


def test_an_x_test_that_is_no_folder_of_photos_is_refused(
    stand_in: StandIn, tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()
    for given, message in (
        (tmp_path / "nothing", "no such folder"),
        (tmp_path / "empty", "no .jpg"),
    ):
        result = runner.invoke(
            app, ["lesson", "homework", "5", "--x-test", str(given), "--out", str(tmp_path / "s")]
        )
        assert result.exit_code == 1 and message in result.output, result.output
        assert not (tmp_path / "s").exists()
    assert stand_in.calls == []
