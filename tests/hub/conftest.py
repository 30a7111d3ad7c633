"""The hub's tests also use the service and course tests' helpers (the database fixtures
`db_url` and `engine` come from tests/conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "service"))  # tiny_homework, browser_setup
sys.path.insert(0, str(Path(__file__).parents[1] / "course"))  # course_helpers
