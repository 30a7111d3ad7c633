"""Lesson 3: backpropagation through time written out by hand, without autograd.

One step of a tanh RNN, h' = tanh(a) with a = x W_ih^T + b_ih + h W_hh^T + b_hh, has a
backward pass of five lines: through the tanh (tanh'(a) = 1 - h'^2, the *new* state's),
then through the two matrix products. BPTT runs that step backward from the last step to
the first, carrying the gradient that flows into each state from the step after it, and
adds up every step's share of the weights' gradients, because the same weights serve every
step. `checks.py` compares both with finite differences and with autograd.
"""

from __future__ import annotations

import torch

from practicum.lessons.lesson3.rnn import CellWeights, rnn_cell

StepGrads = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]
"""(dx, dh, dW_ih, dW_hh, db): db is the gradient of b_ih and of b_hh alike (they are added)."""


def rnn_step_backward(
    dh_next: torch.Tensor, x: torch.Tensor, h: torch.Tensor, h_next: torch.Tensor, w: CellWeights
) -> StepGrads:
    """Gradients of one RNN step from dL/dh' (batch, hidden): (dx, dh, dW_ih, dW_hh, db)."""
    da = dh_next * (1 - h_next**2)  # through the tanh, at this step's output
    return da @ w.w_ih, da @ w.w_hh, da.T @ x, da.T @ h, da.sum(dim=0)


def rnn_bptt(xs: torch.Tensor, h0: torch.Tensor, w: CellWeights, dhs: torch.Tensor) -> StepGrads:
    """BPTT for a loss whose gradient with respect to the state of step t is dhs[t].

    Returns (dxs, dh0, dW_ih, dW_hh, db): dxs (time, batch, input), the gradient that
    reaches the initial state h0, and the weights' gradients summed over the steps.
    """
    with torch.no_grad():
        states = [h0]
        for x in xs:
            states.append(rnn_cell(x, states[-1], w))
        dxs = torch.zeros_like(xs)
        dw_ih, dw_hh = torch.zeros_like(w.w_ih), torch.zeros_like(w.w_hh)
        db = torch.zeros_like(w.b_ih)
        carry = torch.zeros_like(h0)  # what flows back into a state from the step after it
        for t in reversed(range(len(xs))):
            dx, carry, g_ih, g_hh, g_b = rnn_step_backward(
                dhs[t] + carry, xs[t], states[t], states[t + 1], w
            )
            dxs[t] = dx
            dw_ih, dw_hh, db = dw_ih + g_ih, dw_hh + g_hh, db + g_b
    return dxs, carry, dw_ih, dw_hh, db
