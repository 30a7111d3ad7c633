"""History: columns by key, the best epoch, and a JSON round trip."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from practicum.train import History


@pytest.fixture
def history() -> History:
    return History(
        [
            {"loss": 1.0, "acc": 0.5, "val_loss": 1.2, "lr": 0.1},
            {"loss": 0.6, "acc": 0.8, "val_loss": 0.7, "lr": 0.1},
            {"loss": 0.4, "acc": 0.9, "val_loss": 0.9, "lr": 0.05, "extra": 3.0},
        ]
    )


def test_columns_and_best(history: History) -> None:
    assert history["loss"] == [1.0, 0.6, 0.4]
    assert history.best("val_loss", mode="min") == (1, 0.7)
    assert history.best("acc") == (2, 0.9)
    assert "val_loss" in history and "val_acc" not in history
    assert math.isnan(history["extra"][0])


def test_nan_epochs_never_win() -> None:
    assert History([{"loss": math.nan}, {"loss": 2.0}]).best("loss", "min") == (1, 2.0)


def test_unknown_keys_and_modes_are_explained(history: History) -> None:
    with pytest.raises(KeyError, match="no 'val_acc'; it has loss, acc, val_loss, lr, extra"):
        history["val_acc"]
    with pytest.raises(ValueError, match="mode must be"):
        history.best("loss", mode="smallest")


def test_json_round_trip(history: History, tmp_path: Path) -> None:
    path = tmp_path / "runs" / "history.json"
    history.save_json(path)
    loaded = History.load_json(path)
    assert len(loaded) == 3
    assert loaded.keys() == history.keys()
    assert list(loaded.to_dict()) == list(history.to_dict())
    for key, values in history.to_dict().items():
        assert loaded[key] == pytest.approx(values, nan_ok=True)
    assert [p.name for p in path.parent.iterdir()] == ["history.json"]


def test_a_file_that_is_not_a_history_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "h.json"
    bad.write_text('{"loss": [1, 2], "acc": [1]}')
    with pytest.raises(ValueError, match=r"h\.json: not a history file"):
        History.load_json(bad)
    bad.write_text("{not json")
    with pytest.raises(ValueError, match=r"h\.json: not a history file"):
        History.load_json(bad)
