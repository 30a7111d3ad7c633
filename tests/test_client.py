"""`practicum.submit` against a mock course site: what is sent, what is printed, what is raised."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from practicum.client import (
    ServiceUnreachable,
    SubmissionRejected,
    SubmitError,
    SubmitLimitReached,
    submit,
)

URL = "http://course.test/services/practicum"
TOKEN = "pk_secret-token-never-shown"
HW = "lesson1-fashion-mnist"
SPEC = {"kind": "labels", "n_items": 4, "n_classes": 10, "image_shape": None}
OK = {
    "submission_id": 7,
    "public_score": 0.91234,
    "rank": 3,
    "remaining_today": 4,
    "resets_at": "2026-12-02T00:00:00+09:00",
    "status": "scored",
    "late_note": None,
}

Handler = Callable[[httpx.Request], httpx.Response]


class Site:
    """A mock course site that records the uploads it receives."""

    def __init__(self, answer: httpx.Response, spec: dict[str, Any] | None = SPEC) -> None:
        self.answer, self.spec = answer, spec
        self.uploads: list[bytes] = []
        self.auth: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.auth.add(request.headers.get("authorization", ""))
        if request.url.path == f"/services/practicum/api/homework/{HW}/spec":
            return httpx.Response(200, json=self.spec) if self.spec else httpx.Response(404)
        assert request.url.path == f"/services/practicum/api/homework/{HW}/submissions"
        assert request.method == "POST"
        self.uploads.append(request.read())
        return self.answer

    def send(self, predictions: Any, **kw: Any) -> Any:
        return submit(
            HW, predictions, url=URL, token=TOKEN, transport=httpx.MockTransport(self), **kw
        )


def _file_part(upload: bytes) -> tuple[str, bytes]:
    """(filename, content) of the multipart field `file`."""
    head, _, rest = upload.partition(b"\r\n\r\n")
    assert b'name="file"' in head
    filename = head.split(b'filename="')[1].split(b'"')[0].decode()
    return filename, rest.rsplit(b"\r\n--", 1)[0]


def test_success_sends_canonical_csv_and_prints_score_rank_and_limit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    site = Site(httpx.Response(200, json={**OK, "n_ranked": 41, "timezone": "Asia/Tokyo"}))
    result = site.send(np.array([3, 1, 4, 1], dtype=np.uint8))
    assert _file_part(site.uploads[0]) == ("submission.csv", b"id,label\n0,3\n1,1\n2,4\n3,1\n")
    assert site.auth == {f"Bearer {TOKEN}"}
    assert (result.submission_id, result.rank, result.remaining_today) == (7, 3, 4)
    assert result.resets_at is not None and result.resets_at.utcoffset() is not None
    out = capsys.readouterr().out
    assert "public score 0.9123 · rank 3 of 41 · 4 submissions left today (resets 00:00 JST)" in out
    assert TOKEN not in out


def test_without_timezone_and_total_the_line_still_reads_well(
    capsys: pytest.CaptureFixture[str],
) -> None:
    Site(httpx.Response(200, json={**OK, "remaining_today": 1})).send([0, 0, 0, 0])
    out = capsys.readouterr().out
    assert "public score 0.9123 · rank 3 · 1 submission left today (resets 00:00 UTC+09:00)" in out


def test_late_submission_shows_its_note(capsys: pytest.CaptureFixture[str]) -> None:
    late = {**OK, "rank": None, "status": "late_unranked", "late_note": "late: not ranked"}
    result = Site(httpx.Response(200, json=late)).send([0, 0, 0, 0])
    assert result.status == "late_unranked"
    out = capsys.readouterr().out
    assert "not ranked" in out and "late: not ranked" in out


def test_bad_predictions_are_refused_before_upload(capsys: pytest.CaptureFixture[str]) -> None:
    site = Site(httpx.Response(200, json=OK))
    with pytest.raises(SubmissionRejected, match=r"id 2: label 12 is out of range 0\.\.9"):
        site.send(np.array([1, 2, 12, 3]))
    with pytest.raises(SubmissionRejected, match="expected 4 predictions, found 3"):
        site.send([1, 2, 3])
    assert site.uploads == []
    assert "label 12 is out of range" in capsys.readouterr().out


def test_validator_message_from_the_service_is_shown(capsys: pytest.CaptureFixture[str]) -> None:
    detail = "line 3, column label: 12 is out of range 0..9"
    site = Site(httpx.Response(422, json={"detail": detail}), spec=None)
    with pytest.raises(SubmissionRejected, match="line 3, column label"):
        site.send(np.array([1, 2, 12, 3]))  # no spec: the service is the one to check
    assert len(site.uploads) == 1
    out = capsys.readouterr().out
    assert f"submission rejected: {detail}" in out and TOKEN not in out


def test_daily_limit_says_when_it_resets(capsys: pytest.CaptureFixture[str]) -> None:
    answer = httpx.Response(
        429,
        json={
            "detail": "daily limit of 5 submission(s) reached",
            "resets_at": "2026-12-01T15:00:00+00:00",
            "timezone": "Asia/Tokyo",
        },
        headers={"Retry-After": "3600"},
    )
    with pytest.raises(SubmitLimitReached) as info:
        Site(answer).send([0, 1, 2, 3])
    assert info.value.resets_at is not None and info.value.resets_at.hour == 15
    assert "next submission possible at 00:00 JST" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, "refused the token (401): set PRACTICUM_TOKEN"),
        (403, "answered 403: not admitted"),
        (404, f"homework {HW} was not found on {URL} (404)"),
        (413, "file too large (413)"),
    ],
)
def test_other_refusals_are_one_clear_line(
    status: int, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SubmitError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        Site(httpx.Response(status, json={"detail": "not admitted"})).send([0, 1, 2, 3])
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == 1 and TOKEN not in out


def test_network_failure_names_the_url_and_saves_a_file_to_upload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(ServiceUnreachable) as info:
        submit(HW, np.array([2, 0, 1]), url=URL, token=TOKEN, transport=httpx.MockTransport(down))
    message = str(info.value)
    assert f"could not reach {URL}/api/homework/{HW}/spec" in message
    saved = tmp_path / f"{HW}-submission.csv"
    assert f"upload {saved} by hand" in message
    assert saved.read_bytes() == b"id,label\n0,2\n1,0\n2,1\n"
    out = capsys.readouterr().out
    assert "could not reach" in out and TOKEN not in out


def test_a_file_path_is_checked_and_uploaded_as_is(tmp_path: Path) -> None:
    path = tmp_path / "my_preds.csv"
    path.write_bytes(b"id,label\r\n3,1\r\n0,2\r\n1,0\r\n2,9\r\n")
    site = Site(httpx.Response(200, json=OK))
    site.send(path)
    site.send(str(path))
    assert [_file_part(u) for u in site.uploads] == [("my_preds.csv", path.read_bytes())] * 2
    path.write_bytes(b"id,label\n0,1\n")
    with pytest.raises(SubmissionRejected, match=r"my_preds\.csv: expected 4 rows, found 1"):
        site.send(path)
    with pytest.raises(SubmitError, match="no such file"):
        site.send(tmp_path / "missing.csv")
    assert len(site.uploads) == 2


def test_a_policy_file_is_uploaded_as_is_and_its_score_is_pending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Lesson 7: the service checks the TorchScript file and queues it for its worker."""
    path = tmp_path / "policy.pt"
    path.write_bytes(b"PK\x03\x04 a TorchScript archive")
    queued = {**OK, "public_score": None, "rank": None, "status": "queued"}
    site = Site(httpx.Response(200, json=queued), spec={"kind": "policy", "n_items": 10})
    result = site.send(path)
    assert _file_part(site.uploads[0]) == ("policy.pt", path.read_bytes())
    assert (result.status, result.public_score) == ("queued", None)
    assert "public score pending" in capsys.readouterr().out
    with pytest.raises(SubmissionRejected, match="this homework takes a TorchScript file"):
        site.send(np.zeros(10))
    assert len(site.uploads) == 1


