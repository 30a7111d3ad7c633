"""Lesson 4: training a translator within a time budget.

Read top to bottom: the corpus becomes ids (`encode_corpus`), `train_translator` runs the bare
loop (length-bucketed batches, teacher forcing, label-smoothed cross-entropy with `<pad>`
ignored, Adam with a warm-up and a cosine decay over the *time* budget, gradient clipping)
and keeps the weights that scored best on the validation sentences; `translate_ids` decodes
with greedy or beam search. The homework's reference, which picks the model and its size
and runs all of this, is `reference.py` (withheld from students' servers on a course).

Every choice is made on the data set's `dev` split (500 pairs); the homework's test split
is only ever translated, never looked at.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from practicum.lessons.lesson4.bleu import corpus_bleu
from practicum.lessons.lesson4.decode import Translator, beam_search, greedy
from practicum.lessons.lesson4.seq2seq import Seq2Seq
from practicum.lessons.lesson4.text import EOS, PAD, Vocab, batches_of, length_batches, pad_batch
from practicum.lessons.lesson4.transformer import Transformer

DATASET = "small-parallel-enja"

# ---------------------------------------------------------------------------------------
# 1. Ids
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Encoded:
    """Both sides of a corpus as ids: source plain, target wrapped in <s> ... </s>."""

    source: list[list[int]]
    target: list[list[int]]


def encode_corpus(
    src: Sequence[str] | NDArray[np.str_],
    tgt: Sequence[str] | NDArray[np.str_],
    sv: Vocab,
    tv: Vocab,
) -> Encoded:
    return Encoded([sv.encode(s) for s in src], [tv.encode(t, bos=True, eos=True) for t in tgt])


# ---------------------------------------------------------------------------------------
# 2. Models and recipes
# ---------------------------------------------------------------------------------------

MODELS = ("lstm", "attention", "transformer")


@dataclass(frozen=True)
class Recipe:
    model: str = "transformer"
    size: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments of the model (d_model, layers, hidden...)."""
    max_tokens: int = 3000
    """Padded source + target tokens per batch."""
    lr: float = 1e-3
    warmup_steps: int = 300
    label_smoothing: float = 0.1
    min_freq: int = 1
    beam: int = 4
    alpha: float = 0.6
    eval_every_s: float = 180.0
    """How often the validation BLEU is measured (greedy), to keep the best weights."""


def make_model(recipe: Recipe, src_vocab: int, tgt_vocab: int) -> nn.Module:
    if recipe.model == "transformer":
        return Transformer(src_vocab, tgt_vocab, **recipe.size)
    if recipe.model in ("lstm", "attention"):
        return Seq2Seq(src_vocab, tgt_vocab, attention=recipe.model == "attention", **recipe.size)
    raise ValueError(f"unknown model {recipe.model!r}; choose from {', '.join(MODELS)}")


# ---------------------------------------------------------------------------------------
# 3. Training
# ---------------------------------------------------------------------------------------


@dataclass
class TrainLog:
    """Per evaluation: seconds since the start, optimizer steps, mean training loss since
    the last evaluation, validation BLEU (greedy)."""

    seconds: list[float] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    valid_bleu: list[float] = field(default_factory=list)


def teacher_forcing_loss(
    model: nn.Module, src: torch.Tensor, tgt: torch.Tensor, *, label_smoothing: float = 0.0
) -> torch.Tensor:
    """Mean cross-entropy of every next target token given the correct ones before it.

    `tgt` is `<s> w1 ... wn </s>` padded: the decoder reads all but the last position and
    must predict all but the first (the same sentence shifted left by one); `<pad>`
    positions count for nothing.
    """
    logits = model(src, tgt[:, :-1])
    return nn.functional.cross_entropy(
        logits.reshape(-1, logits.size(-1)),
        tgt[:, 1:].reshape(-1),
        ignore_index=PAD,
        label_smoothing=label_smoothing,
    )


def train_epoch(
    model: nn.Module,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    optimizer: torch.optim.Optimizer,
    *,
    clip: float = 1.0,
) -> float:
    """One pass over `batches` of (source, target) ids: the bare PyTorch loop. The mean
    training loss."""
    model.train()
    device = next(model.parameters()).device
    losses = []
    for src, tgt in batches:
        loss = teacher_forcing_loss(model, src.to(device), tgt.to(device))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        losses.append(loss.item())
    return float(np.mean(losses)) if losses else float("nan")


