"""The one `practicum` command, a thin module per command group.

    data       the catalog and the cache            lesson     homework references
    notebooks  build the lesson notebooks           homework   publish course homework
    users      accounts                             tokens     API tokens for notebooks
    credits    balances and grants                  db         the database's schema
    serve      the course service                   up         the course on one machine

Each module parses arguments, shows progress and calls the modules that do the work;
`common` holds the one error-to-one-line wrapper and the lookups they share.
"""

from __future__ import annotations

from typing import Annotated

import typer

from practicum import __version__
from practicum.cli import credits, data, db, homework, lesson, notebooks, tokens, users
from practicum.cli.common import console
from practicum.cli.serve import serve
from practicum.cli.up import up

app = typer.Typer(
    help="Practicum: a hands-on deep learning course. Data, lessons, notebooks.",
    no_args_is_help=True,
    add_completion=False,
)
for group in (data, lesson, notebooks, homework, users, tokens, db, credits):
    app.add_typer(group.app, name=group.__name__.rsplit(".", 1)[-1])
app.command("serve")(serve)
app.command("up")(up)


@app.callback(invoke_without_command=True)
def main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        console.print(f"practicum {__version__}")
        raise typer.Exit()
