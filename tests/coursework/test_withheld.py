"""Which homework references a course withholds, the stubs that stand in for them, and the
sandbox arguments that put the stubs in place; tests/hub/test_hub_isolation.py checks a
real student's server with them."""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from practicum.course import demo_course, parse_course
from practicum.course.demo import demo_course_toml
from practicum.coursework import withheld
from practicum.sandbox.bwrap import Sandbox, command

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def test_references_are_withheld_until_their_homework_closes() -> None:
    course = demo_course()
    closes = {hw.lesson: withheld.release_time(hw) for hw in course.homework.values()}
    before = min(closes.values()) - timedelta(days=1)
    held = withheld.withheld_lessons(course, before)
    assert sorted(held) == sorted(withheld.REFERENCE_MODULES) == list(range(1, 8))
    # lesson 3 has two homework (ECG and the airline forecast): the later release counts
    lesson3 = [withheld.release_time(hw) for hw in course.homework.values() if hw.lesson == 3]
    assert held[3] == max(lesson3)
    after = max(closes.values()) + timedelta(seconds=1)
    assert withheld.withheld_lessons(course, after) == {}


def test_a_late_policy_keeps_the_reference_until_late_submissions_close() -> None:
    hw = next(iter(demo_course().homework.values()))
    until = hw.deadline + timedelta(days=3)
    late = replace(hw, late_policy=replace(hw.late_policy, mode="penalty", until=until))
    assert withheld.release_time(late) == until


def test_a_course_can_release_a_reference_early() -> None:
    toml = demo_course_toml().replace(
        "[homework.lesson7-breakout]\n",
        "[homework.lesson7-breakout]\nreference_release = 2026-01-01T00:00:00\n",
    )
    course = parse_course(toml, source="course.toml")
    hw = course.homework["lesson7-breakout"]
    assert hw.reference_release is not None and hw.reference_release.year == 2026
    now = hw.deadline - timedelta(days=1)
    held = withheld.withheld_lessons(course, now)
    assert 7 not in held and 6 in held


def test_the_stub_stops_an_import_with_the_release_date(tmp_path: Path) -> None:
    release = datetime(2027, 3, 31, 23, 59, tzinfo=UTC)
    package = tmp_path / "practicum"
    module = package / withheld.REFERENCE_MODULES[2]
    module.parent.mkdir(parents=True)
    module.write_text("SECRET_RECIPE = 1\n")
    (found,) = withheld.covers({2: release}, tmp_path / "stubs", package=package)
    assert found.module == module and found.cache == module.parent / "__pycache__"
    assert found.cache.is_dir()  # made, so that the sandbox can cover it
    assert found.stub.stat().st_mode & 0o777 == 0o644
    run = subprocess.run(
        [sys.executable, str(found.stub)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 1
    assert "ReferenceWithheld: Lesson 2's homework reference is withheld" in run.stderr
    assert "2027-03-31T23:59+00:00" in run.stderr
    with pytest.raises(FileNotFoundError, match="not installed"):
        withheld.covers({5: release}, tmp_path / "stubs", package=package)


def test_the_sandbox_puts_stubs_over_the_python_paths_it_binds(tmp_path: Path) -> None:
    venv, stub = tmp_path / "venv", tmp_path / "stub.py"
    module = venv / "practicum" / "lessons" / "lesson1" / "reference.py"
    cache = module.parent / "__pycache__"
    cover = withheld.Cover(stub, module, cache)
    covered, emptied = withheld.sandbox_binds([cover])
    box = Sandbox(uid=1, gid=1, workdir=tmp_path, read_only=(venv,))
    args = command(replace(box, covered=covered, emptied=emptied), ["x"], bwrap="b", setpriv="s")
    at = {(args[i], args[i + 1]): i for i in range(len(args) - 1)}
    # later mounts win: the stub and the empty cache come after the folder they sit in
    assert at[("--ro-bind", str(venv))] < at[("--ro-bind", str(stub))]
    assert args[at[("--ro-bind", str(stub))] + 2] == str(module)
    assert at[("--ro-bind", str(venv))] < at[("--tmpfs", str(cache))]


def test_the_registry_imports_no_reference_until_one_runs() -> None:
    code = (
        "import sys; import practicum.coursework.registry as r; "
        "print(sorted(m for m in sys.modules if m.startswith('practicum.') and m.endswith('.reference')))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_no_lesson_module_needs_a_reference_to_import() -> None:
    # a student's server imports the lessons' machinery with every reference covered
    lessons = withheld.PACKAGE / "lessons"
    names = [
        "practicum." + str(path.relative_to(withheld.PACKAGE).with_suffix("")).replace("/", ".")
        for path in sorted(lessons.glob("lesson*/*.py"))
        if path.name not in ("reference.py", "__init__.py")
    ]
    assert "practicum.lessons.lesson4.translate" in names and len(names) > 50
    code = (
        f"import importlib, sys\nfor name in {names!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.startswith('practicum.') and m.endswith('.reference')))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip().splitlines()[-1] == "[]"


def test_no_notebook_imports_a_withheld_reference() -> None:
    modules = {withheld.module_name(lesson) for lesson in withheld.REFERENCE_MODULES}
    found = []
    for notebook in sorted(NOTEBOOKS.glob("lesson*/section*.py")):
        for node in ast.walk(ast.parse(notebook.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = {f"{node.module}.{alias.name}" for alias in node.names}
                if node.module in modules or names & modules:
                    found.append(notebook.name)
            elif isinstance(node, ast.Import) and {a.name for a in node.names} & modules:
                found.append(notebook.name)
    assert len(list(NOTEBOOKS.glob("lesson*/section*.py"))) >= 28
    assert found == []
