"""Lesson 4 reference: English to Japanese BLEU on a validation split carved from train.

    python benchmarks/lesson4_translation.py                       # the reference, 30 minutes
    python benchmarks/lesson4_translation.py --budget-minutes 5
    python benchmarks/lesson4_translation.py --compare-minutes 6   # LSTM, LSTM+attention,
                                                                   # Transformer, 6 min each

1,000 pairs of the 50,000 training pairs (fixed seed) are held out and never trained on;
the reference (`reference.solve_translation`) trains on the other 49,000 within the budget,
chooses its weights on the data set's dev split, and translates the held-out English. BLEU
is sacrebleu's corpus BLEU on the tokens as given (tokenize="none"), as the service scores
the homework. The official test split is not used. Needs the data set in the cache
(`practicum data import small-parallel-enja train.en train.ja dev.en dev.ja`).

Prints Markdown rows for BENCHMARKS.md, naming the machine.
"""

from __future__ import annotations

import argparse
import datetime
import os
import time

import numpy as np
import torch
from bench_machine import cpu_model
from sacrebleu.metrics.bleu import BLEU, BLEUScore

from practicum import data
from practicum.lessons.lesson4 import reference as ref
from practicum.lessons.lesson4 import translate
from practicum.lessons.lesson4.text import Vocab, carve_validation
from practicum.train import seed_everything

HELD_OUT, SPLIT_SEED = 1000, 2026


METRIC = BLEU(tokenize="none")


def bleu(hypotheses: list[str], references: list[str]) -> BLEUScore:
    return METRIC.corpus_score(hypotheses, [references])


def machine() -> str:
    return f"{cpu_model()}, {len(os.sched_getaffinity(0))} cores, torch {torch.__version__}"


def held_out() -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """(training arrays without the held-out pairs, held-out English, held-out Japanese)."""
    train = data.load(translate.DATASET, "train")
    keep, out = carve_validation(len(train["en"]), HELD_OUT, seed=SPLIT_SEED)
    return {k: v[keep] for k, v in train.items()}, train["en"][out], train["ja"][out]


def reference(minutes: float, seed: int) -> None:
    train, en, ja = held_out()
    start = time.perf_counter()
    hypotheses = ref.solve_translation(train, en, seed, budget_minutes=minutes)
    seconds = time.perf_counter() - start
    score = bleu(list(hypotheses), list(ja))
    print(f"\n{score}\nsignature: {METRIC.get_signature()}")
    for i in range(5):
        print(f"  {en[i]}\n  -> {hypotheses[i]}\n  (ref {ja[i]})")
    recipe = ref.recipe_for(minutes)
    print(
        f"\n| {datetime.date.today()} | {machine()} | reference: Transformer "
        f"{recipe.size}, beam {recipe.beam} | {minutes:g} min | {seconds / 60:.1f} min "
        f"| {score.score:.2f} |"
    )


def compare(minutes: float, seed: int) -> None:
    """The three models of the lesson with the same budget, greedy and beam, same split."""
    train, en, ja = held_out()
    dev = data.load(translate.DATASET, "dev")
    sv, tv = Vocab.build(train["en"]), Vocab.build(train["ja"])
    encoded = translate.encode_corpus(train["en"], train["ja"], sv, tv)
    sources = [sv.encode(s) for s in en]
    rows = []
    transformer = ref.recipe_for(minutes)
    for kind, size, lr in (
        ("lstm", {"embed": 256, "hidden": 256}, 2e-3),
        ("attention", {"embed": 256, "hidden": 256}, 2e-3),
        ("transformer", transformer.size, transformer.lr),
    ):
        seed_everything(seed)
        recipe = translate.Recipe(model=kind, size=size, lr=lr, eval_every_s=60 * minutes / 4)
        model = translate.make_model(recipe, len(sv), len(tv))
        print(f"\n{kind} {size}, {minutes:g} min:")
        translate.train_translator(
            model,
            encoded,
            [sv.encode(s) for s in dev["en"]],
            list(dev["ja"]),
            tv,
            recipe=recipe,
            budget_s=60 * minutes,
            seed=seed,
        )
        scores = []
        for beam in (1, 4):
            hypotheses = translate.translate_ids(model, sources, tv, beam=beam)
            scores.append(bleu(hypotheses, list(ja)).score)
        rows.append(
            f"| {datetime.date.today()} | {machine()} | {kind} {size} | {minutes:g} min "
            f"| {scores[0]:.2f} | {scores[1]:.2f} |"
        )
    print("\n| date | machine | model | training | BLEU greedy | BLEU beam 4 |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--budget-minutes", type=float, default=ref.DEFAULT_BUDGET_MINUTES)
    parser.add_argument("--compare-minutes", type=float, help="compare the three models instead")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"{machine()}; {HELD_OUT} training pairs held out (seed {SPLIT_SEED})")
    if args.compare_minutes:
        compare(args.compare_minutes, args.seed)
    else:
        reference(args.budget_minutes, args.seed)


if __name__ == "__main__":
    main()
