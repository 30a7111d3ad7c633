"""Staff commands of the course service: `practicum homework|users|tokens|db ...`.

Thin: each command migrates the database (idempotent, so a fresh state folder just works),
calls one service or store function, and prints the outcome. Errors users can fix become
one red line and exit status 1.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from practicum import store
from practicum.cli_state import course_config
from practicum.course import CourseError
from practicum.data import DataError
from practicum.service.answers import AnswerCorrupt, NotPublished
from practicum.service.config import ServiceConfig
from practicum.service.publish import PublishError, publish
from practicum.store.models import Role

homework_app = typer.Typer(
    help="Publish course homework and see what is published.", no_args_is_help=True
)
users_app = typer.Typer(help="Service accounts: students and staff.", no_args_is_help=True)
tokens_app = typer.Typer(
    help="API tokens, used by practicum.submit() from notebooks.", no_args_is_help=True
)
db_app = typer.Typer(help="The service database.", no_args_is_help=True)

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)
T = TypeVar("T")

_USER_ERRORS = (
    store.StoreError,
    PublishError,
    NotPublished,
    AnswerCorrupt,
    DataError,
    CourseError,
    ValueError,
    FileNotFoundError,
)


def _run(action: Callable[[ServiceConfig, Engine], T]) -> T:
    """Migrate, run `action` with a fresh engine, and turn fixable errors into one line."""
    try:
        config = course_config()
        store.upgrade(config.database_url)
        engine = store.make_engine(config.database_url)
        try:
            return action(config, engine)
        finally:
            engine.dispose()
    except _USER_ERRORS as exc:
        err.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from None


def _user(session: Session, name: str) -> store.User:
    user = session.scalar(select(store.User).where(store.User.name == name))
    if user is None:
        raise store.StoreError(f"no user {name!r} (see: practicum users list)")
    return user


def _when(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M %Z}"


# ---------------------------------------------------------------------------------------------
# homework


@homework_app.command("publish")
def homework_publish(
    homework_id: Annotated[
        str, typer.Argument(help="Homework id from the course, e.g. lesson1-fashion-mnist.")
    ],
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Draw a new public/private split (only before any submission)."
        ),
    ] = False,
) -> None:
    """Write the public files for students and the hidden answers, and record the homework."""

    def action(config: ServiceConfig, engine: Engine) -> None:
        result = publish(config, engine, homework_id, now=datetime.now(UTC), force=force)
        shapes = ", ".join(f"{name} {shape}" for name, shape in result.shapes.items())
        split = "kept the published split" if result.kept_split else "drew a new split"
        console.print(f"published {homework_id}: {shapes}")
        console.print(
            f"  test items: {result.n_items} ({result.public_count} public, "
            f"{result.n_items - result.public_count} private); {split} "
            f"(digest {result.split_digest[:12]})"
        )
        console.print(f"  students read: {result.public_dir}")
        console.print(f"  hidden answers: {result.private_dir}")

    _run(action)


@homework_app.command("list")
def homework_list() -> None:
    """The course's homework, and which of them are published."""

    def action(config: ServiceConfig, engine: Engine) -> None:
        course = config.course()
        with store.session_scope(engine, read_only=True) as session:
            published = {
                hw_id: at
                for hw_id, at in session.execute(
                    select(store.Homework.id, store.Homework.published_at)
                )
            }
            counts = {
                hw_id: n
                for hw_id, n in session.execute(
                    select(store.Submission.homework_id, func.count()).group_by(
                        store.Submission.homework_id
                    )
                )
            }
        table = Table("id", "lesson", "title", "deadline", "status", "submissions")
        for hw in course.homework.values():
            at = published.get(hw.id)
            status = f"published {_when(at.astimezone(course.timezone))}" if at else "not published"
            deadline = _when(hw.deadline.astimezone(course.timezone))
            table.add_row(
                hw.id, str(hw.lesson), hw.title, deadline, status, str(counts.get(hw.id, 0))
            )
        for extra in sorted(set(published) - set(course.homework)):
            table.add_row(
                extra,
                "",
                "(not in the course any more)",
                "",
                "published",
                str(counts.get(extra, 0)),
            )
        console.print(table)

    _run(action)


