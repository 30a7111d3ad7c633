"""choose_device: preference, $PRACTICUM_DEVICE, the CPU here, and CPU thread counts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

import practicum.train.device as device_module
from practicum.train import choose_device

no_accelerator = pytest.mark.skipif(
    torch.cuda.is_available() or torch.backends.mps.is_available(), reason="needs a CPU-only host"
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("PRACTICUM_DEVICE", raising=False)
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@no_accelerator
def test_cpu_here_by_default() -> None:
    assert choose_device() == torch.device("cpu")


def test_prefer_and_environment_choose(monkeypatch: pytest.MonkeyPatch) -> None:
    assert choose_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("PRACTICUM_DEVICE", "CPU")
    assert choose_device() == torch.device("cpu")
    monkeypatch.setenv("PRACTICUM_DEVICE", "auto")
    assert choose_device().type in ("cpu", "cuda", "mps")


@no_accelerator
def test_missing_accelerators_are_errors_naming_the_source(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="prefer='cuda' but no CUDA GPU"):
        choose_device("cuda")
    monkeypatch.setenv("PRACTICUM_DEVICE", "cuda:0")
    with pytest.raises(ValueError, match="PRACTICUM_DEVICE='cuda:0' but no CUDA GPU"):
        choose_device()
    assert choose_device("cpu") == torch.device("cpu")  # an explicit argument wins


def test_nonsense_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRACTICUM_DEVICE", "gpu please")
    with pytest.raises(ValueError, match="PRACTICUM_DEVICE='gpu please' is not a device"):
        choose_device()


def test_cpu_uses_the_allowed_cores_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(device_module, "_threads_set", False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    torch.set_num_threads(1)
    choose_device("cpu")
    assert torch.get_num_threads() == device_module.allowed_cores()
    torch.set_num_threads(1)
    choose_device("cpu")  # a second call leaves the user's own setting alone
    assert torch.get_num_threads() == 1


def test_omp_num_threads_is_respected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(device_module, "_threads_set", False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)
    choose_device("cpu")
    assert torch.get_num_threads() == 1


def test_cgroup_quota_caps_the_core_count(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert device_module._cgroup_cpu_quota(tmp_path) == 2
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert device_module._cgroup_cpu_quota(tmp_path) is None
    (tmp_path / "cpu.max").unlink()
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("50000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert device_module._cgroup_cpu_quota(tmp_path) == 1
    assert 1 <= device_module.allowed_cores() <= (os.cpu_count() or 1)
