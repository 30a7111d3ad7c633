"""Upload size limits that hold before a byte too many is read.

Two guards: `BodyLimit`, an ASGI middleware, refuses a request whose Content-Length is over
the limit without reading its body, and counts the bytes of bodies sent without one
(chunked), stopping at the limit; `read_upload` then reads the uploaded file in chunks,
counting again, since the multipart envelope allowance lets a file slightly over the limit
through the first guard. Either way the answer is 413, and nothing is stored.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import BinaryIO

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from practicum.grading.submission import too_big_message

ENVELOPE_BYTES = 64 * 2**10
"""Room for the multipart headers and the CSRF field around the file itself."""
CHUNK_BYTES = 2**20


class UploadTooLarge(HTTPException):
    """413 saying 'file is N MB; the limit is M MB'.

    `at_least`: the body was cut off after `size` bytes, so the real size is unknown.
    """

    def __init__(
        self, limit: int, size: int, *, at_least: bool = False, message: str | None = None
    ) -> None:
        message = message or too_big_message(size, limit)
        if at_least:
            message = message.replace("file is ", "upload is more than ", 1)
        super().__init__(status_code=413, detail=message)
        self.limit = limit
        self.size = size


Reject = Callable[[Scope, UploadTooLarge], Awaitable[Response]]


class BodyLimit:
    """Refuse request bodies over `max_upload_bytes` (plus the envelope) early."""

    def __init__(self, app: ASGIApp, *, max_upload_bytes: int, reject: Reject) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes
        self.max_body = max_upload_bytes + ENVELOPE_BYTES
        self.reject = reject

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            response = await self.reject(scope, UploadTooLarge(self.max_upload_bytes, declared))
            await response(scope, receive, send)
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise UploadTooLarge(self.max_upload_bytes, received, at_least=True)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except UploadTooLarge as exc:  # raised where no exception handler caught it
            if started:
                raise
            response = await self.reject(scope, exc)
            await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def upload_size(file: BinaryIO) -> int | None:
    """The size of a seekable upload without reading it (None if it cannot tell)."""
    if not file.seekable():
        return None
    size = file.seek(0, os.SEEK_END)
    file.seek(0)
    return size


def read_upload(file: BinaryIO, limit: int) -> bytes:
    """The uploaded bytes, read chunk by chunk, or UploadTooLarge once they pass `limit`."""
    chunks: list[bytes] = []
    total = 0
    while chunk := file.read(CHUNK_BYTES):
        total += len(chunk)
        if total > limit:
            size = file.seek(0, os.SEEK_END) if file.seekable() else total
            raise UploadTooLarge(limit, size, at_least=not file.seekable())
        chunks.append(chunk)
    return b"".join(chunks)
