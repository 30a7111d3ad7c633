"""Many submissions at the same instant against a real server (uvicorn; SQLite, where
writers take turns, and PostgreSQL, where they run side by side): each is answered for what
it is, and the database holds exactly what the clients were told.

The first version of the service stalled here: above 40 requests in flight every worker
thread waited for SQLite's write lock or a pooled connection, and the lock holder waited
for a thread, until 30 s timeouts turned most answers into 500 (BENCHMARKS.md)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from db_backends import Databases
from sqlalchemy import func, select
from tiny_homework import DAILY_LIMIT, HW, Y_TEST, labels_csv, make_config
from web_helpers import Service, serve_live, tiny_course_state

from practicum import store
from practicum.web import create_app

CLIENTS = 80


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, databases: Databases) -> Iterator[Service]:
    """The web tests' service, on each database backend."""
    root = tmp_path_factory.mktemp("concurrent")
    config = make_config(root, database_url=databases.new(root / "state"))
    engine, tokens = tiny_course_state(config, "tests")
    yield Service(config, create_app(config), engine, store.FileStore(config.blob_dir), tokens)
    engine.dispose()


def test_simultaneous_api_submissions_are_all_answered_and_counted_once(service: Service) -> None:
    students = ["ann", "bob"]
    answers: list[httpx.Response] = []
    start = threading.Barrier(CLIENTS)

    def post(url: str, name: str) -> None:
        start.wait()
        answer = httpx.post(
            f"{url}/api/homework/{HW}/submissions",
            headers=service.bearer(name),
            files={"file": ("submission.csv", labels_csv(Y_TEST))},
            timeout=120,
        )
        answers.append(answer)

    with serve_live(service.app) as url:
        threads = [
            threading.Thread(target=post, args=(url, students[i % 2])) for i in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {200: 2 * DAILY_LIMIT, 429: CLIENTS - 2 * DAILY_LIMIT}, statuses
    told = {answer.json()["submission_id"] for answer in answers if answer.status_code == 200}
    with store.session_scope(service.engine, read_only=True) as session:
        stored = set(session.scalars(select(store.Submission.id)))
        per_user = dict(
            session.execute(
                select(store.Submission.user_id, func.count()).group_by(store.Submission.user_id)
            ).all()
        )
    assert stored == told
    assert sorted(per_user.values()) == [DAILY_LIMIT, DAILY_LIMIT]
