"""CIDEr-D, the consensus caption metric of Vedantam, Zitnick and Parikh (2015), computed as
the coco-caption reference does (`ciderD_scorer.py` of vrama91/cider, the `cider_scorer.py`
that pycocoevalcap ships), so a score here is the score papers report:

* each caption becomes its n-gram counts, n = 1..4, over its tokens;
* an n-gram's document frequency is the number of images whose references hold it (one count
  per image however many of its references repeat it), over the references of the corpus
  being scored, and its weight in a caption is term count × (log(number of images) −
  log(max(1, document frequency))): an n-gram every image has weighs nothing, and so does
  every n-gram of a corpus of one image, which therefore scores 0;
* per n, the candidate's weights are clipped to the reference's, sum over the candidate's
  n-grams of min(w_cand, w_ref) × w_ref, divided by both vectors' unclipped norms (no
  division where a norm is 0, which leaves 0, as CIDEr-D does; pycocoevalcap's plain CIDEr
  would divide 0 by 0 there and answer NaN);
* times a Gaussian length penalty exp(−δ² / (2σ²)), σ = 6, where δ is the difference of the
  two captions' lengths as the reference counts them: in bigrams (len − 1 for a non-empty
  caption, 0 for an empty one);
* averaged over the image's references, averaged over n, times 10. The corpus score is the
  mean over images.

A perfect caption scores at most 10 per image: exactly 10 when it equals every reference of
its image and has 4 tokens or more (a 3-token caption has no 4-grams, so its n = 4 part is
0 and it scores at most 7.5). With several different references per image a caption
cannot be equal to all of them: equal to one of five distinct references, it scores a little
over 2 (10 / 5 from its own reference, a little from the others), and the best captioning
systems score about 1 to 1.4 on COCO (papers often write it ×100: 100-140).

Tokens: the reference tokenises with Stanford's PTBTokenizer (Java, lowercased) and then
drops punctuation tokens. Java is not part of this project, so `caption_tokens` does the
same in a few lines of Python: lowercase; split off the clitics 's 're 've 'll 'd 'm n't as
tokens of their own, as PTB does ("dog's" -> "dog 's", "don't" -> "do n't"); drop the
punctuation PTB turns into the dropped tokens (. , ? ! : ; - -- ... ' " ` and brackets) where
it stands apart or at a word's edge, and keep it inside a word ("black-and-white", "3.5",
"10:30", "1,000"), where PTB keeps it too. The differences: PTB turns square brackets into
"-lsb-"/"-rsb-" tokens that pycocoevalcap keeps (here they are dropped like parentheses), and
it makes $ % # & and similar symbols tokens of their own (here they stay with their word).
Captions hardly ever hold either, and on plain sentences both give the same tokens.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

N = 4
"""n-grams of 1 to N tokens."""
SIGMA = 6.0
"""Standard deviation of the Gaussian length penalty, in tokens."""

_CLITICS = ("n't", "'s", "'re", "'ve", "'ll", "'d", "'m")
_APART = re.compile(r"""[?!;"`(){}\[\]]|\.{2,}|-{2,}""")
"""Punctuation that is its own (dropped) token wherever it stands."""
_EDGES = ".,:-'"
"""Punctuation that is dropped at a word's edges and kept inside it."""

NGram = tuple[str, ...]


@dataclass(frozen=True, eq=False)
class CiderResult:
    score: float
    """Mean of `per_item`, on the 0-10 scale (see the module docstring)."""
    per_item: np.ndarray
    """float64, one score per image, in input order."""


def caption_tokens(text: str) -> list[str]:
    """A caption's tokens as the coco-caption pipeline sees them (see the module docstring)."""
    tokens: list[str] = []
    for raw in _APART.sub(" ", text.lower()).split():
        word = raw.rstrip(_EDGES)
        if word in _CLITICS:
            tokens.append(word)
            continue
        clitic = next(
            (c for c in _CLITICS if word.endswith(c) and word[: -len(c)][-1:].isalnum()), None
        )
        if clitic is not None:
            word = word[: -len(clitic)]
        word = word.lstrip(_EDGES)
        if word:
            tokens.append(word)
        if clitic is not None:
            tokens.append(clitic)
    return tokens


