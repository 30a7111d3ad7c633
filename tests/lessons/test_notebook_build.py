"""Building full and exercise notebooks from jupytext sources (nbgrader's solution markers)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from practicum import notebook_build
from practicum.notebook_build import MarkerError, build_all, strip_solutions

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

SOURCE = """\
# %% [markdown]
# # A lesson

# %%
def double(x):
    \"\"\"Twice x.\"\"\"
    ### BEGIN SOLUTION
    y = x + x
    return y
    ### END SOLUTION

# %%
### BEGIN SOLUTION
top = 1
### END SOLUTION
print("after")

# %% tags=["solution"]
answers = {"q1": "b"}
"""


def test_strip_solutions_keeps_each_blocks_indentation() -> None:
    out = strip_solutions(SOURCE)
    assert "    # YOUR CODE HERE\n    raise NotImplementedError()\n\n" in out
    assert '\n# YOUR CODE HERE\nraise NotImplementedError()\nprint("after")\n' in out
    assert "x + x" not in out and "top = 1" not in out and "SOLUTION" not in out
    assert '    """Twice x."""\n' in out


def test_remove_markers_keeps_the_solution() -> None:
    out = notebook_build.remove_markers(SOURCE)
    assert "    y = x + x\n    return y\n" in out and "top = 1\n" in out
    assert "### " not in out


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        (
            "a\n### BEGIN SOLUTION\n  ### BEGIN SOLUTION\n### END SOLUTION\n",
            3,
            "inside the block opened at line 2",
        ),
        ("a\nb\n    ### END SOLUTION\n", 3, "without a"),
        ("a\n### BEGIN SOLUTION\nb\n", 2, "never closed"),
    ],
)
def test_unbalanced_markers_name_the_file_and_line(text: str, line: int, what: str) -> None:
    with pytest.raises(MarkerError, match=rf"^lesson\.py:{line}: .*{what}"):
        strip_solutions(text, source="lesson.py")
    with pytest.raises(MarkerError, match=rf"^lesson\.py:{line}: "):
        notebook_build.remove_markers(text, source="lesson.py")


def _write(folder: Path, rel: str, text: str) -> Path:
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_build_all_writes_both_variants(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    _write(src, "lesson9/part.py", SOURCE)
    _write(src, "lesson9/__pycache__/junk.py", "x = 1\n")
    written = build_all(src, out)
    assert sorted(p.relative_to(out).as_posix() for p in written) == [
        "exercise/lesson9/part.ipynb",
        "full/lesson9/part.ipynb",
    ]
    full = nbformat.read(out / "full/lesson9/part.ipynb", as_version=4)
    exercise = nbformat.read(out / "exercise/lesson9/part.ipynb", as_version=4)
    for nb in (full, exercise):
        nbformat.validate(nb)
        assert nb.metadata.kernelspec.name == "python3"
        assert "jupytext" not in nb.metadata
        assert not any("SOLUTION" in cell.source for cell in nb.cells)
    assert [c.cell_type for c in full.cells] == ["markdown", "code", "code", "code"]
    assert len(exercise.cells) == 3  # the cell tagged "solution" is left out
    assert "x + x" in full.cells[1].source
    assert "raise NotImplementedError()" in exercise.cells[1].source
    assert exercise.metadata.practicum.variant == "exercise"


def test_build_all_is_idempotent(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    _write(src, "a.py", SOURCE)
    first = build_all(src, out)
    contents = {p: p.read_bytes() for p in first}
    stamps = {p: p.stat().st_mtime_ns for p in first}
    assert build_all(src, out) == first
    assert {p: p.read_bytes() for p in first} == contents
    assert {p: p.stat().st_mtime_ns for p in first} == stamps  # unchanged files not rewritten
    assert sorted(p.name for p in (out / "full").iterdir()) == ["a.ipynb"]  # no temp files


def test_build_all_names_the_file_with_a_bad_marker(tmp_path: Path) -> None:
    bad = _write(tmp_path / "src", "x/bad.py", "# %%\n### BEGIN SOLUTION\nx = 1\n")
    with pytest.raises(MarkerError, match=rf"^{bad}:2: "):
        build_all(tmp_path / "src", tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="not a folder"):
        build_all(tmp_path / "missing", tmp_path / "out")


def _sources(path: Path) -> tuple[str, list[list[str]]]:
    cells = nbformat.read(path, as_version=4).cells
    return "\n".join(c.source for c in cells), [c.metadata.get("tags", []) for c in cells]


def test_the_lesson_notebooks_build_without_leaking_solutions(tmp_path: Path) -> None:
    build_all(NOTEBOOKS, tmp_path)
    names = sorted(p.name for p in (tmp_path / "exercise/lesson1").iterdir())
    assert names == [
        "section1_concepts.ipynb",
        "section2_implementation.ipynb",
        "section3_techniques.ipynb",
        "section4_implementation.ipynb",
    ]
    for name in names:
        exercise, tags = _sources(tmp_path / "exercise/lesson1" / name)
        full, _ = _sources(tmp_path / "full/lesson1" / name)
        assert "SOLUTION" not in exercise + full
        assert not any("solution" in t for t in tags)
        if "concepts" in name or "techniques" in name:  # quiz: blank answers only
            assert exercise.count("answers = {") == 1
            assert 'answers = {"q1": "", "q2": ""' in exercise
            assert full.count("answers = {") == 1
            assert full.count(".shown_letters({") == 1  # the author's answers, as shown
        else:  # implementation: every exercise stubbed
            assert exercise.count("raise NotImplementedError()") >= 2
            assert "raise NotImplementedError()" not in full
