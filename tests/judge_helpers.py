"""A Fashion-MNIST look-alike (drawn digits) in a data cache of its own, with the course's
judge trained on it, built once per test run and shared by the tests of the judge, the
generative metrics and the lesson6-cgan homework (imported by name: tests/ is on the path).

A real judge trains for minutes; this one trains 4 epochs on 900 look-alike images in
seconds and reads the look-alike test images about 90% right, enough for every class to
have the held-out images that `generative.hidden_items` draws. Tests must not change the
shared cache: one that damages a judge works on a copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from practicum import data
from practicum.data import synthetic
from practicum.grading import judge as judges

N_TRAIN, N_TEST = 1000, 600
EPOCHS = 4


@dataclass(frozen=True, eq=False)
class JudgedData:
    data_home: Path
    """PRACTICUM_DATA: fashion-mnist imported, the judge in judges/ (smoke mode's name)."""
    judge_path: Path
    judge: judges.Judge
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray

    def use(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Point the data cache (and so the judge) here, in smoke mode, away from the
        machine's own data sets."""
        monkeypatch.setenv("PRACTICUM_DATA", str(self.data_home))
        monkeypatch.setenv("PRACTICUM_SMOKE", "1")
        monkeypatch.setenv("PRACTICUM_SYSTEM_DATA", "")


_BUILT: list[JudgedData] = []


def judged_data(factory: pytest.TempPathFactory) -> JudgedData:
    """The look-alike and its judge, built on first use in this test run."""
    if not _BUILT:
        _BUILT.append(_build(factory.mktemp("judged")))
    return _BUILT[0]


def _build(root: Path) -> JudgedData:
    home = root / "data"
    raw = synthetic.write_mnist_like(root / "raw", n_train=N_TRAIN, n_test=N_TEST, seed=0)
    data.import_files("fashion-mnist", [raw], verify=False, home=home)
    train = data.load("fashion-mnist", "train", home=home)
    test = data.load("fashion-mnist", "test", home=home)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PRACTICUM_DATA", str(home))
        patch.setenv("PRACTICUM_SMOKE", "1")
        target = judges.path()
    target.parent.mkdir(parents=True)
    built = judges.build(train["x"], train["y"], epochs=EPOCHS, log=None, progress=False)
    judges.save(built, target)
    return JudgedData(
        data_home=home,
        judge_path=target,
        judge=judges.load(target),
        train_x=train["x"],
        train_y=train["y"],
        test_x=test["x"],
        test_y=test["y"],
    )
