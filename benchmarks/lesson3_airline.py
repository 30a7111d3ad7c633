"""Lesson 3 airline reference: every model side by side on the real series.

    python benchmarks/lesson3_airline.py              # the test months: 1957-1960 and 1960
    python benchmarks/lesson3_airline.py --validate lesson    # 1949-1956: the lesson's network
    python benchmarks/lesson3_airline.py --validate homework  # 1949-1959: the homework's

--validate scores candidate networks by rolling-origin validation inside the training
years, next to SARIMA and seasonal naive on the same months: `lesson` forecasts 1954, 1955
and 1956, each from the years before it (the lesson's split trains on 1949-1956; REFERENCE
in lessons/lesson3/forecast.py was chosen there); `homework` forecasts 1955 to 1959 the
same way, from the months the homework hands out (reference.HOMEWORK_CFG was chosen
there). The default run scores the test months and prints a Markdown table for
BENCHMARKS.md, naming the machine, then the LSTM tutorial and the reference over seeds.
Needs the data set: practicum data import airline-passengers airline-passengers.csv
"""

from __future__ import annotations

import argparse
import datetime
import os
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import torch
from bench_machine import cpu_model

from practicum.data.errors import NotCachedError
from practicum.lessons.lesson3 import forecast as fc
from practicum.lessons.lesson3 import reference
from practicum.lessons.lesson3.forecast import FIRST_MLP, HORIZON, REFERENCE, ForecastConfig

CANDIDATES: dict[str, ForecastConfig] = {
    "first try: 13 growths, hidden 32, wd 0.01": FIRST_MLP,
    "13 growths, wd 1": replace(FIRST_MLP, hidden=16, weight_decay=1.0, ensemble=10),
    "last change + growth, wd 0.1": replace(REFERENCE, weight_decay=0.1),
    "last change + growth, wd 1 (the lesson's)": REFERENCE,
    "last change + growth, wd 10": replace(REFERENCE, weight_decay=10.0),
    "last 2 changes + growth, wd 1": replace(REFERENCE, window=2),
    "last 2 changes + growth, wd 0.1": replace(REFERENCE, window=2, weight_decay=0.1),
    "last 13 changes + growth, wd 1": replace(REFERENCE, window=13),
    "last 13 changes + growth, wd 10": replace(REFERENCE, window=13, weight_decay=10.0),
}


def machine() -> str:
    cpu = cpu_model()
    cores = len(os.sched_getaffinity(0))
    return f"{cpu}, {cores} cores, torch {torch.__version__}, {torch.get_num_threads()} threads"


VALIDATIONS = {
    "lesson": (fc.TEST_START, fc.VALIDATION_ORIGINS),
    "homework": (fc.FORECAST_ORIGIN, fc.HOMEWORK_VALIDATION_ORIGINS),
}
"""Each protocol's (end of the training months, validation origins)."""


def baseline_validation(y: np.ndarray, origins: tuple[int, ...]) -> list[tuple[str, float, float]]:
    """SARIMA and seasonal naive under the same rolling-origin protocol."""
    rows = []
    for name, one_step, forecaster in (
        ("SARIMA(0,1,1)(0,1,1)12, log", fc.sarima_one_step, fc.sarima_forecast),
        ("seasonal naive", fc.rolling(fc.seasonal_naive), fc.seasonal_naive),
    ):
        one, many = [], []
        for origin in origins:
            truth = y[origin : origin + HORIZON]
            one.append(one_step(y[: origin + HORIZON], origin) - truth)
            many.append(forecaster(y[:origin], HORIZON) - truth)
        rows.append((name, _rmse(one), _rmse(many)))
    return rows


def _rmse(errors: list[np.ndarray]) -> float:
    return float(np.sqrt(np.mean(np.concatenate(errors) ** 2)))


def validate(y: np.ndarray, seed: int, protocol: str) -> None:
    end, origins = VALIDATIONS[protocol]
    training = y[:end]  # the test months are cut off before anything runs
    print("| model | one-step RMSE | 12-month RMSE, recursive | 12-month RMSE, direct | wall s |")
    print("|---|---:|---:|---:|---:|")
    for name, one, many in baseline_validation(training, origins):
        print(f"| {name} | {one:.2f} | {many:.2f} | {many:.2f} | |")
    for name, cfg in CANDIDATES.items():
        started = time.perf_counter()
        one, recursive, direct = fc.validate(training, cfg, origins=origins, seed=seed)
        wall = time.perf_counter() - started
        print(f"| MLP, {name} | {one:.2f} | {recursive:.2f} | {direct:.2f} | {wall:.0f} |")


