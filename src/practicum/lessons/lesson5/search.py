"""Lesson 5, Sections 3 and 4: beam search for one photo, every step kept for drawing.

Lesson 4's `decode.beam_search` searches a whole batch at once, with tensors for the
hypotheses of every row; fast, and hard to read. This one captions a single photo with
plain Python objects, so that each step's hypotheses can be looked at (and drawn as a
tree) and the algorithm reads top to bottom:

1. start from one hypothesis: no words yet, log-probability 0, fed `<start>`;
2. each step, every open hypothesis is extended by every word of the vocabulary, its
   log-probability the sum of its words'; a finished hypothesis (it has said `<end>`)
   competes as it is, unchanged;
3. the `beam` best of all those by log-probability are kept;
4. stop when every kept hypothesis has finished, or after `max_len` steps;
5. rank the kept ones by log-probability divided by the length penalty
   ((5 + length) / 6) ** alpha (Wu et al., 2016), the length counting `<end>`.

It follows the same rules as Lesson 4's search (finished hypotheses stay in the beam and
keep their slot), so on any model the two give the same best caption.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from practicum.lessons.lesson5.text import END, START


def length_penalty(length: int, alpha: float) -> float:
    """((5 + length) / 6) ** alpha; 1 for alpha = 0 (raw log-probabilities)."""
    return float(((5 + length) / 6) ** alpha)


@dataclass(frozen=True)
class Hypothesis:
    """A caption being written: its word ids after `<start>` (a finished one ends with
    `<end>`), their total log-probability, and where it came from: the index of the
    hypothesis it extends in the previous step's list (at the first step that list is
    the start, `Hypothesis((), 0.0)` alone, so the parent is 0; the start's own is -1)."""

    tokens: tuple[int, ...]
    log_prob: float
    parent: int = -1

    @property
    def finished(self) -> bool:
        return bool(self.tokens) and self.tokens[-1] == END

    @property
    def words(self) -> list[int]:
        """The word ids without `<end>`."""
        return list(self.tokens[:-1] if self.finished else self.tokens)

    def score(self, alpha: float) -> float:
        """The log-probability divided by the length penalty (length counting `<end>`)."""
        return self.log_prob / length_penalty(len(self.tokens), alpha)


@dataclass(frozen=True)
class Beam:
    """What a beam search found, and how.

    `ranked`: the hypotheses kept at the last step, best first by `score(alpha)`; all of
    them finished unless `max_len` cut the search short. `steps[t]`: the hypotheses kept
    after step t + 1, best log-probability first; a finished one carried over from the
    step before appears again, unchanged, with its index there as its parent. `dropped[t]`:
    the best candidates of step t + 1 that did not make the cut (up to `beam` of them), for
    drawing.
    """

    ranked: list[Hypothesis]
    steps: list[list[Hypothesis]]
    alpha: float
    dropped: list[list[Hypothesis]] = field(default_factory=list)

    @property
    def best(self) -> Hypothesis:
        return self.ranked[0]


@torch.no_grad()
def beam_search(
    model: Any, features: torch.Tensor, *, beam: int, max_len: int, alpha: float = 0.0
) -> Beam:
    """Beam search over the captions of one photo.

    `model` answers `start(features)` and `step(state, tokens) -> (log_probs, state)`, as
    both decoders of the lesson do; `features` are one photo's (no batch axis): (R, D)
    regions for the attention decoder, an (F,) vector for Show and Tell.
    """
    if beam < 1:
        raise ValueError(f"beam must be at least 1, got {beam}")
    state = model.start(features.unsqueeze(0))
    kept = [Hypothesis((), 0.0)]
    steps: list[list[Hypothesis]] = []
    dropped: list[list[Hypothesis]] = []
    for _ in range(max_len):
        if all(h.finished for h in kept):
            break
        # every kept hypothesis is fed its last word (a finished one's output is not used)
        last = torch.tensor([h.tokens[-1] if h.tokens else START for h in kept])
        log_probs, state = model.step(state, last.to(features.device))
        log_probs = log_probs.float().cpu()
        vocab = log_probs.size(1)
        total = torch.tensor([h.log_prob for h in kept]).unsqueeze(1) + log_probs
        for row, h in enumerate(kept):
            if h.finished:  # competes unchanged: its only extension, at no cost
                total[row] = float("-inf")
                total[row, END] = h.log_prob
        possible = int(torch.isfinite(total).sum())
        values, flat = total.flatten().topk(min(2 * beam, possible))
        candidates = []
        for value, index in zip(values.tolist(), flat.tolist(), strict=True):
            row, token = divmod(index, vocab)
            parent = kept[row]
            tokens = parent.tokens if parent.finished else (*parent.tokens, token)
            candidates.append(Hypothesis(tokens, value, row))
        kept, rest = candidates[:beam], candidates[beam:]
        steps.append(kept)
        dropped.append(rest)
        state = state.select(torch.tensor([h.parent for h in kept], device=features.device))
    ranked = sorted(kept, key=lambda h: h.score(alpha), reverse=True)  # stable on ties
    return Beam(ranked, steps, alpha, dropped)


def path(beam: Beam, step: int, index: int) -> list[int]:
    """Indices, one per step, of the hypotheses that led to `steps[step][index]`."""
    out = [index]
    for t in range(step, 0, -1):
        out.append(beam.steps[t][out[-1]].parent)
    return out[::-1]


def best_path(beam: Beam) -> list[int]:
    """`path` of the best hypothesis, found in the last step."""
    last = beam.steps[-1]
    return path(beam, len(beam.steps) - 1, last.index(beam.best))


def words(ids: Sequence[int], itos: Sequence[str]) -> str:
    """Word ids as text (`<end>` shown), for printing a hypothesis."""
    return " ".join(itos[i] for i in ids)
