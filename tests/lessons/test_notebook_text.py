"""What the notebook tests read of a run notebook: one `print` that a busy kernel flushed
in two pieces still reads as one line (CI once failed on "photos (4, 128" + "...")."""

from __future__ import annotations

import nbformat
from notebook_runner import text


def _cell(*outputs: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = list(outputs)
    return cell


def _stream(name: str, piece: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("stream", name=name, text=piece)


def test_a_print_flushed_in_pieces_reads_as_one_line() -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        _cell(_stream("stdout", "photos (4, 128"), _stream("stdout", ", 3) -> grid\n")),
    ]
    assert "photos (4, 128, 3) -> grid\n" in text(notebook)


def test_outputs_that_are_not_the_same_stream_stay_apart() -> None:
    figure = nbformat.v4.new_output("display_data", data={"text/plain": "<Figure>"})
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        _cell(_stream("stdout", "before"), figure, _stream("stdout", "after")),
        _cell(_stream("stdout", "next cell")),
        _cell(_stream("stdout", "out"), _stream("stderr", "warning")),
    ]
    printed = text(notebook)
    assert "before\n" in printed and "<Figure>" in printed
    assert "beforeafter" not in printed
    assert "afternext cell" not in printed
    assert "outwarning" not in printed
