"""The homework-reference contract shared by every lesson.

A reference names its training data in the catalog, a `solve` function (train on the
training split, predict for x_test), the submission writer and the metric. The CLI's
`practicum lesson homework N` runs any of them the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

Solver = Callable[[dict[str, np.ndarray], Any, int], Any]
"""(training arrays, x_test, seed) -> predictions in the submission's value space. x_test and
the predictions are arrays for most lessons; lesson 5 takes the test photos' encoded bytes (a
list of JPEG/PNG files) and returns one caption (str) per photo."""
BudgetedSolver = Callable[[float], Solver]
"""minutes of compute -> a solver whose recipe fits them (`--budget-minutes`)."""


@dataclass(frozen=True)
class HomeworkReference:
    """Everything needed to reproduce one lesson's reference submission."""

    lesson: int
    title: str
    dataset: str
    train_split: str
    test_split: str
    input_key: str
    target_key: str
    input_shape: tuple[int, ...]
    """Shape of one test item; an --x-test file must match it."""
    input_dtype: str
    metric_name: str
    target: float
    solve: Solver
    write: Callable[[Path, Any], Path]
    """(path, predictions) -> the path written, in the homework's submission format."""
    metric: Callable[[Any, Any], float]
    """(truth, predictions) -> the homework's score."""
    budgeted: BudgetedSolver | None = None
    """Set where the reference has budget presets; `solve` is then its default budget."""
    read_x_test: Callable[[Path], Any] | None = None
    """How --x-test is read when it is not an .npy array (lesson 4: a text file, one sentence
    a line; lesson 5: a folder of photos)."""
    official_test: Callable[[dict[str, np.ndarray]], tuple[Any, Any]] | None = None
    """The test split's arrays -> (x_test, truth), where they are not simply `input_key` and
    `target_key` (lesson 5: the photos' encoded bytes and their reference captions)."""

    def solver(self, budget_minutes: float | None) -> Solver:
        """The solver for a budget; a reference without presets refuses one."""
        if budget_minutes is None:
            return self.solve
        if self.budgeted is None:
            raise ValueError(
                f"lesson {self.lesson}'s reference has no budget presets; leave out --budget-minutes"
            )
        return self.budgeted(budget_minutes)


def check_x_test(ref: HomeworkReference, x: np.ndarray, source: str) -> np.ndarray:
    """Refuse a test-input file that the reference could only mis-handle."""
    if tuple(x.shape[1:]) != ref.input_shape:
        raise ValueError(
            f"{source}: items have shape {tuple(x.shape[1:])}, lesson {ref.lesson} expects "
            f"{ref.input_shape} (file shape must be (N, {', '.join(map(str, ref.input_shape))}))"
        )
    if str(x.dtype) != ref.input_dtype:
        raise ValueError(f"{source}: dtype {x.dtype}, expected {ref.input_dtype}")
    return x
