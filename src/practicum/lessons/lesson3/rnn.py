"""Lesson 3: recurrent cells written out by hand, and why their gradients vanish or explode.

Read it top to bottom, in the order the lesson teaches it:

1. weights: one set per cell, laid out exactly as `torch.nn.RNN`, `nn.LSTM` and `nn.GRU`
   store theirs (gates stacked in PyTorch's order), so they can be copied both ways;
2. cells: one time step of a plain RNN, an LSTM and a GRU, every gate written out;
3. the loop over time: `unroll` applies a cell step after step; autograd then runs
   backpropagation through time (BPTT) through that loop with no extra code;
4. gradients over time: how strongly the loss at the last step still depends on early
   inputs, as a function of the recurrent weights' scale and the distance in time;
5. gradient clipping, the standard guard against the exploding case.

The lesson's models (`ecg.GRUClassifier`, the forecasters) use `torch.nn`'s fused
versions of these cells; these hand-written ones are for seeing what is inside.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]
"""A cell's memory: h for the RNN and the GRU, the pair (h, c) for the LSTM."""

# ---------------------------------------------------------------------------------------
# 1. Weights
# ---------------------------------------------------------------------------------------

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
"""Blocks stacked in each weight matrix: LSTM (input, forget, cell, output) and GRU
(reset, update, new), in that order, as PyTorch stacks them."""


@dataclass
class CellWeights:
    """The four tensors of one recurrent layer, shaped like PyTorch's.

    w_ih: (gates * hidden, input), w_hh: (gates * hidden, hidden), b_ih and b_hh:
    (gates * hidden,). PyTorch keeps two biases where one would do (they are only ever
    added together, except inside the GRU's candidate state); we keep both to match it.
    """

    w_ih: torch.Tensor
    w_hh: torch.Tensor
    b_ih: torch.Tensor
    b_hh: torch.Tensor

    @property
    def hidden(self) -> int:
        return self.w_hh.shape[1]

    @property
    def kind(self) -> str:
        """The cell it belongs to ("rnn", "lstm" or "gru"), from the stacked gate blocks."""
        blocks = self.w_hh.shape[0] // self.hidden
        return {gates: kind for kind, gates in GATES.items()}[blocks]

    def parameters(self) -> list[torch.Tensor]:
        return [self.w_ih, self.w_hh, self.b_ih, self.b_hh]

    @classmethod
    def init(cls, kind: str, input_size: int, hidden: int, *, seed: int = 0) -> CellWeights:
        """Uniform in ±1/sqrt(hidden), PyTorch's default, ready for autograd."""
        gates = _gates(kind)
        generator = torch.Generator().manual_seed(seed)
        bound = 1 / math.sqrt(hidden)

        def uniform(*shape: int) -> torch.Tensor:
            values = (torch.rand(*shape, generator=generator) * 2 - 1) * bound
            return values.requires_grad_()

        rows = gates * hidden
        return cls(uniform(rows, input_size), uniform(rows, hidden), uniform(rows), uniform(rows))

    @classmethod
    def from_torch(cls, module: nn.RNNBase, layer: int = 0) -> CellWeights:
        """Copies of one layer's weights of an `nn.RNN`, `nn.LSTM` or `nn.GRU`."""
        if not module.bias:
            raise ValueError("CellWeights.from_torch: the module was built with bias=False")
        if module.proj_size:
            raise ValueError("CellWeights.from_torch: LSTMs with proj_size are not covered")
        if getattr(module, "nonlinearity", "tanh") != "tanh":
            raise ValueError("CellWeights.from_torch: rnn_cell is the tanh RNN, not ReLU")
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        tensors = [getattr(module, f"{name}_l{layer}").detach().clone() for name in names]
        return cls(*tensors)


def _gates(kind: str) -> int:
    if kind not in GATES:
        raise ValueError(f"kind must be one of {', '.join(GATES)}, got {kind!r}")
    return GATES[kind]


# ---------------------------------------------------------------------------------------
# 2. Cells: one time step each. x is (batch, input), h and c are (batch, hidden).
# ---------------------------------------------------------------------------------------


