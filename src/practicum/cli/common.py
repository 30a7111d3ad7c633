"""What every command shares: the consoles, one way to turn errors a user can fix into one
red line (exit status 1), the course database the staff commands work on, and lookups."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from practicum import settings, store
from practicum.course import CourseError
from practicum.coursework.withheld import ReferenceWithheld
from practicum.data.errors import DataError
from practicum.service.answers import AnswerCorrupt, NotPublished
from practicum.service.homework_data import PublishError
from practicum.settings.service import ServiceConfig

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)
T = TypeVar("T")

USER_ERRORS = (
    DataError,
    CourseError,
    store.StoreError,
    PublishError,
    NotPublished,
    AnswerCorrupt,
    ReferenceWithheld,
    ValueError,
    OSError,
)
"""Errors whose message tells the user what to fix: shown as one line, not a traceback."""


def fail(message: str) -> typer.Exit:
    """Print one red error line; raise what this returns."""
    err.print(f"[red]error:[/red] {message}", soft_wrap=True)
    return typer.Exit(1)


def one_line(action: Callable[[], T]) -> T:
    """Run `action`; an error the user can fix becomes one red line and exit status 1."""
    try:
        return action()
    except USER_ERRORS as exc:
        raise fail(str(exc)) from None


def with_engine(action: Callable[[ServiceConfig, Engine], T]) -> T:
    """Run `action` on the course's database (migrated first, so a fresh state folder
    just works), as one_line does."""

    def run() -> T:
        config = settings.course_state()
        store.upgrade(config.database_url)
        engine = store.make_engine(config.database_url)
        try:
            return action(config, engine)
        finally:
            engine.dispose()

    return one_line(run)


def with_session(action: Callable[[Session], T], *, read_only: bool = False) -> T:
    """`action` in one transaction on the course's database."""

    def run(_config: ServiceConfig, engine: Engine) -> T:
        with store.session_scope(engine, read_only=read_only) as session:
            return action(session)

    return with_engine(run)


def user_named(session: Session, name: str) -> store.User:
    user = session.scalar(select(store.User).where(store.User.name == name.lower()))
    if user is None:
        raise store.StoreError(f"no user {name!r} (see: practicum users list)")
    return user


def when(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M %Z}"


@contextmanager
def progress(label: str) -> Iterator[Callable[[int, int | None], None]]:
    """A progress bar on stderr for long work; yields `update(done, total)`."""
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update
