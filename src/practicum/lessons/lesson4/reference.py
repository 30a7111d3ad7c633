"""Lesson 4's homework reference: English to Japanese within a time budget, what
`practicum lesson homework 4` runs (English in, one space-tokenized Japanese sentence per
line out).

A module of its own so that a course can withhold it from the students' servers until it
releases it (`coursework.withheld`); the notebooks train with `translate`'s machinery and
recipes of their own. Every choice is made on the data set's `dev` split (500 pairs); the
homework's test split is only ever translated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from practicum import data
from practicum.lessons.lesson4.text import Vocab
from practicum.lessons.lesson4.translate import (
    DATASET,
    Recipe,
    encode_corpus,
    make_model,
    train_translator,
    translate_ids,
)
from practicum.train import choose_device, seed_everything

DEFAULT_BUDGET_MINUTES = 30.0


def recipe_for(budget_minutes: float) -> Recipe:
    """The reference's recipe: a small pre-norm Transformer, sized for 2 CPU cores.

    On 2 cores a d_model=256, 3-layer model manages about a third of the steps of this one
    in the same time and was far behind after 4 minutes (BENCHMARKS.md); below 5 minutes
    one layer less.
    """
    layers = 2 if budget_minutes < 5 else 3
    size = {"d_model": 128, "heads": 4, "layers": layers, "ff": 512, "dropout": 0.1}
    return Recipe(
        size=size, lr=2e-3, warmup_steps=300, eval_every_s=min(180.0, 12 * budget_minutes)
    )


def solve_translation(
    train: dict[str, NDArray[Any]],
    x_test: NDArray[Any],
    seed: int,
    *,
    budget_minutes: float = DEFAULT_BUDGET_MINUTES,
    report: Callable[[str], None] = print,
) -> NDArray[np.str_]:
    """Train on `train` (arrays en, ja), choose on the dev split, translate x_test."""
    seed_everything(seed)
    recipe = recipe_for(budget_minutes)
    dev = data.load(DATASET, "dev")
    src_vocab = Vocab.build(train["en"], min_freq=recipe.min_freq)
    tgt_vocab = Vocab.build(train["ja"], min_freq=recipe.min_freq)
    encoded = encode_corpus(train["en"], train["ja"], src_vocab, tgt_vocab)
    device = choose_device()
    model = make_model(recipe, len(src_vocab), len(tgt_vocab)).to(device)
    translate_s = 60.0 * budget_minutes * 0.08  # kept back for the final beam search
    train_translator(
        model,
        encoded,
        [src_vocab.encode(s) for s in dev["en"]],
        list(dev["ja"]),
        tgt_vocab,
        recipe=recipe,
        budget_s=60.0 * budget_minutes - translate_s,
        seed=seed,
        report=report,
    )
    sources = [src_vocab.encode(s) for s in x_test]
    return np.array(translate_ids(model, sources, tgt_vocab, beam=recipe.beam, alpha=recipe.alpha))


def budgeted_solver(
    budget_minutes: float,
) -> Callable[[dict[str, NDArray[Any]], NDArray[Any], int], NDArray[np.str_]]:
    def solve(train: dict[str, NDArray[Any]], x_test: NDArray[Any], seed: int) -> NDArray[np.str_]:
        return solve_translation(train, x_test, seed, budget_minutes=budget_minutes)

    return solve
