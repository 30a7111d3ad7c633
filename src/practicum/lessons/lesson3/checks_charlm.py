"""Lesson 3: the checks of the character-level language model's two exercises.

`check_teacher_forcing_loss` compares the student's loss with the reference's on a small
seeded model and names the usual mistakes (targets not shifted, shifted the wrong way, a
softmax before the cross-entropy, a sum instead of a mean). `check_sample` uses stand-in
models whose next-character scores are known: one fixed, to compare the drawn characters'
frequencies with softmax(logits / temperature) (temperature multiplied, ignored, or argmax
instead of a draw are named), and one that counts the characters it was fed, to catch a
state that is not carried from step to step or scores read at the wrong position.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from practicum.lessons.lesson3.charlm import CharLM

Function = Callable[..., Any]
VOCAB = 6


def _loss_case() -> tuple[CharLM, torch.Tensor]:
    with torch.random.fork_rng():  # the notebook's random state is left as it was
        torch.manual_seed(0)
        model = CharLM(VOCAB, embed=4, hidden=8)
    chunk = torch.randint(0, VOCAB, (3, 9), generator=torch.Generator().manual_seed(1))
    return model, chunk


def _ce(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, **kw: Any) -> torch.Tensor:
    logits, _ = model(inputs)
    return F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1), **kw)


def check_teacher_forcing_loss(candidate: Function) -> None:
    """The loss on a small chunk, its mistakes named; it must carry a gradient."""
    model, chunk = _loss_case()
    got = candidate(model, chunk.clone())
    if not isinstance(got, torch.Tensor) or got.dim() != 0:
        shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
        raise AssertionError(f"return one number, a 0-d tensor (the mean loss), not {shape}")
    if got.grad_fn is None:
        raise AssertionError("the loss carries no gradient: no .item(), .detach() or no_grad")
    with torch.no_grad():
        value = float(got)
        expected = float(_ce(model, chunk[:, :-1], chunk[:, 1:]))
        if abs(value - expected) < 1e-5:
            return
        logits, _ = model(chunk[:, :-1])
        mistakes = {
            "the targets must be the *next* characters: feed chunk[:, :-1] and score it "
            "against chunk[:, 1:]": _ce(model, chunk[:, :-1], chunk[:, :-1]),
            "shifted the wrong way: the model reads chunk[:, :-1] and predicts chunk[:, 1:]": _ce(
                model, chunk[:, 1:], chunk[:, :-1]
            ),
            "F.cross_entropy takes raw logits (it applies the log-softmax itself): no "
            "softmax before it": F.cross_entropy(
                logits.softmax(-1).reshape(-1, VOCAB), chunk[:, 1:].reshape(-1)
            ),
            "average over every predicted character, not the sum": _ce(
                model, chunk[:, :-1], chunk[:, 1:], reduction="sum"
            ),
        }
        for sentence, wrong in mistakes.items():
            if abs(value - float(wrong)) < 1e-5:
                raise AssertionError(sentence)
    raise AssertionError(
        f"the loss is {value:.4f}; the mean next-character cross-entropy is {expected:.4f}"
    )


class _Fixed(nn.Module):
    """The same next-character scores whatever it reads; a dummy state."""

    def __init__(self, logits: torch.Tensor) -> None:
        super().__init__()
        self.logits = logits

    def forward(self, ids: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, torch.Tensor]:
        batch, time = ids.shape
        return self.logits.expand(batch, time, -1).clone(), torch.zeros(1, batch, 1)


class _Counter(nn.Module):
    """Scores character (characters fed so far) mod VOCAB far above the others; its state
    is that count, so it only continues correctly when the state is carried."""

    def forward(self, ids: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, torch.Tensor]:
        batch, time = ids.shape
        before = torch.zeros(1, batch, 1) if state is None else state
        counts = before[0, :, 0, None] + torch.arange(1, time + 1)  # (batch, time)
        logits = 40.0 * F.one_hot(counts.long() % VOCAB, VOCAB).float()
        return logits, before + time


def _frequencies(candidate: Function, logits: torch.Tensor, temperature: float) -> torch.Tensor:
    start = torch.zeros(4000, 1, dtype=torch.long)
    out = candidate(_Fixed(logits), start, 1, temperature, torch.Generator().manual_seed(0))
    if not isinstance(out, torch.Tensor) or out.shape != (4000, 2):
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise AssertionError(
            f"from start (batch, t0) and 1 step, return (batch, t0 + 1) ids; got {shape}"
        )
    return torch.bincount(out[:, 1].long(), minlength=VOCAB).float() / len(out)


def check_sample(candidate: Function) -> None:
    """Draws follow softmax(logits / T); the state is carried; the start is kept."""
    logits = torch.tensor([2.0, 1.0, 0.5, 0.0, -0.5, -1.0])
    temperature = 0.5
    seen = _frequencies(candidate, logits, temperature)

    def far(p: torch.Tensor) -> bool:
        return (seen - p).abs().sum().item() / 2 > 0.03  # total variation distance

    if far(torch.softmax(logits / temperature, -1)):
        if seen.max() > 0.999:
            raise AssertionError(
                "it picks the most likely character every time: draw from the softmax with "
                "torch.multinomial"
            )
        if not far(torch.softmax(logits * temperature, -1)):
            raise AssertionError("divide the logits by the temperature, do not multiply")
        if not far(torch.softmax(logits, -1)):
            raise AssertionError("the temperature is ignored: softmax(logits / temperature)")
        raise AssertionError(
            "the drawn characters do not follow softmax(logits / temperature): "
            f"frequencies {[round(v, 3) for v in seen.tolist()]}"
        )
    start = torch.tensor([[0, 1], [2, 3]])
    out = candidate(_Counter(), start.clone(), 5, 1.0, torch.Generator().manual_seed(0))
    if not torch.equal(out[:, :2], start):
        raise AssertionError("the result must begin with the start characters, then the draws")
    expected = torch.tensor([[2, 3, 4, 5, 0]] * 2)  # the counter continues 3, 4, 5, ... mod 6
    if torch.equal(out[:, 2:], expected):
        return
    if torch.equal(out[:, 2], torch.full((2,), 1)):
        raise AssertionError(
            "the first draw reads the scores of the first position: use logits[:, -1], the last one"
        )
    if torch.equal(out[:, 3:], torch.full((2, 4), 1)):
        raise AssertionError(
            "the state is not carried: feed each new character together with the state "
            "the model returned (or the whole sequence so far)"
        )
    raise AssertionError(
        f"on a model that counts its inputs the draws should continue {expected[0].tolist()}, "
        f"got {out[0, 2:].tolist()}"
    )
