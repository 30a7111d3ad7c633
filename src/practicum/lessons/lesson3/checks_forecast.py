"""Lesson 3: the checks of Section 4's recurrent forecaster, each naming the usual mistake.

`check_gru_forecaster` loads the reference's weights into the student's module (same layer
names) and compares outputs on a small batch of windows; when they differ it recomputes the
usual mistakes (the state after the first month read instead of the last, the window fed
as one step of many features, batch and time axes swapped) to name the one made.
`check_train_epoch` runs the student's epoch and the reference's from the same weights on
the same batches and compares the weights after it, the mode the model is left in, and the
loss returned (the mean of the batches').
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from practicum.lessons.lesson3.recurrent import GRUForecaster

Function = Callable[..., Any]
HIDDEN, BATCH, WINDOW = 8, 5, 7


def _windows(seed: int = 0) -> torch.Tensor:
    return torch.randn(BATCH, WINDOW, generator=torch.Generator().manual_seed(seed))


def _mistakes(reference: GRUForecaster, x: torch.Tensor) -> dict[str, torch.Tensor]:
    states, _ = reference.gru(x.unsqueeze(-1))
    swapped, _ = reference.gru(x.T.unsqueeze(-1))  # (window, batch) read as (batch, time)
    return {
        "it reads the state after the first month (states[:, 0]); the forecast needs the "
        "state after the last one, states[:, -1]": reference.head(states[:, 0]),
        "it averages the states of every month; the forecast needs the state after the "
        "last one": reference.head(states.mean(dim=1)),
        "the months are read in reverse order: the GRU must read the window oldest first, "
        "ending with the latest month": reference.head(
            reference.gru(x.flip(1).unsqueeze(-1))[0][:, -1]
        ),
        "batch and time are swapped: with batch_first=True the GRU takes (batch, window, "
        "1)": reference.head(swapped[-1]),
    }


def check_gru_forecaster(candidate: Function) -> None:
    """The student's module with the reference's weights: same outputs on a batch."""
    with torch.random.fork_rng():  # the notebook's random state is left as it was
        torch.manual_seed(0)
        reference = GRUForecaster(HIDDEN)
    try:
        mine = candidate(HIDDEN)
    except TypeError as error:
        raise AssertionError(
            f"GRUForecaster(hidden) must build the module from the hidden size alone ({error})"
        ) from None
    try:
        mine.load_state_dict(reference.state_dict())
    except RuntimeError:
        names = sorted(dict(mine.named_parameters())) if isinstance(mine, nn.Module) else []
        raise AssertionError(
            "name the layers self.gru (nn.GRU with 1 input and `hidden` units, batch_first="
            f"True) and self.head (nn.Linear(hidden, 1)); yours has parameters {names}"
        ) from None
    x = _windows()
    with torch.no_grad():
        got = mine(x.clone())
        expected = reference(x)
        if not isinstance(got, torch.Tensor):
            raise AssertionError(f"forward must return a tensor, not {type(got).__name__}")
        if got.shape != expected.shape:
            if got.shape == (BATCH,):
                raise AssertionError(
                    "forward returns shape (batch,): keep the output's last axis, (batch, 1), "
                    "like the targets"
                )
            raise AssertionError(
                f"forward returns shape {tuple(got.shape)} for {BATCH} windows of {WINDOW} "
                f"months; expected {tuple(expected.shape)}"
            )
        if torch.allclose(got, expected, atol=1e-6):
            return
        for sentence, wrong in _mistakes(reference, x).items():
            if wrong.shape == got.shape and torch.allclose(got, wrong, atol=1e-6):
                raise AssertionError(sentence)
    gap = (got - expected).abs().max().item()
    raise AssertionError(
        f"with the reference's weights your outputs differ from its by up to {gap:.2e}: feed "
        "the window as (batch, window, 1) to self.gru and self.head the last month's state"
    )


def _epoch_case() -> tuple[GRUForecaster, DataLoader[Any]]:
    with torch.random.fork_rng():
        torch.manual_seed(1)
        model = GRUForecaster(HIDDEN)
    g = torch.Generator().manual_seed(2)
    x, t = torch.randn(20, WINDOW, generator=g), torch.randn(20, 1, generator=g)
    return model, DataLoader(TensorDataset(x, t), batch_size=5, shuffle=False)


def _run_epoch(epoch: Function, *, zero_grad: bool = True) -> tuple[Any, nn.Module, list[float]]:
    model, loader = _epoch_case()
    model.eval()  # as an evaluation on the validation windows leaves it
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    if not zero_grad:
        optimizer.zero_grad = lambda set_to_none=True: None  # type: ignore[method-assign]
    seen: list[float] = []
    loss_fn = _Recording(seen)
    return epoch(model, loader, optimizer, loss_fn), model, seen


class _Recording(nn.MSELoss):
    """MSELoss that keeps every batch's loss, to name a wrong average."""

    def __init__(self, seen: list[float]) -> None:
        super().__init__()
        self.seen = seen

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        loss = super().forward(input, target)
        self.seen.append(float(loss.detach()))
        return loss


def _gap(a: nn.Module, b: nn.Module) -> float:
    return max(
        (p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters(), strict=True)
    )


def check_train_epoch(candidate: Function, reference: Function) -> None:
    """One epoch from the same weights on the same batches as the reference's."""
    start, _ = _epoch_case()
    try:
        got, mine, _ = _run_epoch(candidate)
    except (AssertionError, NotImplementedError):
        raise
    except Exception as error:
        raise AssertionError(
            f"raised {type(error).__name__}: {error} (each batch is a pair (windows, "
            "targets); loss_fn(model(windows), targets) is the batch's loss)"
        ) from None
    expected, theirs, losses = _run_epoch(reference)
    if _gap(mine, start) == 0:
        raise AssertionError(
            "the weights did not change: after loss.backward(), call optimizer.step()"
        )
    if _gap(mine, theirs) > 1e-5:
        _, piled, _ = _run_epoch(reference, zero_grad=False)
        if _gap(mine, piled) <= 1e-5:
            raise AssertionError(
                "the gradients pile up from batch to batch: call optimizer.zero_grad() "
                "before loss.backward() in every batch"
            )
        raise AssertionError(
            f"after one epoch your weights differ from the reference's by up to "
            f"{_gap(mine, theirs):.2e}: for each batch, zero_grad, loss, backward, step"
        )
    if not mine.training:
        raise AssertionError(
            "switch the model to training mode first (model.train()): an evaluation on the "
            "validation windows leaves it in evaluation mode"
        )
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = float(got.detach())
    if not isinstance(got, float | int) or isinstance(got, bool):
        raise AssertionError(f"return the mean loss as a Python float (loss.item()), not {got!r}")
    if math.isclose(got, expected, rel_tol=1e-5):
        return
    if math.isclose(got, sum(losses), rel_tol=1e-5):
        raise AssertionError("it returns the sum of the batches' losses: return their mean")
    if losses and math.isclose(got, losses[-1], rel_tol=1e-5):
        raise AssertionError("it returns the last batch's loss: return the mean over the batches")
    raise AssertionError(f"return the mean of the batches' losses ({expected:.4f}), not {got:.4f}")
