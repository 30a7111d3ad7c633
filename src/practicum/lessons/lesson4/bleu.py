"""Lesson 4: BLEU written out (Papineni et al., 2002), the score the homework is graded by.

Corpus BLEU compares n-grams (n = 1..4) of the system's sentences with the reference's:

- the *clipped* precision p_n: each hypothesis n-gram counts as a match at most as often as
  it occurs in the reference (so "the the the the" does not score on "the cat"), summed
  over the corpus before dividing;
- the geometric mean of p_1..p_4, times the *brevity penalty* exp(1 - r/c) when the
  hypotheses (c tokens in all) are shorter than the references (r tokens): precision alone
  would reward saying very little.

Scores are on sacrebleu's 0-100 scale; on already tokenized text `corpus_bleu` equals
`sacrebleu.corpus_bleu(hyps, [refs], tokenize="none")` (checked in the tests), including
sacrebleu's default smoothing, which only matters when some p_n has no match at all.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

MAX_N = 4


def ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    """How often each n-gram occurs in `tokens`."""
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


@dataclass(frozen=True)
class BleuParts:
    """What the score is made of, to look at as well as to report."""

    matches: tuple[int, ...]
    """Clipped n-gram matches, n = 1..4, summed over the corpus."""
    totals: tuple[int, ...]
    """Hypothesis n-grams, n = 1..4."""
    hyp_len: int
    ref_len: int

    @property
    def precisions(self) -> tuple[float, ...]:
        """p_n in percent, smoothed as sacrebleu's default ("exp") does when a count is 0
        (and all 0 when nothing matches at all)."""
        out, smooth = [0.0] * MAX_N, 1.0
        if not any(self.matches):
            return tuple(out)
        for n, (match, total) in enumerate(zip(self.matches, self.totals, strict=True)):
            if total == 0:
                break
            if match == 0:
                smooth *= 2
                out[n] = 100.0 / (smooth * total)
            else:
                out[n] = 100.0 * match / total
        return tuple(out)

    @property
    def brevity_penalty(self) -> float:
        if self.hyp_len == 0:
            return 0.0
        return 1.0 if self.hyp_len >= self.ref_len else math.exp(1 - self.ref_len / self.hyp_len)

    @property
    def score(self) -> float:
        if self.hyp_len == 0 or min(self.precisions) == 0:
            return 0.0
        log_mean = sum(math.log(p / 100) for p in self.precisions) / len(self.precisions)
        return 100.0 * self.brevity_penalty * math.exp(log_mean)


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[str]) -> BleuParts:
    """BLEU of space-tokenized hypotheses against one reference each, counted over the
    whole corpus (not an average of sentence scores)."""
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")
    matches, totals = [0] * MAX_N, [0] * MAX_N
    hyp_len = ref_len = 0
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        hyp, ref = hypothesis.split(), reference.split()
        hyp_len, ref_len = hyp_len + len(hyp), ref_len + len(ref)
        for n in range(1, MAX_N + 1):
            mine, theirs = ngrams(hyp, n), ngrams(ref, n)
            matches[n - 1] += sum(min(count, theirs[gram]) for gram, count in mine.items())
            totals[n - 1] += max(len(hyp) - n + 1, 0)
    return BleuParts(tuple(matches), tuple(totals), hyp_len, ref_len)


def bleu_score(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU on the 0-100 scale (the number sacrebleu reports)."""
    return corpus_bleu(hypotheses, references).score
