"""The progress display in a terminal, in a notebook without ipywidgets, and in logs."""

from __future__ import annotations

import importlib.util
import io
from typing import Any

import pytest
import rich
from rich.console import Console

from practicum.train import progress


def test_terminal_gets_a_rich_bar_with_the_running_loss(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, force_jupyter=False, width=100)
    monkeypatch.setattr(rich, "get_console", lambda: console)
    with progress.epoch_bar("epoch 1/3", total=4) as advance:
        for loss in (0.9, 0.7, 0.5, 0.25):
            advance(loss)
    assert "epoch 1/3" in out.getvalue() and "4/4" in out.getvalue()
    assert "loss 0.2500" in out.getvalue()


def test_notebook_without_ipywidgets_gets_a_text_line_updated_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown: list[str] = []

    class Handle:
        def update(self, bundle: dict[str, str], raw: bool) -> None:
            shown.append(bundle["text/plain"])

    def display(bundle: dict[str, str], raw: bool, display_id: bool) -> Handle:
        shown.append(bundle["text/plain"])
        return Handle()

    console = Console(file=io.StringIO(), force_jupyter=True)
    real_find_spec = importlib.util.find_spec

    def no_ipywidgets(name: str, *args: Any) -> Any:
        return None if name == "ipywidgets" else real_find_spec(name, *args)

    monkeypatch.setattr(rich, "get_console", lambda: console)
    monkeypatch.setattr(importlib.util, "find_spec", no_ipywidgets)
    monkeypatch.setattr("IPython.display.display", display)
    with progress.epoch_bar("epoch 2/3", total=2) as advance:
        advance(0.8)
        advance(0.4)
    assert shown[0] == "epoch 2/3"
    assert shown[-2].startswith("epoch 2/3 █") and shown[-2].endswith("2/2  loss 0.4000")
    assert shown[-1] == ""  # the bar goes away, like rich's transient bar


def test_logs_and_pipes_get_no_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, force_jupyter=False)
    monkeypatch.setattr(rich, "get_console", lambda: console)
    with progress.epoch_bar("epoch 1/1", total=3) as advance:
        advance(0.5)
    progress.print_epoch(0, 1, {"loss": 0.5, "acc": 0.75, "lr": 1e-4, "time": 2.345})
    assert out.getvalue() == "epoch 1/1  loss 0.5000  acc 0.7500  lr 0.0001  2.3s\n"
