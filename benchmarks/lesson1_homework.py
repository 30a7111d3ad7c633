"""Lesson 1 homework reference: accuracy and wall time on real Fashion-MNIST.

    python benchmarks/lesson1_homework.py                # official t10k test set (the number to report)
    python benchmarks/lesson1_homework.py --validate     # 5,000-image validation split carved from train
    python benchmarks/lesson1_homework.py --validate --hidden 2048,1024 --epochs 30 --no-flip

Tuning uses --validate only; the test set is looked at once per configuration kept
(overrides without --validate score that configuration on the test set).
Prints one Markdown row for BENCHMARKS.md, naming the machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import torch
from bench_machine import cpu_model

from practicum import data
from practicum.coursework.registry import run_homework
from practicum.grading.metrics import accuracy
from practicum.lessons.lesson1 import reference


def machine() -> str:
    cpu = cpu_model()
    return f"{cpu}, {len(os.sched_getaffinity(0))} cores, torch {torch.__version__}, {torch.get_num_threads()} threads"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--validate", action="store_true", help="score on a validation split of train"
    )
    parser.add_argument("--hidden", type=lambda s: tuple(int(v) for v in s.split(",")))
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--dropout", type=float)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--label-smoothing", type=float)
    parser.add_argument("--no-flip", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    overrides = {
        k: v
        for k, v in {
            "hidden": args.hidden,
            "epochs": args.epochs,
            "dropout": args.dropout,
            "lr": args.lr,
            "label_smoothing": args.label_smoothing,
        }.items()
        if v is not None
    }
    if args.no_flip:
        overrides["flip"] = False
    cfg = dataclasses.replace(reference.HomeworkConfig(), **overrides)
    start = time.perf_counter()
    if args.validate:
        train = data.load("fashion-mnist", "train")
        order = np.random.default_rng(1234).permutation(len(train["y"]))
        val, fit_rows = order[:5000], order[5000:]
        pred = reference.solve_homework(
            {k: v[fit_rows] for k, v in train.items()}, train["x"][val], args.seed, cfg
        )
        score, where = accuracy(train["y"][val], pred), "validation (5,000 of train)"
    else:
        if overrides:
            parser.error(
                "configuration overrides are for --validate; the test run uses the defaults"
            )
        with TemporaryDirectory() as tmp:
            result = run_homework(1, Path(tmp) / "submission.csv", seed=args.seed)
        assert result.score is not None
        score, where = result.score, "t10k test (10,000)"
    seconds = time.perf_counter() - start
    print(
        f"| {time.strftime('%Y-%m-%d')} | {machine()} | {cfg} | {where} | "
        f"{score:.4f} | {seconds:.0f} s |"
    )


if __name__ == "__main__":
    main()
