"""Build the lesson notebooks from their jupytext sources, in two variants.

Sources are `*.py` files in jupytext's percent format. Following nbgrader, solution code
sits between `### BEGIN SOLUTION` and `### END SOLUTION` lines (at any indentation):

- the *full* variant keeps the solution and drops the two marker lines;
- the *exercise* variant replaces each block by `# YOUR CODE HERE` and
  `raise NotImplementedError()` at the block's indentation, and leaves out whole cells
  tagged `solution` (`# %% tags=["solution"]`), such as a quiz's filled-in answers.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import jupytext
import nbformat

from practicum.atomic import write_text_atomic

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
SOLUTION_TAG = "solution"
VARIANTS = ("full", "exercise")
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


class MarkerError(ValueError):
    """Solution markers do not pair up; the message names the file and the line."""


def strip_solutions(text: str, *, source: str = "<text>") -> str:
    """The exercise form of `text`: every solution block replaced by the stub."""
    return _rewrite(text, source, keep_solutions=False)


def remove_markers(text: str, *, source: str = "<text>") -> str:
    """The full form of `text`: solutions kept, marker lines dropped."""
    return _rewrite(text, source, keep_solutions=True)


def _rewrite(text: str, source: str, *, keep_solutions: bool) -> str:
    out: list[str] = []
    opened_at: int | None = None
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if opened_at is not None:
                raise MarkerError(
                    f"{source}:{number}: {BEGIN!r} inside the block opened at line {opened_at}"
                )
            opened_at = number
            if not keep_solutions:
                indent = line[: len(line) - len(line.lstrip())]
                out += [f"{indent}{stub}\n" for stub in STUB]
        elif marker == END:
            if opened_at is None:
                raise MarkerError(f"{source}:{number}: {END!r} without a {BEGIN!r} before it")
            opened_at = None
        elif opened_at is None or keep_solutions:
            out.append(line)
    if opened_at is not None:
        raise MarkerError(f"{source}:{opened_at}: {BEGIN!r} is never closed by {END!r}")
    return "".join(out)


def build_notebook(text: str, variant: str, *, source: str = "<text>") -> nbformat.NotebookNode:
    """One variant of a jupytext percent-format source, as a notebook ready to run."""
    if variant not in VARIANTS:
        raise ValueError(f"build_notebook: variant must be one of {VARIANTS}, got {variant!r}")
    body = (
        remove_markers(text, source=source)
        if variant == "full"
        else strip_solutions(text, source=source)
    )
    notebook: nbformat.NotebookNode = jupytext.reads(body, fmt="py:percent")
    if variant == "exercise":
        notebook.cells = [
            cell for cell in notebook.cells if SOLUTION_TAG not in cell.metadata.get("tags", [])
        ]
    for index, cell in enumerate(notebook.cells):
        # Stable ids (jupytext draws random ones) keep rebuilds byte-identical.
        digest = hashlib.sha256(f"{index}:{cell.source}".encode()).hexdigest()[:8]
        cell.id = f"c{index:03d}-{digest}"
    notebook.metadata = nbformat.NotebookNode(
        kernelspec=KERNELSPEC,
        language_info={"name": "python"},
        practicum={"variant": variant},
    )
    nbformat.validate(notebook)
    return notebook


def build_all(src: Path, out: Path) -> list[Path]:
    """Write out/full/<rel>.ipynb and out/exercise/<rel>.ipynb for every src/**/<rel>.py.

    Unchanged notebooks are not rewritten, so a rebuild leaves their timestamps alone.
    """
    src, out = Path(src), Path(out)
    if not src.is_dir():
        raise FileNotFoundError(f"notebook sources: {src} is not a folder")
    sources = sorted(
        path
        for path in src.rglob("*.py")
        if not any(part.startswith((".", "_")) for part in path.relative_to(src).parts)
    )
    written: list[Path] = []
    for path in sources:
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(src).with_suffix(".ipynb")
        for variant in VARIANTS:
            notebook = build_notebook(text, variant, source=str(path))
            target = out / variant / relative
            content = nbformat.writes(notebook) + "\n"
            if not target.exists() or target.read_text(encoding="utf-8") != content:
                write_text_atomic(target, content)
            written.append(target)
    return written
