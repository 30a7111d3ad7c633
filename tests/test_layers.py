"""The house's layering (DESIGN.md): dependencies point downward only. Every import in
src/practicum is read with `ast`, so a new upward import fails here with its file and line."""

from __future__ import annotations

import ast
from pathlib import Path

import practicum

SRC = Path(practicum.__file__).parent

FORBIDDEN: dict[str, set[str]] = {
    "grading": {"web", "hub", "store", "service", "cli"},
    "course": {"web", "hub", "store", "service", "cli"},
    "data": {"web", "hub", "store", "service", "cli"},
    "train": {"web", "hub", "store", "service", "cli"},
    "compute": {"web", "hub", "store", "service", "cli"},
    "store": {"hub", "web", "service", "cli"},
    "service": {"web", "hub", "cli"},
    "sandbox": {"web", "hub", "store", "service", "cli"},
}
"""Layer -> layers it must never import."""
LESSONS_MAY_IMPORT = {"data", "train", "coursework", "lessons", "settings"}
"""A lesson uses the data catalog, the training toolkit and the student-facing lesson
machinery (and reads PRACTICUM_SMOKE through settings), nothing of the platform."""
COURSEWORK_PLATFORM = {"registry"}
"""coursework modules a lesson must not reach for (the homework-reference registry)."""


def layer(module: str) -> str | None:
    """practicum.hub.spawner -> hub; practicum.cli_hub -> cli; other packages -> None."""
    parts = module.split(".")
    if parts[0] != "practicum" or len(parts) < 2:
        return None
    return "cli" if parts[1].startswith("cli") else parts[1]


def imports(path: Path) -> list[tuple[int, str]]:
    module = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found += [(node.lineno, base)]
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def violations() -> list[str]:
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        own = layer(".".join(path.relative_to(SRC.parent).with_suffix("").parts))
        where = path.relative_to(SRC.parent)
        for line, target in imports(path):
            other = layer(target)
            if other is None or other == own:
                continue
            if other in FORBIDDEN.get(own or "", set()):
                bad.append(f"{where}:{line}: {own} imports {target}")
            if own == "lessons" and other not in LESSONS_MAY_IMPORT:
                bad.append(f"{where}:{line}: a lesson imports {target}")
            platform = other == "coursework" and set(target.split(".")[2:3]) & COURSEWORK_PLATFORM
            if own == "lessons" and platform:
                bad.append(f"{where}:{line}: a lesson imports {target}")
    # `from x import a, b` breaks a rule once: one message per line
    return list({message.split(": ", 1)[0]: message for message in reversed(bad)}.values())[::-1]


def test_no_import_runs_upward() -> None:
    assert violations() == []


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    assert layer("practicum.cli_hub") == "cli" and layer("practicum.store.db") == "store"
    assert layer("numpy") is None
    sample = SRC / "store" / "__init__.py"
    assert any(target.startswith("practicum.store") for _, target in imports(sample))
