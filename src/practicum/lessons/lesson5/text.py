"""Lesson 5, part 1: captions as token ids.

Human captions are written freely ("A dog runs through the grass." / "a dog running thru
grass"), so before counting words they are normalised the same way everywhere: lowercase,
punctuation dropped, split on spaces. BLEU and CIDEr-D compare normalised words too, so a
capital letter or a final full stop never costs a point.

The vocabulary keeps the words seen often enough in the *training* captions; four ids are
reserved: `<pad>` (fills short captions up to the batch's longest, ignored by the loss),
`<start>` (the decoder's first input), `<end>` (the decoder learns to say when it is done)
and `<unk>` (any rarer word).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import torch

PAD, START, END, UNK = 0, 1, 2, 3
SPECIALS = ("<pad>", "<start>", "<end>", "<unk>")
MAX_WORDS = 24
"""Longer captions are cut (fewer than 1% of Flickr8k's are longer)."""

_NOT_WORD = re.compile(r"[^a-z0-9' ]+")


def normalize(caption: str) -> list[str]:
    """Lowercase words without punctuation: "A dog, running." -> ["a", "dog", "running"]."""
    return _NOT_WORD.sub(" ", caption.lower().replace("'s ", " 's ")).split()


class Vocab:
    """Word <-> id; ids 0-3 are the specials, in SPECIALS order."""

    def __init__(self, itos: Sequence[str]) -> None:
        if tuple(itos[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a vocabulary starts with the specials {SPECIALS}")
        self.itos = tuple(itos)
        self._stoi = {word: i for i, word in enumerate(self.itos)}

    @classmethod
    def build(cls, captions: Iterable[str], *, min_freq: int = 3) -> Vocab:
        """Words seen at least `min_freq` times, most frequent first (ties by the word, so
        the ids do not depend on the order of the captions)."""
        counts = Counter(word for caption in captions for word in normalize(caption))
        kept = sorted(
            (w for w, c in counts.items() if c >= min_freq and w not in SPECIALS),
            key=lambda w: (-counts[w], w),
        )
        return cls(SPECIALS + tuple(kept))

    def __len__(self) -> int:
        return len(self.itos)

    def id(self, word: str) -> int:
        return self._stoi.get(word, UNK)

    def encode(self, caption: str, *, max_words: int = MAX_WORDS) -> list[int]:
        """`<start>` word ids `<end>`, the words cut after `max_words`."""
        return [START, *(self.id(w) for w in normalize(caption)[:max_words]), END]

    def decode(self, ids: Iterable[int]) -> str:
        """Words up to the first `<end>`; `<pad>` and `<start>` dropped, `<unk>` kept."""
        words = []
        for i in ids:
            if i == END:
                break
            if i in (PAD, START):
                continue
            words.append(self.itos[i])
        return " ".join(words)


def pad_captions(captions: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """((B, longest) int64 ids padded with `<pad>` at the end, (B,) lengths)."""
    lengths = torch.tensor([len(c) for c in captions], dtype=torch.long)
    longest = max((len(c) for c in captions), default=0)
    out = torch.full((len(captions), longest), PAD, dtype=torch.long)
    for row, caption in enumerate(captions):
        out[row, : len(caption)] = torch.as_tensor(caption, dtype=torch.long)
    return out, lengths
