"""Metrics over plain arrays, so that a lesson's printed score and the service's agree."""

from __future__ import annotations

import numpy as np


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of exact matches; lengths must agree."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"accuracy: {y_pred.shape[0]} predictions for {y_true.shape[0]} labels")
    if y_true.size == 0:
        raise ValueError("accuracy: no labels")
    return float(np.mean(y_true == y_pred))
