"""Lesson 2 CIFAR-10 reference on a validation split carved from the training images.

    python benchmarks/lesson2_cifar.py --budget-minutes 30      # the preset that fits here
    python benchmarks/lesson2_cifar.py --widths 64,256,256 --epochs 6

The CIFAR-10 test split is not used (it is not at hand, and tuning on it would be
cheating): 5,000 of the 50,000 training images (500 a class, seed 1234) are held out and
the reference trains on the other 45,000. With a budget the whole `solve_cifar` runs (timing,
preset, training, TTA prediction) and its wall time is what the budget promises; with
--epochs the recipe is forced, for tuning. Needs CIFAR-10 imported (`practicum data import
cifar10 cifar10-train-jpeg.tar.gz` or the official cifar-10-python.tar.gz).
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

from practicum import data
from practicum.lessons.lesson2 import fast, reference
from practicum.train import choose_device

VAL_PER_CLASS = 500
SPLIT_SEED = 1234


def carve_validation(y: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(train rows, validation rows): VAL_PER_CLASS random rows of every class held out."""
    rng = np.random.default_rng(SPLIT_SEED)
    held = [rng.permutation(np.flatnonzero(y == c))[:VAL_PER_CLASS] for c in np.unique(y)]
    val = np.sort(np.concatenate(held))
    return np.setdiff1d(np.arange(len(y)), val), val


def parse_overrides(pairs: list[str]) -> dict[str, object]:
    """`FIELD=VALUE` strings as FastConfig overrides, each value cast to the field's type."""
    defaults = fast.FastConfig()
    known = {f.name for f in dataclasses.fields(defaults)} - {"widths"}  # --widths has its own flag
    overrides: dict[str, object] = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in known or not value:
            raise SystemExit(
                f"--set {pair!r}: expected FIELD=VALUE with FIELD one of {sorted(known)}"
            )
        overrides[name] = type(getattr(defaults, name))(value)
    return overrides


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--budget-minutes", type=float, default=30.0)
    parser.add_argument("--widths", help="force a recipe: e.g. 64,256,256 (needs --epochs)")
    parser.add_argument("--epochs", type=float)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--tta-level", type=int, choices=(0, 1, 2))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", help="with --epochs: keep the trained network's weights here")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="override any other FastConfig field, e.g. --set muon_lr=0.12 (repeatable)",
    )
    args = parser.parse_args()
    train = data.load("cifar10", "train")
    fit_rows, val_rows = carve_validation(train["y"])
    fit = {"x": train["x"][fit_rows], "y": train["y"][fit_rows]}
    x_val, y_val = train["x"][val_rows], train["y"][val_rows]
    device = choose_device()
    start = time.perf_counter()
    if args.epochs is None:
        pred = reference.solve_cifar(
            fit, x_val, args.seed, budget_minutes=args.budget_minutes, device=device
        )
        recipe = f"preset for {args.budget_minutes:g} min"
    else:
        overrides = {
            k: v
            for k, v in {
                "widths": tuple(int(w) for w in args.widths.split(",")) if args.widths else None,
                "epochs": args.epochs,
                "batch_size": args.batch_size,
                "tta_level": args.tta_level,
            }.items()
            if v is not None
        } | parse_overrides(args.set)
        cfg = dataclasses.replace(fast.FastConfig.for_device(device), **overrides)
        net = fast.train_fast(fit["x"], fit["y"], cfg, seed=args.seed, device=device)
        trained = time.perf_counter() - start
        if args.save:
            torch.save(net.state_dict(), args.save)
        for level in range(cfg.tta_level + 1):
            logits = fast.predict_logits(net, x_val, tta_level=level, device=device)
            print(f"TTA level {level}: accuracy {np.mean(logits.argmax(1) == y_val):.4f}")
        pred = logits.argmax(1)
        recipe = f"{cfg.describe()} (trained in {trained:.0f} s)"
    seconds = time.perf_counter() - start
    accuracy = float(np.mean(pred == y_val))
    machine = {
        "cpu": f"{cpu_model()}, {os.cpu_count()} cores",
        "cuda": torch.cuda.get_device_name(device) if device.type == "cuda" else "",
    }.get(device.type, str(device))
    print(
        f"| {datetime.date.today()} | {machine} | {recipe} | seed {args.seed} "
        f"| {accuracy:.4f} | {seconds / 60:.1f} min |"
    )


if __name__ == "__main__":
    main()
