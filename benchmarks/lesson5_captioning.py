"""Lesson 5 reference: captions of Flickr8k photos on a validation split, against baselines.

    python benchmarks/lesson5_captioning.py                      # the reference's default budget
    python benchmarks/lesson5_captioning.py --budget-minutes 10

The validation photos are Flickr8k's `dev` split of the 800 photos at hand (88 photos,
five references each; the carve rule is in the cache's manifest); the reference trains on
the `train` split only (607 photos: it carves its own model-selection split out of them)
and on the 35,455 captions of other Flickr8k photos (no photos among the 800). The `test`
split (the homework's hidden one) is not used. Next to it:

- the best constant caption, chosen among the training captions on the training photos;
- the nearest-neighbour caption with the reference's own image features, for several k
  (k chosen on the validation photos themselves: generous to the baseline).

Scores: BLEU-4 (sacrebleu, lowercased, default 13a tokenizer, every reference) and our
CIDEr-D. Needs flickr8k and cifar10 in the cache (`practicum data import flickr8k
../shared/data/flickr8k-subset`, `practicum data import cifar10 ...`). Prints Markdown rows
for BENCHMARKS.md, naming the machine.
"""

from __future__ import annotations

import argparse
import datetime
import os
import time
from collections.abc import Sequence

import numpy as np
import torch
from bench_machine import cpu_model

from practicum.data.captioned import caption_text, captioned_images
from practicum.lessons.lesson5 import baselines, reference
from practicum.lessons.lesson5.train import Scores, score_captions, write_captions


def machine() -> str:
    return f"{cpu_model()}, {len(os.sched_getaffinity(0))} cores, torch {torch.__version__}"


def paired_bootstrap(
    references: Sequence[Sequence[str]],
    ours: Sequence[str],
    theirs: Sequence[str],
    *,
    rounds: int = 300,
    seed: int = 0,
) -> tuple[float, float]:
    """The share of `rounds` resamples of the photos (with replacement, the same photos for
    both) in which `ours` scores above `theirs`: (by BLEU-4, by CIDEr-D). With 88 photos one
    photo's luck moves a score; a share near 1 says the lead is not luck."""
    rng = np.random.default_rng(seed)
    wins = np.zeros(2)
    for _ in range(rounds):
        pick = rng.integers(0, len(references), len(references))
        refs = [references[i] for i in pick]
        a = score_captions(refs, [ours[i] for i in pick])
        b = score_captions(refs, [theirs[i] for i in pick])
        wins += [a.bleu4 > b.bleu4, a.cider > b.cider]
    return float(wins[0] / rounds), float(wins[1] / rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget-minutes", type=float, default=reference.DEFAULT_BUDGET_MINUTES)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    train = captioned_images("flickr8k", "train")
    valid = captioned_images("flickr8k", "dev")
    text = caption_text()
    valid_photos = [valid.image(i) for i in range(len(valid))]
    start = time.perf_counter()
    trained = reference.train_reference(
        train, seed=args.seed, budget_minutes=args.budget_minutes, text=text
    )
    valid_vectors = trained.vectors(valid_photos)
    hypotheses = trained.caption_vectors(valid_vectors)
    seconds = time.perf_counter() - start
    ours = score_captions(valid.captions, hypotheses)

    constant = baselines.best_constant_caption(train.captions)
    captions: dict[str, list[str]] = {"best constant caption": [constant] * len(valid)}
    rows: list[tuple[str, Scores]] = [
        (
            f'best constant caption: "{constant}"',
            score_captions(valid.captions, [constant] * len(valid)),
        )
    ]
    train_vectors = trained.vectors([train.image(i) for i in range(len(train))])
    alone = write_captions(
        trained.model, trained.standard(valid_vectors), trained.vocab, beam=trained.recipe.beam
    )
    captions["its decoder alone"] = alone
    rows.append(
        (
            f"the reference's decoder alone (beam {trained.recipe.beam}, no reranking)",
            score_captions(valid.captions, alone),
        )
    )
    for k in (1, 3, 10, 30):
        nearest = baselines.nearest_neighbour_captions(
            train_vectors, train.captions, valid_vectors, k=k
        )
        captions[f"nearest neighbour, k = {k}"] = nearest
        rows.append((f"nearest neighbour, k = {k}", score_captions(valid.captions, nearest)))
    rows.append(
        (
            f"reference, {args.budget_minutes:g}-minute budget (kept epoch "
            f"{trained.result.best_epoch}, "
            + (
                f"reranked by {trained.recipe.neighbours} neighbours, weight {trained.weight})"
                if trained.weight is not None
                else f"beam {trained.recipe.beam}: reranking lost on the validation split)"
            ),
            ours,
        )
    )

    today = datetime.date.today().isoformat()
    print(f"\n{today}, {machine()}; {len(train)} training photos, {len(valid)} validation photos")
    print(f"reference wall time: {seconds / 60:.1f} min (features, training and captioning)")
    print("\n| captioner | BLEU-4 | CIDEr-D |\n|---|---:|---:|")
    for name, scores in rows:
        print(f"| {name} | {scores.bleu4:.2f} | {scores.cider:.3f} |")
    print("\npaired bootstrap over the validation photos (300 resamples):")
    for name, theirs in captions.items():
        if theirs == hypotheses:  # the same captions: a tie in every resample
            continue
        bleu_share, cider_share = paired_bootstrap(valid.captions, hypotheses, theirs)
        print(
            f"  the reference above {name} in {bleu_share:.0%} of resamples by BLEU-4, "
            f"{cider_share:.0%} by CIDEr-D"
        )
    print("\nreference captions, first 8 validation photos (first reference beside):")
    for i in range(min(8, len(valid))):
        print(f"  {hypotheses[i]}  |  {valid.captions[i][0]}")


if __name__ == "__main__":
    main()
