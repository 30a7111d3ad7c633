"""The one error a wrong course.toml raises: file, key path and reason on one line."""

from __future__ import annotations


class CourseError(ValueError):
    """course.toml is refused; the message says where (key path) and why."""

    def __init__(self, source: str, path: str, reason: str) -> None:
        self.source = source
        self.path = path
        self.reason = reason
        where = f"{source}: {path}" if path else source
        super().__init__(f"{where}: {reason}")
