"""`practicum.submit`: send homework predictions from a notebook and see the score at once.

    import practicum
    practicum.submit("lesson1-fashion-mnist", y_pred)   # array, tensor, list, or a file path

The course site's address and the student's token come from the environment
(PRACTICUM_URL, PRACTICUM_TOKEN) or the arguments. In a notebook server started by the
course's JupyterHub both are already set: the hub's spawner sets PRACTICUM_URL, and the
server's own JUPYTERHUB_API_TOKEN identifies the student, so nobody copies a token by hand. Predictions are checked here first when
the service describes the homework (GET /api/homework/<id>/spec), so that a wrong shape is
named before anything is uploaded; the service checks again either way.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
import numpy as np
from rich.console import Console

from practicum.atomic import atomic_open
from practicum.grading.submission import (
    SubmissionError,
    SubmissionSpec,
    parse_predictions,
    parse_submission,
    to_file_bytes,
)

URL_ENV = "PRACTICUM_URL"
HUB_TOKEN_ENV = "JUPYTERHUB_API_TOKEN"
"""Set by JupyterHub in every notebook server it spawns; the course service in hub mode
accepts it as the student's identity."""
TOKEN_ENVS: tuple[str, ...] = ("PRACTICUM_TOKEN", HUB_TOKEN_ENV)
"""Where the token is looked for, in order: a token made by hand wins over the hub's."""
HUB_HINT_ENVS = ("JUPYTERHUB_API_URL", "JUPYTERHUB_SERVICE_PREFIX")
"""Set in a notebook server spawned by JupyterHub: a missing PRACTICUM_URL there is the
hub's configuration to fix, not the student's."""

Predictions = np.ndarray | Sequence[int] | Sequence[float] | Sequence[str] | str | os.PathLike[str]
"""An array (or anything np.asarray takes: a CPU tensor, a list), sentences for translation
homework, or the path of a submission file made by hand."""

_MIME = {".csv": "text/csv", ".txt": "text/plain", ".npy": "application/octet-stream"}


class SubmitError(Exception):
    """A submission that did not go through; the message says why and what to do."""


class SubmissionRejected(SubmitError):
    """The predictions do not fit the homework (checked here, or by the service: 422)."""


class SubmitLimitReached(SubmitError):
    """Today's submissions are used up (429)."""

    def __init__(self, message: str, resets_at: datetime | None) -> None:
        super().__init__(message)
        self.resets_at = resets_at


class ServiceUnreachable(SubmitError):
    """The course site could not be reached; the message says how to upload by hand."""


@dataclass(frozen=True)
class SubmitResult:
    submission_id: int
    public_score: float | None
    rank: int | None
    remaining_today: int | None
    resets_at: datetime | None
    status: str
    late_note: str | None
    n_ranked: int | None = None
    """Students on the public board, when the service says (for "rank 3 of 41")."""
    timezone: str | None = None
    """The course's time zone, when the service says (for "resets 00:00 JST")."""
    signature: str | None = None
    """How the score was computed, where the metric's name does not say (sacrebleu's)."""

    def summary(self) -> str:
        """One line: public score · rank · submissions left today."""
        parts = [
            "public score "
            + ("pending" if self.public_score is None else f"{self.public_score:.4f}")
        ]
        if self.rank is not None:
            parts.append(f"rank {self.rank}" + (f" of {self.n_ranked}" if self.n_ranked else ""))
        elif self.status != "scored":
            parts.append("not ranked")
        if self.remaining_today is not None:
            left = (
                f"{self.remaining_today} submission{'s' * (self.remaining_today != 1)} left today"
            )
            if self.resets_at is not None:
                left += f" (resets {_clock(self.resets_at, self.timezone)})"
            parts.append(left)
        return " · ".join(parts)


def submit(
    homework_id: str,
    predictions: Predictions,
    *,
    url: str | None = None,
    token: str | None = None,
    timeout: float = 60,
    transport: httpx.BaseTransport | None = None,
) -> SubmitResult:
    """Upload predictions for a homework, print the public score and rank, and return them.

    Raises SubmissionRejected (the predictions do not fit), SubmitLimitReached (429),
    ServiceUnreachable (network), or SubmitError (anything else); each is printed first.
    `transport` replaces httpx's network layer (tests, proxies).
    """
    console = Console(highlight=False, soft_wrap=True)
    try:
        result = _submit(homework_id, predictions, url, token, timeout, transport)
    except SubmitError as e:
        console.print(f"[red]✗[/red] {e}")
        raise
    console.print(f"[green]✓[/green] {result.summary()}")
    if result.signature:
        console.print(f"  [dim]{result.signature}[/dim]")
    if result.late_note:
        console.print(f"  [yellow]{result.late_note}[/yellow]")
    return result


