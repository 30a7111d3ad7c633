"""What a run shows while it trains: a live bar per epoch, then one line with its metrics."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import rich
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

Advance = Callable[[float], None]


@contextmanager
def epoch_bar(description: str, total: int | None, enabled: bool = True) -> Iterator[Advance]:
    """Yield ``advance(running_loss)``, to call once per batch; the bar vanishes at the end.

    Rich draws in terminals and, given ipywidgets, in notebooks. A notebook without
    ipywidgets gets a plain text line updated in place; logs and pipes get no bar at all
    (only the epoch lines), so captured output stays readable.
    """
    console = rich.get_console()
    if not enabled or not (console.is_terminal or console.is_jupyter):
        yield _ignore
    elif console.is_jupyter and importlib.util.find_spec("ipywidgets") is None:
        with _text_bar(description, total) as advance:
            yield advance
    else:
        with _rich_bar(console, description, total) as advance:
            yield advance


def print_epoch(epoch: int, epochs: int, logs: dict[str, float], enabled: bool = True) -> None:
    """One line per epoch, e.g. ``epoch  3/10  loss 0.2314  acc 0.9312  lr 0.001  2.1s``."""
    if not enabled:
        return
    width = len(str(epochs))
    parts = [f"epoch {epoch + 1:>{width}}/{epochs}"]
    parts += [f"{key} {_number(value)}" for key, value in logs.items() if key != "time"]
    if "time" in logs:
        parts.append(f"{logs['time']:.1f}s")
    rich.get_console().print("  ".join(parts), highlight=False, soft_wrap=True)


def _number(value: float) -> str:
    return f"{value:.4f}" if 1e-3 <= abs(value) < 1e4 or value == 0 else f"{value:.3g}"


def _ignore(running_loss: float) -> None:
    """The bar of a run that shows no progress."""


@contextmanager
def _rich_bar(console: Console, description: str, total: int | None) -> Iterator[Advance]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(description, total=total, loss="…")

        def advance(running_loss: float) -> None:
            progress.update(task, advance=1, loss=f"{running_loss:.4f}")

        yield advance


@contextmanager
def _text_bar(description: str, total: int | None, every_s: float = 0.25) -> Iterator[Advance]:
    """A notebook output line rewritten in place at most every ``every_s`` seconds."""
    from IPython.display import display

    handle: Any = display({"text/plain": description}, raw=True, display_id=True)
    done, last = 0, 0.0

    def advance(running_loss: float) -> None:
        nonlocal done, last
        done += 1
        now = time.monotonic()
        if now - last >= every_s or done == total:
            last = now
            line = f"{description} {_text_fill(done, total)} {done}/{total or '?'}"
            handle.update({"text/plain": f"{line}  loss {running_loss:.4f}"}, raw=True)

    try:
        yield advance
    finally:
        handle.update({"text/plain": ""}, raw=True)


def _text_fill(done: int, total: int | None, width: int = 30) -> str:
    filled = width if not total else min(width, round(width * done / total))
    return "█" * filled + "░" * (width - filled)
