"""App factories for `service_load.py`, so that a candidate fix can be measured from
outside before anyone changes the service.

    uvicorn --factory service_load_variants:as_is   (benchmarks/ on PYTHONPATH)

`as_is`: `create_app()` untouched (what `practicum serve` runs). The two fixes measured this
way on 2026-11-29 (writers queued in the event loop; a vectorised reader for plain
`id,label` files) are now part of the service: see BENCHMARKS.md.
"""

from __future__ import annotations

from fastapi import FastAPI

from practicum.web import create_app


def as_is() -> FastAPI:
    return create_app()


VARIANTS = ("as_is",)