def _submit(
    homework_id: str,
    predictions: Predictions,
    url: str | None,
    token: str | None,
    timeout: float,
    transport: httpx.BaseTransport | None,
) -> SubmitResult:
    base = _service_url(url)
    secret, source = _token(token)
    headers = {"Authorization": f"Bearer {secret}"}
    endpoint = f"api/homework/{quote(homework_id, safe='')}"
    with httpx.Client(
        base_url=base, headers=headers, timeout=timeout, transport=transport
    ) as client:
        try:
            spec = _fetch_spec(client, f"{endpoint}/spec")
            content, filename = _prepare(predictions, spec)
            response = client.post(
                f"{endpoint}/submissions",
                files={"file": (filename, content, _MIME.get(Path(filename).suffix, "text/plain"))},
            )
        except httpx.TransportError as e:
            failed = str(e.request.url) if _has_request(e) else f"{base}/{endpoint}"
            raise _unreachable(failed, e, base, homework_id, predictions) from None
    return _read_answer(response, homework_id, base, hub_token=source == HUB_TOKEN_ENV)


def report_exercise(
    lesson: int,
    exercise: str,
    *,
    done: bool,
    used_reference: bool,
    url: str | None = None,
    token: str | None = None,
    timeout: float = 5,
    transport: httpx.BaseTransport | None = None,
) -> bool:
    """Tell the course site how one exercise check went (POST /api/exercises), so staff
    see it in the gradebook. Best effort: returns whether it was recorded, and says in one
    line why when it was not; never raises. Same address and token as `submit`.
    """
    try:
        base = _service_url(url)
        secret, _ = _token(token)
        with httpx.Client(
            base_url=base,
            headers={"Authorization": f"Bearer {secret}"},
            timeout=timeout,
            transport=transport,
        ) as client:
            response = client.post(
                "api/exercises",
                json={
                    "lesson": int(lesson),
                    "exercise": str(exercise),
                    "done": bool(done),
                    "used_reference": bool(used_reference),
                },
            )
        body = _json(response)
        if response.status_code == 200 and isinstance(body, dict) and body.get("recorded"):
            return True
        problem = f"the course site answered {response.status_code}: {_detail(body, response)}"
    except SubmitError as e:
        problem = str(e)
    except Exception as e:  # best effort: a notebook goes on whatever happens here
        problem = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    problem = " ".join(problem.split())[:300]
    print(f"(exercise {exercise} was not recorded on the course site: {problem})")
    return False


def _service_url(url: str | None) -> str:
    base = (url or os.environ.get(URL_ENV, "")).strip().rstrip("/")
    if not base and any(os.environ.get(v) for v in HUB_HINT_ENVS):
        raise SubmitError(
            f"no course site to submit to: this JupyterHub server has no {URL_ENV} (the "
            "course's hub sets it when it starts a server); restart the server from the "
            "course dashboard, or pass url=..."
        )
    if not base:
        raise SubmitError(
            f"no course site to submit to: set {URL_ENV} (e.g. https://course.example.org) "
            "or pass url=..."
        )
    if not base.startswith(("http://", "https://")):
        raise SubmitError(f"{URL_ENV}={base!r} is not an http(s):// address")
    return base


def _token(token: str | None) -> tuple[str, str | None]:
    """The token, and the variable it came from (None: passed by the caller)."""
    if token:
        return token.strip(), None
    for name in TOKEN_ENVS:
        if os.environ.get(name):
            return os.environ[name].strip(), name
    raise SubmitError(
        f"no token: set {TOKEN_ENVS[0]} to the token from your account page on the course "
        "site, or pass token=..."
    )


def _fetch_spec(client: httpx.Client, path: str) -> SubmissionSpec | None:
    """The homework's format, or None when the service does not describe it (then only the
    service checks the predictions)."""
    response = client.get(path)
    if response.status_code != 200:
        return None
    try:
        raw = response.json()
        shape = raw.get("image_shape")
        return SubmissionSpec(
            kind=raw["kind"],
            n_items=int(raw["n_items"]),
            n_classes=raw.get("n_classes"),
            image_shape=tuple(int(d) for d in shape) if shape else None,
            max_bytes=int(raw.get("max_bytes") or SubmissionSpec.max_bytes),
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _prepare(predictions: Predictions, spec: SubmissionSpec | None) -> tuple[bytes, str]:
    """The bytes and file name to upload: a file as it is, predictions in canonical form."""
    if isinstance(predictions, str | os.PathLike):
        path = Path(predictions).expanduser()
        if not path.is_file():
            raise SubmitError(f"{path}: no such file (pass an array, or the path of a file)")
        content = path.read_bytes()
        if spec is not None and spec.kind != "policy":  # a policy: the service checks it
            try:
                parse_submission(content, spec, filename=path.name)
            except SubmissionError as e:
                raise SubmissionRejected(f"{path.name}: {e}") from None
        return content, path.name
    if spec is not None and spec.kind == "policy":
        raise SubmissionRejected(
            "this homework takes a TorchScript file: torch.jit.save(torch.jit.script(policy), "
            '"policy.pt"), then practicum.submit(homework_id, "policy.pt")'
        )
    spec = spec or _guess_spec(predictions)
    try:
        return to_file_bytes(parse_predictions(predictions, spec), spec)
    except SubmissionError as e:
        raise SubmissionRejected(str(e)) from None


def _guess_spec(predictions: object) -> SubmissionSpec:
    """Without the service's spec: the format the predictions' own type implies. Range and
    length are left to the service."""
    if isinstance(predictions, list | tuple) and predictions and not _is_number(predictions[0]):
        return SubmissionSpec("tokens", n_items=len(predictions))
    try:
        array = np.asarray(predictions)
    except (ValueError, TypeError, RuntimeError) as e:
        raise SubmissionRejected(f"predictions are not an array: {str(e)[:200]}") from None
    if array.ndim == 1 and array.size and array.dtype.kind in "biu":
        n_classes = max(int(array.max()) + 1, 1)
        return SubmissionSpec("labels", n_items=array.size, n_classes=n_classes)
    if array.ndim == 1 and array.size and array.dtype.kind == "f":
        return SubmissionSpec("regression", n_items=array.size)
    raise SubmissionRejected(
        f"cannot tell how to upload predictions of shape {array.shape} and dtype {array.dtype} "
        "(the service did not describe this homework); save them in the homework's format "
        "and pass the file's path"
    )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.number)


