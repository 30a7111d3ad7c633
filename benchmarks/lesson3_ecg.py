"""Lesson 3 ECG reference: 5-fold stratified cross-validation on the 500 training beats.

    python benchmarks/lesson3_ecg.py                      # the reference EcgConfig
    python benchmarks/lesson3_ecg.py --model gru --epochs 60 --ensemble 3

The official test beats are not used: the configuration is chosen on these folds.
Needs ECG5000 imported (`practicum data import ecg5000 ECG5000_TRAIN.txt`).
Prints one Markdown row for BENCHMARKS.md, naming the machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import time

import numpy as np
import torch
from bench_machine import cpu_model
from numpy.typing import NDArray

from practicum.lessons.lesson3 import ecg


def stratified_folds(y: NDArray[np.int64], k: int, seed: int) -> list[NDArray[np.int64]]:
    """Test rows of each of `k` folds: every class's rows shuffled, then dealt round-robin,
    so each fold holds about 1/k of every class (even the 2-beat class 4 lands in 2 folds)."""
    rng = np.random.default_rng(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    start = 0  # continue the deal where the last class stopped, to balance fold sizes
    for label in np.unique(y):
        for i, row in enumerate(rng.permutation(np.flatnonzero(y == label))):
            folds[(start + i) % k].append(int(row))
        start += int(np.sum(y == label))
    return [np.sort(np.array(fold, dtype=np.int64)) for fold in folds]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", choices=("cnn", "gru"))
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--ensemble", type=int)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--fold-seed", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    overrides = {
        k: v
        for k, v in {
            "model": args.model,
            "epochs": args.epochs,
            "lr": args.lr,
            "batch_size": args.batch_size,
            "ensemble": args.ensemble,
        }.items()
        if v is not None
    }
    cfg = dataclasses.replace(ecg.EcgConfig(progress=False), **overrides)
    x, y = ecg.load_beats("train")
    start = time.perf_counter()
    scores = []
    for i, test_rows in enumerate(stratified_folds(y, args.folds, args.fold_seed)):
        fit_rows = np.setdiff1d(np.arange(len(y)), test_rows)
        pred = ecg.solve_ecg(
            {"x": x[fit_rows], "y": y[fit_rows]}, x[test_rows], args.seed + i, cfg=cfg
        )
        scores.append(float(np.mean(pred == y[test_rows])))
        print(f"fold {i + 1}/{args.folds}: accuracy {scores[-1]:.4f}", flush=True)
    seconds = time.perf_counter() - start
    shown = {k: v for k, v in dataclasses.asdict(cfg).items() if k != "progress"}
    config = ", ".join(f"{k}={v}" for k, v in shown.items())
    per_fold = " ".join(f"{s:.3f}" for s in scores)
    print(
        f"| {datetime.date.today()} | {cpu_model()} | {len(os.sched_getaffinity(0))} cores, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads | {config} | "
        f"{np.mean(scores):.4f} ± {np.std(scores):.4f} | {per_fold} | {seconds:.0f} s |"
    )


if __name__ == "__main__":
    main()
