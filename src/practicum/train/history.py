"""What happened in each epoch of a run, in a form that plots and saves."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

from practicum.atomic import write_text_atomic

MODES = ("min", "max")


class History:
    """Per-epoch metrics: ``history["val_acc"]`` is a list with one value per epoch."""

    def __init__(self, epochs: Iterable[Mapping[str, float]] = ()) -> None:
        self.epochs: list[dict[str, float]] = [dict(e) for e in epochs]

    def append(self, logs: Mapping[str, float]) -> None:
        self.epochs.append({key: float(value) for key, value in logs.items()})

    def keys(self) -> list[str]:
        """Every key seen, in the order it first appeared."""
        return list(dict.fromkeys(key for epoch in self.epochs for key in epoch))

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.keys():
            raise KeyError(f"history has no {key!r}; it has {', '.join(self.keys()) or 'nothing'}")
        return [epoch.get(key, math.nan) for epoch in self.epochs]

    def __contains__(self, key: object) -> bool:
        return key in self.keys()

    def __len__(self) -> int:
        return len(self.epochs)

    def __repr__(self) -> str:
        return f"History({len(self)} epochs: {', '.join(self.keys())})"

    def best(self, key: str, mode: str = "max") -> tuple[int, float]:
        """(epoch index, value) of the best epoch; NaN epochs never win."""
        if mode not in MODES:
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        scored = [(i, v) for i, v in enumerate(self[key]) if not math.isnan(v)]
        if not scored:
            raise ValueError(f"history has no numeric {key!r} to pick the best from")
        pick = min if mode == "min" else max
        return pick(scored, key=lambda item: item[1])

    def to_dict(self) -> dict[str, list[float]]:
        return {key: self[key] for key in self.keys()}

    def save_json(self, path: str | Path) -> None:
        """Write atomically, so a crash mid-write leaves the old file, not half a new one."""
        write_text_atomic(path, json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def load_json(cls, path: str | Path) -> History:
        path = Path(path)
        try:
            columns = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ValueError(f"{path.name}: not a history file (invalid JSON: {err})") from None
        if not isinstance(columns, dict) or not all(isinstance(v, list) for v in columns.values()):
            raise ValueError(f"{path.name}: not a history file (expected lists of numbers by key)")
        lengths = {len(values) for values in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"{path.name}: not a history file (lists of unequal length)")
        count = lengths.pop() if lengths else 0
        return cls({key: float(values[i]) for key, values in columns.items()} for i in range(count))
