"""The demo course that ships with Practicum: a working course.toml to try and to copy."""

from __future__ import annotations

from importlib import resources

from practicum.course.loader import parse_course
from practicum.course.model import Course

DEMO_FILE = "demo_course.toml"


def demo_course_toml() -> str:
    """The text of the shipped demo course.toml, comments included (a template for staff)."""
    return resources.files("practicum.course").joinpath(DEMO_FILE).read_text(encoding="utf-8")


def demo_course() -> Course:
    return parse_course(demo_course_toml(), source=DEMO_FILE)