def test_sentences_become_a_text_file() -> None:
    site = Site(httpx.Response(200, json=OK), spec={"kind": "tokens", "n_items": 2})
    site.send(["私 は 猫 です", ["こんにちは", "世界"]])
    assert _file_part(site.uploads[0]) == (
        "submission.txt",
        "私 は 猫 です\nこんにちは 世界\n".encode(),
    )


def test_a_bleu_score_is_printed_with_its_sacrebleu_signature(
    capsys: pytest.CaptureFixture[str],
) -> None:
    signature = "nrefs:1|case:mixed|eff:no|tok:none|smooth:exp|version:2.6.0"
    answer = httpx.Response(200, json={**OK, "public_score": 23.5, "signature": signature})
    result = Site(answer, spec={"kind": "tokens", "n_items": 1}).send(["私 は 猫 です"])
    assert result.signature == signature
    assert capsys.readouterr().out.splitlines()[1] == f"  {signature}"


def test_without_spec_floats_go_as_values_and_odd_shapes_ask_for_a_file() -> None:
    site = Site(httpx.Response(200, json=OK), spec=None)
    site.send(np.array([0.5, 1.25]))
    assert _file_part(site.uploads[0])[1] == b"id,value\n0,0.5\n1,1.25\n"
    with pytest.raises(SubmissionRejected, match=r"shape \(2, 3\).*pass the file's path"):
        site.send(np.zeros((2, 3)))


