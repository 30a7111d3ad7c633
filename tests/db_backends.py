"""New databases for a test on the backend it runs against (see the `db_backend` fixture)."""

from __future__ import annotations

from pathlib import Path

from practicum.store import upgrade
from practicum.store.scratch_postgres import ScratchPostgres

TEMPLATE = "practicum_migrated"
"""The migrated database on the throwaway PostgreSQL server that each test's is copied from."""


class Databases:
    """New databases on one backend: `new(folder)` for a migrated one, `blank=True` for an
    empty one (migration tests)."""

    def __init__(self, backend: str, server: ScratchPostgres | None) -> None:
        self.backend = backend
        self._server = server
        self._made = 0

    def new(self, folder: Path, *, blank: bool = False) -> str:
        if self.backend == "sqlite":
            url = f"sqlite:///{folder / 'practicum.db'}"
            if not blank:
                folder.mkdir(parents=True, exist_ok=True)
                upgrade(url)
            return url
        assert self._server is not None
        self._made += 1
        name = f"test_{self._made}"
        return self._server.create_database(name, template=None if blank else TEMPLATE)
