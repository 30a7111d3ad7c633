"""Lesson 5, part 4: training a captioner and reading captions out of it.

Every photo has five captions, so a training pair is (photo index, one caption); an epoch
sees every caption once. The loss is the cross-entropy of every next word under teacher
forcing, `<pad>` ignored. Models are chosen on a validation split of photos carved from the
training photos (CIDEr-D of beam-searched captions), never on test photos.

The decoder can first learn English on captions without photos (`pretrain_language`):
Flickr8k has 35,000 captions of other photos, six times the captions of the photos here.
The image inputs are zero during pretraining, so the LSTM learns how captions go; the photos
then teach it which caption fits which photo.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from sacrebleu.metrics.bleu import BLEU
from torch import nn
from torch.nn import functional as F

from practicum.lessons.lesson4.decode import beam_search, greedy
from practicum.lessons.lesson5.decoder import AttendAndTell, doubly_stochastic_penalty
from practicum.lessons.lesson5.text import END, PAD, START, Vocab, pad_captions
from practicum.train.cider import cider_d
from practicum.train.progress import epoch_bar

Log = Callable[[str], None]
MAX_CAPTION = 20
"""Words a search may write at most (Flickr8k captions average 11)."""

assert (START, END) == (1, 2), "Lesson 4's searches start with id 1 and stop at id 2"


def caption_pairs(captions: Sequence[Sequence[str]], vocab: Vocab) -> list[tuple[int, list[int]]]:
    """(photo index, `<start>` ids `<end>`) for every caption of every photo."""
    return [(i, vocab.encode(c)) for i, photo in enumerate(captions) for c in photo]


def caption_batches(
    pairs: Sequence[tuple[int, list[int]]], batch_size: int, rng: np.random.Generator | None
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(photo indices (B,), ids (B, T)) per batch, shuffled with `rng` (fixed without)."""
    order = rng.permutation(len(pairs)) if rng is not None else np.arange(len(pairs))
    for start in range(0, len(order), batch_size):
        chosen = [pairs[i] for i in order[start : start + batch_size]]
        ids, _ = pad_captions([c for _, c in chosen])
        yield torch.tensor([i for i, _ in chosen], dtype=torch.long), ids


