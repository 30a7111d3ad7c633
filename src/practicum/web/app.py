"""The course service's web app: pages for students and staff, and the JSON API that
`practicum.submit` calls from notebooks (OpenAPI at /openapi.json, Swagger UI at /docs from local files; no ReDoc).

Standalone (development, tests): local accounts log in with a password. Hub mode
(`hub=HubMode(...)`, `practicum serve --hub`): the same app under the hub's service prefix,
logins through JupyterHub, the compute dashboard and the metering loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from practicum import __version__, store
from practicum.course import Course
from practicum.hub.metering import run_metering_forever
from practicum.settings.service import ServiceConfig, load_config
from practicum.web import (
    api_docs,
    deps,
    errors,
    routes_api,
    routes_auth,
    routes_credits,
    routes_hub_auth,
    routes_pages,
    routes_staff,
)
from practicum.web.hub_mode import HubMode
from practicum.web.hub_servers import RunningServers
from practicum.web.pages import Renderer, make_environment
from practicum.web.prefix import PrefixMiddleware
from practicum.web.security import SessionCodec
from practicum.web.uploads import BodyLimit


def create_app(
    config: ServiceConfig | None = None, *, migrate: bool = True, hub: HubMode | None = None
) -> FastAPI:
    """An app over the state that `config` names (default: `load_config()`); with `hub`,
    the service behind JupyterHub.

    The course is read once here, so a broken course.toml stops the start with its message
    instead of failing page by page. `migrate` brings the database to the current schema.
    """
    config = config or load_config()
    course = config.course()
    config.prepare_state()
    if migrate:
        store.upgrade(config.database_url)
    engine = store.make_engine(config.database_url)
    codec = SessionCodec(config.secret_key())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        metering = _start_metering(engine, course, hub, stop)
        try:
            yield
        finally:
            stop.set()
            if metering is not None:
                await metering
            engine.dispose()

    app = FastAPI(
        title=f"Practicum: {course.title}",
        version=__version__,
        summary="Homework submissions and leaderboards of a Practicum course.",
        lifespan=lifespan,
        docs_url=None,  # served by api_docs from local files, not a CDN
        redoc_url=None,
    )
    app.state.config = config
    app.state.course = course
    app.state.engine = engine
    app.state.write_lock = deps.writer_turns(engine)
    app.state.files = store.FileStore(config.blob_dir)
    app.state.codec = codec
    app.state.renderer = Renderer(make_environment(), codec)

    errors.install(app)
    app.add_middleware(
        BodyLimit, max_upload_bytes=config.max_upload_bytes, reject=errors.reject_upload
    )
    api_docs.install(app)
    static = resources.files("practicum.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    if hub is not None:
        _install_hub_mode(app, hub, config)  # first: its /login and /logout win
    for module in (routes_auth, routes_pages, routes_staff, routes_api):
        app.include_router(module.router)
    return app


def _install_hub_mode(app: FastAPI, hub: HubMode, config: ServiceConfig) -> None:
    app.state.hub_mode = hub
    app.state.running_servers = RunningServers(hub.api)
    app.state.pending_logins = routes_hub_auth.PendingLogins(config.secret_key())
    app.state.renderer.env.globals["hub_mode"] = True
    app.include_router(routes_hub_auth.router)
    app.include_router(routes_credits.router)
    app.add_middleware(PrefixMiddleware, prefix=hub.prefix)


def _start_metering(
    engine: Engine, course: Course, hub: HubMode | None, stop: asyncio.Event
) -> asyncio.Task[None] | None:
    """The metering loop of hub mode, in the background until `stop` is set."""
    if hub is None or not hub.metering:
        return None
    settings = hub.settings
    return asyncio.create_task(
        run_metering_forever(
            engine,
            hub.api,
            course,
            settings.compute(course),
            interval_seconds=settings.metering.interval_seconds,
            slot_seconds=settings.metering.slot_seconds,
            stop=stop,
        ),
        name="practicum-metering",
    )