def _has_request(error: httpx.TransportError) -> bool:
    try:
        error.request  # noqa: B018 - httpx raises RuntimeError when no request is attached
    except RuntimeError:
        return False
    return True


def _unreachable(
    failed: str, error: Exception, base: str, homework_id: str, predictions: Predictions
) -> ServiceUnreachable:
    """Name the address that failed, and leave the student a file to upload by hand."""
    reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if isinstance(predictions, str | os.PathLike):
        saved: Path | None = Path(predictions)
    else:
        saved = _save_for_upload(homework_id, predictions)
    upload = (
        f"upload {saved} by hand on the homework page of {base}"
        if saved
        else f"save your predictions as the homework's submission file and upload it on {base}"
    )
    return ServiceUnreachable(f"could not reach {failed} ({reason}); {upload}")


def _save_for_upload(homework_id: str, predictions: Predictions) -> Path | None:
    try:
        content, filename = _prepare(predictions, None)
    except SubmitError:
        return None
    path = Path.cwd() / f"{homework_id}-{filename}"
    try:
        with atomic_open(path, "wb") as handle:
            handle.write(content)
    except OSError:
        return None
    return path


def _read_answer(
    response: httpx.Response, homework_id: str, base: str, *, hub_token: bool = False
) -> SubmitResult:
    body = _json(response)
    detail = _detail(body, response)
    code = response.status_code
    if code == 200 and isinstance(body, dict):
        try:
            return _result(body)
        except (KeyError, ValueError, TypeError) as e:
            raise SubmitError(
                f"the course site sent an answer this client cannot read ({e!r})"
            ) from None
    if code == 422:
        raise SubmissionRejected(f"submission rejected: {detail}")
    if code == 429:
        resets_at = _moment(body.get("resets_at") if isinstance(body, dict) else None)
        tz = body.get("timezone") if isinstance(body, dict) else None
        when = f"; next submission possible at {_clock(resets_at, tz)}" if resets_at else ""
        raise SubmitLimitReached(f"{detail}{when}", resets_at)
    if code == 401:
        raise SubmitError(
            f"the course site refused the token (401): set {TOKEN_ENVS[0]} to a current token "
            "from your account page"
            + (
                f" (the token used was this server's {HUB_TOKEN_ENV}: restart the server "
                "from the course dashboard to get a fresh one)"
                if hub_token
                else ""
            )
        )
    if code == 404:
        raise SubmitError(f"homework {homework_id} was not found on {base} (404): {detail}")
    if code == 413:
        raise SubmissionRejected(f"file too large (413): {detail}")
    raise SubmitError(f"the course site answered {code}: {detail}")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _detail(body: Any, response: httpx.Response) -> str:
    detail = body.get("detail") if isinstance(body, dict) else None
    return str(detail)[:500] if detail else response.reason_phrase or "no detail"


def _result(body: dict[str, Any]) -> SubmitResult:
    def optional(key: str, kind: type[int] | type[float]) -> Any:
        value = body.get(key)
        return None if value is None else kind(value)

    return SubmitResult(
        submission_id=int(body["submission_id"]),
        public_score=optional("public_score", float),
        rank=optional("rank", int),
        remaining_today=optional("remaining_today", int),
        resets_at=_moment(body.get("resets_at")),
        status=str(body.get("status") or "scored"),
        late_note=body.get("late_note") or None,
        n_ranked=optional("n_ranked", int),
        timezone=body.get("timezone") or None,
        signature=body.get("signature") or None,
    )


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _clock(moment: datetime, timezone: str | None) -> str:
    """ "00:00 JST" in the course's zone when known, else the time with its UTC offset."""
    if timezone:
        try:
            return f"{moment.astimezone(ZoneInfo(timezone)):%H:%M %Z}"
        except (ZoneInfoNotFoundError, ValueError):
            pass
    offset = moment.strftime("%z")
    return f"{moment:%H:%M} UTC{offset[:3]}:{offset[3:]}" if offset else f"{moment:%H:%M}"