# ---------------------------------------------------------------------------------------------
# users


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise ValueError(
            "empty password; pass --no-password for a user who only logs in via the hub"
        )
    return password


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name (for students: their GitHub login).")],
    role: Annotated[Role, typer.Option("--role", help="What the user may do.")] = "student",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="No password: the user logs in via the hub only.")
    ] = False,
) -> None:
    """Create a user; the password is prompted twice (hidden) unless given otherwise."""

    if no_password and password_stdin:
        err.print("[red]error:[/red] --no-password and --password-stdin exclude each other")
        raise typer.Exit(1)

    def action(config: ServiceConfig, engine: Engine) -> None:
        password = None if no_password else _read_password(password_stdin)
        with store.session_scope(engine) as session:
            user = store.create_user(session, name, role, password)
            console.print(f"created {user.role} {user.name} (id {user.id})")

    _run(action)


@users_app.command("list")
def users_list() -> None:
    """All users, with their role and how many live tokens they hold."""

    def action(config: ServiceConfig, engine: Engine) -> None:
        with store.session_scope(engine, read_only=True) as session:
            live = (
                select(store.ApiToken.user_id, func.count().label("n"))
                .where(store.ApiToken.revoked_at.is_(None))
                .group_by(store.ApiToken.user_id)
                .subquery()
            )
            rows = session.execute(
                select(store.User, live.c.n)
                .outerjoin(live, live.c.user_id == store.User.id)
                .order_by(store.User.name)
            )
            table = Table("name", "role", "password", "tokens", "created")
            for user, tokens in rows:
                password = "yes" if user.password_hash else "hub only"
                table.add_row(
                    user.name, user.role, password, str(tokens or 0), _when(user.created_at)
                )
        console.print(table)

    _run(action)


# ---------------------------------------------------------------------------------------------
# tokens


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "notebook",
) -> None:
    """Create an API token and print it; only its hash is kept, so it is shown only once."""

    def action(config: ServiceConfig, engine: Engine) -> None:
        with store.session_scope(engine) as session:
            user = _user(session, name)
            token = store.create_token(session, user, label)
            token_id = max(t.id for t in store.tokens_for(session, user))
        console.print(f"token {token_id} for {name} ({label}):")
        console.print(token, soft_wrap=True)
        err.print(
            "[yellow]shown only once:[/yellow] store it now (e.g. PRACTICUM_TOKEN in the "
            f"notebook's environment); revoke it with: practicum tokens revoke {name} {token_id}",
            soft_wrap=True,
        )

    _run(action)


@tokens_app.command("list")
def tokens_list(
    name: Annotated[str, typer.Argument(help="The user whose tokens to list.")],
) -> None:
    """A user's tokens (ids and labels; the tokens themselves are not stored)."""

    def action(config: ServiceConfig, engine: Engine) -> None:
        table = Table("id", "label", "created", "last used", "revoked")
        with store.session_scope(engine, read_only=True) as session:
            for t in store.tokens_for(session, _user(session, name)):
                table.add_row(
                    str(t.id),
                    t.label,
                    _when(t.created_at),
                    _when(t.last_used_at),
                    _when(t.revoked_at),
                )
        console.print(table)

    _run(action)


@tokens_app.command("revoke")
def tokens_revoke(
    name: Annotated[str, typer.Argument(help="The token's user.")],
    token_id: Annotated[int, typer.Argument(help="The token's id (see: practicum tokens list).")],
) -> None:
    """Revoke one token at once; notebooks using it get 401 from then on."""

    def action(config: ServiceConfig, engine: Engine) -> None:
        with store.session_scope(engine) as session:
            if not store.revoke_token(session, _user(session, name), token_id):
                raise store.StoreError(f"token {token_id} is not a live token of {name}")
        console.print(f"revoked token {token_id} of {name}")

    _run(action)


# ---------------------------------------------------------------------------------------------
# db


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the current schema (safe to run again)."""

    def action(config: ServiceConfig, engine: Engine) -> None:
        console.print(f"database is up to date: {engine.url.render_as_string(hide_password=True)}")

    _run(action)
