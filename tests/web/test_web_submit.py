"""Submitting through the page and the API: scores, ranks, limits, refusals, sizes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.types import Message
from tiny_homework import (
    BEFORE,
    DAILY_LIMIT,
    N_ITEMS,
    PUBLIC_MASK,
    accuracy,
    labels_csv,
    with_errors,
)
from web_helpers import Clock, Service, upload

MB = 2**20


def api_submit(service: Service, name: str, content: bytes) -> httpx.Response:
    return TestClient(service.app).post(
        "/api/homework/hw-tiny/submissions",
        headers=service.bearer(name),
        files={"file": ("s.csv", content)},
    )


def test_api_submission_is_scored_on_the_public_part(service: Service) -> None:
    labels = with_errors(2, 1)
    answer = api_submit(service, "ann", labels_csv(labels))
    assert answer.status_code == 200
    result = answer.json()
    assert result["public_score"] == pytest.approx(accuracy(labels, PUBLIC_MASK))
    assert result["rank"] == 1
    assert result["remaining_today"] == DAILY_LIMIT - 1
    assert result["resets_at"] == "2026-12-06T00:00:00+09:00"
    assert result["status"] == "scored" and result["late_note"] is None
    assert isinstance(result["submission_id"], int)

    better = api_submit(service, "bob", labels_csv(with_errors(0, 4))).json()
    assert (better["rank"], better["remaining_today"]) == (1, DAILY_LIMIT - 1)
    again = api_submit(service, "ann", labels_csv(labels)).json()
    assert (again["rank"], again["remaining_today"]) == (2, DAILY_LIMIT - 2)


def test_page_submission_shows_score_rank_and_what_is_left(
    service: Service, ann: TestClient
) -> None:
    labels = with_errors(1)
    answer = upload(ann, labels_csv(labels))
    assert answer.status_code == 303
    page = ann.get(answer.headers["location"])
    expected = f"{accuracy(labels, PUBLIC_MASK):.4f}"
    assert f'<strong id="public-score">{expected}</strong>' in page.text
    assert "You are <strong>#1</strong> of 1" in page.text
    assert f"<strong>{DAILY_LIMIT - 1}</strong> of {DAILY_LIMIT} submissions left today" in (
        page.text
    )
    assert 'id="my-submissions"' in page.text and "submission.csv" in page.text


def test_daily_limit_answers_429_with_when_it_resets(service: Service, ann: TestClient) -> None:
    content = labels_csv(with_errors(1))
    for _ in range(DAILY_LIMIT):
        assert api_submit(service, "ann", content).status_code == 200
    before = service.stored()
    refused = api_submit(service, "ann", content)
    assert refused.status_code == 429
    assert refused.json()["resets_at"] == "2026-12-06T00:00:00+09:00"
    assert refused.headers["retry-after"] == str(12 * 3600)  # BEFORE is noon
    assert "daily limit of 3" in refused.json()["detail"]
    page = upload(ann, content)
    assert page.status_code == 429
    assert page.headers["retry-after"] == str(12 * 3600)
    assert "next submission possible at 2026-12-06 00:00 JST" in page.text
    assert service.stored() == before


def test_the_limit_resets_at_local_midnight(service: Service, clock: Clock) -> None:
    content = labels_csv(with_errors(1))
    for _ in range(DAILY_LIMIT):
        api_submit(service, "bob", content)
    clock.set(BEFORE.replace(hour=23, minute=59))
    assert api_submit(service, "bob", content).status_code == 429
    clock.set(BEFORE.replace(day=6, hour=0, minute=0))
    assert api_submit(service, "bob", content).json()["remaining_today"] == DAILY_LIMIT - 1


MALFORMED = {
    "wrong ids": (
        b"id,label\n" + b"".join(f"{i + 1},0\n".encode() for i in range(N_ITEMS)),
        f"line {N_ITEMS + 1}, column id: {N_ITEMS} is out of range 0..{N_ITEMS - 1}",
    ),
    "too few rows": (
        b"id,label\n0,1\n1,2\n",
        f"expected {N_ITEMS} rows, found 2; missing ids: 2, 3",
    ),
    "label out of range": (
        b"id,label\n0,3\n",
        "line 2, column label: 3 is out of range 0..2",
    ),
    "not UTF-8": (
        b"id,label\n0,\xff\n",
        "not UTF-8: invalid byte 0xff at offset 11 (line 2)",
    ),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_files_get_the_validators_message_and_cost_nothing(
    service: Service, ann: TestClient, case: str
) -> None:
    content, message = MALFORMED[case]
    before = service.stored()
    result = api_submit(service, "ann", content)
    assert result.status_code == 422
    assert message in result.json()["detail"]
    page = upload(ann, content)
    assert page.status_code == 422
    assert message.replace("'", "&#39;") in page.text
    assert service.stored() == before
    shown = ann.get("/homework/hw-tiny")  # the error stays on the page until a success
    assert 'id="last-error"' in shown.text and message.split(":")[0] in shown.text
    assert f"<strong>{DAILY_LIMIT}</strong> of {DAILY_LIMIT}" in shown.text
    assert upload(ann, labels_csv(with_errors(0))).status_code == 303
    assert 'id="last-error"' not in ann.get("/homework/hw-tiny").text


def test_hostile_file_names_are_shown_as_text(service: Service, ann: TestClient) -> None:
    upload(ann, labels_csv(with_errors(0)), filename="../../<img src=x onerror=alert(1)>.csv")
    page = ann.get("/homework/hw-tiny").text
    assert "<img" not in page
    assert ">&lt;img src=x onerror=alert(1)&gt;.csv</a>" in page  # folders cut, the rest escaped
    assert "../" not in page


def test_unknown_or_unpublished_homework_is_404(service: Service) -> None:
    content = labels_csv(with_errors(0))
    client = TestClient(service.app)
    for hw in ("no-such-thing", "hw-later"):
        answer = client.post(
            f"/api/homework/{hw}/submissions",
            headers=service.bearer("ann"),
            files={"file": ("s.csv", content)},
        )
        assert answer.status_code == 404
    assert "not published yet" in answer.json()["detail"]


def test_a_file_just_over_the_limit_gets_413_with_sizes(service: Service, ann: TestClient) -> None:
    before = service.stored()
    body = b"x" * (MB + 10 * 2**10)  # inside the multipart allowance: counted while read
    result = api_submit(service, "ann", body)
    assert result.status_code == 413
    assert result.json()["detail"] == f"file is {MB + 10 * 2**10} bytes; the limit is {MB} bytes"
    page = upload(ann, b"x" * 3 * MB)  # past the allowance: cut off by the middleware
    assert page.status_code == 413
    assert "the limit is 1 MB" in page.text
    assert service.stored() == before


def lazy_multipart(total: int, chunk: int = MB) -> Iterator[bytes]:
    """A multipart body with a `total`-byte file, made as it is read (never held whole)."""
    yield (
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n"
    )
    row = b"0,1\n" * (chunk // 4)
    for _ in range(total // chunk):
        yield row
    yield b"\r\n--b0undary--\r\n"


def post_lazily(
    service: Service, body: Iterator[bytes], content_length: int | None
) -> tuple[int, bytes, int]:
    """Drive the app as a server would, counting the body bytes it asks for."""
    headers = [
        (b"content-type", b"multipart/form-data; boundary=b0undary"),
        (b"authorization", service.bearer("ann")["Authorization"].encode()),
    ]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    path = "/api/homework/hw-tiny/submissions"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    read = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal read
        chunk = next(body, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(service.app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, content, read


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_200_mb_upload_is_refused_before_it_is_read(service: Service, declared: bool) -> None:
    before = service.stored()
    size = 200 * MB
    status, content, read = post_lazily(
        service, lazy_multipart(size), size + 200 if declared else None
    )
    assert status == 413
    if declared:
        assert read == 0
        assert b"file is 200 MB; the limit is 1 MB" in content
    else:
        assert read <= 3 * MB
        assert b"upload is more than" in content and b"the limit is 1 MB" in content
    assert service.stored() == before
