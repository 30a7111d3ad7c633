"""`practicum lesson ...`: lessons and their homework references (for learners on their own)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from practicum.cli.common import console, one_line

app = typer.Typer(help="Lessons and their homework references.", no_args_is_help=True)


@app.command("homework")
def lesson_homework(
    lesson: Annotated[int, typer.Argument(help="Lesson number.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the submission.")] = Path(
        "submission.csv"
    ),
    x_test: Annotated[
        Path | None,
        typer.Option(
            "--x-test",
            help="Test inputs (.npy; lesson 4: a text file, one tokenized English sentence "
            "a line; lesson 5: a folder of photos, captioned in file-name order; lesson 6: "
            "an .npy of the classes to draw, int64); default: the "
            "official test split.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    budget_minutes: Annotated[
        float | None,
        typer.Option(
            "--budget-minutes",
            help="Compute budget, for references with presets (lessons 2, 4, 5 and 6): the recipe "
            "that fits, trained for that long.",
            min=0.1,
        ),
    ] = None,
) -> None:
    """Train the lesson's reference solution and write predictions for x_test."""
    from practicum.coursework.registry import run_homework

    result = one_line(
        lambda: run_homework(lesson, out, x_test=x_test, seed=seed, budget_minutes=budget_minutes)
    )
    console.print(f"wrote {result.path} ({result.rows:,} rows) in {result.seconds:.0f} s")
    if result.score is not None:
        console.print(
            f"{result.reference.dataset} {result.reference.test_split} "
            f"{result.reference.metric_name}: [bold]{result.score:.4f}[/bold] "
            f"(target {result.reference.target})"
        )


@app.command("judge")
def lesson_judge(
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Train it again even if one is built.")
    ] = False,
) -> None:
    """Build the course's Fashion-MNIST classifier that scores generated images (Lesson 6)."""
    from practicum.grading import judge

    where = judge.path()
    if rebuild:
        where.unlink(missing_ok=True)
    if not where.exists():
        console.print(f"building the judge at {where} (a few minutes on 2 CPU cores)")
    built = one_line(judge.ensure)
    console.print(f"judge: {where}", soft_wrap=True)
    console.print(f"SHA-256 {built.sha256}", soft_wrap=True)
    console.print(
        f"accuracy on {len(built.holdout_rows):,} held-out training images "
        f"{built.holdout_accuracy:.4f}"
    )


@app.command("list")
def lesson_list() -> None:
    """Lessons available, with their homework."""
    from practicum.coursework.registry import HOMEWORK

    table = Table("lesson", "homework", "data", "metric", "target")
    for n, ref in sorted(HOMEWORK.items()):
        table.add_row(str(n), ref.title, ref.dataset, ref.metric_name, str(ref.target))
    console.print(table)
