"""`practicum homework ...`: publish course homework, see what is published, and play the
queued policies of policy homework (the worker; `serve` and `up` start it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine, func, select

from practicum import store
from practicum.cli.common import console, fail, when, with_engine
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
        shapes = (
            ", ".join(
                [*(f"{name} {shape}" for name, shape in result.shapes.items()), *result.files]
            )
            or "README.md only"
        )  # a policy homework: the service plays the games
        policy = config.course().homework[homework_id].submission == "policy"
        split = "kept the published split" if result.kept_split else "drew a new split"
        console.print(f"published {homework_id}: {shapes}")
        console.print(
            f"  {'games' if policy else 'test items'}: {result.n_items} ({result.public_count} public, "
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


@app.command("play-queue")
def homework_play_queue(
    once: Annotated[
        bool, typer.Option("--once", help="Play what is queued, then exit (default: keep polling).")
    ] = False,
) -> None:
    """Play queued policy submissions in the sandbox and record their scores (the worker:
    a process of its own, never the web service's; needs root and bubblewrap)."""
    import logging
    import signal
    import threading

    from practicum.service import policy_queue

    try:
        policy_queue.check_sandbox()
    except policy_queue.SandboxMissing as exc:
        raise fail(str(exc)) from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _signum, _frame: stop.set())

    def action(config: ServiceConfig, engine: Engine) -> None:
        worker = policy_queue.Worker(
            config, engine, store.FileStore(config.blob_dir), config.course()
        )
        what = "what is queued" if once else "queued policies until stopped"
        console.print(f"playing {what}, {config.policy_parallel} at a time")
        played = policy_queue.run(worker, once=once, stop=stop)
        console.print(f"played {played} polic{'y' if played == 1 else 'ies'}")

    with_engine(action)