def cider_d(references: Sequence[Sequence[str]], hypotheses: Sequence[str]) -> CiderResult:
    """CIDEr-D of one hypothesis per image against that image's references.

    `references[i]` is the list of reference captions of image i (at least one; as many as
    it has); `hypotheses[i]` its candidate caption. Captions are raw text, tokenised by
    `caption_tokens`. Document frequencies come from the references given, so the same
    caption can score differently within another corpus (the public and the private part
    of a test set each are a corpus of their own).
    """
    reference_counts, hypothesis_counts = _checked(references, hypotheses)
    document_frequency: Counter[NGram] = Counter()
    for counts in reference_counts:
        document_frequency.update(set().union(*counts))
    log_images = math.log(float(len(reference_counts)))

    def vector(counts: Counter[NGram]) -> tuple[list[dict[NGram, float]], np.ndarray, int]:
        """TF-IDF weights per n, their norms per n, and the length in bigrams."""
        weights: list[dict[NGram, float]] = [{} for _ in range(N)]
        squares = np.zeros(N)
        bigrams = 0
        for ngram, count in counts.items():
            n = len(ngram) - 1
            weight = count * (log_images - math.log(max(1.0, document_frequency[ngram])))
            weights[n][ngram] = weight
            squares[n] += weight * weight
            if n == 1:
                bigrams += count
        return weights, np.sqrt(squares), bigrams

    per_item = np.zeros(len(reference_counts))
    for i, (hypothesis, refs) in enumerate(zip(hypothesis_counts, reference_counts, strict=True)):
        hyp, hyp_norm, hyp_length = vector(hypothesis)
        total = np.zeros(N)
        for reference in refs:
            ref, ref_norm, ref_length = vector(reference)
            penalty = math.exp(-((hyp_length - ref_length) ** 2) / (2 * SIGMA**2))
            for n in range(N):
                value = sum(
                    min(w, ref[n].get(g, 0.0)) * ref[n].get(g, 0.0) for g, w in hyp[n].items()
                )
                if hyp_norm[n] != 0 and ref_norm[n] != 0:
                    value /= hyp_norm[n] * ref_norm[n]
                total[n] += value * penalty
        per_item[i] = float(np.mean(total)) / len(refs) * 10.0
    return CiderResult(score=float(np.mean(per_item)), per_item=per_item)


def _ngrams(text: str) -> Counter[NGram]:
    tokens = caption_tokens(text)
    return Counter(
        tuple(tokens[i : i + k]) for k in range(1, N + 1) for i in range(len(tokens) - k + 1)
    )


def _checked(
    references: Sequence[Sequence[str]], hypotheses: Sequence[str]
) -> tuple[list[list[Counter[NGram]]], list[Counter[NGram]]]:
    """Both sides as n-gram counts, or a ValueError naming the first bad item."""
    if isinstance(hypotheses, str):
        raise ValueError("cider_d: hypotheses is one string; give one caption per image")
    if len(references) != len(hypotheses):
        raise ValueError(
            f"cider_d: {len(hypotheses)} hypotheses for {len(references)} images of references"
        )
    if not len(hypotheses):
        raise ValueError("cider_d: no images")
    reference_counts = []
    for i, refs in enumerate(references):
        if isinstance(refs, str):
            raise ValueError(
                f"cider_d: references[{i}] is one string; give each image a list of captions"
            )
        if not len(refs):
            raise ValueError(f"cider_d: image {i} has no references")
        for r in refs:
            if not isinstance(r, str):
                raise ValueError(f"cider_d: image {i}: a reference is {type(r).__name__}, not text")
        reference_counts.append([_ngrams(r) for r in refs])
    hypothesis_counts = []
    for i, hypothesis in enumerate(hypotheses):
        if not isinstance(hypothesis, str):
            raise ValueError(f"cider_d: hypothesis {i} is {type(hypothesis).__name__}, not text")
        hypothesis_counts.append(_ngrams(hypothesis))
    return reference_counts, hypothesis_counts
