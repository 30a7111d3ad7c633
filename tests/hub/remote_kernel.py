"""Run code in a kernel of a live notebook server, as JupyterLab does: the server's REST
API starts the kernel, an execute_request goes over its websocket, stdout comes back."""

from __future__ import annotations

import asyncio
import json
import uuid
from urllib.parse import urlsplit, urlunsplit

import httpx
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect


class KernelError(AssertionError):
    """The code raised inside the kernel; the message is its traceback."""


def run_in_kernel(server_url: str, token: str, code: str, timeout: float = 90) -> str:
    """Start a python3 kernel on the server at `server_url` (e.g. http://hub/user/alice),
    run `code` there, shut the kernel down and return what it printed."""
    headers = {"Authorization": f"token {token}"}
    with httpx.Client(base_url=server_url, headers=headers, timeout=30) as http:
        started = http.post("/api/kernels", json={"name": "python3"})
        assert started.status_code == 201, started.text[:500]
        kernel = started.json()["id"]
        try:
            scheme, netloc, path, _, _ = urlsplit(f"{server_url}/api/kernels/{kernel}/channels")
            ws_url = urlunsplit(("ws" if scheme == "http" else "wss", netloc, path, "", ""))
            return execute(ws_url, headers, code, timeout)
        finally:
            http.delete(f"/api/kernels/{kernel}")


def execute(ws_url: str, headers: dict[str, str], code: str, timeout: float = 90) -> str:
    """Run `code` in the kernel behind the websocket `ws_url`; what it printed."""
    return asyncio.run(asyncio.wait_for(_execute(ws_url, headers, code), timeout))


async def _execute(ws_url: str, headers: dict[str, str], code: str) -> str:
    connection = await websocket_connect(HTTPRequest(ws_url, headers=headers))
    msg_id = uuid.uuid4().hex
    request = {
        "header": {
            "msg_id": msg_id,
            "username": "test",
            "session": uuid.uuid4().hex,
            "msg_type": "execute_request",
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        "channel": "shell",
        "buffers": [],
    }
    await connection.write_message(json.dumps(request))
    printed: list[str] = []
    try:
        while True:
            raw = await connection.read_message()
            if raw is None:
                raise KernelError("the kernel's websocket closed before the code finished")
            message = json.loads(raw)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                printed.append(content["text"])
            elif kind == "error":
                raise KernelError("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                return "".join(printed)
    finally:
        connection.close()