def caption_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of (B, T, V) logits against (B, T) next-word ids, `<pad>` ignored."""
    return F.cross_entropy(
        logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=PAD
    )


def model_loss(
    model: nn.Module, features: torch.Tensor, ids: torch.Tensor, attention_weight: float
) -> torch.Tensor:
    """Teacher-forcing loss of either decoder on a batch (plus the attention regulariser)."""
    inputs, targets = ids[:, :-1], ids[:, 1:]
    if isinstance(model, AttendAndTell):
        logits, alphas = model(features, inputs)
        loss = caption_loss(logits, targets)
        if attention_weight:
            loss = loss + attention_weight * doubly_stochastic_penalty(alphas, inputs)
        return loss
    return caption_loss(model(features, inputs), targets)


def train_epoch(
    model: nn.Module,
    features: torch.Tensor,
    pairs: Sequence[tuple[int, list[int]]],
    optimizer: torch.optim.Optimizer,
    *,
    batch_size: int = 64,
    rng: np.random.Generator,
    clip: float = 5.0,
    attention_weight: float = 0.0,
    schedule: Callable[[], None] | None = None,
    progress: bool = False,
) -> float:
    """One pass over the pairs; returns the mean loss per batch."""
    model.train()
    total, batches = 0.0, math.ceil(len(pairs) / batch_size)
    with epoch_bar("epoch", batches, progress) as bar:
        for index, ids in caption_batches(pairs, batch_size, rng):
            if schedule is not None:
                schedule()
            loss = model_loss(model, features[index], ids, attention_weight)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            total += loss.item()
            bar(loss.item())
    return total / batches


@torch.no_grad()
def write_captions(
    model: nn.Module,
    features: torch.Tensor,
    vocab: Vocab,
    *,
    beam: int = 3,
    alpha: float = 0.0,
    batch_size: int = 64,
) -> list[str]:
    """One caption per photo: greedy search (beam 1) or beam search."""
    model.eval()
    out: list[str] = []
    for start in range(0, len(features), batch_size):
        batch = features[start : start + batch_size]
        if beam == 1:
            ids = greedy(model, batch, max_len=MAX_CAPTION)  # type: ignore[arg-type]
        else:
            ids = beam_search(model, batch, beam=beam, max_len=MAX_CAPTION, alpha=alpha)  # type: ignore[arg-type]
        out.extend(vocab.decode(row) for row in ids)
    return out


@dataclass(frozen=True)
class Scores:
    bleu4: float
    """sacrebleu corpus BLEU-4 (0-100), lowercased, every reference."""
    cider: float
    """CIDEr-D (0-10 scale; 1.0 is printed as 1.000)."""

    def __str__(self) -> str:
        return f"BLEU-4 {self.bleu4:.2f}  CIDEr-D {self.cider:.3f}"


def bleu4(references: Sequence[Sequence[str]], hypotheses: Sequence[str]) -> float:
    """sacrebleu's corpus BLEU-4 against every reference of each photo, lowercased, default
    tokenizer: as the homework is scored. sacrebleu takes one stream per reference number,
    `None` where a photo has fewer references."""
    streams = [
        [refs[j] if j < len(refs) else None for refs in references]
        for j in range(max(len(refs) for refs in references))
    ]
    metric = BLEU(lowercase=True)
    quiet = logging.getLogger("sacrebleu")  # not its "forgot to detokenize?" for " ." endings
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        return float(metric.corpus_score(list(hypotheses), streams).score)  # type: ignore[arg-type]
    finally:
        quiet.setLevel(level)


def score_captions(references: Sequence[Sequence[str]], hypotheses: Sequence[str]) -> Scores:
    return Scores(bleu4(references, hypotheses), cider_d(references, hypotheses).score)


@dataclass
class FitResult:
    """The weights with the best validation CIDEr-D, and the curve that chose them."""

    best_epoch: int
    best: Scores
    history: list[dict[str, float]] = field(default_factory=list)


def pretrain_language(
    model: nn.Module,
    feature_shape: tuple[int, ...],
    captions: Sequence[str],
    vocab: Vocab,
    *,
    epochs: int = 2,
    lr: float = 2e-3,
    batch_size: int = 128,
    seed: int = 0,
    deadline: float | None = None,
    log: Log | None = None,
    progress: bool = False,
) -> None:
    """Teach the decoder English on captions without photos (all image inputs zero)."""
    pairs = [(0, vocab.encode(c)) for c in captions]
    blank = torch.zeros((1, *feature_shape))
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        if deadline is not None and time.perf_counter() > deadline:
            break
        start = time.perf_counter()
        loss = train_epoch(
            model,
            blank,
            pairs,
            optimizer,
            batch_size=batch_size,
            rng=rng,
            attention_weight=0.0,
            progress=progress,
        )
        if log:
            log(
                f"language model, epoch {epoch + 1}: loss {loss:.3f} ({time.perf_counter() - start:.0f} s)"
            )


def fit_captioner(
    model: nn.Module,
    train_features: torch.Tensor,
    train_captions: Sequence[Sequence[str]],
    valid_features: torch.Tensor,
    valid_captions: Sequence[Sequence[str]],
    vocab: Vocab,
    *,
    epochs: int = 15,
    lr: float = 2e-3,
    batch_size: int = 64,
    beam: int = 3,
    eval_every: int = 1,
    attention_weight: float = 0.0,
    seed: int = 0,
    deadline: float | None = None,
    log: Log | None = None,
    progress: bool = False,
) -> FitResult:
    """Train with a cosine learning-rate decay; keep the epoch with the best validation
    CIDEr-D (captions drift toward the training photos' after a few epochs on 600 photos).

    `attention_weight` is the doubly stochastic penalty's lambda for `AttendAndTell`, off
    by default: on these photos lambda = 1 holds the weights near uniform over the 225
    regions (Section 3 measures it), and the captions score no better for it."""
    pairs = caption_pairs(train_captions, vocab)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    rng = np.random.default_rng(seed)
    total = epochs * math.ceil(len(pairs) / batch_size)
    step = [0]

    def schedule() -> None:
        for group in optimizer.param_groups:
            group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * min(step[0], total) / total))
        step[0] += 1

    result = FitResult(best_epoch=0, best=Scores(-1.0, -1.0))
    best_state = copy.deepcopy(model.state_dict())
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        loss = train_epoch(
            model,
            train_features,
            pairs,
            optimizer,
            batch_size=batch_size,
            rng=rng,
            attention_weight=attention_weight,
            schedule=schedule,
            progress=progress,
        )
        row = {"epoch": float(epoch), "train_loss": loss}
        out_of_time = deadline is not None and time.perf_counter() > deadline
        if epoch % eval_every == 0 or epoch == epochs or out_of_time:
            hyps = write_captions(model, valid_features, vocab, beam=beam)
            scores = score_captions(valid_captions, hyps)
            row.update(bleu4=scores.bleu4, cider=scores.cider)
            if scores.cider > result.best.cider:
                result.best, result.best_epoch = scores, epoch
                best_state = copy.deepcopy(model.state_dict())
        result.history.append(row)
        if log:
            shown = f"  valid {Scores(row['bleu4'], row['cider'])}" if "cider" in row else ""
            log(
                f"epoch {epoch}: train loss {loss:.3f}{shown} ({time.perf_counter() - started:.0f} s)"
            )
        if out_of_time:
            break
    model.load_state_dict(best_state)
    return result
