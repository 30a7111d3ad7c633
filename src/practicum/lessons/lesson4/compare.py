"""Lesson 4, Section 4: translating with any search (the student's beam search included),
and the numbers of the side-by-side comparison.

`translate.translate_ids` always searches with the lesson's own greedy or beam search;
`translate_with` takes the search as an argument, so the comparison runs on the student's
version. Scores are sacrebleu's corpus BLEU on the tokens as given (`tokenize="none"`), the
way the homework is scored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sacrebleu
import torch
from torch import nn

from practicum.lessons.lesson4.text import EOS, Vocab, length_batches, pad_batch

Search = Callable[..., list[list[int]]]
"""search(model, src (B, S), max_len=...) -> token ids per row, without `</s>`."""


def translate_with(
    search: Search,
    model: nn.Module,
    sources: Sequence[list[int]],
    tgt_vocab: Vocab,
    *,
    max_tokens: int = 500,
) -> list[str]:
    """Sentences in the order given, decoded in batches of similar source length (each at
    most `max_tokens` padded source tokens; a beam multiplies the rows, so keep it small)."""
    device = next(model.parameters()).device
    out = [""] * len(sources)
    model.eval()
    lengths = [max(len(s), 1) for s in sources]
    for index in length_batches(lengths, max_tokens=max_tokens):
        src = pad_batch([sources[i] or [EOS] for i in index]).to(device)
        with torch.no_grad():
            rows = search(model, src, max_len=2 * src.size(1) + 10)
        for i, row in zip(index, rows, strict=True):
            out[i] = tgt_vocab.decode(row)
    return out


def bleu(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU as the homework computes it: sacrebleu on the given tokens."""
    return float(sacrebleu.corpus_bleu(list(hypotheses), [list(references)], tokenize="none").score)


def bleu_signature() -> str:
    """sacrebleu's signature of that score (it is known once a score has been computed)."""
    scorer = sacrebleu.BLEU(tokenize="none")
    scorer.corpus_score(["a"], [["a"]])
    return str(scorer.get_signature())


def length_ratio(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Output tokens per reference token over the corpus (BLEU's brevity penalty sets in
    below 1)."""
    produced = sum(len(h.split()) for h in hypotheses)
    return produced / max(sum(len(r.split()) for r in references), 1)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A markdown table; floats with two decimals, integers with thousands separators."""

    def cell(value: Any) -> str:
        if isinstance(value, float | np.floating):
            return f"{value:.2f}"
        if isinstance(value, int | np.integer):
            return f"{value:,}"
        return str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
