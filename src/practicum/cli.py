"""The one `practicum` command. Thin: parses arguments, shows progress, calls the modules."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from practicum import __version__, settings
from practicum.cli_hub import credits_app, up
from practicum.cli_service import db_app, homework_app, tokens_app, users_app
from practicum.data import catalog, manage
from practicum.data.errors import DataError

app = typer.Typer(
    help="Practicum: a hands-on deep learning course. Data, lessons, notebooks.",
    no_args_is_help=True,
    add_completion=False,
)
data_app = typer.Typer(
    help="The data catalog: list, inspect, fetch, import, verify.", no_args_is_help=True
)
lesson_app = typer.Typer(help="Lessons and their homework references.", no_args_is_help=True)
notebooks_app = typer.Typer(
    help="Build the lesson notebooks (full and exercise).", no_args_is_help=True
)
app.add_typer(data_app, name="data")
app.add_typer(lesson_app, name="lesson")
app.add_typer(notebooks_app, name="notebooks")
app.add_typer(homework_app, name="homework")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(db_app, name="db")
app.add_typer(credits_app, name="credits")
app.command("up")(up)

console = Console()
err = Console(stderr=True)
T = TypeVar("T")


def _run(action: Callable[[], T]) -> T:
    """Turn the errors users can fix into one red line and exit status 1."""
    try:
        return action()
    except (DataError, ValueError, FileNotFoundError) as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int | None], None]]:
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


@app.callback(invoke_without_command=True)
def main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        console.print(f"practicum {__version__}")
        raise typer.Exit()


@data_app.command("list")
def data_list() -> None:
    """All data sets of the course, and where each split stands (cached, on system, missing)."""
    table = Table("name", "title", "splits")
    for name, ds in catalog.CATALOG.items():
        cells = []
        for s in manage.status(name):
            colour = {"missing": "red", "on system": "yellow"}.get(s.state, "green")
            items = f" {s.items:,}" if s.items is not None else ""
            cells.append(f"{s.split}: [{colour}]{s.state}[/{colour}]{items}")
        table.add_row(name, ds.title, "\n".join(cells))
    console.print(table)
    console.print(f"cache: {settings.data_home()}")


@data_app.command("info")
def data_info(
    name: Annotated[str, typer.Argument(help="Data set name, e.g. fashion-mnist.")],
) -> None:
    """Description, official files (sha256, size, URLs), license and citation."""
    ds = _run(lambda: catalog.get(name))
    console.print(f"[bold]{ds.title}[/bold] ({ds.name})\n{ds.description}\n")
    console.print(f"homepage: {ds.homepage}\nlicense:  {ds.license}\ncitation: {ds.citation}\n")
    console.print("[bold]official files[/bold] (full URLs, to fetch by hand if need be):")
    for f in ds.files:
        size = f"{f.size:,} bytes" if f.size else "size unknown"
        console.print(f"  [bold]{f.name}[/bold]  ({', '.join(f.splits) or 'all splits'}; {size})")
        console.print(f"    sha256 {f.sha256 or '(unknown: checked by format only)'}")
        for url in f.urls:
            console.print(f"    {url}", soft_wrap=True, highlight=False)
    for fmt in ds.other_formats:
        console.print(f"also imports: {fmt}")
    for s in manage.status(name):
        console.print(f"{s.split}: {s.state}" + (f" ({s.items:,} items)" if s.items else ""))


@data_app.command("fetch")
def data_fetch(
    name: str,
    split: Annotated[list[str] | None, typer.Option(help="Only these splits.")] = None,
) -> None:
    """Download the official files (resumable, checksummed) and import them into the cache."""
    splits = _run(lambda: manage.fetch(name, splits=split))
    console.print(f"[green]cached[/green] {name}: {', '.join(splits)}")


@data_app.command("import")
def data_import(
    name: str,
    paths: Annotated[list[Path], typer.Argument(help="Source files or folders.")],
    unverified: Annotated[
        bool,
        typer.Option(help="Accept files whose sha256 differs from the official one (marked so)."),
    ] = False,
) -> None:
    """Import files you already have (official files, or a class-per-folder image archive)."""
    with _progress(f"importing {name}") as update:
        splits = _run(
            lambda: manage.import_files(name, paths, verify=not unverified, progress=update)
        )
    for s in manage.status(name):
        if s.split in splits:
            console.print(f"[green]{s.state}[/green] {name}/{s.split}: {s.items:,} items")


@data_app.command("verify")
def data_verify(
    name: Annotated[str | None, typer.Argument(help="Data set (default: all cached).")] = None,
) -> None:
    """Re-hash the cached arrays against their manifests."""
    names = [name] if name else list(catalog.CATALOG)
    problems = [p for n in names for p in _run(lambda n=n: manage.verify(n))]  # type: ignore[misc]
    for p in problems:
        err.print(f"[red]bad:[/red] {p}")
    if problems:
        raise typer.Exit(1)
    console.print("[green]ok[/green]: cached arrays match their manifests")


@lesson_app.command("homework")
def lesson_homework(
    lesson: Annotated[int, typer.Argument(help="Lesson number.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the submission.")] = Path(
        "submission.csv"
    ),
    x_test: Annotated[
        Path | None,
        typer.Option("--x-test", help="Test inputs (.npy); default: official test split."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    budget_minutes: Annotated[
        float | None,
        typer.Option(
            "--budget-minutes",
            help="Compute budget, for references with presets (lesson 2): the recipe that fits.",
            min=0.1,
        ),
    ] = None,
) -> None:
    """Train the lesson's reference solution and write predictions for x_test."""
    from practicum.lessons.registry import run_homework

    result = _run(
        lambda: run_homework(lesson, out, x_test=x_test, seed=seed, budget_minutes=budget_minutes)
    )
    console.print(f"wrote {result.path} ({result.rows:,} rows) in {result.seconds:.0f} s")
    if result.score is not None:
        console.print(
            f"{result.reference.dataset} {result.reference.test_split} "
            f"{result.reference.metric_name}: [bold]{result.score:.4f}[/bold] "
            f"(target {result.reference.target})"
        )


