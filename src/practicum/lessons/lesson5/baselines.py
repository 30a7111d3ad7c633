"""Lesson 5: the two captioners every trained model must beat.

- **The best constant caption**: one sentence for every photo, chosen among the training
  captions as the one with the highest BLEU-4 against the training photos' references.
  It scores far above zero ("a dog runs through the grass" matches many Flickr8k photos
  in part), so a model that has learned only how captions usually go gets this much.
- **The nearest neighbour** (Devlin et al., 2015): the training photos whose pooled CNN
  features are closest to the photo's (cosine similarity), and among their captions the
  one that agrees most with the others (the consensus caption). It copies a human caption,
  so it is always fluent, and right exactly as far as the features find similar photos.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import torch

from practicum.lessons.lesson5.text import normalize
from practicum.lessons.lesson5.train import bleu4


def _ngrams(words: Sequence[str], longest: int = 4) -> Counter[tuple[str, ...]]:
    return Counter(
        tuple(words[i : i + n]) for n in range(1, longest + 1) for i in range(len(words) - n + 1)
    )


def consensus(captions: Sequence[str]) -> str:
    """The caption sharing the most n-grams (1-4, clipped counts) with the others, per
    n-gram of its own, times BLEU's brevity penalty against the others' mean length (so a
    short caption whose few words all recur does not win by being short)."""
    words = [normalize(c) for c in captions]
    grams = [_ngrams(w) for w in words]

    def agreement(i: int) -> float:
        others = [j for j in range(len(grams)) if j != i]
        shared = sum(sum((grams[i] & grams[j]).values()) for j in others)
        precision = shared / max(1, sum(grams[i].values()))
        mean_length = float(np.mean([len(words[j]) for j in others])) if others else 0.0
        length = max(1, len(words[i]))
        return precision * (1.0 if length >= mean_length else np.exp(1 - mean_length / length))

    return captions[max(range(len(captions)), key=agreement)]


def best_constant_caption(
    captions: Sequence[Sequence[str]], *, candidates: int = 300, sample: int = 200, seed: int = 0
) -> str:
    """The training caption with the best corpus BLEU-4 as everyone's caption.

    Scoring all ~3,000 captions against all photos takes minutes, so the `candidates` made of
    the most common words are scored (mean number of training photos whose captions contain
    each of its words), on a fixed `sample` of the training photos.
    """
    photos_with = Counter(w for photo in captions for w in {w for c in photo for w in normalize(c)})
    pool = sorted({c for photo in captions for c in photo})

    def commonness(caption: str) -> float:
        words = normalize(caption)
        return float(np.mean([photos_with[w] for w in words])) if words else 0.0

    shortlist = sorted(pool, key=lambda c: (-commonness(c), c))[:candidates]
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(captions), size=min(sample, len(captions)), replace=False)
    references = [list(captions[i]) for i in picked]
    return max(
        shortlist,
        key=lambda c: (bleu4(references, [c] * len(references)), c),
    )


def nearest_photos(
    train_vectors: torch.Tensor, vectors: torch.Tensor, *, k: int
) -> list[list[int]]:
    """For each photo, the indices of its `k` nearest training photos, nearest first.

    Vectors are compared by cosine similarity after standardising each feature on the
    training photos (a feature with a large scale would otherwise decide alone).
    """
    mean, std = train_vectors.mean(0), train_vectors.std(0) + 1e-6

    def unit(v: torch.Tensor) -> torch.Tensor:
        v = (v - mean) / std
        unit_v: torch.Tensor = v / v.norm(dim=1, keepdim=True).clamp(min=1e-12)
        return unit_v

    similarity = unit(vectors) @ unit(train_vectors).T
    nearest: list[list[int]] = similarity.topk(min(k, len(train_vectors)), dim=1).indices.tolist()
    return nearest


def nearest_neighbour_captions(
    train_vectors: torch.Tensor,
    train_captions: Sequence[Sequence[str]],
    vectors: torch.Tensor,
    *,
    k: int = 1,
) -> list[str]:
    """For each photo, the consensus caption of its `k` nearest training photos."""
    nearest = nearest_photos(train_vectors, vectors, k=k)
    return [consensus([c for i in row for c in train_captions[i]]) for row in nearest]
