"""`practicum up`: the course on one machine (JupyterHub, its proxy, the course service)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from practicum import settings as practicum_settings
from practicum.cli import play_worker
from practicum.cli.common import console, fail, one_line
from practicum.hub.isolation import NOT_ISOLATED
from practicum.hub.supervise import busy_ports, prepare, run_hub

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="practicum.toml (default: $PRACTICUM_CONFIG, else ./practicum.toml, else defaults).",
    ),
]


def up(
    config: ConfigOption = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Prepare (config, database, staff login); start nothing."),
    ] = False,
) -> None:
    """Run the course: JupyterHub, its proxy, and the course service as a hub service."""
    settings = one_line(lambda: practicum_settings.hub_settings(config))
    prepared = one_line(lambda: prepare(settings))
    busy = [] if dry_run else busy_ports(settings)
    if busy:
        where = settings.source or "practicum.toml"
        raise fail(f"in use: {', '.join(busy)}; set other ports in {escape('[hub]')} of {where}")
    console.print(f"Practicum on [bold]{settings.base_url}/[/bold]", soft_wrap=True)
    console.print(f"  staff login: {escape(prepared.staff_login)}", soft_wrap=True)
    console.print(f"  state:       {settings.state}", soft_wrap=True)
    console.print(
        "  staff tools: practicum users add NAME, practicum homework publish ID, "
        "practicum credits list (run beside the same practicum.toml)",
        soft_wrap=True,
    )
    if prepared.isolation == "users":
        console.print(
            "  isolation:   each student's server runs as their own system user in a sandbox"
        )
    else:
        console.print(f"[yellow]warning:[/yellow] {NOT_ISOLATED}", soft_wrap=True)
    play_worker.warn_unless_playable()  # the hub runs the worker only where it can play
    if dry_run:
        console.print(f"  would run:   {' '.join(prepared.command)}", soft_wrap=True)
        return
    console.print("Starting JupyterHub (Ctrl-C stops it and every notebook server)...")
    status = run_hub(prepared.command, settings.state)
    raise typer.Exit(status if status >= 0 else 128 - status)
