"""The worker that plays queued policies: `practicum homework play-queue`, never the web.

A policy is code, and its games take minutes, so the web only checks the file and records
it as queued; this worker, a process of its own, takes queued policies oldest first
(`config.policy_parallel` at a time), plays each in the sandbox on the homework's hidden
game seeds, and writes its public, private and full scores (means over the public games,
the private ones, and all) or the failure's message. It never runs a policy outside the
sandbox: without root and bubblewrap it refuses to start.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

from practicum import store
from practicum.course import Course, Homework
from practicum.grading import policy_sandbox
from practicum.grading.scoring import Scores
from practicum.service.answers import Answer, load_answer
from practicum.service.homework_data import first_game_seed
from practicum.service.submissions import late_scores
from practicum.settings.service import ServiceConfig

POLL_SECONDS = 5.0
log = logging.getLogger(__name__)


class SandboxMissing(RuntimeError):
    """The sandbox cannot be entered here, so no policy may be played."""


def check_sandbox() -> None:
    """SandboxMissing saying why, unless submitted policies can be played in the sandbox."""
    if not policy_sandbox.sandbox_available():
        raise SandboxMissing(
            "submitted policies are played only in the sandbox, which needs root and "
            "bubblewrap (scripts/setup.sh installs it); queued policies stay queued"
        )


def play_limits(config: ServiceConfig) -> policy_sandbox.PlayLimits:
    wall = config.policy_wall_seconds
    return policy_sandbox.PlayLimits(
        wall_seconds=wall, memory_bytes=config.policy_memory_bytes, cpu_seconds=int(wall) + 60
    )


@dataclass(frozen=True)
class Worker:
    """What playing a submission needs, each play opening its own short transactions."""

    config: ServiceConfig
    engine: Engine
    files: store.FileStore
    course: Course

    def play(self, submission_id: int) -> str | None:
        """Play one queued submission and record the outcome; its new status, or None when
        it was not queued (any more). Problems of the service's own (hidden answers missing
        or damaged) raise and leave it queued."""
        with store.session_scope(self.engine, read_only=True) as db:
            row = db.get(store.Submission, submission_id)
            if row is None or row.status != "queued":
                return None
            record = db.get(store.Homework, row.homework_id)
            assert record is not None  # a submission's homework is a foreign key
            content = self.files.read(row.file_sha256)
            homework_id, created_at = row.homework_id, row.created_at
            higher_is_better = record.higher_is_better
        homework = self.course.homework[homework_id]
        answer = load_answer(self.config, homework_id)
        finished = self._outcome(content, answer, homework, higher_is_better, created_at)
        with store.session_scope(self.engine) as db:
            if not store.finish(db, submission_id, finished):
                return None
        return finished.status

    def _outcome(
        self,
        content: bytes,
        answer: Answer,
        homework: Homework,
        higher_is_better: bool,
        created_at: datetime,
    ) -> store.Finished:
        seed = first_game_seed(answer.y_test)
        with tempfile.TemporaryDirectory(prefix="practicum-queued-") as folder:
            path = Path(folder) / "policy.pt"
            path.write_bytes(content)
            try:
                played = policy_sandbox.play(
                    path,
                    episodes=len(answer.y_test),
                    seed=seed,
                    play_limits=play_limits(self.config),
                )
            except (policy_sandbox.PolicyRefused, policy_sandbox.PolicyFailed) as exc:
                return store.Finished("failed", message=str(exc))
        return late_scores(
            homework, higher_is_better, game_means(played.scores, answer), created_at
        )


def game_means(scores: tuple[float, ...], answer: Answer) -> Scores:
    """Mean score over the public games, the private ones, and all of them."""
    games = np.asarray(scores, dtype=np.float64)
    mask = answer.public_mask
    if games.shape != mask.shape:
        raise ValueError(f"{games.size} game scores for {mask.size} games")
    return Scores(
        public=float(games[mask].mean()),
        private=float(games[~mask].mean()),
        full=float(games.mean()),
    )


def run(worker: Worker, *, once: bool, stop: threading.Event | None = None) -> int:
    """Play queued policies oldest first until `stop` is set (with `once`: until none is
    queued); returns how many were played. Plays under way when `stop` is set finish first
    (each within its wall limit), so no sandbox is left running."""
    check_sandbox()
    stop = stop or threading.Event()
    parallel = worker.config.policy_parallel
    running: dict[Future[str | None], int] = {}
    skipped: set[int] = set()
    played = 0
    with ThreadPoolExecutor(parallel, thread_name_prefix="policy") as pool:
        while running or not stop.is_set():
            if not stop.is_set() and len(running) < parallel:
                for submission_id in _next(worker, parallel - len(running), running, skipped):
                    running[pool.submit(worker.play, submission_id)] = submission_id
            if not running:
                if once:
                    break
                stop.wait(POLL_SECONDS)
                continue
            done, _ = wait(running, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                submission_id = running.pop(future)
                played += _report(future, submission_id, skipped)
    return played


def _next(
    worker: Worker, free: int, running: dict[Future[str | None], int], skipped: set[int]
) -> list[int]:
    busy = set(running.values()) | skipped
    with store.session_scope(worker.engine, read_only=True) as db:
        queued = store.queued_policies(db, limit=free + len(busy))
    return [i for i in queued if i not in busy][:free]


def _report(future: Future[str | None], submission_id: int, skipped: set[int]) -> int:
    """Log how a play ended; 1 if it recorded an outcome. A submission the service could not
    play (its own fault) is skipped until the worker restarts."""
    try:
        status = future.result()
    except Exception:
        log.exception("submission %d could not be played; it stays queued", submission_id)
        skipped.add(submission_id)
        return 0
    if status is not None:
        log.info("submission %d: %s", submission_id, status)
    return int(status is not None)
