"""`practicum data ...`: the catalog, and the cache every lesson loads from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from practicum import settings
from practicum.cli.common import console, err, one_line, progress
from practicum.data import catalog, manage

app = typer.Typer(
    help="The data catalog: list, inspect, fetch, import, verify.", no_args_is_help=True
)


@app.command("list")
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


@app.command("info")
def data_info(
    name: Annotated[str, typer.Argument(help="Data set name, e.g. fashion-mnist.")],
) -> None:
    """Description, official files (sha256, size, URLs), license and citation."""
    ds = one_line(lambda: catalog.get(name))
    console.print(f"[bold]{ds.title}[/bold] ({ds.name})\n{ds.description}\n")
    console.print(f"homepage: {ds.homepage}\nlicense:  {ds.license}\ncitation: {ds.citation}\n")
    console.print("[bold]official files[/bold] (full URLs, to fetch by hand if need be):")
    for f in ds.files:
        size = f"{f.size:,} bytes" if f.size else "size unknown"
        console.print(f"  [bold]{f.name}[/bold]  ({', '.join(f.splits) or 'all splits'}; {size})")
        console.print(f"    sha256 {f.sha256 or '(unknown: checked by format only)'}")
        if f.content_sha256:
            console.print(f"    gunzip {f.content_sha256}", highlight=False)
        for url in f.urls:
            console.print(f"    {url}", soft_wrap=True, highlight=False)
    if any(f.content_sha256 for f in ds.files):
        console.print("gunzip: sha256 of the decompressed file; a copy gzipped again is accepted")
    for fmt in ds.other_formats:
        console.print(f"also imports: {fmt}")
    for s in manage.status(name):
        console.print(f"{s.split}: {s.state}" + (f" ({s.items:,} items)" if s.items else ""))


@app.command("fetch")
def data_fetch(
    name: str,
    split: Annotated[list[str] | None, typer.Option(help="Only these splits.")] = None,
) -> None:
    """Download the official files (resumable, checksummed) and import them into the cache."""
    splits = one_line(lambda: manage.fetch(name, splits=split))
    console.print(f"[green]cached[/green] {name}: {', '.join(splits)}")


@app.command("import")
def data_import(
    name: str,
    paths: Annotated[list[Path], typer.Argument(help="Source files or folders.")],
    unverified: Annotated[
        bool,
        typer.Option(help="Accept files whose sha256 differs from the official one (marked so)."),
    ] = False,
) -> None:
    """Import files you already have (official files, or a class-per-folder image archive)."""
    with progress(f"importing {name}") as update:
        splits = one_line(
            lambda: manage.import_files(name, paths, verify=not unverified, progress=update)
        )
    for s in manage.status(name):
        if s.split in splits:
            console.print(f"[green]{s.state}[/green] {name}/{s.split}: {s.items:,} items")


@app.command("verify")
def data_verify(
    name: Annotated[str | None, typer.Argument(help="Data set (default: all cached).")] = None,
) -> None:
    """Re-hash the cached arrays against their manifests."""
    names = [name] if name else list(catalog.CATALOG)
    problems = [p for n in names for p in one_line(lambda n=n: manage.verify(n))]  # type: ignore[misc]
    for p in problems:
        err.print(f"[red]bad:[/red] {p}")
    if problems:
        raise typer.Exit(1)
    console.print("[green]ok[/green]: cached arrays match their manifests")
