"""The training loop: the bare PyTorch loop of lesson 1, plus progress, metrics and callbacks."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

import torch
from torch import nn
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau
from torch.utils.data import DataLoader

from practicum.train.callbacks import Callback, Trainer
from practicum.train.device import choose_device, model_device
from practicum.train.history import History
from practicum.train.loaders import ArrayLike, batch_inputs, make_loader, split_batch
from practicum.train.metrics import Metric, SampleMeans, accuracy
from practicum.train.precision import Precision
from practicum.train.progress import Advance, epoch_bar, print_epoch

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Loader = Iterable[Any]
CROSS_ENTROPY = nn.CrossEntropyLoss()
DEFAULT_METRICS: Mapping[str, Metric] = {"acc": accuracy}


def fit(
    model: nn.Module,
    train: Loader,
    *,
    epochs: int,
    optimizer: torch.optim.Optimizer,
    loss_fn: LossFn = CROSS_ENTROPY,
    val: Loader | None = None,
    metrics: Mapping[str, Metric] | None = None,
    scheduler: LRScheduler | None = None,
    callbacks: Sequence[Callback] = (),
    device: torch.device | None = None,
    amp: bool | None = None,
    progress: bool = True,
    grad_clip: float | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train``; return what each epoch measured.

    Loss and metrics are means over samples (``loss_fn`` must average over its batch, as
    PyTorch losses do by default). ``scheduler`` steps once per epoch; callbacks may stop
    the run early.
    """
    device = device or choose_device()
    metrics = DEFAULT_METRICS if metrics is None else metrics
    precision = Precision.choose(device, amp)
    step = partial(_backward_step, optimizer, precision.grad_scaler(), grad_clip)
    trainer = Trainer(model.to(device), optimizer, device)
    for callback in callbacks:
        callback.on_train_begin(trainer)
    for epoch in range(epochs):
        started, lr = time.perf_counter(), float(optimizer.param_groups[0]["lr"])
        model.train()
        with epoch_bar(f"epoch {epoch + 1}/{epochs}", _batches(train), progress) as bar:
            logs = _sweep(model, train, loss_fn, metrics, device, precision, bar, step)
        if val is not None:
            scores = evaluate(model, val, loss_fn=loss_fn, metrics=metrics, device=device, amp=amp)
            logs |= {f"val_{key}": value for key, value in scores.items()}
        logs |= {"lr": lr, "time": time.perf_counter() - started}
        _step_scheduler(scheduler, logs)
        trainer.history.append(logs)
        print_epoch(epoch, epochs, logs, progress)
        for callback in callbacks:
            callback.on_epoch_end(trainer, epoch, logs)
        if trainer.stop:
            break
    for callback in callbacks:
        callback.on_train_end(trainer)
    return trainer.history


def evaluate(
    model: nn.Module,
    loader: Loader,
    *,
    loss_fn: LossFn = CROSS_ENTROPY,
    metrics: Mapping[str, Metric] | None = None,
    device: torch.device | None = None,
    amp: bool | None = None,
) -> dict[str, float]:
    """Loss and metrics over ``loader``, in eval mode and without gradients.

    Runs where the model already is unless ``device`` says otherwise; the model's
    train/eval modes are restored afterwards.
    """
    device = device or model_device(model)
    metrics = DEFAULT_METRICS if metrics is None else metrics
    with _eval_mode(model.to(device)), torch.no_grad():
        return _sweep(model, loader, loss_fn, metrics, device, Precision.choose(device, amp))


def predict(
    model: nn.Module,
    x: ArrayLike | DataLoader[Any],
    *,
    batch_size: int = 1024,
    device: torch.device | None = None,
) -> torch.Tensor:
    """The model's outputs for every row of ``x``, in order, on the CPU (in float32).

    A loader may yield bare inputs, (x,) or (x, y); targets are ignored. Eval mode and no
    gradients while predicting; the model's modes are restored afterwards.
    """
    loader = x if isinstance(x, DataLoader) else make_loader(x, batch_size=batch_size)
    device = device or model_device(model)
    with _eval_mode(model.to(device)), torch.no_grad():
        outputs = [model(batch_inputs(batch).to(device)).float().cpu() for batch in loader]
    if not outputs:
        raise ValueError("predict: no inputs (the array or loader is empty)")
    return torch.cat(outputs)


def _sweep(
    model: nn.Module,
    loader: Loader,
    loss_fn: LossFn,
    metrics: Mapping[str, Metric],
    device: torch.device,
    precision: Precision,
    bar: Advance | None = None,
    step: Callable[[torch.Tensor], None] | None = None,
) -> dict[str, float]:
    """One pass over ``loader``: forward, loss, ``step`` (training only), sample-weighted means."""
    means = SampleMeans()
    for batch in loader:
        x, y = (tensor.to(device, non_blocking=True) for tensor in split_batch(batch))
        with precision.autocast():
            outputs = model(x)
            loss = loss_fn(outputs, y)
        if step is not None:
            step(loss)
        outputs = outputs.detach().float()
        scores = {name: float(metric(outputs, y)) for name, metric in metrics.items()}
        means.add(y.shape[0], {"loss": loss.item(), **scores})
        if bar is not None:
            bar(means.mean("loss"))
    if means.count == 0:
        raise ValueError("the loader yielded no batches (is the data set empty?)")
    return means.means()


def _backward_step(
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    grad_clip: float | None,
    loss: torch.Tensor,
) -> None:
    """zero_grad, backward, step; with loss scaling (float16 only) and gradient clipping."""
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    if grad_clip is not None:
        scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones
        params = [p for group in optimizer.param_groups for p in group["params"]]
        nn.utils.clip_grad_norm_(params, grad_clip)
    scaler.step(optimizer)
    scaler.update()


def _step_scheduler(scheduler: LRScheduler | None, logs: dict[str, float]) -> None:
    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(logs.get("val_loss", logs["loss"]))
    elif scheduler is not None:
        scheduler.step()


def _batches(loader: Loader) -> int | None:
    """Batches per epoch for the bar, or None for loaders without a length."""
    try:
        return len(loader)  # type: ignore[arg-type]
    except TypeError:
        return None


@contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode inside, then each submodule back to its own mode (a frozen part stays frozen)."""
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for module, training in modes:
            module.training = training