def rnn_cell(x: torch.Tensor, h: torch.Tensor, w: CellWeights) -> torch.Tensor:
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh): the new memory mixes input and old memory."""
    return torch.tanh(x @ w.w_ih.T + w.b_ih + h @ w.w_hh.T + w.b_hh)


def lstm_cell(
    x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor], w: CellWeights
) -> tuple[torch.Tensor, torch.Tensor]:
    """An LSTM step: gates decide what the cell state c forgets, takes in and shows.

    c is updated by addition, c' = f * c + i * g, not by a matrix product: along c the
    gradient is multiplied only by the forget gate f, so it can survive many steps.
    """
    h, c = state
    pre = x @ w.w_ih.T + w.b_ih + h @ w.w_hh.T + w.b_hh
    i, f, g, o = pre.chunk(4, dim=1)
    i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)  # gates in (0, 1)
    g = torch.tanh(g)  # the candidate content, in (-1, 1)
    c_next = f * c + i * g
    h_next = o * torch.tanh(c_next)
    return h_next, c_next


def gru_cell(x: torch.Tensor, h: torch.Tensor, w: CellWeights) -> torch.Tensor:
    """A GRU step: the update gate z interpolates between the old h and a candidate n.

    Two gates instead of the LSTM's three, and no separate cell state. The reset gate r
    scales the recurrent part of the candidate (bias b_hn included, as PyTorch does).
    """
    x_r, x_z, x_n = (x @ w.w_ih.T + w.b_ih).chunk(3, dim=1)
    h_r, h_z, h_n = (h @ w.w_hh.T + w.b_hh).chunk(3, dim=1)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


Cell = Callable[..., State]
CELLS: dict[str, Cell] = {"rnn": rnn_cell, "lstm": lstm_cell, "gru": gru_cell}


# ---------------------------------------------------------------------------------------
# 3. The loop over time
# ---------------------------------------------------------------------------------------


def zero_state(kind: str, batch: int, hidden: int) -> State:
    h = torch.zeros(batch, hidden)
    return (h, torch.zeros(batch, hidden)) if kind == "lstm" else h


def unroll(
    cell: Cell, xs: torch.Tensor, w: CellWeights, state: State | None = None
) -> tuple[torch.Tensor, State]:
    """Apply `cell` to each step of xs (time, batch, input): outputs (time, batch, hidden).

    The same weights serve every step. Calling backward() on a loss of the outputs runs
    backpropagation through time: autograd walks this loop backwards, step by step,
    adding up each step's share of every weight's gradient.
    """
    if xs.ndim != 3:
        raise ValueError(f"unroll: xs must be (time, batch, input), got shape {tuple(xs.shape)}")
    if state is None:
        state = zero_state(w.kind, xs.shape[1], w.hidden)
    outputs = []
    for x in xs:
        state = cell(x, state, w)
        outputs.append(state[0] if isinstance(state, tuple) else state)
    return torch.stack(outputs), state


# ---------------------------------------------------------------------------------------
# 4. Gradients over time
# ---------------------------------------------------------------------------------------


def scaled_rnn_weights(
    hidden: int, recurrent_scale: float, *, input_size: int = 1, seed: int = 0
) -> CellWeights:
    """A plain RNN whose W_hh has entries N(0, scale² / hidden): spectral radius ≈ scale.

    Below 1 every step shrinks what the memory carries, and gradients with it; well above
    1 small differences grow from step to step (the network is chaotic) and so do the
    gradients. Biases are zero so the scale alone decides.
    """
    generator = torch.Generator().manual_seed(seed)
    w_hh = torch.randn(hidden, hidden, generator=generator) * recurrent_scale / math.sqrt(hidden)
    w_ih = torch.randn(hidden, input_size, generator=generator)
    zeros = torch.zeros(hidden)
    return CellWeights(w_ih, w_hh, zeros, zeros.clone())


def keep_gate_bias(w: CellWeights, value: float) -> CellWeights:
    """A copy of LSTM or GRU weights whose "keep the memory" gate starts at sigmoid(value).

    That gate is the LSTM's forget gate f and the GRU's update gate z, block 1 of both.
    Near 1 the memory passes from step to step almost unchanged, and so does the
    gradient flowing back along it. A forget-gate bias of 1 is a common default.
    """
    if w.kind == "rnn":
        raise ValueError("keep_gate_bias: a plain RNN has no gates")
    h = w.hidden
    b_ih, b_hh = w.b_ih.detach().clone(), w.b_hh.detach().clone()
    b_ih[h : 2 * h], b_hh[h : 2 * h] = value, 0.0
    return CellWeights(w.w_ih.detach().clone(), w.w_hh.detach().clone(), b_ih, b_hh)


def input_gradient_norms(
    w: CellWeights, steps: int, *, batch: int = 16, seed: int = 0
) -> NDArray[np.float64]:
    """||dL/dx_t|| for t = 0 .. steps-1, where L reads only the last hidden state.

    norms[0] is the first step, the farthest from the loss: it tells how much a
    training signal at the end can still teach the network about the start. Averaged
    over a batch of random input sequences.
    """
    generator = torch.Generator().manual_seed(seed)
    xs = torch.randn(steps, batch, w.w_ih.shape[1], generator=generator).requires_grad_()
    readout = torch.randn(w.hidden, generator=generator) / math.sqrt(w.hidden)
    outputs, _ = unroll(CELLS[w.kind], xs, w)
    loss = (outputs[-1] @ readout).sum()
    (grad,) = torch.autograd.grad(loss, xs)
    norms: NDArray[np.float64] = grad.norm(dim=2).mean(dim=1).double().numpy()
    return norms


def first_step_gradient(
    w: CellWeights, lengths: Iterable[int], *, seed: int = 0
) -> NDArray[np.float64]:
    """||dL/dx_0|| for sequences of each length: how fast the first step's say fades."""
    return np.array([input_gradient_norms(w, n, seed=seed)[0] for n in lengths])


# ---------------------------------------------------------------------------------------
# 5. Gradient clipping
# ---------------------------------------------------------------------------------------


def clip_grad_norm(parameters: Iterable[torch.Tensor], max_norm: float) -> float:
    """Rescale all gradients together so their joint norm is at most `max_norm`.

    The direction of the step is kept, only its length is capped: one exploding batch
    can no longer throw the weights far away. Returns the norm before clipping (worth
    logging: a clip that fires on every step means the learning rate is too high).
    What `torch.nn.utils.clip_grad_norm_` does.
    """
    if max_norm <= 0:
        raise ValueError(f"clip_grad_norm: max_norm must be positive, got {max_norm}")
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return 0.0
    total = math.sqrt(sum(float((g.detach() ** 2).sum()) for g in grads))
    if total > max_norm:
        factor = max_norm / (total + 1e-6)
        for g in grads:
            g.detach().mul_(factor)
    return total
