"""`practicum notebooks build`: each lesson notebook as a full and an exercise variant."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from practicum.cli.common import console, one_line

app = typer.Typer(help="Build the lesson notebooks (full and exercise).", no_args_is_help=True)


@app.command("build")
def notebooks_build(
    src: Annotated[Path, typer.Option(help="Folder of jupytext sources.")] = Path("notebooks"),
    out: Annotated[Path, typer.Option(help="Output folder (full/ and exercise/).")] = Path(
        "notebooks/build"
    ),
) -> None:
    """Build each lesson notebook twice: full, and exercise (solutions replaced by stubs)."""
    from practicum.notebook_build import build_all

    written = one_line(lambda: build_all(src, out))
    console.print(f"built {len(written)} notebooks under {out}")
