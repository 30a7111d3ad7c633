"""`practicum credits ...`: balances, history and grants, on the database the dashboard and
the metering loop use (the course service's, inside the hub's state folder)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from practicum import store
from practicum.cli.common import console, user_named, with_session
from practicum.compute.credits import format_credits, parse_credits
from practicum.store import credits as ledger

app = typer.Typer(
    help="Credits for notebook servers: balances, history, grants.", no_args_is_help=True
)


def _granting_staff(session: Session, name: str | None) -> store.User:
    if name is not None:
        return user_named(session, name)
    staff = list(session.scalars(select(store.User).where(store.User.role == "staff")))
    if len(staff) != 1:
        names = ", ".join(u.name for u in staff) or "none"
        raise store.StoreError(f"say who grants with --by NAME (staff accounts: {names})")
    return staff[0]


@app.command("list")
def credits_list(
    user: Annotated[
        str | None, typer.Option("--user", help="Show this user's history instead.")
    ] = None,
) -> None:
    """Every user's balance, or one user's history (newest first)."""

    def every_balance(session: Session) -> None:
        amounts = ledger.balances(session)
        table = Table("user", "role", "admitted", "balance")
        for person in session.scalars(select(store.User).order_by(store.User.name)):
            admitted = "yes" if person.admitted else "no"
            balance = format_credits(amounts.get(person.id, 0))
            table.add_row(person.name, person.role, admitted, balance)
        console.print(table)

    def one_history(session: Session) -> None:
        person = user_named(session, user or "")
        table = Table("when", "kind", "credits", "by", "why")
        for entry in ledger.history(session, person):
            table.add_row(
                f"{entry.created_at:%Y-%m-%d %H:%M %Z}",
                entry.kind,
                format_credits(entry.amount_mc),
                entry.actor,
                entry.reason,
            )
        console.print(table)
        console.print(
            f"{person.name}: balance {format_credits(ledger.balance_mc(session, person))}"
        )

    with_session(one_history if user else every_balance, read_only=True)


@app.command("grant")
def credits_grant(
    student: Annotated[str, typer.Argument(help="Who receives the credits.")],
    amount: Annotated[str, typer.Argument(help="Credits; to take some back: -- -2.5")],
    reason: Annotated[str, typer.Option("--reason", help="Why (shown in their history).")],
    by: Annotated[
        str | None, typer.Option("--by", help="Staff member granting (default: the only one).")
    ] = None,
) -> None:
    """Give a student credits (recorded with who and why)."""

    def grant(session: Session) -> None:
        receiver = user_named(session, student)
        giver = _granting_staff(session, by)
        amount_mc = parse_credits(amount)
        now = datetime.now(UTC)
        balance = ledger.staff_grant(session, giver, receiver, amount_mc, reason, now)
        console.print(
            f"{giver.name} granted {format_credits(amount_mc)} credits to {receiver.name}: "
            f"balance {format_credits(balance)}"
        )

    with_session(grant)
