"""Lesson 4, part 1: from sentences to tensors: vocabularies, padding, length buckets.

A network reads numbers, so each side of the corpus gets a vocabulary: every token seen
often enough in the *training* sentences gets an id, the rest become `<unk>`. Four ids are
reserved: `<pad>` fills short sentences up to the batch's longest (and is masked out
everywhere), `<s>` starts the decoder's input, `</s>` ends every target (the decoder learns
to say when it is done), `<unk>` stands for anything unseen.

Batches are built from sentences of similar length (`length_batches`): a batch is padded to
its longest sentence, so mixing a 4-token and a 30-token sentence wastes most of the work.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import torch

PAD, BOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ("<pad>", "<s>", "</s>", "<unk>")


class Vocab:
    """Token <-> id for one language; ids 0-3 are the specials, in SPECIALS order."""

    def __init__(self, itos: Sequence[str]) -> None:
        if tuple(itos[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a vocabulary starts with the specials {SPECIALS}")
        self.itos = tuple(itos)
        self._stoi = {token: i for i, token in enumerate(self.itos)}

    @classmethod
    def build(cls, sentences: Iterable[str], *, min_freq: int = 1) -> Vocab:
        """Tokens seen at least `min_freq` times, most frequent first (ties by token, so the
        ids do not depend on the corpus order)."""
        counts = Counter(token for sentence in sentences for token in sentence.split())
        kept = sorted(
            (t for t, c in counts.items() if c >= min_freq and t not in SPECIALS),
            key=lambda t: (-counts[t], t),
        )
        return cls(SPECIALS + tuple(kept))

    def __len__(self) -> int:
        return len(self.itos)

    def id(self, token: str) -> int:
        return self._stoi.get(token, UNK)

    def encode(self, sentence: str, *, bos: bool = False, eos: bool = False) -> list[int]:
        ids = [self.id(token) for token in sentence.split()]
        return ([BOS] if bos else []) + ids + ([EOS] if eos else [])

    def decode(self, ids: Iterable[int]) -> str:
        """Tokens up to the first `</s>`, specials other than `<unk>` dropped."""
        words = []
        for i in ids:
            if i == EOS:
                break
            if i in (PAD, BOS):
                continue
            words.append(self.itos[i])
        return " ".join(words)


def pad_batch(sequences: Sequence[Sequence[int]], *, pad: int = PAD) -> torch.Tensor:
    """(B, longest) int64, each row a sequence followed by `pad`."""
    longest = max((len(s) for s in sequences), default=0)
    out = torch.full((len(sequences), longest), pad, dtype=torch.long)
    for row, sequence in enumerate(sequences):
        out[row, : len(sequence)] = torch.as_tensor(sequence, dtype=torch.long)
    return out


def length_batches(
    lengths: Sequence[int], *, max_tokens: int, rng: np.random.Generator | None = None
) -> list[np.ndarray]:
    """Indices grouped into batches of similar length, each at most `max_tokens` padded
    tokens (at least one sentence). With `rng`, sentences of equal length and the order of
    the batches are shuffled (an epoch's order); without, the order is fixed (evaluation)."""
    lengths_ = np.asarray(lengths)
    jitter = rng.random(len(lengths_)) if rng is not None else np.arange(len(lengths_))
    order = np.lexsort((jitter, lengths_))
    batches: list[np.ndarray] = []
    start = 0
    while start < len(order):
        end = start + 1
        while end < len(order) and lengths_[order[end]] * (end + 1 - start) <= max_tokens:
            end += 1
        batches.append(order[start:end])
        start = end
    if rng is not None:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def carve_validation(n: int, size: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, validation indices): a fixed random `size` of the `n` pairs held out
    for every choice (epochs, beam size), so that the test split is used once, at the end."""
    if not 0 < size < n:
        raise ValueError(f"a validation split of {size} out of {n} pairs leaves nothing to train")
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[size:]), np.sort(order[:size])


def batches_of(
    source: Sequence[list[int]], target: Sequence[list[int]], batches: Iterable[np.ndarray]
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(source ids (B, S), target ids (B, T)) per batch of indices, padded."""
    for index in batches:
        yield pad_batch([source[i] for i in index]), pad_batch([target[i] for i in index])
