"""Lesson 5: choosing among the decoder's candidate captions by what similar photos are called.

Beam search answers the caption the decoder finds most probable. Trained on 600 photos,
the decoder is sure of how captions go and unsure of what is in the photo, so its most
probable caption is often a safe, generic sentence, while the other candidates of the
beam name things the photo may hold. Consensus reranking takes the consensus idea of
Devlin et al. (2015, "Exploring Nearest Neighbor Approaches for Image Captioning") to the
decoder's candidates: the human captions of the training photos nearest in feature space
vote among them. Each candidate scores its mean agreement with those captions (a smoothed
sentence BLEU-4 against each), plus `weight` times the decoder's log-probability per word;
the best is kept. The neighbours' captions are never copied (the nearest-neighbour
baseline does that): they only choose among sentences the decoder wrote for this photo.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import torch

from practicum.lessons.lesson4.decode import beam_hypotheses
from practicum.lessons.lesson5.text import Vocab, normalize
from practicum.lessons.lesson5.train import MAX_CAPTION, score_captions

Candidates = list[tuple[str, float]]
"""A photo's candidate captions with the decoder's log-probability per word, best first."""
Grams = tuple[list[Counter[tuple[str, ...]]], int]
"""A sentence's n-gram counts for n = 1..4, and its length in words."""


def _grams(words: Sequence[str]) -> Grams:
    counts = [
        Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1)) for n in range(1, 5)
    ]
    return counts, len(words)


def _agreement(candidate: Grams, references: Sequence[Grams]) -> float:
    grams, length = candidate
    if not references or not length:
        return 0.0
    total = 0.0
    for ref_grams, ref_length in references:
        log_precision = 0.0
        for mine, theirs in zip(grams, ref_grams, strict=True):
            matched = sum(min(count, theirs[g]) for g, count in mine.items())
            log_precision += math.log((matched + 1) / (sum(mine.values()) + 1))
        brevity = 1.0 if length >= ref_length else math.exp(1 - ref_length / length)
        total += brevity * math.exp(log_precision / 4)
    return total / len(references)


def agreement(candidate: str, references: Sequence[str]) -> float:
    """Mean smoothed sentence BLEU-4 (0-1) of `candidate` against each reference alone.

    Each n-gram precision is (matches + 1) / (n-grams + 1), so a short sentence without a
    4-gram match is not zero; the brevity penalty is BLEU's, against that reference.
    Against each reference alone, not all at once: with 50 references nearly any n-gram
    is matched somewhere, and the vote would not tell candidates apart.
    """
    return _agreement(_grams(normalize(candidate)), [_grams(normalize(r)) for r in references])


@torch.no_grad()
def caption_candidates(
    model: torch.nn.Module,
    features: torch.Tensor,
    vocab: Vocab,
    *,
    beam: int = 8,
    batch_size: int = 64,
) -> list[Candidates]:
    """Every photo's `beam` beam-search captions with their log-probability per word."""
    model.eval()
    out: list[Candidates] = []
    for start in range(0, len(features), batch_size):
        found = beam_hypotheses(
            model,  # type: ignore[arg-type]
            features[start : start + batch_size],
            beam=beam,
            max_len=MAX_CAPTION,
            alpha=0.0,
        )
        for row in found:
            captions = [(vocab.decode(ids), total) for ids, total in row]
            out.append([(c, total / max(1, len(c.split()))) for c, total in captions])
    return out


def agreements(
    candidates: Sequence[Candidates], references: Sequence[Sequence[str]]
) -> list[list[float]]:
    """Each photo's candidates' `agreement` with its references (the neighbours' captions);
    it does not depend on the weight, so `choose_weight` computes it once for all."""
    if len(candidates) != len(references):
        raise ValueError(f"{len(candidates)} photos of candidates, {len(references)} of references")
    out = []
    for options, refs in zip(candidates, references, strict=True):
        if not options:
            raise ValueError("a photo without candidate captions")
        ref_grams = [_grams(normalize(r)) for r in refs]
        out.append([_agreement(_grams(normalize(caption)), ref_grams) for caption, _ in options])
    return out


def _pick(
    candidates: Sequence[Candidates], votes: Sequence[Sequence[float]], weight: float
) -> list[str]:
    """Per photo, the first candidate with the best vote + `weight` x log-probability."""
    return [
        max(zip(options, vote, strict=True), key=lambda ov: ov[1] + weight * ov[0][1])[0][0]
        for options, vote in zip(candidates, votes, strict=True)
    ]


def rerank(
    candidates: Sequence[Candidates], references: Sequence[Sequence[str]], *, weight: float
) -> list[str]:
    """Per photo, the candidate with the best agreement with its references (the
    neighbours' captions) plus `weight` x its log-probability per word."""
    return _pick(candidates, agreements(candidates, references), weight)


def choose_weight(
    candidates: Sequence[Candidates],
    references: Sequence[Sequence[str]],
    truth: Sequence[Sequence[str]],
    weights: Sequence[float] = (0.0, 0.05, 0.1, 0.2, 0.5),
) -> tuple[float, float]:
    """(weight, its CIDEr-D): the weight whose reranked captions score best against the
    `truth` captions of validation photos (never test photos)."""
    votes = agreements(candidates, references)
    scored = [(score_captions(truth, _pick(candidates, votes, w)).cider, w) for w in weights]
    cider, weight = max(scored, key=lambda s: (s[0], -s[1]))
    return weight, cider
