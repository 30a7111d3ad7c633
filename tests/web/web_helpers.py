"""Helpers for the web tests (imported by name): the service under test, logins, tokens."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from tiny_homework import BEFORE, count_stored, publish_tiny

from practicum import store
from practicum.settings.service import ServiceConfig

USERS = {"ann": "student", "bob": "student", "tara": "staff"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
AnyClient = TypeVar("AnyClient", bound=httpx.Client)


def password(name: str) -> str:
    return f"{name}-secret-pw"


@dataclass
class Service:
    config: ServiceConfig
    app: FastAPI
    engine: Engine
    files: store.FileStore
    tokens: dict[str, str]
    clients: dict[str, TestClient] = field(default_factory=dict)

    def stored(self) -> tuple[int, int]:
        """(submission rows, blobs)."""
        return count_stored(self.engine, self.files)

    def user_id(self, name: str) -> int:
        with store.session_scope(self.engine, read_only=True) as session:
            found = session.scalar(select(store.User.id).where(store.User.name == name))
        assert found is not None
        return found

    def bearer(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def client(self, name: str) -> TestClient:
        """A browser logged in as `name`, kept for the module (a login costs an argon2 check)."""
        if name not in self.clients:
            self.clients[name] = login(TestClient(self.app), name, password(name))
        return self.clients[name]


@dataclass
class Clock:
    now: datetime = BEFORE

    def set(self, moment: datetime) -> None:
        self.now = moment


def tiny_course_state(config: ServiceConfig, label: str) -> tuple[Engine, dict[str, str]]:
    """A migrated database with the tiny homework published and USERS created, each with
    an API token named `label`: what the web tests and the upload benchmark start from."""
    store.upgrade(config.database_url)
    engine = store.make_engine(config.database_url)
    publish_tiny(config, engine)
    tokens = {}
    with store.session_scope(engine) as session:
        for name, role in USERS.items():
            user = store.create_user(session, name, role, password(name))
            tokens[name] = store.create_token(session, user, label)
    return engine, tokens


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF field"
    return match[1]


def table_cells(html: str, table_id: str) -> dict[str, list[str]]:
    """The body rows of the page's table of that id: first cell -> the other cells' text."""
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in body.split("<tr>")[1:]]
    return {cells[0].strip(): [cell.strip() for cell in cells[1:]] for cells in rows if cells}


def login(client: AnyClient, name: str, secret: str) -> AnyClient:
    """Log in through the form: a TestClient, or an httpx.Client on a live server."""
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={"name": name, "password": secret, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def upload(
    client: TestClient, content: bytes, *, filename: str = "submission.csv", hw: str = "hw-tiny"
) -> httpx.Response:
    """Submit through the homework page's form, as a browser does."""
    page = client.get(f"/homework/{hw}")
    return client.post(
        f"/homework/{hw}/submissions",
        data={"csrf_token": csrf_of(page.text)},
        files={"file": (filename, content)},
        follow_redirects=False,
    )


@contextmanager
def serve_live(app: FastAPI) -> Iterator[str]:
    """The app behind a real uvicorn server on a free loopback port, in a background thread;
    yields its base URL. The socket is bound before the thread starts, so no other process
    can take the port in between."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    give_up = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > give_up:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
