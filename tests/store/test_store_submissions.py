from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from store_helpers import DAY_END, DAY_START, NOON, Submit

from practicum.store import (
    DailyLimitReached,
    FileStore,
    StoredFile,
    Submission,
    UnknownHomework,
    User,
    gc_blobs,
    session_scope,
    submissions_for,
)


def _count(session: Session, model: type[Submission] | type[StoredFile]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_recorded_submission_keeps_its_file_scores_and_utc_time(
    engine: Engine, store: FileStore, users: dict[str, int], submit: Submit
) -> None:
    tokyo = NOON.astimezone(ZoneInfo("Asia/Tokyo"))
    with session_scope(engine) as session:
        ann = session.get_one(User, users["ann"])
        submit(session, ann, content=b"a,b\n", created_at=tokyo, score=0.75, filename="x.csv")
    with session_scope(engine) as session:
        (row,) = submissions_for(session, "hw1", users["ann"])
        assert (row.public_score, row.filename, row.status, row.picked) == (
            0.75,
            "x.csv",
            "scored",
            False,
        )
        assert row.created_at == NOON and row.created_at.utcoffset() == timedelta(0)
        assert store.read(row.file_sha256) == b"a,b\n"
        assert session.get_one(StoredFile, row.file_sha256).size == 4


REFUSE_SUBMISSIONS = {
    "sqlite": [
        "CREATE TRIGGER refuse BEFORE INSERT ON submissions "
        "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RAISE EXCEPTION 'disk I/O error'; END $$",
        "CREATE TRIGGER refuse BEFORE INSERT ON submissions FOR EACH ROW EXECUTE FUNCTION refuse()",
    ],
}
"""A trigger that fails every insert into submissions, as a full disk would."""


def test_a_failing_insert_leaves_no_row_and_a_collectable_blob(
    engine: Engine, store: FileStore, users: dict[str, int], submit: Submit
) -> None:
    with engine.begin() as conn:  # the database refuses the row after the blob is written
        for statement in REFUSE_SUBMISSIONS[engine.dialect.name]:
            conn.exec_driver_sql(statement)
    with pytest.raises(DBAPIError, match="disk I/O error"), session_scope(engine) as session:
        submit(session, session.get_one(User, users["ann"]), content=b"orphan")
    (orphan,) = store.digests()
    with session_scope(engine) as session:
        assert _count(session, Submission) == 0 and _count(session, StoredFile) == 0
        assert gc_blobs(session, store, min_age=timedelta(0)) == [orphan]
    assert list(store.digests()) == []


def test_a_failing_blob_write_records_nothing(
    engine: Engine,
    store: FileStore,
    users: dict[str, int],
    submit: Submit,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def disk_full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"), session_scope(engine) as session:
        submit(session, session.get_one(User, users["ann"]))
    monkeypatch.undo()
    with session_scope(engine) as session:
        assert _count(session, Submission) == 0 and _count(session, StoredFile) == 0
    assert [p for p in Path(store.root).rglob("*") if p.is_file()] == []


def test_unknown_homework_and_bad_arguments_are_refused(
    engine: Engine, users: dict[str, int], submit: Submit
) -> None:
    with session_scope(engine) as session:
        ann = session.get_one(User, users["ann"])
        with pytest.raises(UnknownHomework, match="'hw9' is not published"):
            submit(session, ann, homework_id="hw9")
        with pytest.raises(ValueError, match="status must be one of"):
            submit(session, ann, status="pending")
        with pytest.raises(ValueError, match="must be finite"):
            submit(session, ann, score=float("nan"))
        with pytest.raises(ValueError, match="outside the daily window"):
            submit(session, ann, created_at=DAY_END)
        with pytest.raises(ValueError, match="created_at 2026-12-01T12:00:00 is naive"):
            submit(
                session,
                ann,
                created_at=NOON.replace(tzinfo=None),
                day_start=NOON.replace(tzinfo=None),
                day_end=DAY_END.replace(tzinfo=None),
            )


def test_the_daily_limit_counts_only_this_user_homework_and_day(
    engine: Engine, users: dict[str, int], submit: Submit
) -> None:
    with session_scope(engine) as session:
        ann = session.get_one(User, users["ann"])
        bob = session.get_one(User, users["bob"])
        submit(
            session,
            ann,
            created_at=DAY_START - timedelta(seconds=1),
            day_start=DAY_START - timedelta(days=1),
            day_end=DAY_START,
        )
        for minute in range(2):
            submit(session, ann, created_at=DAY_START + timedelta(minutes=minute), daily_limit=2)
        with pytest.raises(DailyLimitReached) as refused:
            submit(session, ann, daily_limit=2)
        assert refused.value.resets_at == DAY_END
        assert "daily limit of 2" in str(refused.value) and "2026-12-02T00:00:00+00:00" in str(
            refused.value
        )
        submit(session, bob, daily_limit=2)
        submit(session, ann, homework_id="hw2", daily_limit=2)
        submit(
            session,
            ann,
            created_at=DAY_END,
            day_start=DAY_END,
            day_end=DAY_END + timedelta(days=1),
            daily_limit=2,
        )


def test_a_day_in_the_courses_time_zone_is_counted_correctly(
    engine: Engine, users: dict[str, int], submit: Submit
) -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    day_start = datetime(2026, 12, 2, tzinfo=tokyo)  # 2026-12-01 15:00 UTC
    window = {"day_start": day_start, "day_end": day_start + timedelta(days=1), "daily_limit": 1}
    with session_scope(engine) as session:
        ann = session.get_one(User, users["ann"])
        yesterday = day_start - timedelta(seconds=1)
        submit(session, ann, created_at=yesterday, day_start=yesterday - timedelta(hours=1))
        submit(session, ann, created_at=day_start.astimezone(UTC), **window)
        with pytest.raises(DailyLimitReached):
            submit(session, ann, created_at=day_start + timedelta(hours=23), **window)


def test_concurrent_clients_never_exceed_the_daily_limit(
    engine: Engine, users: dict[str, int], submit: Submit
) -> None:
    clients, limit = 20, 5
    barrier = threading.Barrier(clients)
    outcomes: list[str] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        barrier.wait()
        try:
            with session_scope(engine) as session:
                ann = session.get_one(User, users["ann"])
                submit(
                    session,
                    ann,
                    content=f"{i % 3}".encode(),
                    daily_limit=limit,
                    created_at=NOON + timedelta(seconds=i),
                )
            outcome = "recorded"
        except DailyLimitReached:
            outcome = "limited"
        except Exception as exc:  # anything else is a bug the assertion below shows
            outcome = repr(exc)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["limited"] * (clients - limit) + ["recorded"] * limit
    with session_scope(engine) as session:
        assert len(submissions_for(session, "hw1", users["ann"])) == limit
        assert _count(session, StoredFile) == len(
            {s.file_sha256 for s in submissions_for(session, "hw1")}
        )
