"""`practicum tokens ...`: API tokens, used by practicum.submit() from notebooks."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine

from practicum import store
from practicum.cli.common import console, err, user_named, when, with_engine
from practicum.settings.service import ServiceConfig

app = typer.Typer(
    help="API tokens, used by practicum.submit() from notebooks.", no_args_is_help=True
)


@app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "notebook",
) -> None:
    """Create an API token and print it; only its hash is kept, so it is shown only once."""

    def action(config: ServiceConfig, engine: Engine) -> None:
        with store.session_scope(engine) as session:
            user = user_named(session, name)
            token = store.create_token(session, user, label)
            token_id = max(t.id for t in store.tokens_for(session, user))
        console.print(f"token {token_id} for {name} ({label}):")
        console.print(token, soft_wrap=True)
        err.print(
            "[yellow]shown only once:[/yellow] store it now (e.g. PRACTICUM_TOKEN in the "
            f"notebook's environment); revoke it with: practicum tokens revoke {name} {token_id}",
            soft_wrap=True,
        )

    with_engine(action)


@app.command("list")
def tokens_list(
    name: Annotated[str, typer.Argument(help="The user whose tokens to list.")],
) -> None:
    """A user's tokens (ids and labels; the tokens themselves are not stored)."""

    def action(config: ServiceConfig, engine: Engine) -> None:
        table = Table("id", "label", "created", "last used", "revoked")
        with store.session_scope(engine, read_only=True) as session:
            for t in store.tokens_for(session, user_named(session, name)):
                table.add_row(
                    str(t.id),
                    t.label,
                    when(t.created_at),
                    when(t.last_used_at),
                    when(t.revoked_at),
                )
        console.print(table)

    with_engine(action)


@app.command("revoke")
def tokens_revoke(
    name: Annotated[str, typer.Argument(help="The token's user.")],
    token_id: Annotated[int, typer.Argument(help="The token's id (see: practicum tokens list).")],
) -> None:
    """Revoke one token at once; notebooks using it get 401 from then on."""

    def action(config: ServiceConfig, engine: Engine) -> None:
        with store.session_scope(engine) as session:
            if not store.revoke_token(session, user_named(session, name), token_id):
                raise store.StoreError(f"token {token_id} is not a live token of {name}")
        console.print(f"revoked token {token_id} of {name}")

    with_engine(action)