def from_rows(rows: list[fc.Row]) -> tuple[float, float, float, float]:
    """(tutorial one step, reference one step, SARIMA one step, SARIMA 12 months): the
    reference's one step is its 1-output network. Its 12 months are the homework
    reference's (`reference_scores`), which is not one of `compare`'s rows."""
    by_name = {row.model: row for row in rows}
    sarima = by_name["SARIMA(0,1,1)(0,1,1)12, log"]
    tutorial = next(row for row in rows if row.model.startswith("LSTM tutorial"))
    recursive, _ = fc.row_names(REFERENCE)
    return (
        tutorial.one_step_rmse,
        by_name[recursive].one_step_rmse,
        sarima.one_step_rmse,
        sarima.forecast_12_rmse,
    )


def verdict(one: float, many: float, sarima_one: float, sarima_many: float) -> str:
    """The reference against SARIMA, in words: the lesson must say plainly which wins."""
    line = (
        f"Reference (one step: the 1-output network; 12 months: the homework's, "
        f"{reference.HOMEWORK_CFG.describe()}, weight decay {reference.HOMEWORK_CFG.weight_decay:g}, "
        f"{'recursive' if reference.HOMEWORK_RECURSIVE else 'direct'}): {one:.1f} one step, "
        f"{many:.1f} over 1960; SARIMA {sarima_one:.1f} and {sarima_many:.1f}. "
    )
    beats = {"one step": one < sarima_one, "1960": many < sarima_many}
    if all(beats.values()):
        return line + "The pure neural models beat SARIMA on both."
    if not any(beats.values()):
        return line + "The pure neural models do not beat SARIMA."
    won = next(test for test, beaten in beats.items() if beaten)
    lost = next(test for test, beaten in beats.items() if not beaten)
    return line + f"The pure neural models beat SARIMA on {won}, not on {lost}."


def reference_scores(y: np.ndarray, seed: int) -> tuple[float, float]:
    """The reference's two test scores: one step over 1957-1960, the homework's forecast of
    1960."""
    start, origin = fc.TEST_START, fc.FORECAST_ORIGIN
    model = fc.train_forecaster(y[:start], seed=seed)
    one = fc.rmse(fc.neural_one_step(model, y, start), y[start:])
    forecast = reference.forecast_homework(y[:origin], seed=seed)
    return one, fc.rmse(forecast, y[origin : origin + HORIZON])


def seeds_line(name: str, scores: Sequence[Sequence[float]], seeds: list[int]) -> str:
    columns = list(zip(*scores, strict=True))
    parts = [
        ", ".join(f"{v:.1f}" for v in column) + f" (mean {np.mean(column):.1f})"
        for column in columns
    ]
    return f"{name}, seeds {', '.join(map(str, seeds))}: " + "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--validate",
        choices=sorted(VALIDATIONS),
        help="rolling-origin validation: lesson (1954-1956) or homework (1955-1959)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--more-seeds", default="1,2", help="seeds for the spread lines")
    args = parser.parse_args()
    torch.set_num_threads(1)  # thousand-parameter nets: more threads only add overhead
    try:
        y = fc.load_passengers()
    except NotCachedError as err:
        raise SystemExit(str(err)) from None
    started = time.perf_counter()
    stamp = f"{datetime.date.today()}, {machine()}, seed {args.seed}"
    if args.validate:
        years = ", ".join(str(1949 + o // 12) for o in VALIDATIONS[args.validate][1])
        print(
            f"Lesson 3 airline, {args.validate} validation: {years}, each from the years before it"
        )
        print(f"{stamp}\n")
        validate(y, args.seed, args.validate)
        print(f"\nwall {time.perf_counter() - started:.0f} s")
        return
    rows = fc.compare(y, seed=args.seed)
    wall = time.perf_counter() - started
    print(
        "Lesson 3 airline, test: one step 1957-1960 (fit 1949-1956), 12 months 1960 (fit 1949-1959)"
    )
    print(f"{stamp}, wall {wall:.0f} s\n")
    print(fc.markdown_table(rows))
    tutorial, one, sarima_one, sarima_many = from_rows(rows)
    many = fc.rmse(
        reference.forecast_homework(y[: fc.FORECAST_ORIGIN], seed=args.seed),
        y[fc.FORECAST_ORIGIN : fc.FORECAST_ORIGIN + HORIZON],
    )
    print("\n" + verdict(one, many, sarima_one, sarima_many))
    seeds = [int(s) for s in args.more_seeds.split(",") if s]
    tutorials = [(tutorial,)] + [(fc.lstm_tutorial(y, seed=s),) for s in seeds]
    references = [(one, many)] + [reference_scores(y, s) for s in seeds]
    seeds = [args.seed, *seeds]
    print("\n" + seeds_line("LSTM tutorial, one-step RMSE 1957-1960", tutorials, seeds))
    print(seeds_line("Reference, one-step RMSE; homework 12-month RMSE", references, seeds))
    print(f"\nwall {time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
