"""What every lesson notebook must be (../shared/LESSONS.md), checked on the sources.

- No notebook submits homework on the student's behalf: no `submit(...)` call in code
  (the way to submit may be shown in markdown).
- A notebook with exercises never binds a reference version to a name of its own: no
  import of it, no `module.reference` in its cells, no `reference=` passed to a check; the
  check finds the reference by the exercise's id. (Concept sections, which have no
  exercises, may show the lesson's code at work.)
- Every registered exercise is checked in its section's notebook, and every notebook with
  exercises ends with the lesson's summary.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from practicum.coursework import exercise
from practicum.notebook_build import build_notebook

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("lesson*/section*.py"))


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _lesson(path: Path) -> int:
    return int(path.parent.name.removeprefix("lesson"))


def _code_cells(path: Path) -> list[ast.Module]:
    notebook = build_notebook(path.read_text(encoding="utf-8"), "exercise", source=str(path))
    return [ast.parse(cell.source) for cell in notebook.cells if cell.cell_type == "code"]


def _checked_calls(cells: list[ast.Module]) -> list[ast.Call]:
    return [
        node
        for cell in cells
        for node in ast.walk(cell)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "checked"
    ]


def _keyword(call: ast.Call, name: str) -> object:
    for keyword in call.keywords:
        if keyword.arg == name and isinstance(keyword.value, ast.Constant):
            return keyword.value.value
    return None


def test_the_notebooks_are_found() -> None:
    assert len(SOURCES) >= 12


@pytest.mark.parametrize("path", SOURCES, ids=_id)
def test_no_notebook_submits_for_the_student(path: Path) -> None:
    for variant in ("full", "exercise"):
        notebook = build_notebook(path.read_text(encoding="utf-8"), variant, source=str(path))
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Call):
                    func = node.func
                    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    assert name != "submit", (
                        f"{_id(path)} ({variant}) calls submit at line {node.lineno} of "
                        f"cell:\n{cell.source}"
                    )


def test_the_rule_catches_a_submit_call() -> None:
    source = '# %%\nimport practicum\n\n# %%\nif True:\n    practicum.submit("hw", [1])\n'
    cells = build_notebook(source, "exercise").cells
    calls = [
        node
        for cell in cells
        for node in ast.walk(ast.parse(cell.source))
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "submit"
    ]
    assert len(calls) == 1


def _reference_uses(cells: list[ast.Module], lesson: int) -> list[str]:
    """Every place the exercise cells name a reference version of this lesson."""
    references = {}
    for entry in exercise.lesson_exercises(lesson):
        module, _, qualname = entry.reference.partition(":")
        dotted = [f"{qualname}.{m}" for m in entry.methods] or [qualname]
        for name in dotted:
            references[f"{module}.{name}"] = entry.id
    found = []
    aliases: dict[str, str] = {}  # a name imported in one cell is seen in the later ones
    for cell in cells:
        for node in ast.walk(cell):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    aliases[alias.asname or alias.name] = full
                    if full in references:
                        found.append(f"imports {full}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    aliases[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0]
                    )
        for node in ast.walk(cell):
            if isinstance(node, ast.Attribute):
                parts = []
                inner: ast.expr = node
                while isinstance(inner, ast.Attribute):
                    parts.append(inner.attr)
                    inner = inner.value
                if isinstance(inner, ast.Name) and inner.id in aliases:
                    full = ".".join([aliases[inner.id], *reversed(parts)])
                    if full in references:
                        found.append(f"uses {full} (line {node.lineno})")
            if isinstance(node, ast.Call) and any(k.arg == "reference" for k in node.keywords):
                found.append(f"passes reference= (line {node.lineno})")
    return found


def test_the_reference_rule_catches_what_it_should() -> None:
    source = (
        "# %%\nfrom practicum.lessons.lesson1 import mlp\n"
        "from practicum.lessons.lesson1.mlp import softmax as sm\n\n"
        "# %%\nx = mlp.softmax\ny = mlp.NumpyMLP.backward\nclass M(mlp.NumpyMLP):\n    pass\n"
        "z = exercise.checked(f, reference=g)\n"
    )
    cells = [ast.parse(c.source) for c in build_notebook(source, "exercise").cells]
    found = _reference_uses(cells, 1)
    assert "imports practicum.lessons.lesson1.mlp.softmax" in found
    assert any("uses practicum.lessons.lesson1.mlp.softmax" in f for f in found)
    assert any("uses practicum.lessons.lesson1.mlp.NumpyMLP.backward" in f for f in found)
    assert any("passes reference=" in f for f in found)
    assert not any("NumpyMLP " in f or f.endswith("NumpyMLP") for f in found)


@pytest.mark.parametrize("path", SOURCES, ids=_id)
def test_no_reference_is_bound_in_an_exercise_notebook(path: Path) -> None:
    cells = _code_cells(path)
    if not _checked_calls(cells):
        pytest.skip("no exercises here (a concept section may show the lesson's code)")
    assert _reference_uses(cells, _lesson(path)) == []


@pytest.mark.parametrize("lesson", sorted({e.lesson for e in exercise.EXERCISES}))
def test_every_exercise_is_checked_in_its_notebook_with_its_id(lesson: int) -> None:
    for entry in exercise.lesson_exercises(lesson):
        (path,) = NOTEBOOKS.glob(f"lesson{lesson}/section{entry.section}_*.py")
        calls = _checked_calls(_code_cells(path))
        ids = {(_keyword(c, "lesson"), _keyword(c, "exercise")) for c in calls}
        assert (lesson, entry.id) in ids, f"{_id(path)} does not check {entry.id}"


@pytest.mark.parametrize("path", SOURCES, ids=_id)
def test_a_notebook_with_exercises_ends_with_the_summary(path: Path) -> None:
    cells = _code_cells(path)
    calls = _checked_calls(cells)
    if not calls:
        return
    assert {_keyword(c, "lesson") for c in calls} == {_lesson(path)}
    last = ast.unparse(cells[-1]).strip()
    assert last == f"exercise.summary({_lesson(path)})", f"{_id(path)} ends with {last!r}"
