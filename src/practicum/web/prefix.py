"""Serving the app under a path prefix that requests still carry.

JupyterHub's proxy forwards /services/practicum/... to the service without stripping the
prefix. Marking the prefix as the ASGI `root_path` lets the routes stay written as "/",
"/login", ... (Starlette matches the path past the root path) while every link, redirect
and cookie the pages make starts with the prefix (`pages.base_path`).
"""

from __future__ import annotations

from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from practicum.settings.hub_env import clean_prefix


class PrefixMiddleware:
    """Answers only under `prefix`: the bare prefix redirects to prefix + '/', other paths
    are 404 (the proxy sends none; anything else reached the port directly)."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = clean_prefix(prefix)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self.prefix:
            await self.app(scope, receive, send)
            return
        root = str(scope.get("root_path", "")).rstrip("/")
        path: str = scope["path"]
        mounted = root + self.prefix
        if path == mounted and scope["type"] == "http":
            await RedirectResponse(mounted + "/", status_code=307)(scope, receive, send)
        elif path.startswith(mounted + "/"):
            await self.app({**scope, "root_path": mounted}, receive, send)
        elif scope["type"] == "http":
            answer = PlainTextResponse(f"not found: this service lives under {mounted}/", 404)
            await answer(scope, receive, send)
