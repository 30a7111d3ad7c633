"""The homework-reference contract shared by every lesson.

A reference names its training data in the catalog, a `solve` function (train on the
training split, predict for x_test), the submission writer and the metric. The CLI's
`practicum lesson homework N` runs any of them the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

Solver = Callable[[dict[str, np.ndarray], np.ndarray, int], np.ndarray]
"""(training arrays, x_test, seed) -> predictions in the submission's value space."""
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
    write: Callable[[Path, np.ndarray], Path]
    metric: Callable[[np.ndarray, np.ndarray], float]
    budgeted: BudgetedSolver | None = None
    """Set where the reference has budget presets; `solve` is then its default budget."""
    read_x_test: Callable[[Path], np.ndarray] | None = None
    """How an --x-test file is read when it is not an .npy array (sentences, one a line)."""

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
