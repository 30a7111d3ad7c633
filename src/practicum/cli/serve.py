"""`practicum serve`: the course service on its own (standalone) or as a JupyterHub service."""

from __future__ import annotations

from typing import Annotated

import typer

from practicum.cli import play_worker
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
    play_queue: Annotated[
        bool,
        typer.Option(
            "--play-queue/--no-play-queue",
            help="Standalone: also start the worker that plays submitted policies, as a "
            "process of its own (under `practicum up` the hub runs it).",
        ),
    ] = True,
) -> None:
    """Run the course service: homework pages, submissions, leaderboards, staff pages; with
    --hub also credits, notebook servers and the GPU queue."""
    import uvicorn

    from practicum import settings
    from practicum.course import CourseError
    from practicum.settings.hub_env import HubServiceError
    from practicum.web.app import create_app
    from practicum.web.hub_mode import HubMode

    config = settings.course_state()
    try:
        hub = (
            None if standalone else HubMode.connect(settings.hub_settings(), settings.hub_service())
        )
        app_ = create_app(config, hub=hub)  # migrates the database and reads the course once
    except (HubServiceError, CourseError) as exc:
        raise fail(str(exc)) from None
    where = f"http://{host}:{port}{hub.prefix if hub else ''}/"
    console.print(f"course service on {where}  (state: {config.state})")
    worker = play_worker.start() if standalone and play_queue else None
    try:
        uvicorn.run(app_, host=host, port=port, log_level="info")
    finally:
        play_worker.stop(worker)
