"""Homework references withheld from the students' servers until the course releases them.

A reference clears its homework's target: a student who could run `practicum lesson
homework N` would pass without learning anything. On a course's machine the hub starts each
student's server in a sandbox (`hub.isolation`) that shows Practicum's code read-only; there,
each withheld reference module is covered by a stub that raises `ReferenceWithheld` with
the release date, and the module's bytecode cache by an empty folder. The references are
released per homework at `reference_release` (course.toml; default: when the homework
closes, its late policy's `until` or its deadline). A server sees what was released when
it started.

Practicum is open source: this keeps the references out of the course's environment, not
out of the world.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from practicum.course.model import Course, Homework

PACKAGE = Path(__file__).resolve().parents[1]
"""The installed `practicum` package, as this process imports it."""

REFERENCE_LESSONS = (1, 2, 3, 4, 5, 6, 7)
"""Lessons whose homework references live in `lessons/lesson<N>/reference.py`."""


def module_name(lesson: int) -> str:
    """The importable name of a lesson's reference module; none of its notebooks imports it."""
    return f"practicum.lessons.lesson{lesson}.reference"


REFERENCE_MODULES: dict[int, str] = {
    lesson: f"lessons/lesson{lesson}/reference.py" for lesson in REFERENCE_LESSONS
}
"""Lesson -> its reference module's file, relative to the package."""


class ReferenceWithheld(ImportError):
    """Raised by the stub that stands in for a withheld reference module."""


@dataclass(frozen=True)
class Cover:
    """One withheld module as a student's sandbox shows it."""

    stub: Path
    """A file on the machine, bound read-only over `module`."""
    module: Path
    cache: Path
    """The module's `__pycache__` folder, emptied in the sandbox (a compiled copy of the
    reference would otherwise still load)."""


def release_time(homework: Homework) -> datetime:
    """When the course releases the homework's reference."""
    if homework.reference_release is not None:
        return homework.reference_release
    return homework.late_policy.until or homework.deadline


def withheld_lessons(course: Course, now: datetime | None = None) -> dict[int, datetime]:
    """Lesson -> when its reference module is released, for the lessons still withheld: a
    module that serves several homework waits for the last of them."""
    now = now or datetime.now(UTC)
    held: dict[int, datetime] = {}
    for homework in course.homework.values():
        release = release_time(homework)
        if homework.lesson in REFERENCE_MODULES and now < release:
            held[homework.lesson] = max(release, held.get(homework.lesson, release))
    return held


def stub_source(lesson: int, release: datetime) -> str:
    message = (
        f"Lesson {lesson}'s homework reference is withheld by the course until "
        f"{release.isoformat(timespec='minutes')}: build your own solution from the lesson."
    )
    return (
        '"""Stands in for a homework reference the course has not released yet."""\n\n'
        "from practicum.coursework.withheld import ReferenceWithheld\n\n"
        f"raise ReferenceWithheld({message!r})\n"
    )


def covers(
    withheld: dict[int, datetime], stub_dir: Path, package: Path = PACKAGE
) -> tuple[Cover, ...]:
    """Write a stub for each withheld lesson into `stub_dir` (readable by the students'
    users) and say where each goes. Needs write access to the package for a missing
    `__pycache__` folder: the sandbox can only cover a folder that exists."""
    stub_dir.mkdir(parents=True, exist_ok=True)
    stub_dir.chmod(0o755)
    found = []
    for lesson, release in sorted(withheld.items()):
        module = package / REFERENCE_MODULES[lesson]
        if not module.is_file():
            raise FileNotFoundError(f"withheld reference {module} is not installed here")
        stub = stub_dir / f"lesson{lesson}_reference.py"
        stub.write_text(stub_source(lesson, release))
        stub.chmod(0o644)
        cache = module.parent / "__pycache__"
        cache.mkdir(mode=0o755, exist_ok=True)
        found.append(Cover(stub, module, cache))
    return tuple(found)


def sandbox_binds(found: Iterable[Cover]) -> tuple[tuple[tuple[Path, Path], ...], tuple[Path, ...]]:
    """(files bound over others, folders emptied), as `sandbox.bwrap.Sandbox` takes them."""
    found = tuple(found)
    return tuple((c.stub, c.module) for c in found), tuple(c.cache for c in found)
