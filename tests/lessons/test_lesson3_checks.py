"""Lesson 3's exercise checks accept the reference and name each usual mistake.

Every wrong version below is a mistake students make; its check must fail with the
sentence that names it (matched by a fragment), not merely "wrong".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

from practicum.coursework import exercise
from practicum.lessons.lesson3 import (
    bptt,
    charlm,
    checks,
    checks_charlm,
    checks_forecast,
    recurrent,
    rnn,
)
from practicum.lessons.lesson3.checks import gru_variant, lstm_variant

Check = Callable[..., None]


def _fails(check: Check, candidate: Any, fragment: str, *extra: Any) -> None:
    with pytest.raises(AssertionError) as raised:
        check(candidate, *extra)
    assert fragment in str(raised.value), str(raised.value)


# --- one step backward -------------------------------------------------------------------


def _step(
    *, at: str = "new", transpose_dh: bool = False, dw_hh: str = "right", sum_bias: bool = True
) -> Callable[..., Any]:
    def step(dh_next: Any, x: Any, h: Any, h_next: Any, w: Any) -> Any:
        slope = {"new": 1 - h_next**2, "old": 1 - h**2, "none": 1.0, "linear": 1 - h_next}[at]
        da = dh_next * slope
        dh = da @ (w.w_hh.T if transpose_dh else w.w_hh)
        grads = {"right": da.T @ h, "new state": da.T @ h_next, "transposed": h.T @ da}
        db = da.sum(dim=0) if sum_bias else da
        return da @ w.w_ih, dh, da.T @ x, grads[dw_hh], db

    return step


def test_the_step_check_accepts_the_reference_and_a_copy_of_it() -> None:
    checks.check_rnn_step_backward(bptt.rnn_step_backward)
    checks.check_rnn_step_backward(_step())


@pytest.mark.parametrize(
    ("mistake", "fragment"),
    [
        ({"at": "old"}, "with the new state h_next, not the old h"),
        ({"at": "none"}, "the tanh's derivative is missing"),
        ({"at": "linear"}, "squared"),
        ({"transpose_dh": True}, "dh goes back through W_hh untransposed"),
        ({"dw_hh": "new state"}, "the state that went into the step"),
        ({"dw_hh": "transposed"}, "dW_hh is transposed"),
        ({"sum_bias": False}, "sum its gradient over the batch"),
    ],
)
def test_the_step_check_names_each_mistake(mistake: dict[str, Any], fragment: str) -> None:
    _fails(checks.check_rnn_step_backward, _step(**mistake), fragment)


def test_the_step_check_wants_five_tensors() -> None:
    _fails(
        checks.check_rnn_step_backward,
        lambda *args: bptt.rnn_step_backward(*args)[:4],
        "(dx, dh, dW_ih, dW_hh, db)",
    )


def test_numerical_gradients_agree_with_autograd() -> None:
    x = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    (x.sin().sum()).backward()
    y = x.detach().clone()
    numeric = checks.numerical_gradient(lambda: y.sin().sum(), y)
    assert torch.allclose(numeric, x.grad, atol=1e-8)


# --- BPTT ---------------------------------------------------------------------------------


def _bptt(**mistake: bool) -> Callable[..., Any]:
    def run(xs: Any, h0: Any, w: Any, dhs: Any) -> Any:
        return tuple(checks._bptt_variant(xs, h0, w, dhs, **mistake))

    return run


def test_the_bptt_check_accepts_the_reference() -> None:
    checks.check_rnn_bptt(bptt.rnn_bptt)
    checks.check_rnn_bptt(_bptt())


@pytest.mark.parametrize(
    ("mistake", "fragment"),
    [
        ({"accumulate": False}, "add up every step's share"),
        ({"carry": False}, "flowing back from later steps is lost"),
        ({"every_step": False}, "add dhs[t] at each step"),
    ],
)
def test_the_bptt_check_names_each_mistake(mistake: dict[str, bool], fragment: str) -> None:
    _fails(checks.check_rnn_bptt, _bptt(**mistake), fragment)


def test_bptt_by_hand_matches_autograd_in_float32() -> None:
    w = rnn.CellWeights.init("rnn", 2, 5, seed=0)
    xs = torch.randn(8, 3, 2, requires_grad=True)
    outputs, _ = rnn.unroll(rnn.rnn_cell, xs, w)
    dhs = torch.randn(8, 3, 5)
    (outputs * dhs).sum().backward()
    dxs, _, dw_ih, dw_hh, db = bptt.rnn_bptt(xs.detach(), torch.zeros(3, 5), w, dhs)
    assert torch.allclose(dw_hh, w.w_hh.grad, atol=1e-5)
    assert torch.allclose(dw_ih, w.w_ih.grad, atol=1e-5)
    assert torch.allclose(db, w.b_hh.grad, atol=1e-5)
    assert torch.allclose(dxs, xs.grad, atol=1e-5)


# --- LSTM and GRU cells -------------------------------------------------------------------


def test_the_cell_checks_accept_the_references() -> None:
    checks.check_lstm_cell(rnn.lstm_cell)
    checks.check_gru_cell(rnn.gru_cell)


@pytest.mark.parametrize(
    ("switches", "fragment"),
    [
        ({"order": "ifog"}, "order (i, f, o, g)"),
        ({"order": "figo"}, "order (f, i, g, o)"),
        ({"tanh_c": False}, "the tanh on the cell state is missing"),
        ({"candidate": "none"}, "the candidate g needs a tanh"),
        ({"candidate": "sigmoid"}, "not a sigmoid"),
        ({"h_reads": "old"}, "h' must show the new cell state c', not the old c"),
        ({"returns_c": "old"}, "return the new cell state c'"),
    ],
)
def test_the_lstm_check_names_each_mistake(switches: dict[str, Any], fragment: str) -> None:
    _fails(checks.check_lstm_cell, lambda x, s, w: lstm_variant(x, s, w, **switches), fragment)


def test_the_lstm_check_notices_swapped_outputs() -> None:
    _fails(checks.check_lstm_cell, lambda x, s, w: rnn.lstm_cell(x, s, w)[::-1], "(h', c')")


@pytest.mark.parametrize(
    ("switches", "fragment"),
    [
        ({"order": "zrn"}, "order (z, r, n)"),
        ({"swap_mix": True}, "z is the share of the old state"),
        ({"reset": "bias outside"}, "its bias b_hn included"),
        ({"reset": "before"}, "the original paper's variant"),
        ({"tanh_n": False}, "the candidate n needs a tanh"),
    ],
)
def test_the_gru_check_names_each_mistake(switches: dict[str, Any], fragment: str) -> None:
    _fails(checks.check_gru_cell, lambda x, h, w: gru_variant(x, h, w, **switches), fragment)


def test_the_cell_check_wants_a_gradient() -> None:
    _fails(
        checks.check_gru_cell,
        lambda x, h, w: rnn.gru_cell(x, h, w).detach(),
        "carries no gradient",
    )


# --- the recurrent forecaster ------------------------------------------------------------


class _FirstState(recurrent.GRUForecaster):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, _ = self.gru(x.unsqueeze(-1))
        out: torch.Tensor = self.head(states[:, 0])
        return out


class _NotBatchFirst(nn.Module):
    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.gru = nn.GRU(1, hidden)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, _ = self.gru(x.unsqueeze(-1))
        out: torch.Tensor = self.head(states[:, -1])
        return out


class _Flat(recurrent.GRUForecaster):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x)[:, 0]


class _OtherNames(nn.Module):
    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.rnn = nn.GRU(1, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)


def test_the_forecaster_check_accepts_the_reference() -> None:
    checks_forecast.check_gru_forecaster(recurrent.GRUForecaster)


@pytest.mark.parametrize(
    ("candidate", "fragment"),
    [
        (_FirstState, "the state after the first month"),
        (_NotBatchFirst, "batch and time are swapped"),
        (_Flat, "keep the output's last axis"),
        (_OtherNames, "name the layers self.gru"),
    ],
)
def test_the_forecaster_check_names_each_mistake(candidate: type, fragment: str) -> None:
    _fails(checks_forecast.check_gru_forecaster, candidate, fragment)


def _epoch(*, zero_grad: bool = True, train: bool = True, mean: str = "mean") -> Callable[..., Any]:
    def run(model: Any, loader: Any, optimizer: Any, loss_fn: Any) -> float:
        if train:
            model.train()
        losses = []
        for x, t in loader:
            if zero_grad:
                optimizer.zero_grad()
            loss = loss_fn(model(x), t)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return {"mean": sum(losses) / len(losses), "sum": sum(losses), "last": losses[-1]}[mean]

    return run


def test_the_epoch_check_accepts_the_reference_and_a_copy() -> None:
    checks_forecast.check_train_epoch(recurrent.train_epoch, recurrent.train_epoch)
    checks_forecast.check_train_epoch(_epoch(), recurrent.train_epoch)


@pytest.mark.parametrize(
    ("mistake", "fragment"),
    [
        ({"zero_grad": False}, "call optimizer.zero_grad()"),
        ({"train": False}, "model.train()"),
        ({"mean": "sum"}, "the sum of the batches' losses"),
        ({"mean": "last"}, "the last batch's loss"),
    ],
)
def test_the_epoch_check_names_each_mistake(mistake: dict[str, Any], fragment: str) -> None:
    _fails(checks_forecast.check_train_epoch, _epoch(**mistake), fragment, recurrent.train_epoch)


def test_an_epoch_without_a_step_is_caught() -> None:
    def no_step(model: Any, loader: Any, optimizer: Any, loss_fn: Any) -> float:
        model.train()
        for x, t in loader:
            loss_fn(model(x), t).backward()
        return 0.0

    _fails(checks_forecast.check_train_epoch, no_step, "optimizer.step()", recurrent.train_epoch)


# --- the character-level language model --------------------------------------------------


def _loss(mistake: str) -> Callable[..., Any]:
    def loss(model: Any, chunk: torch.Tensor) -> torch.Tensor:
        inputs, targets = chunk[:, :-1], chunk[:, 1:]
        if mistake == "unshifted":
            targets = inputs
        if mistake == "backwards":
            inputs, targets = chunk[:, 1:], chunk[:, :-1]
        logits, _ = model(inputs)
        flat, wanted = logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)
        if mistake == "softmax":
            flat = flat.softmax(-1)
        reduction = "sum" if mistake == "sum" else "mean"
        return nn.functional.cross_entropy(flat, wanted, reduction=reduction)

    return loss


def test_the_loss_check_accepts_the_reference() -> None:
    checks_charlm.check_teacher_forcing_loss(charlm.teacher_forcing_loss)
    checks_charlm.check_teacher_forcing_loss(_loss("none"))


@pytest.mark.parametrize(
    ("mistake", "fragment"),
    [
        ("unshifted", "the *next* characters"),
        ("backwards", "shifted the wrong way"),
        ("softmax", "no softmax before it"),
        ("sum", "not the sum"),
    ],
)
def test_the_loss_check_names_each_mistake(mistake: str, fragment: str) -> None:
    _fails(checks_charlm.check_teacher_forcing_loss, _loss(mistake), fragment)


def _sampler(mistake: str) -> Callable[..., Any]:
    def run(
        model: Any, start: Any, steps: int, temperature: float = 1.0, generator: Any = None
    ) -> Any:
        logits, state = model(start)
        out = [start]
        for _ in range(steps):
            scores = logits[:, 0] if mistake == "first" else logits[:, -1]
            scaled = {"times": scores * temperature, "ignored": scores}.get(
                mistake, scores / temperature
            )
            if mistake == "argmax":
                drawn = scaled.argmax(-1, keepdim=True)
            else:
                drawn = torch.multinomial(torch.softmax(scaled, -1), 1, generator=generator)
            out.append(drawn)
            logits, state = model(drawn, None if mistake == "stateless" else state)
        return torch.cat(out, dim=1)

    return run


def test_the_sample_check_accepts_the_reference() -> None:
    checks_charlm.check_sample(charlm.sample)
    checks_charlm.check_sample(_sampler("none"))


@pytest.mark.parametrize(
    ("mistake", "fragment"),
    [
        ("times", "do not multiply"),
        ("ignored", "the temperature is ignored"),
        ("argmax", "torch.multinomial"),
        ("stateless", "the state is not carried"),
        ("first", "logits[:, -1]"),
    ],
)
def test_the_sample_check_names_each_mistake(mistake: str, fragment: str) -> None:
    _fails(checks_charlm.check_sample, _sampler(mistake), fragment)


def test_a_char_vocab_round_trips_and_names_unknown_characters() -> None:
    vocab = charlm.CharVocab.of("hello world\n")
    assert vocab.decode(vocab.encode("low hello")) == "low hello"
    with pytest.raises(ValueError, match=r"\['z'\]"):
        vocab.encode("zoo")


# --- the exercise registry ----------------------------------------------------------------


def test_lesson_three_registers_its_exercises_in_notebook_order() -> None:
    ids = [(e.section, e.id) for e in exercise.lesson_exercises(3)]
    assert ids == [
        (2, "rnn_cell"),
        (2, "rnn_step_backward"),
        (2, "rnn_bptt"),
        (2, "lstm_cell"),
        (2, "gru_cell"),
        (2, "unroll"),
        (2, "teacher_forcing_loss"),
        (2, "sample"),
        (4, "seasonal_naive"),
        (4, "make_windows"),
        (4, "gru_forecaster"),
        (4, "train_epoch"),
    ]
    for entry in exercise.lesson_exercises(3):
        assert entry.resolve() is not None
