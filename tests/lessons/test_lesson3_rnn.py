"""Lesson 3's hand-written cells compute what torch.nn computes; the gradient helpers show
vanishing and exploding gradients; clipping caps the norm."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from practicum.lessons.lesson3 import rnn
from practicum.lessons.lesson3.rnn import CellWeights

TORCH_LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def torch_layer(kind: str, input_size: int = 3, hidden: int = 5, seed: int = 0) -> nn.RNNBase:
    torch.manual_seed(seed)
    layer: nn.RNNBase = TORCH_LAYERS[kind](input_size, hidden)
    with torch.no_grad():  # non-zero biases everywhere, so a misplaced bias shows
        for bias in (layer.bias_ih_l0, layer.bias_hh_l0):
            bias.uniform_(-1.0, 1.0)
    return layer


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_hand_cells_match_torch_nn_over_many_steps(kind: str) -> None:
    layer = torch_layer(kind)
    xs = torch.randn(12, 4, 3, generator=torch.Generator().manual_seed(1))
    h0 = torch.randn(4, 5, generator=torch.Generator().manual_seed(2))
    c0 = torch.randn(4, 5, generator=torch.Generator().manual_seed(3))
    w = CellWeights.from_torch(layer)
    assert w.kind == kind
    with torch.no_grad():
        if kind == "lstm":
            expected, (h_n, c_n) = layer(xs, (h0[None], c0[None]))
            got, (h_last, c_last) = rnn.unroll(rnn.lstm_cell, xs, w, (h0, c0))
            torch.testing.assert_close(c_last, c_n[0], atol=1e-5, rtol=0)
        else:
            expected, h_n = layer(xs, h0[None])
            got, h_last = rnn.unroll(rnn.CELLS[kind], xs, w, h0)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(h_last, h_n[0], atol=1e-5, rtol=0)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_one_step_from_zero_state_matches_torch_cells(kind: str) -> None:
    """nn.LSTMCell / nn.GRUCell store the same gate order as the full layers."""
    torch.manual_seed(4)
    cell = nn.LSTMCell(3, 6) if kind == "lstm" else nn.GRUCell(3, 6)
    w = CellWeights(cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    x = torch.randn(2, 3)
    with torch.no_grad():
        got = rnn.unroll(rnn.CELLS[kind], x[None], w)[1]
        expected = cell(x)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)


def test_backprop_through_the_hand_loop_gives_torch_nn_gradients() -> None:
    layer = torch_layer("gru")
    w = CellWeights.from_torch(layer)
    for p in w.parameters():
        p.requires_grad_()
    xs = torch.randn(8, 2, 3)
    rnn.unroll(rnn.gru_cell, xs, w)[0].sum().backward()
    layer(xs)[0].sum().backward()
    assert layer.weight_hh_l0.grad is not None and w.w_hh.grad is not None
    torch.testing.assert_close(w.w_hh.grad, layer.weight_hh_l0.grad, atol=1e-5, rtol=0)


def test_small_recurrent_weights_make_gradients_vanish_large_ones_explode() -> None:
    steps = 40
    small = rnn.input_gradient_norms(rnn.scaled_rnn_weights(32, 0.5), steps)
    large = rnn.input_gradient_norms(rnn.scaled_rnn_weights(32, 3.0), steps)
    assert small.shape == large.shape == (steps,)
    # the last step is right next to the loss; steps back, the two regimes part ways
    assert small[0] < 1e-6 * small[-1]
    assert large[0] > 1e3 * large[-1]
    lengths = [5, 15, 30]
    fading = rnn.first_step_gradient(rnn.scaled_rnn_weights(32, 0.5), lengths)
    growing = rnn.first_step_gradient(rnn.scaled_rnn_weights(32, 3.0), lengths)
    assert np.all(np.diff(fading) < 0) and np.all(np.diff(growing) > 0)


def test_an_open_forget_gate_keeps_the_first_step_alive() -> None:
    lstm = CellWeights.init("lstm", 1, 32)
    closed = rnn.input_gradient_norms(lstm, 60)[0]
    opened = rnn.input_gradient_norms(rnn.keep_gate_bias(lstm, 3.0), 60)[0]
    assert opened > 1e4 * closed
    with pytest.raises(ValueError, match="a plain RNN has no gates"):
        rnn.keep_gate_bias(CellWeights.init("rnn", 1, 4), 1.0)


def test_clipping_caps_the_norm_keeps_the_direction_and_agrees_with_torch() -> None:
    mine = [torch.zeros(3, requires_grad=True), torch.zeros(2, 2, requires_grad=True)]
    theirs = [p.detach().clone().requires_grad_() for p in mine]
    for params in (mine, theirs):
        params[0].grad = torch.tensor([30.0, 0.0, -40.0])
        params[1].grad = torch.full((2, 2), 60.0)
    before = rnn.clip_grad_norm(mine, 5.0)
    expected = nn.utils.clip_grad_norm_(theirs, 5.0)
    # sqrt(30² + 40² + 4 · 60²) = 130
    assert before == pytest.approx(float(expected)) == pytest.approx(130.0)
    after = torch.sqrt(sum((p.grad**2).sum() for p in mine if p.grad is not None))
    assert float(after) == pytest.approx(5.0, rel=1e-5)
    for p, q in zip(mine, theirs, strict=True):
        assert p.grad is not None and q.grad is not None
        torch.testing.assert_close(p.grad, q.grad)
    # a small gradient is left exactly as it was
    mine[0].grad = torch.tensor([0.1, 0.2, 0.2])
    mine[1].grad = None
    assert rnn.clip_grad_norm(mine, 5.0) == pytest.approx(0.3)
    torch.testing.assert_close(mine[0].grad, torch.tensor([0.1, 0.2, 0.2]))


def test_clear_errors_for_misuse() -> None:
    with pytest.raises(ValueError, match="kind must be one of rnn, lstm, gru, got 'lstn'"):
        CellWeights.init("lstn", 1, 4)
    with pytest.raises(ValueError, match=r"xs must be \(time, batch, input\), got shape \(5, 3\)"):
        rnn.unroll(rnn.rnn_cell, torch.zeros(5, 3), CellWeights.init("rnn", 3, 4))
    with pytest.raises(ValueError, match="max_norm must be positive"):
        rnn.clip_grad_norm([], 0.0)
    with pytest.raises(ValueError, match="bias=False"):
        CellWeights.from_torch(nn.GRU(2, 3, bias=False))
    with pytest.raises(ValueError, match="not ReLU"):
        CellWeights.from_torch(nn.RNN(2, 3, nonlinearity="relu"))