def test_url_and_token_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    site = Site(httpx.Response(200, json=OK))
    monkeypatch.setenv("PRACTICUM_URL", URL + "/")
    monkeypatch.setenv("PRACTICUM_TOKEN", TOKEN)
    assert submit(HW, [0, 1, 2, 3], transport=httpx.MockTransport(site)).submission_id == 7
    assert site.auth == {f"Bearer {TOKEN}"}
    monkeypatch.delenv("PRACTICUM_TOKEN")
    with pytest.raises(SubmitError, match="no token: set PRACTICUM_TOKEN"):
        submit(HW, [0, 1, 2, 3], transport=httpx.MockTransport(site))
    monkeypatch.delenv("PRACTICUM_URL")
    with pytest.raises(SubmitError, match="no course site to submit to: set PRACTICUM_URL"):
        submit(HW, [0, 1, 2, 3], token=TOKEN)


def test_result_holds_no_token() -> None:
    result = Site(httpx.Response(200, json=OK)).send([0, 1, 2, 3])
    assert TOKEN not in repr(result) and TOKEN not in json.dumps(result.__dict__, default=str)


# ---------------------------------------------------------------------------------------
# report_exercise: one exercise check's outcome, sent to a local stand-in course site
# ---------------------------------------------------------------------------------------


class _ExerciseSite:
    """A real HTTP server on localhost that records what POST /api/exercises receives."""

    def __init__(self, status: int = 200, answer: bytes = b'{"recorded": true}') -> None:
        import http.server
        import threading

        site = self
        self.received: list[tuple[str, str, dict[str, Any]]] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length))
                site.received.append((self.path, self.headers.get("authorization", ""), body))
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/practicum"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_report_exercise_posts_the_outcome_with_the_students_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from practicum.client import report_exercise

    site = _ExerciseSite()
    try:
        monkeypatch.setenv("PRACTICUM_URL", site.url)
        monkeypatch.delenv("PRACTICUM_TOKEN", raising=False)
        monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "hub-token")
        assert report_exercise(2, "conv2d_unfold", done=False, used_reference=True) is True
        monkeypatch.setenv("PRACTICUM_TOKEN", TOKEN)
        assert report_exercise(3, "unroll", done=True, used_reference=False) is True
    finally:
        site.close()
    assert site.received == [
        (
            "/services/practicum/api/exercises",
            "Bearer hub-token",
            {"lesson": 2, "exercise": "conv2d_unfold", "done": False, "used_reference": True},
        ),
        (
            "/services/practicum/api/exercises",
            f"Bearer {TOKEN}",
            {"lesson": 3, "exercise": "unroll", "done": True, "used_reference": False},
        ),
    ]
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("status", "answer", "expected"),
    [
        (500, b'{"detail": "database is down"}', "answered 500: database is down"),
        (200, b'{"recorded": false}', "answered 200"),
        (404, b"not json", "answered 404"),
    ],
)
def test_a_refused_exercise_report_is_one_line(
    capsys: pytest.CaptureFixture[str], status: int, answer: bytes, expected: str
) -> None:
    from practicum.client import report_exercise

    site = _ExerciseSite(status, answer)
    try:
        ok = report_exercise(1, "softmax", done=True, used_reference=False, url=site.url, token="t")
    finally:
        site.close()
    out = capsys.readouterr().out
    assert ok is False
    assert out.count("\n") == 1 and "exercise softmax was not recorded" in out
    assert expected in out and "Bearer" not in out


def test_an_unreachable_or_unset_site_is_one_line_and_never_raises(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from practicum.client import report_exercise

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    kw: dict[str, Any] = {"done": True, "used_reference": False}
    assert not report_exercise(
        1, "softmax", url=URL, token=TOKEN, transport=httpx.MockTransport(down), **kw
    )
    assert "ConnectError: connection refused" in capsys.readouterr().out
    monkeypatch.delenv("PRACTICUM_URL", raising=False)
    assert not report_exercise(1, "softmax", token=TOKEN, **kw)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "no course site" in out
    monkeypatch.delenv("PRACTICUM_TOKEN", raising=False)
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    assert not report_exercise(1, "softmax", url=URL, **kw)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "no token" in out
