"""`practicum serve`: the course service on its own (standalone) or as a JupyterHub service."""

from __future__ import annotations

from typing import Annotated

import typer

from practicum.cli.common import console, fail


def serve(
    standalone: Annotated[
        bool,
        typer.Option(
            "--standalone/--hub",
            help="Local accounts (development, tests); --hub: as a JupyterHub service "
            "(`practicum up` starts it so; the hub logs people in).",
        ),
    ] = True,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Run the course service: homework pages, submissions, leaderboards, staff pages; with
    --hub also credits, notebook servers and the GPU queue."""
    import uvicorn

    from practicum.cli_state import course_config
    from practicum.course import CourseError
    from practicum.hub.settings import load_settings, settings_path
    from practicum.web.app import create_app
    from practicum.web.hub_mode import HubModeError, hub_mode_from_env

    config = course_config()
    try:
        hub = None if standalone else hub_mode_from_env(load_settings(settings_path()))
        app_ = create_app(config, hub=hub)  # migrates the database and reads the course once
    except (HubModeError, CourseError) as exc:
        raise fail(str(exc)) from None
    where = f"http://{host}:{port}{hub.prefix if hub else ''}/"
    console.print(f"course service on {where}  (state: {config.state})")
    uvicorn.run(app_, host=host, port=port, log_level="info")
