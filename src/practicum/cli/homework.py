"""`practicum homework ...`: publish course homework and see what is published."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine, func, select

from practicum import store
from practicum.cli.common import console, when, with_engine
from practicum.service.publish import publish
from practicum.settings.service import ServiceConfig

app = typer.Typer(help="Publish course homework and see what is published.", no_args_is_help=True)


@app.command("publish")
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
        shapes = ", ".join(
            [*(f"{name} {shape}" for name, shape in result.shapes.items()), *result.files]
        )
        split = "kept the published split" if result.kept_split else "drew a new split"
        console.print(f"published {homework_id}: {shapes}")
        console.print(
            f"  test items: {result.n_items} ({result.public_count} public, "
            f"{result.n_items - result.public_count} private); {split} "
            f"(digest {result.split_digest[:12]})"
        )
        console.print(f"  students read: {result.public_dir}")
        console.print(f"  hidden answers: {result.private_dir}")

    with_engine(action)


@app.command("list")
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
            status = f"published {when(at.astimezone(course.timezone))}" if at else "not published"
            deadline = when(hw.deadline.astimezone(course.timezone))
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

    with_engine(action)
