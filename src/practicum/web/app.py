"""The course service's web app: pages for students and staff, and the JSON API that
`practicum.submit` calls from notebooks (OpenAPI at /openapi.json, docs at /docs)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from practicum import __version__, store
from practicum.service.config import ServiceConfig, load_config
from practicum.web import errors, routes_api, routes_auth, routes_pages, routes_staff
from practicum.web.pages import Renderer, make_environment
from practicum.web.security import SessionCodec
from practicum.web.uploads import BodyLimit


def create_app(config: ServiceConfig | None = None, *, migrate: bool = True) -> FastAPI:
    """An app over the state that `config` names (default: `load_config()`).

    The course is read once here, so a broken course.toml stops the start with its message
    instead of failing page by page. `migrate` brings the database to the current schema.
    """
    config = config or load_config()
    course = config.course()
    if migrate:
        store.upgrade(config.database_url)
    engine = store.make_engine(config.database_url)
    codec = SessionCodec(config.secret_key())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title=f"Practicum: {course.title}",
        version=__version__,
        summary="Homework submissions and leaderboards of a Practicum course.",
        lifespan=lifespan,
    )
    app.state.config = config
    app.state.course = course
    app.state.engine = engine
    app.state.write_lock = anyio.Lock()
    app.state.files = store.FileStore(config.blob_dir)
    app.state.codec = codec
    app.state.renderer = Renderer(make_environment(), codec)

    errors.install(app)
    app.add_middleware(
        BodyLimit, max_upload_bytes=config.max_upload_bytes, reject=errors.reject_upload
    )
    static = resources.files("practicum.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for module in (routes_auth, routes_pages, routes_staff, routes_api):
        app.include_router(module.router)
    return app
