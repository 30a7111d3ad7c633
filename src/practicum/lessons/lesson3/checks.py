"""Lesson 3: the checks of Section 2's exercises, each able to name the mistake students make.

A check takes the student's function, runs it on small seeded float64 inputs built here and
raises AssertionError with one sentence when it is wrong. Backward passes are compared with
finite differences of the forward pass (numerical gradients); the cells with PyTorch's
`nn.LSTMCell` and `nn.GRUCell` (outputs, and gradients through autograd). Where a usual
mistake explains a difference (tanh' taken at the old state, a transposed weight, gradients
overwritten instead of summed over the steps, the gates read in the wrong order, a missing
tanh, the old cell state where the new one belongs...), the check recomputes that mistake
and names it.

The notebook (`lesson3/section2_implementation.py`) and `tests/lessons/test_lesson3_checks.py`
use these same functions.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from practicum.lessons.lesson3.rnn import CellWeights

Function = Callable[..., Any]
Mistakes = dict[str, torch.Tensor]
"""A wrong value an output takes under a usual mistake -> the sentence that names it."""

STEP_NAMES = ("dx", "dh", "dW_ih", "dW_hh", "db")
BPTT_NAMES = ("dxs", "dh0", "dW_ih", "dW_hh", "db")
BATCH, INPUT, HIDDEN, STEPS = 3, 2, 4, 6


def _weights(kind: str, seed: int) -> CellWeights:
    """Float64 weights, large enough (±0.8) that a wrong formula shows."""
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    g = torch.Generator().manual_seed(seed)

    def uniform(*shape: int) -> torch.Tensor:
        return (torch.rand(*shape, generator=g, dtype=torch.float64) * 2 - 1) * 0.8

    rows = gates * HIDDEN
    return CellWeights(uniform(rows, INPUT), uniform(rows, HIDDEN), uniform(rows), uniform(rows))


def _randn(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _forward(x: torch.Tensor, h: torch.Tensor, w: CellWeights) -> torch.Tensor:
    return torch.tanh(x @ w.w_ih.T + w.b_ih + h @ w.w_hh.T + w.b_hh)


def numerical_gradient(
    loss: Callable[[], torch.Tensor], tensor: torch.Tensor, eps: float = 1e-6
) -> torch.Tensor:
    """dloss/dtensor by central differences, one entry at a time (float64, small tensors)."""
    grad = torch.zeros_like(tensor)
    flat, out = tensor.view(-1), grad.view(-1)
    with torch.no_grad():
        for i in range(flat.numel()):
            keep = flat[i].item()
            flat[i] = keep + eps
            up = loss().item()
            flat[i] = keep - eps
            down = loss().item()
            flat[i] = keep
            out[i] = (up - down) / (2 * eps)
    return grad


def _tensors(got: Any, names: Sequence[str], what: str) -> list[torch.Tensor]:
    if not isinstance(got, tuple | list) or len(got) != len(names):
        raise AssertionError(f"{what} must return the tuple ({', '.join(names)})")
    for name, value in zip(names, got, strict=True):
        if not isinstance(value, torch.Tensor):
            raise AssertionError(f"{name} must be a torch tensor, not {type(value).__name__}")
    return [value.detach().to(torch.float64) for value in got]


def _close(a: torch.Tensor, b: torch.Tensor, tol: float = 1e-6) -> bool:
    return a.shape == b.shape and torch.allclose(a, b, rtol=tol, atol=tol)


def _compare(
    name: str, got: torch.Tensor, expected: torch.Tensor, mistakes: Mistakes, against: str
) -> None:
    """Raise with the sentence of the mistake `got` matches, else with the largest gap."""
    if got.shape != expected.shape:
        if name == "db" and got.shape == (BATCH, HIDDEN):
            raise AssertionError(
                "db has one row per example: the bias serves every example, so sum its "
                "gradient over the batch (dim 0)"
            )
        if got.ndim == 2 and got.shape == expected.T.shape:
            raise AssertionError(
                f"{name} has shape {tuple(got.shape)}, the transpose of "
                f"{tuple(expected.shape)}: a gradient has the shape of what it is the gradient of"
            )
        raise AssertionError(
            f"{name} has shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
        )
    if _close(got, expected):
        return
    for sentence, wrong in mistakes.items():
        if _close(got, wrong):
            raise AssertionError(sentence)
    gap = (got - expected).abs().max().item()
    raise AssertionError(f"{name} differs from {against} by up to {gap:.2e}")


# ---------------------------------------------------------------------------------------
# One RNN step, backward
# ---------------------------------------------------------------------------------------


def step_case(seed: int = 0) -> tuple[torch.Tensor, ...]:
    """(dh_next, x, h, h_next) and the weights of one RNN step, float64."""
    w = _weights("rnn", seed)
    x, h = _randn(BATCH, INPUT, seed=seed + 1), _randn(BATCH, HIDDEN, seed=seed + 2)
    h_next = _forward(x, h, w)
    return (_randn(BATCH, HIDDEN, seed=seed + 3), x, h, h_next, *w.parameters())


def _step_numerical(
    dh_next: torch.Tensor, x: torch.Tensor, h: torch.Tensor, w: CellWeights
) -> list[torch.Tensor]:
    x, h = x.clone(), h.clone()
    w = CellWeights(*(p.clone() for p in w.parameters()))

    def loss() -> torch.Tensor:
        return (_forward(x, h, w) * dh_next).sum()

    return [
        numerical_gradient(loss, x),
        numerical_gradient(loss, h),
        numerical_gradient(loss, w.w_ih),
        numerical_gradient(loss, w.w_hh),
        numerical_gradient(loss, w.b_ih),
    ]


def _step_mistakes(
    dh_next: torch.Tensor, x: torch.Tensor, h: torch.Tensor, h_next: torch.Tensor, w: CellWeights
) -> list[Mistakes]:
    """Per output, the values usual mistakes give, with the sentence naming each."""
    da = dh_next * (1 - h_next**2)
    through = {
        "the tanh's derivative is missing: multiply dL/dh' by tanh'(a) = 1 - h'² first": dh_next,
        "tanh' must be taken at this step's output: 1 - h'² with the new state h_next, "
        "not the old h": dh_next * (1 - h**2),
        "tanh'(a) is 1 - h'², squared, not 1 - h'": dh_next * (1 - h_next),
        "that is the sigmoid's derivative, h'(1 - h'); the tanh's is 1 - h'²": dh_next
        * h_next
        * (1 - h_next),
    }
    outputs: list[Mistakes] = [
        {s: d @ w.w_ih for s, d in through.items()},
        {s: d @ w.w_hh for s, d in through.items()},
        {s: d.T @ x for s, d in through.items()},
        {s: d.T @ h for s, d in through.items()},
        {s: d.sum(dim=0) for s, d in through.items()},
    ]
    outputs[1][
        "dh goes back through W_hh untransposed: da @ W_hh (the forward pass used h @ W_hh.T)"
    ] = da @ w.w_hh.T
    outputs[3][
        "dW_hh multiplies da by the state that went into the step, h, not the new state h'"
    ] = da.T @ h_next
    outputs[3]["dW_hh is transposed: da.T @ h, one row per unit of the new state"] = h.T @ da
    return outputs


def check_rnn_step_backward(candidate: Function) -> None:
    """The five gradients of one step, against finite differences of the forward pass."""
    dh_next, x, h, h_next, *params = step_case()
    w = CellWeights(*params)
    copies = CellWeights(*(p.clone() for p in params))
    got = _tensors(
        candidate(dh_next.clone(), x.clone(), h.clone(), h_next.clone(), copies),
        STEP_NAMES,
        "rnn_step_backward",
    )
    expected = _step_numerical(dh_next, x, h, w)
    mistakes = _step_mistakes(dh_next, x, h, h_next, w)
    for name, g, e, m in zip(STEP_NAMES, got, expected, mistakes, strict=True):
        _compare(name, g, e, m, "the numerical gradient")


# ---------------------------------------------------------------------------------------
# Backpropagation through time
# ---------------------------------------------------------------------------------------


def bptt_case(seed: int = 10) -> tuple[torch.Tensor, ...]:
    """(xs, h0, dhs) and RNN weights, float64: 6 steps, a batch of 3."""
    w = _weights("rnn", seed)
    xs = _randn(STEPS, BATCH, INPUT, seed=seed + 1)
    h0 = _randn(BATCH, HIDDEN, seed=seed + 2) * 0.5
    dhs = _randn(STEPS, BATCH, HIDDEN, seed=seed + 3)
    return (xs, h0, *w.parameters(), dhs)


def _bptt_loss(
    xs: torch.Tensor, h0: torch.Tensor, w: CellWeights, dhs: torch.Tensor
) -> torch.Tensor:
    h, total = h0, torch.zeros((), dtype=torch.float64)
    for x, dh in zip(xs, dhs, strict=True):
        h = _forward(x, h, w)
        total = total + (h * dh).sum()
    return total


def _bptt_numerical(
    xs: torch.Tensor, h0: torch.Tensor, w: CellWeights, dhs: torch.Tensor
) -> list[torch.Tensor]:
    xs, h0 = xs.clone(), h0.clone()
    w = CellWeights(*(p.clone() for p in w.parameters()))

    def loss() -> torch.Tensor:
        return _bptt_loss(xs, h0, w, dhs)

    tensors = (xs, h0, w.w_ih, w.w_hh, w.b_ih)
    return [numerical_gradient(loss, t) for t in tensors]


def _bptt_variant(
    xs: torch.Tensor,
    h0: torch.Tensor,
    w: CellWeights,
    dhs: torch.Tensor,
    *,
    accumulate: bool = True,
    carry: bool = True,
    every_step: bool = True,
) -> list[torch.Tensor]:
    """BPTT with one of the usual mistakes switched on (all off: the right gradients)."""
    states = [h0]
    for x in xs:
        states.append(_forward(x, states[-1], w))
    dxs = torch.zeros_like(xs)
    grads = [torch.zeros_like(w.w_ih), torch.zeros_like(w.w_hh), torch.zeros_like(w.b_ih)]
    back = torch.zeros_like(h0)
    for t in reversed(range(len(xs))):
        dh = (dhs[t] if every_step or t == len(xs) - 1 else 0) + (back if carry else 0)
        da = dh * (1 - states[t + 1] ** 2)
        dxs[t], back = da @ w.w_ih, da @ w.w_hh
        shares = [da.T @ xs[t], da.T @ states[t], da.sum(dim=0)]
        grads = [g + s if accumulate else s for g, s in zip(grads, shares, strict=True)]
    return [dxs, back, *grads]


def _bptt_mistakes(
    xs: torch.Tensor, h0: torch.Tensor, w: CellWeights, dhs: torch.Tensor
) -> list[Mistakes]:
    sentences = {
        "the weights' gradients are overwritten at every step: add up every step's share "
        "(the same weights serve every step)": {"accumulate": False},
        "the gradient flowing back from later steps is lost: the state of step t gets "
        "dhs[t] plus what the step after it sends back": {"carry": False},
        "only the last step's dhs is used: every step's state feeds the loss, so add "
        "dhs[t] at each step": {"every_step": False},
    }
    outputs: list[Mistakes] = [{} for _ in BPTT_NAMES]
    for sentence, mistake in sentences.items():
        for i, value in enumerate(_bptt_variant(xs, h0, w, dhs, **mistake)):
            outputs[i][sentence] = value
    return outputs


def check_rnn_bptt(candidate: Function) -> None:
    """BPTT over 6 steps, against finite differences of the whole unrolled forward pass."""
    xs, h0, *params, dhs = bptt_case()
    w = CellWeights(*params)
    copies = CellWeights(*(p.clone() for p in params))
    got = _tensors(candidate(xs.clone(), h0.clone(), copies, dhs.clone()), BPTT_NAMES, "rnn_bptt")
    expected = _bptt_numerical(xs, h0, w, dhs)
    mistakes = _bptt_mistakes(xs, h0, w, dhs)
    order = (2, 3, 4, 0, 1)  # weights first: their sum over the steps is the lesson
    for i in order:
        _compare(BPTT_NAMES[i], got[i], expected[i], mistakes[i], "the numerical gradient")


# ---------------------------------------------------------------------------------------
# LSTM and GRU cells, against torch.nn
# ---------------------------------------------------------------------------------------

LSTM_ORDER = "ifgo"
GRU_ORDER = "rzn"


def lstm_variant(
    x: torch.Tensor,
    state: tuple[torch.Tensor, torch.Tensor],
    w: CellWeights,
    *,
    order: str = LSTM_ORDER,
    candidate: str = "tanh",
    tanh_c: bool = True,
    h_reads: str = "new",
    returns_c: str = "new",
) -> tuple[torch.Tensor, torch.Tensor]:
    """An LSTM step, right by default, or with one usual mistake switched on."""
    h, c = state
    chunks = dict(
        zip(order, (x @ w.w_ih.T + w.b_ih + h @ w.w_hh.T + w.b_hh).chunk(4, 1), strict=True)
    )
    i, f, o = (torch.sigmoid(chunks[k]) for k in "ifo")
    g = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "none": lambda t: t}[candidate](chunks["g"])
    c_next = f * c + i * g
    shown = c_next if h_reads == "new" else c
    h_next = o * (torch.tanh(shown) if tanh_c else shown)
    return h_next, (c_next if returns_c == "new" else c)


def gru_variant(
    x: torch.Tensor,
    h: torch.Tensor,
    w: CellWeights,
    *,
    order: str = GRU_ORDER,
    swap_mix: bool = False,
    reset: str = "after",
    tanh_n: bool = True,
) -> torch.Tensor:
    """A GRU step, right by default, or with one usual mistake switched on."""
    xs = dict(zip(order, (x @ w.w_ih.T + w.b_ih).chunk(3, 1), strict=True))
    hs = dict(zip(order, (h @ w.w_hh.T + w.b_hh).chunk(3, 1), strict=True))
    r, z = torch.sigmoid(xs["r"] + hs["r"]), torch.sigmoid(xs["z"] + hs["z"])
    w_hn, b_hn = (
        dict(zip(order, w.w_hh.chunk(3, 0), strict=True))["n"],
        dict(zip(order, w.b_hh.chunk(3), strict=True))["n"],
    )
    if reset == "after":
        recurrent = r * hs["n"]
    elif reset == "bias outside":
        recurrent = r * (h @ w_hn.T) + b_hn
    else:  # "before": the original paper's variant, r applied to h before the product
        recurrent = (r * h) @ w_hn.T + b_hn
    pre = xs["n"] + recurrent
    n = torch.tanh(pre) if tanh_n else pre
    return z * n + (1 - z) * h if swap_mix else (1 - z) * n + z * h


def _order_mistakes(right: str, names: str) -> dict[str, dict[str, Any]]:
    """Every other order of the gate blocks, each with the sentence that names it."""
    orders = ("".join(p) for p in itertools.permutations(right))
    return {
        f"the gates are read in the order ({', '.join(order)}); PyTorch stacks them "
        f"({', '.join(right)}): {names}": {"order": order}
        for order in orders
        if order != right
    }


def _lstm_mistakes() -> dict[str, dict[str, Any]]:
    found = _order_mistakes(LSTM_ORDER, "input, forget, cell candidate, output")
    found |= {
        "h' = o ⊙ tanh(c'): the tanh on the cell state is missing": {"tanh_c": False},
        "the candidate g needs a tanh (it proposes content in (-1, 1))": {"candidate": "none"},
        "the candidate g takes a tanh, not a sigmoid: new content must be able to be negative": {
            "candidate": "sigmoid"
        },
        "h' must show the new cell state c', not the old c": {"h_reads": "old"},
        "return the new cell state c' with h', not the old c": {"returns_c": "old"},
    }
    return found


def _gru_mistakes() -> dict[str, dict[str, Any]]:
    found = _order_mistakes(GRU_ORDER, "reset, update, new")
    found |= {
        "z is the share of the old state: h' = (1 - z) ⊙ n + z ⊙ h, not the other way round": {
            "swap_mix": True
        },
        "the reset gate multiplies the whole recurrent part of n, its bias b_hn "
        "included: r ⊙ (W_hn h + b_hn)": {"reset": "bias outside"},
        "r is applied to h before the product (the original paper's variant); PyTorch "
        "applies it after: r ⊙ (W_hn h + b_hn)": {"reset": "before"},
        "the candidate n needs a tanh": {"tanh_n": False},
    }
    return found


def cell_case(kind: str, seed: int = 20) -> tuple[Any, ...]:
    """(x, state, w) for one step of an LSTM or a GRU, float64, weights from torch.nn."""
    with torch.random.fork_rng():  # the notebook's random state is left as it was
        torch.manual_seed(seed)
        module = (nn.LSTMCell if kind == "lstm" else nn.GRUCell)(INPUT, HIDDEN).double()
        with torch.no_grad():
            for p in module.parameters():
                p.uniform_(-0.8, 0.8)  # larger than the default init: mistakes must show
    w = CellWeights(
        *(
            getattr(module, n).detach().clone()
            for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        )
    )
    x, h = _randn(BATCH, INPUT, seed=seed + 1), _randn(BATCH, HIDDEN, seed=seed + 2)
    state: Any = (h, _randn(BATCH, HIDDEN, seed=seed + 3)) if kind == "lstm" else h
    return x, state, w, module


def _as_output(got: Any, kind: str) -> list[torch.Tensor]:
    if kind == "lstm":
        return _tensors(got, ("h'", "c'"), "lstm_cell")
    if not isinstance(got, torch.Tensor):
        raise AssertionError(
            f"gru_cell must return the new state h' as a tensor, not {type(got).__name__}"
        )
    return [got.detach().to(torch.float64)]


def _check_cell(candidate: Function, kind: str) -> None:
    x, state, w, module = cell_case(kind)
    variant: Function = lstm_variant if kind == "lstm" else gru_variant
    mistakes = _lstm_mistakes() if kind == "lstm" else _gru_mistakes()
    got = _as_output(candidate(x, state, w), kind)
    with torch.no_grad():
        expected = module(x, state)
    expected_list = list(expected) if kind == "lstm" else [expected]
    if (
        kind == "lstm"
        and len(got) == 2
        and _close(got[0], expected_list[1])
        and _close(got[1], expected_list[0])
    ):
        raise AssertionError("return (h', c') in that order, as nn.LSTMCell does")
    if all(_close(g, e) for g, e in zip(got, expected_list, strict=True)):
        _check_cell_gradients(candidate, kind, x, state, w, module)
        return
    for sentence, switches in mistakes.items():
        wrong = variant(x, state, w, **switches)
        wrong_list: list[torch.Tensor] = list(wrong) if kind == "lstm" else [wrong]
        if all(_close(g, e) for g, e in zip(got, wrong_list, strict=True)):
            raise AssertionError(sentence)
    names = ("h'", "c'") if kind == "lstm" else ("h'",)
    for name, g, e in zip(names, got, expected_list, strict=True):
        if g.shape != e.shape:
            raise AssertionError(f"{name} has shape {tuple(g.shape)}, expected {tuple(e.shape)}")
        if not _close(g, e):
            gap = (g - e).abs().max().item()
            raise AssertionError(
                f"{name} differs from nn.{type(module).__name__}'s by up to {gap:.2e}"
            )


def _check_cell_gradients(
    candidate: Function, kind: str, x: torch.Tensor, state: Any, w: CellWeights, module: nn.Module
) -> None:
    """Gradients through the student's cell (autograd) against the module's."""
    leaves = CellWeights(*(p.clone().requires_grad_() for p in w.parameters()))
    outputs = candidate(x, state, leaves)
    outputs = list(outputs) if kind == "lstm" else [outputs]
    if not all(isinstance(o, torch.Tensor) and o.requires_grad for o in outputs):
        raise AssertionError(
            "the output carries no gradient: compute it with torch operations on w"
        )
    weights = [_randn(*o.shape, seed=99 + k) for k, o in enumerate(outputs)]
    sum(((o * r).sum() for o, r in zip(outputs, weights, strict=True)), torch.zeros(())).backward()
    module.zero_grad()
    reference = module(x, state)
    reference = list(reference) if kind == "lstm" else [reference]
    sum(
        ((o * r).sum() for o, r in zip(reference, weights, strict=True)), torch.zeros(())
    ).backward()
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    for name, mine in zip(names, leaves.parameters(), strict=True):
        theirs = getattr(module, name).grad
        if mine.grad is None or not _close(mine.grad, theirs):
            raise AssertionError(
                f"the gradient of {name} differs from nn.{type(module).__name__}'s"
            )


def check_lstm_cell(candidate: Function) -> None:
    """One LSTM step against nn.LSTMCell with the same weights: (h', c') and gradients."""
    _check_cell(candidate, "lstm")


def check_gru_cell(candidate: Function) -> None:
    """One GRU step against nn.GRUCell with the same weights: h' and gradients."""
    _check_cell(candidate, "gru")
