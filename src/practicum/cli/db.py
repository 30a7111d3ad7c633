"""`practicum db upgrade`: the service database's schema."""

from __future__ import annotations

import typer
from sqlalchemy import Engine

from practicum.cli.common import console, with_engine
from practicum.settings.service import ServiceConfig

app = typer.Typer(help="The service database.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the current schema (safe to run again)."""

    def action(config: ServiceConfig, engine: Engine) -> None:
        console.print(f"database is up to date: {engine.url.render_as_string(hide_password=True)}")

    with_engine(action)