def lr_at(recipe: Recipe, step: int, progress: float) -> float:
    """Warm-up over the first steps, then a cosine from the peak to 0 over the time budget."""
    warm = min(1.0, (step + 1) / recipe.warmup_steps)
    return recipe.lr * warm * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


class _Validator:
    """Measures validation BLEU (greedy), logs it, and keeps the best weights seen."""

    def __init__(
        self,
        valid_src: Sequence[list[int]],
        valid_refs: Sequence[str],
        tgt_vocab: Vocab,
        report: Callable[[str], None],
    ) -> None:
        self.valid_src, self.valid_refs, self.tgt_vocab = valid_src, valid_refs, tgt_vocab
        self.report = report
        self.log = TrainLog()
        self.best = -1.0
        self.best_state: dict[str, torch.Tensor] | None = None
        self.start = time.perf_counter()

    def __call__(self, model: nn.Module, step: int, losses: list[float]) -> None:
        hypotheses = translate_ids(model, self.valid_src, self.tgt_vocab, beam=1)
        bleu = corpus_bleu(hypotheses, self.valid_refs).score
        elapsed = time.perf_counter() - self.start
        loss = float(np.mean(losses)) if losses else float("nan")
        self.log.seconds.append(elapsed)
        self.log.steps.append(step)
        self.log.train_loss.append(loss)
        self.log.valid_bleu.append(bleu)
        self.report(
            f"{elapsed / 60:5.1f} min  step {step:6d}  train loss {loss:.3f}  valid BLEU {bleu:.2f}"
        )
        if bleu > self.best:
            self.best, self.best_state = bleu, copy.deepcopy(model.state_dict())


def train_translator(
    model: nn.Module,
    train: Encoded,
    valid_src: Sequence[list[int]],
    valid_refs: Sequence[str],
    tgt_vocab: Vocab,
    *,
    recipe: Recipe,
    budget_s: float,
    seed: int = 0,
    report: Callable[[str], None] = print,
) -> TrainLog:
    """Train until `budget_s` seconds have passed; the model ends with the weights that
    had the best validation BLEU."""
    device = next(model.parameters()).device
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr, betas=(0.9, 0.98))
    lengths = [len(s) + len(t) for s, t in zip(train.source, train.target, strict=True)]
    rng = np.random.default_rng(seed)
    validate = _Validator(valid_src, valid_refs, tgt_vocab, report)
    start = last_eval = time.perf_counter()
    step, losses = 0, list[float]()
    while time.perf_counter() - start < budget_s:
        batches = length_batches(lengths, max_tokens=recipe.max_tokens, rng=rng)
        for src, tgt in batches_of(train.source, train.target, batches):
            now = time.perf_counter()
            if now - start >= budget_s:
                break
            model.train()
            src, tgt = src.to(device), tgt.to(device)
            for group in optimizer.param_groups:
                group["lr"] = lr_at(recipe, step, (now - start) / budget_s)
            loss = teacher_forcing_loss(model, src, tgt, label_smoothing=recipe.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            step, losses = step + 1, [*losses, loss.item()]
            if time.perf_counter() - last_eval >= recipe.eval_every_s:
                validate(model, step, losses)
                losses, last_eval = [], time.perf_counter()
    validate(model, step, losses)
    if validate.best_state is not None:
        model.load_state_dict(validate.best_state)
    return validate.log


# ---------------------------------------------------------------------------------------
# 4. Translating
# ---------------------------------------------------------------------------------------


def translate_ids(
    model: nn.Module,
    sources: Sequence[list[int]],
    tgt_vocab: Vocab,
    *,
    beam: int = 1,
    alpha: float = 0.6,
    max_tokens: int = 2000,
) -> list[str]:
    """Sentences in the order given; batches of similar length, greedy when beam == 1."""
    device = next(model.parameters()).device
    translator: Translator = model  # type: ignore[assignment]
    out: list[str] = [""] * len(sources)
    model.eval()
    lengths = [max(len(s), 1) for s in sources]
    for index in length_batches(lengths, max_tokens=max_tokens // max(beam, 1)):
        batch = [sources[i] or [EOS] for i in index]
        src = pad_batch(batch).to(device)
        max_len = 2 * src.size(1) + 10
        if beam == 1:
            rows = greedy(translator, src, max_len=max_len)
        else:
            rows = beam_search(translator, src, beam=beam, max_len=max_len, alpha=alpha)
        for i, row in zip(index, rows, strict=True):
            out[i] = tgt_vocab.decode(row)
    return out
