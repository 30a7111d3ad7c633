"""The class-label submission format, Kaggle style: header `id,label`, one row per item."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from practicum.atomic import write_text_atomic

HEADER = "id,label"


def write_label_csv(path: Path, labels: np.ndarray) -> Path:
    """Write predictions in test order, ids from 0; atomically, so a reader never sees half."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a vector of integers, got {labels.dtype}{labels.shape}")
    lines = [HEADER, *(f"{i},{int(v)}" for i, v in enumerate(labels))]
    return write_text_atomic(path, "\n".join(lines) + "\n")
