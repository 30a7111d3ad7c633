"""`grading.judge`: the course's classifier of generated images is saved with its SHA-256,
loaded back as it was, refused when its file changed, and built only when missing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from judge_helpers import JudgedData, judged_data

from practicum.grading import judge as judges
from practicum.grading.judge import JudgeError


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> JudgedData:
    return judged_data(tmp_path_factory)


def _copy(judged: JudgedData, folder: Path) -> Path:
    """The shared judge's files copied, for a test that damages them."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in (judged.judge_path, judged.judge_path.with_suffix(".json")):
        shutil.copy(source, folder / source.name)
    return folder / judged.judge_path.name


def test_a_saved_judge_loads_back_the_same(judged: JudgedData, tmp_path: Path) -> None:
    judge = judged.judge
    where = tmp_path / "again.pt"
    digest = judges.save(judge, where)
    assert digest == judge.sha256 == json.loads(where.with_suffix(".json").read_text())["sha256"]
    again = judges.load(where)
    for name in ("mean", "cov", "class_mean", "class_cov", "train_rows", "holdout_rows"):
        assert np.array_equal(getattr(again, name), getattr(judge, name)), name
    assert again.holdout_accuracy == judge.holdout_accuracy
    images = judged.test_x[:50]
    assert np.array_equal(again.features(images), judge.features(images))
    assert np.array_equal(again.classify(images), judge.classify(images))


def test_what_the_judge_reads(judged: JudgedData) -> None:
    judge = judged.judge
    assert judge.features(judged.test_x[:7]).shape == (7, judges.FEATURES)
    assert judge.classify(judged.test_x[:7]).dtype == np.int64
    assert len(judge.train_rows) + len(judge.holdout_rows) == len(judged.train_x)
    assert not set(judge.train_rows) & set(judge.holdout_rows)
    assert judge.holdout_accuracy > 0.8  # the look-alike is easy; the tests rely on it
    as_floats = judged.test_x[:7].astype(np.float32) / 255
    flat = judged.test_x[:7].reshape(7, 784)
    reads = judge.classify(judged.test_x[:7])
    assert np.array_equal(judge.classify(as_floats), reads)
    assert np.array_equal(judge.classify(flat), reads)
    with pytest.raises(ValueError, match=r"expected images \(N, 28, 28\)"):
        judge.classify(np.zeros((2, 28, 27)))


def test_a_changed_judge_is_refused(judged: JudgedData, tmp_path: Path) -> None:
    where = _copy(judged, tmp_path)
    raw = bytearray(where.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    where.write_bytes(bytes(raw))
    with pytest.raises(JudgeError, match=r"not the .* recorded when it was built"):
        judges.load(where)


def test_a_missing_judge_or_manifest_is_refused(judged: JudgedData, tmp_path: Path) -> None:
    with pytest.raises(JudgeError, match=r"no judge at .*practicum lesson judge"):
        judges.load(tmp_path / "none.pt")
    where = _copy(judged, tmp_path)
    where.with_suffix(".json").unlink()
    with pytest.raises(JudgeError, match="no judge at"):
        judges.load(where)


def test_ensure_loads_the_built_judge_without_training_again(
    judged: JudgedData, monkeypatch: pytest.MonkeyPatch
) -> None:
    judged.use(monkeypatch)
    assert judges.path() == judged.judge_path
    before = judged.judge_path.stat().st_mtime_ns

    def no_training(*_: object, **__: object) -> None:
        raise AssertionError("trained again")

    monkeypatch.setattr(judges, "build", no_training)
    assert judges.ensure(log=None, progress=False).sha256 == judged.judge.sha256
    assert judged.judge_path.stat().st_mtime_ns == before
