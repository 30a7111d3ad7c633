"""`practicum users ...`: the course's accounts, students and staff."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine, func, select

from practicum import store
from practicum.cli.common import console, fail, when, with_engine
from practicum.settings.service import ServiceConfig
from practicum.store.models import Role
from practicum.store.passwords import check_password

app = typer.Typer(help="Service accounts: students and staff.", no_args_is_help=True)


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


@app.command("add")
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
        raise fail("--no-password and --password-stdin exclude each other")

    def action(config: ServiceConfig, engine: Engine) -> None:
        password = None if no_password else _read_password(password_stdin)
        if password is not None:
            check_password(password, name)  # WeakPassword: one red line with the reason
        with store.session_scope(engine) as session:
            user = store.create_user(session, name, role, password)
            console.print(f"created {user.role} {user.name} (id {user.id})")

    with_engine(action)


@app.command("list")
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
                    user.name, user.role, password, str(tokens or 0), when(user.created_at)
                )
        console.print(table)

    with_engine(action)
