"""save_checkpoint / load_checkpoint: exact round trips, atomic writes, one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from practicum.train import CheckpointError, load_checkpoint, save_checkpoint


def _trained(seed: int = 0) -> tuple[nn.Sequential, torch.optim.Optimizer]:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(2):
        optimizer.zero_grad()
        model(torch.randn(8, 3)).square().mean().backward()
        optimizer.step()
    return model, optimizer


def test_round_trip_restores_weights_buffers_optimizer_and_extra(tmp_path: Path) -> None:
    model, optimizer = _trained()
    path = tmp_path / "deep" / "ckpt.pt"
    save_checkpoint(path, model, optimizer, epoch=4, note="best", scores=[0.5, 0.9])

    copy, copy_optimizer = _trained(seed=1)
    assert not torch.equal(copy.state_dict()["0.weight"], model.state_dict()["0.weight"])
    extra = load_checkpoint(path, copy, copy_optimizer)
    assert extra == {"epoch": 4, "note": "best", "scores": [0.5, 0.9]}
    for key, value in model.state_dict().items():
        assert torch.equal(copy.state_dict()[key], value), key
    saved, loaded = optimizer.state_dict()["state"], copy_optimizer.state_dict()["state"]
    assert all(torch.equal(saved[0][k], loaded[0][k]) for k in ("exp_avg", "exp_avg_sq"))


def test_a_write_that_dies_midway_leaves_the_old_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, _ = _trained()
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, model, epoch=1)
    before = path.read_bytes()

    def dies_midway(obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        f.write(b"PK\x03\x04 half a zip file")
        raise OSError("No space left on device")

    monkeypatch.setattr(torch, "save", dies_midway)
    with torch.no_grad():
        next(model.parameters()).add_(1.0)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(path, model, epoch=2)
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"]
    assert load_checkpoint(
        path, nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    ) == {"epoch": 1}


def test_missing_and_corrupt_files_get_one_line(tmp_path: Path) -> None:
    model = nn.Linear(2, 2)
    with pytest.raises(CheckpointError, match="no such checkpoint file"):
        load_checkpoint(tmp_path / "nope.pt", model)
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"this is not a checkpoint")
    with pytest.raises(CheckpointError, match=r"^broken.pt: not a readable checkpoint") as err:
        load_checkpoint(broken, model)
    assert "\n" not in str(err.value)


def test_weights_for_another_model_are_named(tmp_path: Path) -> None:
    path = tmp_path / "small.pt"
    save_checkpoint(path, nn.Sequential(nn.Linear(2, 3)))
    with pytest.raises(CheckpointError, match=r"shape \(saved vs model\) 0.weight \(3, 2\)") as err:
        load_checkpoint(path, nn.Sequential(nn.Linear(2, 5), nn.Linear(5, 1)))
    assert "missing 1.weight, 1.bias" in str(err.value)


def test_asking_for_optimizer_state_that_was_not_saved(tmp_path: Path) -> None:
    model = nn.Linear(2, 2)
    save_checkpoint(tmp_path / "w.pt", model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(CheckpointError, match="holds no optimizer state"):
        load_checkpoint(tmp_path / "w.pt", model, optimizer)
