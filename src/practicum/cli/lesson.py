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
            "an .npy of the classes to draw, int64; lesson 7: none, the policy is played); "
            "default: the official test split.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    budget_minutes: Annotated[
        float | None,
        typer.Option(
            "--budget-minutes",
            help="Compute budget, for references with presets (lessons 2, 4, 5, 6 and 7): the recipe "
            "that fits, trained for that long.",
            min=0.1,
        ),
    ] = None,
) -> None:
    """Train the lesson's reference solution and write predictions for x_test (lesson 7:
    a policy, scored by playing it)."""
    if lesson == 7:
        _policy_homework(out, x_test, seed, budget_minutes)
        return
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


def _policy_homework(out: Path, x_test: Path | None, seed: int, minutes: float | None) -> None:
    """Lesson 7 has no test inputs: its reference trains PPO and plays 10 scored games."""
    from practicum.lessons.lesson7 import atari, evaluation, reference

    if x_test is not None:
        raise typer.BadParameter(
            "lesson 7 has no test inputs: the policy is played", param_hint="--x-test"
        )
    if out == Path("submission.csv"):  # the option's default, for the other lessons
        out = Path("policy.pt")
    result = one_line(
        lambda: reference.train_and_save(
            out, budget_minutes=minutes or reference.DEFAULT_BUDGET_MINUTES, seed=seed
        )
    )
    run = result.run
    console.print(
        f"wrote {result.path}: PPO for {run.seconds / 60:.1f} min, "
        f"{run.frames / 1e6:.2f}M frames, {len(run.games):,} training games"
    )
    if result.played is not None:
        scores = ", ".join(f"{s:g}" for s in result.played.scores)
        console.print(
            f"Breakout, {len(result.played.scores)} games by the service's protocol "
            f"(seed {evaluation.SEED}): mean [bold]{result.played.mean:.1f}[/bold] ({scores}); "
            f"human {atari.HUMAN_SCORE}"
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
    from practicum.lessons.lesson7 import atari

    table.add_row(
        "7",
        "Play Atari Breakout (a policy)",
        "ALE Breakout v5",
        "mean_return",
        str(atari.HUMAN_SCORE),
    )
    console.print(table)
