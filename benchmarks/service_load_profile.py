"""Where a submission's time goes, two ways, for `service_load.py`.

`breakdown`: the stages of `submissions.submit`, timed in process by wrapping the functions
it calls (no profiler overhead to skew a Python-heavy stage such as the CSV parser).
`start_profiler` + `profile_breakdown`: py-spy on the live server, idle threads included,
with each sample named by the first stage found in its stack, so that waiting for SQLite's
write lock or for a pooled connection shows up next to the work.
"""

from __future__ import annotations

import collections
import contextlib
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar
from unittest import mock

import numpy as np
from service_load_state import HOMEWORK, Upload, make_state, make_uploads

from practicum import store
from practicum.grading import submission
from practicum.grading.submission import Parsed, SubmissionSpec, parse_submission
from practicum.service import boards, submissions
from practicum.service.answers import load_answer, submission_spec

P = ParamSpec("P")
T = TypeVar("T")
PY_SPY_RATE = 100
"""Samples a second per thread."""


def _timed(name: str, fn: Callable[P, T], spent: dict[str, list[float]]) -> Callable[P, T]:
    def timed(*args: P.args, **kwargs: P.kwargs) -> T:
        began = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name].append(time.perf_counter() - began)

    return timed


STAGES: list[tuple[str, object, str]] = [
    ("load_answer: read + verify the hidden labels", submissions, "load_answer"),
    ("parse_submission: CSV -> array", submissions, "parse_submission"),
    ("score", submissions, "score"),
    ("allowance: today's count", submissions, "allowance"),
    ("record_submission: blob + SQL", store, "record_submission"),
    ("  of which FileStore.put (blob write)", store.FileStore, "put"),
    ("leaderboard (for the rank)", boards, "leaderboard"),
]
"""The stages of `submissions.submit`, timed by wrapping the names it calls."""
OUTER = (
    "request in all (one write transaction)",
    "user_for_token (BEGIN IMMEDIATE)",
    "submissions.submit",
    "commit",
)


def breakdown(rows: int, students: int, scratch: Path) -> None:
    """Stage timings of in-process submits, each in its own write transaction as the API
    runs it, after `students` - 20 earlier ones so the leaderboard has its real size."""
    state = make_state(scratch, n_items=rows, n_students=students, daily_limit=1000)
    config, course = state.config, state.config.course()
    engine = store.make_engine(config.database_url)
    files = store.FileStore(config.blob_dir)
    uploads = make_uploads(state, 0)
    tokens = list(state.tokens.values())
    spent: dict[str, list[float]] = collections.defaultdict(list)

    def one(i: int, upload: Upload) -> None:
        now = datetime.now(UTC)
        began = time.perf_counter()
        with store.session_scope(engine) as session:
            user = store.user_for_token(session, tokens[i], now=now)
            assert user is not None
            token_done = time.perf_counter()
            ctx = submissions.SubmitContext(session, files, config, course)
            request = submissions.SubmissionRequest(HOMEWORK, user, upload.content, "s.csv", now)
            submissions.submit(ctx, request)
            submit_done = time.perf_counter()
        ended = time.perf_counter()
        for label, seconds in zip(
            OUTER,
            (ended - began, token_done - began, submit_done - token_done, ended - submit_done),
            strict=True,
        ):
            spent[label].append(seconds)

    warm = max(len(uploads) - 20, 0)
    for i, upload in enumerate(uploads[:warm]):
        one(i, upload)
    spent.clear()
    with contextlib.ExitStack() as patches:
        for label, owner, name in STAGES:
            wrapped = _timed(label, getattr(owner, name), spent)
            patches.enter_context(mock.patch.object(owner, name, wrapped))
        for i, upload in enumerate(uploads[warm:], start=warm):
            one(i, upload)
    engine.dispose()

    print(f"\nin-process submit of a {rows}-row CSV after {warm} others, ms per request:")
    inner = [label for label, _, _ in STAGES]
    for label in [*OUTER[:3], *inner, OUTER[3]]:
        ms = np.array(spent[label]) * 1000
        indent = "    " if label in inner else "  "
        print(
            f"{indent}{label:<48} {ms.sum() / len(spent[OUTER[0]]):7.2f}  (median {np.median(ms):.2f})"
        )
    compare_parsers(
        uploads[warm:],
        submission_spec(
            course.homework[HOMEWORK],
            load_answer(config, HOMEWORK),
            max_bytes=config.max_upload_bytes,
        ),
    )


