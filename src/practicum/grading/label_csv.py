"""The class-label submission format, Kaggle style: header `id,label`, one row per item."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

HEADER = "id,label"


def write_label_csv(path: Path, labels: np.ndarray) -> Path:
    """Write predictions in test order, ids from 0; atomically, so a reader never sees half."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a vector of integers, got {labels.dtype}{labels.shape}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    lines = [HEADER, *(f"{i},{int(v)}" for i, v in enumerate(labels))]
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
