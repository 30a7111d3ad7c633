"""Lesson 4: tiny stand-in translators whose right answers are known in advance.

Both speak the `start(src)` / `step(state, tokens)` protocol of `decode.py`, so the real
searches run on them unchanged. `TableTranslator` is a probability tree small enough to
draw (Section 1's picture of greedy and beam search); `CountingTranslator` makes the
mistakes of a hand-written greedy search visible (Section 2's check): its next token
depends only on the token fed in, so a search that does not feed back its choice repeats
itself, and it keeps talking after `</s>` unless the search stops it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import torch

from practicum.lessons.lesson4.text import BOS, EOS

Table = Mapping[tuple[int, ...], Mapping[int, float]]
"""Prefix (token ids, without `<s>`) -> probabilities of the next token."""


@dataclass(frozen=True)
class PrefixState:
    """Each row's source and the tokens fed to it so far."""

    src: torch.Tensor  # (rows, S)
    fed: torch.Tensor  # (rows, t)

    def select(self, index: torch.Tensor) -> PrefixState:
        return PrefixState(self.src[index], self.fed[index])


class TableTranslator:
    """Ignores the source: the next token's probabilities are looked up by the prefix in
    `table`; a prefix the table lacks ends the sentence, and after `</s>` comes `</s>`."""

    def __init__(self, table: Table, vocab_size: int) -> None:
        self.table = table
        self.vocab_size = vocab_size

    def start(self, src: torch.Tensor) -> PrefixState:
        return PrefixState(src, torch.empty((src.size(0), 0), dtype=torch.long))

    def step(self, state: PrefixState, tokens: torch.Tensor) -> tuple[torch.Tensor, PrefixState]:
        fed = torch.cat([state.fed, tokens.unsqueeze(1)], dim=1)
        log_probs = torch.full((fed.size(0), self.vocab_size), float("-inf"))
        for row, ids in enumerate(fed.tolist()):
            prefix = tuple(i for i in ids if i != BOS)
            ended = EOS in prefix
            for token, p in ({EOS: 1.0} if ended else self.next(prefix)).items():
                log_probs[row, token] = math.log(p)
        return log_probs, PrefixState(state.src, fed)

    def next(self, prefix: tuple[int, ...]) -> Mapping[int, float]:
        return self.table.get(prefix, {EOS: 1.0})

    def sentences(self) -> dict[tuple[int, ...], float]:
        """Every complete sentence (ending in `</s>`) with its probability."""
        out: dict[tuple[int, ...], float] = {}

        def walk(prefix: tuple[int, ...], p: float) -> None:
            for token, q in self.next(prefix).items():
                if token == EOS:
                    out[(*prefix, EOS)] = p * q
                else:
                    walk((*prefix, token), p * q)

        walk((), 1.0)
        return out


class CountingTranslator:
    """Row r says src[r, 0], src[r, 0] + 1, ... up to src[r, 1], then `</s>`; fed `</s>`
    it goes on with `babble` (a decoder is not stopped by saying `</s>`, the search
    stops it). The most likely next token depends only on the token just fed in.

    `limit` guards against a search that never stops: stepping a row more than `limit`
    times raises AssertionError.
    """

    def __init__(self, vocab_size: int = 32, *, babble: int = 4, limit: int = 100) -> None:
        self.vocab_size = vocab_size
        self.babble = babble
        self.limit = limit

    def start(self, src: torch.Tensor) -> PrefixState:
        return PrefixState(src, torch.empty((src.size(0), 0), dtype=torch.long))

    def step(self, state: PrefixState, tokens: torch.Tensor) -> tuple[torch.Tensor, PrefixState]:
        if state.fed.size(1) >= self.limit:
            raise AssertionError(
                f"the search asked for more than {self.limit} tokens: stop after max_len steps"
            )
        tokens = tokens.reshape(-1).long()
        first, last = state.src[:, 0], state.src[:, 1]
        following = torch.where(tokens >= last, EOS, tokens + 1)
        following = torch.where(tokens == BOS, first, following)
        following = torch.where(tokens == EOS, self.babble, following)
        scores = torch.zeros(tokens.size(0), self.vocab_size)
        scores[torch.arange(tokens.size(0)), following] = 5.0
        fed = torch.cat([state.fed, tokens.unsqueeze(1)], dim=1)
        return torch.log_softmax(scores, dim=-1), PrefixState(state.src, fed)