def compare_parsers(uploads: list[Upload], spec: SubmissionSpec) -> None:
    """The shipped parser (vectorised for plain files) against its line-by-line reader."""
    ms: dict[str, float] = {}
    parsed: dict[str, list[list[int]]] = {}
    for parse in (parse_submission, _line_by_line):
        began = time.perf_counter()
        results = [parse(u.content, spec).values for u in uploads]
        ms[parse.__name__] = (time.perf_counter() - began) / len(uploads) * 1000
        parsed[parse.__name__] = [[] if r is None else r.tolist() for r in results]
    same = "same" if parsed["parse_submission"] == parsed["_line_by_line"] else "DIFFERENT"
    print(
        f"  CSV parse alone: parse_submission {ms['parse_submission']:.2f} ms, "
        f"line by line {ms['_line_by_line']:.2f} ms ({same} arrays)"
    )


def _line_by_line(raw: bytes, spec: SubmissionSpec) -> Parsed:
    """The parser with its vectorised path switched off, as it was before 2026-11-29."""
    plain = submission._plain_labels
    submission._plain_labels = lambda raw, spec: None
    try:
        return parse_submission(raw, spec)
    finally:
        submission._plain_labels = plain


RULES: list[tuple[str, tuple[str, ...]]] = [
    ("idle: worker thread waiting for work", ("Queue.get (queue.py",)),
    ("idle: event loop waiting for sockets", ("EpollSelector.select (selectors.py",)),
    ("waiting for SQLite's write lock (BEGIN IMMEDIATE)", ("_sqlite_begin (",)),
    ("waiting for a pooled connection (QueuePool)", ("QueuePool._do_get (",)),
    ("CSV parse", ("practicum/grading/submission.py",)),
    ("scoring", ("practicum/grading/scoring.py",)),
    ("hidden answers: load + verify", ("load_answer (",)),
    ("blob write", ("FileStore.put (",)),
    ("leaderboard for the rank", ("leaderboard (practicum/service/boards.py",)),
    ("daily allowance", ("allowance (practicum",)),
    ("record_submission SQL", ("record_submission (",)),
    ("token lookup", ("user_for_token (",)),
    ("commit", ("Session.commit (",)),
    ("multipart body", ("multipart", "formparsers")),
    ("HTTP (uvicorn, h11)", ("h11", "uvicorn/protocols")),
    ("response (validation, JSON)", ("serialize_response", "jsonable_encoder", "render (")),
]
"""Stack frame -> stage; the first rule with a matching frame names the sample."""


def _package(frame: str) -> str:
    """'Session.flush (sqlalchemy/orm/session.py:4000)' -> 'sqlalchemy'."""
    if " (" not in frame or not frame.endswith(")"):
        return "no Python frame"
    where = frame.rpartition(" (")[2].rstrip(")")
    return where.split("/", 1)[0] if "/" in where else where.split(".py", 1)[0]


def profile_breakdown(raw: Path) -> None:
    """Thread-seconds per stage from py-spy's collapsed stacks (every thread sampled)."""
    if not raw.exists():
        print(f"no profile at {raw}")
        return
    totals: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        label = next(
            (name for name, keys in RULES if any(k in f for f in frames for k in keys)), None
        )
        totals[label or f"other: {_package(frames[-1])}"] += int(count)
    busy = sum(v for k, v in totals.items() if not k.startswith("idle"))
    print(f"\nserver profile {raw.name}: thread-seconds (share of non-idle)")
    rest = 0
    for label, samples in totals.most_common():
        if label.startswith("idle") or samples >= 0.01 * busy:
            share = "" if label.startswith("idle") else f"{samples / busy:6.1%}"
            print(f"  {samples / PY_SPY_RATE:8.1f} s {share:>7}  {label}")
        else:
            rest += samples
    print(f"  {rest / PY_SPY_RATE:8.1f} s {rest / max(busy, 1):6.1%}  the rest (each under 1%)")


def start_profiler(pid: int, out: Path, log: Path) -> subprocess.Popen[bytes]:
    """py-spy on the running server, idle threads included: time spent waiting for
    SQLite's write lock is sleep, which a CPU-only profile would not show."""
    py_spy = Path(sys.executable).with_name("py-spy")
    if not py_spy.exists():
        sys.exit(f"--profile needs py-spy: {sys.executable} -m pip install py-spy")
    command = [str(py_spy), "record", "--pid", str(pid), "--idle", "--threads", "--nonblocking"]
    command += ["--subprocesses", "--rate", str(PY_SPY_RATE), "--format", "raw", "-o", str(out)]
    with log.open("wb") as sink:
        profiler = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    time.sleep(1.0)  # attached before the clients fire
    if profiler.poll() is not None:
        sys.exit(f"py-spy exited with {profiler.returncode}: {log.read_text()}")
    return profiler
