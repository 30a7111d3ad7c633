"""A small valid course.toml that tests break one line at a time."""

from __future__ import annotations

import pytest
from course_helpers import BASE, Edit, edited

from practicum.course import Course, parse_course


@pytest.fixture(scope="session")
def base() -> Course:
    """Shared across tests (and hypothesis examples): a Course is frozen; tests `replace` it."""
    return parse_course(BASE)


@pytest.fixture
def parse_edited() -> Edit:
    def parse(*pairs: tuple[str, str]) -> Course:
        return parse_course(edited(*pairs))

    return parse
