"""Lesson 3 airline reference: every model side by side on the real series.

    python benchmarks/lesson3_airline.py              # the test months: 1957-1960 and 1960
    python benchmarks/lesson3_airline.py --validate   # 1949-1956 only: 1955-1956 and 1956

ForecastConfig was chosen with --validate (fit on 1949-1954); the test months are scored
once per configuration kept. Prints a Markdown table for BENCHMARKS.md, naming the machine.
Needs the data set: practicum data import airline-passengers airline-passengers.csv
"""

from __future__ import annotations

import argparse
import datetime
import os
import time

import torch
from bench_machine import cpu_model

from practicum.data.errors import NotCachedError
from practicum.lessons import lesson3_forecast as lesson3


def machine() -> str:
    cpu = cpu_model()
    cores = len(os.sched_getaffinity(0))
    return f"{cpu}, {cores} cores, torch {torch.__version__}, {torch.get_num_threads()} threads"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--validate", action="store_true", help="score on 1955-1956 instead")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)  # thousand-parameter nets: more threads only add overhead
    try:
        y = lesson3.load_passengers()
    except NotCachedError as err:
        raise SystemExit(str(err)) from None
    started = time.perf_counter()
    if args.validate:
        rows = lesson3.compare(y[: lesson3.TEST_START], seed=args.seed, start=72, origin=84)
        where = "validation: one step 1955-1956 (fit 1949-1954), 12 months 1956"
    else:
        rows = lesson3.compare(y, seed=args.seed)
        where = "test: one step 1957-1960 (fit 1949-1956), 12 months 1960 (fit 1949-1959)"
    wall = time.perf_counter() - started
    print(f"Lesson 3 airline, {where}")
    print(f"{datetime.date.today()}, {machine()}, seed {args.seed}, wall {wall:.0f} s\n")
    print(lesson3.markdown_table(rows))


if __name__ == "__main__":
    main()