@lesson_app.command("list")
def lesson_list() -> None:
    """Lessons available, with their homework."""
    from practicum.lessons.registry import HOMEWORK

    table = Table("lesson", "homework", "data", "metric", "target")
    for n, ref in sorted(HOMEWORK.items()):
        table.add_row(str(n), ref.title, ref.dataset, ref.metric_name, str(ref.target))
    console.print(table)


@notebooks_app.command("build")
def notebooks_build(
    src: Annotated[Path, typer.Option(help="Folder of jupytext sources.")] = Path("notebooks"),
    out: Annotated[Path, typer.Option(help="Output folder (full/ and exercise/).")] = Path(
        "notebooks/build"
    ),
) -> None:
    """Build each lesson notebook twice: full, and exercise (solutions replaced by stubs)."""
    from practicum.notebook_build import build_all

    written = _run(lambda: build_all(src, out))
    console.print(f"built {len(written)} notebooks under {out}")


@app.command("serve")
def serve(
    standalone: Annotated[
        bool,
        typer.Option(
            "--standalone/--hub",
            help="Local accounts (development, tests); --hub: as a JupyterHub service "
            "(`practicum up` starts it so; the hub logs people in).",
        ),
    ] = True,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Run the course service: homework pages, submissions, leaderboards, staff pages; with
    --hub also credits, notebook servers and the GPU queue."""
    import uvicorn

    from practicum.cli_state import course_config
    from practicum.course import CourseError
    from practicum.hub.settings import load_settings, settings_path
    from practicum.web.app import create_app
    from practicum.web.hub_mode import HubModeError, hub_mode_from_env

    config = course_config()
    try:
        hub = None if standalone else hub_mode_from_env(load_settings(settings_path()))
        app_ = create_app(config, hub=hub)  # migrates the database and reads the course once
    except (HubModeError, CourseError) as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    where = f"http://{host}:{port}{hub.prefix if hub else ''}/"
    console.print(f"course service on {where}  (state: {config.state})")
    uvicorn.run(app_, host=host, port=port, log_level="info")


if __name__ == "__main__":
    app()
