"""Lesson 4: turning a trained decoder into sentences: greedy search and beam search.

Every model of the lesson offers the same two calls, so one search serves them all:
`start(src)` encodes a batch of source sentences into a decoder state, and
`step(state, tokens)` feeds the last chosen token of each row and answers the log-probabilities
of the next one, with the new state. A state can be re-ordered (`select`), which is all a
beam search needs to keep, copy or drop hypotheses.

Greedy search takes the most likely token each step. Beam search keeps the `beam` best
partial sentences by total log-probability; since every extra token adds a negative
log-probability, raw totals favour short sentences, so finished ones are compared after
dividing by a length penalty ((5 + length) / 6) ** alpha (Wu et al., 2016).
"""

from __future__ import annotations

from typing import Protocol, Self

import torch

from practicum.lessons.lesson4.text import BOS, EOS


class DecoderState(Protocol):
    def select(self, index: torch.Tensor) -> Self:
        """The state of rows `index` (repeats allowed), in that order."""
        ...


class Translator(Protocol):
    def start(self, src: torch.Tensor) -> DecoderState: ...

    def step(
        self, state: DecoderState, tokens: torch.Tensor
    ) -> tuple[torch.Tensor, DecoderState]: ...


def _cut(row: list[int]) -> list[int]:
    return row[: row.index(EOS)] if EOS in row else row


@torch.no_grad()
def greedy(model: Translator, src: torch.Tensor, *, max_len: int) -> list[list[int]]:
    """The most likely next token, every step; token ids without `</s>`, one list per row."""
    state = model.start(src)
    tokens = torch.full((src.size(0),), BOS, dtype=torch.long, device=src.device)
    out = []
    done = torch.zeros(src.size(0), dtype=torch.bool, device=src.device)
    for _ in range(max_len):
        log_probs, state = model.step(state, tokens)
        tokens = log_probs.argmax(dim=-1)
        out.append(tokens)
        done |= tokens == EOS
        if bool(done.all()):
            break
    rows = torch.stack(out, dim=1).tolist() if out else [[] for _ in range(src.size(0))]
    return [_cut(row) for row in rows]


def length_penalty(length: torch.Tensor, alpha: float) -> torch.Tensor:
    return ((5.0 + length) / 6.0) ** alpha


@torch.no_grad()
def beam_hypotheses(
    model: Translator, src: torch.Tensor, *, beam: int, max_len: int, alpha: float = 0.6
) -> list[list[tuple[list[int], float]]]:
    """Every row's `beam` final hypotheses, best first: (token ids without `</s>`, total
    log-probability divided by the length penalty).

    A hypothesis that has produced `</s>` keeps its score and repeats `</s>`, so it stays
    in the beam and competes with the open ones until the search ends.
    """
    batch, device = src.size(0), src.device
    rows = torch.arange(batch, device=device)
    state = model.start(src).select(rows.repeat_interleave(beam))
    scores = torch.full((batch, beam), float("-inf"), device=device)
    scores[:, 0] = 0.0  # one live hypothesis at first, so the beams start out different
    tokens = torch.full((batch * beam,), BOS, dtype=torch.long, device=device)
    history = torch.empty((batch * beam, 0), dtype=torch.long, device=device)
    for _ in range(max_len):
        log_probs, state = model.step(state, tokens)
        if history.size(1):
            ended = history[:, -1] == EOS
            log_probs[ended] = float("-inf")
            log_probs[ended, EOS] = 0.0
        vocab = log_probs.size(-1)
        candidates = (scores.view(-1, 1) + log_probs).view(batch, beam * vocab)
        scores, flat = candidates.topk(beam, dim=1)
        chosen = (rows.unsqueeze(1) * beam + flat // vocab).view(-1)
        tokens = (flat % vocab).view(-1)
        state = state.select(chosen)
        history = torch.cat([history[chosen], tokens.unsqueeze(1)], dim=1)
        if bool((tokens == EOS).all()):
            break
    is_eos = history == EOS
    first_eos = torch.where(is_eos.any(1), is_eos.int().argmax(1) + 1, history.size(1))
    normalised = (scores.view(-1) / length_penalty(first_eos.float(), alpha)).view(batch, beam)
    # a stable sort: among equal scores the earlier hypothesis first, as argmax would pick
    order = normalised.argsort(dim=1, descending=True, stable=True).tolist()
    ids, values = history.view(batch, beam, history.size(1)).tolist(), normalised.tolist()
    return [[(_cut(ids[b][j]), values[b][j]) for j in order[b]] for b in range(batch)]


def beam_search(
    model: Translator, src: torch.Tensor, *, beam: int, max_len: int, alpha: float = 0.6
) -> list[list[int]]:
    """The best of `beam` hypotheses per row by length-normalised log-probability (see
    `beam_hypotheses`)."""
    found = beam_hypotheses(model, src, beam=beam, max_len=max_len, alpha=alpha)
    return [row[0][0] for row in found]
