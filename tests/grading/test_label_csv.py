from pathlib import Path

import numpy as np
import pytest

from practicum.grading.label_csv import write_label_csv
from practicum.grading.metrics import accuracy


def test_writes_kaggle_style_rows_in_order(tmp_path: Path) -> None:
    path = write_label_csv(tmp_path / "out" / "submission.csv", np.array([3, 0, 9], np.int64))
    assert path.read_text() == "id,label\n0,3\n1,0\n2,9\n"
    assert [p.name for p in path.parent.iterdir()] == ["submission.csv"]  # no temp left


@pytest.mark.parametrize("bad", [np.array([0.5, 1.0]), np.zeros((2, 2), np.int64)])
def test_refuses_non_label_vectors(tmp_path: Path, bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="vector of integers"):
        write_label_csv(tmp_path / "s.csv", bad)
    assert not (tmp_path / "s.csv").exists()


def test_accuracy() -> None:
    assert accuracy(np.array([1, 2, 3, 4]), np.array([1, 2, 0, 4])) == 0.75
    with pytest.raises(ValueError, match="3 predictions for 4 labels"):
        accuracy(np.array([1, 2, 3, 4]), np.array([1, 2, 3]))
