"""The fit loop, evaluate and predict on tiny problems."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from practicum.train import accuracy, evaluate, fit, make_loader, predict, seed_everything

CPU = torch.device("cpu")
Data = tuple[torch.Tensor, torch.Tensor]


def test_fit_learns_a_separable_problem(blobs: Data, make_model: Callable[[], nn.Module]) -> None:
    seed_everything(0)
    x, y = blobs
    model = make_model()
    history = fit(
        model,
        make_loader(x, y, batch_size=16, shuffle=True),
        epochs=15,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        val=make_loader(x, y, batch_size=64),
        device=CPU,
        progress=False,
    )
    assert len(history) == 15
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["acc"][-1] >= 0.95
    assert history["val_acc"][-1] >= 0.95
    assert all(t > 0 for t in history["time"])
    assert history["lr"] == [0.1] * 15


def test_metrics_are_means_over_samples_not_batches(
    blobs: Data, make_model: Callable[[], nn.Module]
) -> None:
    """10 samples in batches of 4, 4, 2: the last batch weighs 2/10, not 1/3."""
    seed_everything(1)
    x, y = blobs[0][:10], blobs[1][:10]
    model = make_model()
    loader = make_loader(x, y, batch_size=4)
    with torch.no_grad():
        logits = model(x)
        whole_loss = nn.functional.cross_entropy(logits, y).item()
        batch_means = [
            nn.functional.cross_entropy(logits[i : i + 4], y[i : i + 4]).item()
            for i in range(0, 10, 4)
        ]
    assert abs(sum(batch_means) / 3 - whole_loss) > 1e-3  # the data tells the two apart

    scores = evaluate(model, loader)
    assert scores["loss"] == pytest.approx(whole_loss, rel=1e-5)
    assert scores["acc"] == pytest.approx(accuracy(logits, y))

    frozen = torch.optim.SGD(model.parameters(), lr=0.0)  # weights stay put during the epoch
    history = fit(model, loader, epochs=1, optimizer=frozen, device=CPU, progress=False)
    assert history["loss"][0] == pytest.approx(whole_loss, rel=1e-5)


def test_fit_switches_train_and_eval_modes(blobs: Data) -> None:
    seen: list[tuple[str, bool]] = []

    class Spy(nn.Linear):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen.append(("grad" if torch.is_grad_enabled() else "nograd", self.training))
            return super().forward(x)

    x, y = blobs
    model = Spy(2, 2)
    model.eval()  # fit must switch it on for training
    loader = make_loader(x[:8], y[:8], batch_size=8)
    fit(
        model,
        loader,
        epochs=2,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        val=loader,
        device=CPU,
        progress=False,
    )
    assert seen == [("grad", True), ("nograd", False)] * 2


def test_amp_none_on_cpu_trains_in_float32(blobs: Data) -> None:
    dtypes: list[torch.dtype] = []
    model = nn.Linear(2, 2)
    model.register_forward_hook(lambda _m, _i, out: dtypes.append(out.dtype))
    x, y = blobs
    fit(
        model,
        make_loader(x, y, batch_size=32),
        epochs=1,
        amp=None,
        device=CPU,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        progress=False,
    )
    assert dtypes == [torch.float32, torch.float32]
    assert model.weight.dtype == torch.float32


def test_amp_true_on_cpu_uses_bfloat16_autocast(blobs: Data) -> None:
    dtypes: list[torch.dtype] = []
    model = nn.Linear(2, 2)
    model.register_forward_hook(lambda _m, _i, out: dtypes.append(out.dtype))
    x, y = blobs
    history = fit(
        model,
        make_loader(x, y, batch_size=64),
        epochs=1,
        amp=True,
        device=CPU,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        progress=False,
    )
    assert dtypes == [torch.bfloat16]
    assert model.weight.dtype == torch.float32  # autocast, not a cast of the weights
    assert history["loss"][0] == history["loss"][0]  # not NaN


def test_scheduler_steps_once_per_epoch_and_lr_is_recorded(blobs: Data) -> None:
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.8)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    x, y = blobs
    history = fit(
        model,
        make_loader(x, y, batch_size=16),
        epochs=3,
        optimizer=optimizer,
        scheduler=scheduler,
        device=CPU,
        progress=False,
    )
    assert history["lr"] == [0.8, 0.4, 0.2]


def test_plateau_scheduler_is_given_the_validation_loss(blobs: Data) -> None:
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)  # loss never improves
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, factor=0.5)
    x, y = blobs
    train, val = make_loader(x[:32], y[:32]), make_loader(x[32:48], y[32:48])
    history = fit(
        model,
        train,
        epochs=2,
        optimizer=optimizer,
        val=val,
        scheduler=plateau,
        device=CPU,
        progress=False,
    )
    assert history["val_loss"][0] != pytest.approx(history["loss"][0])
    assert plateau.best == pytest.approx(history["val_loss"][0])


def test_grad_clip_bounds_the_gradient_norm(blobs: Data) -> None:
    norms: list[float] = []

    class Recording(torch.optim.SGD):
        def step(self, closure: None = None) -> None:  # type: ignore[override]
            grads = [p.grad for group in self.param_groups for p in group["params"]]
            norms.append(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])).item())
            super().step()

    x, y = blobs
    loader = make_loader(100 * x, y, batch_size=64)  # huge inputs, huge gradients
    for clip in (None, 0.5):
        model = nn.Linear(2, 2)
        optimizer = Recording(model.parameters(), lr=0.01)
        fit(
            model, loader, epochs=1, optimizer=optimizer, device=CPU, progress=False, grad_clip=clip
        )
    assert norms[0] > 1.0
    assert norms[1] == pytest.approx(0.5, rel=1e-4)


def test_progress_prints_one_line_per_epoch_and_nothing_when_off(
    blobs: Data, capsys: pytest.CaptureFixture[str]
) -> None:
    model = nn.Linear(2, 2)
    loader = make_loader(*blobs, batch_size=16)
    sgd = torch.optim.SGD(model.parameters(), lr=0.1)
    fit(model, loader, epochs=2, optimizer=sgd, val=loader, device=CPU, progress=False)
    assert capsys.readouterr().out == ""
    fit(model, loader, epochs=2, optimizer=sgd, val=loader, device=CPU, progress=True)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]
    assert all("val_acc" in line and "loss" in line for line in lines)


def test_fit_rejects_a_loader_without_targets(blobs: Data) -> None:
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"\(x, y\) pairs.*got 1 item\(s\) per batch"):
        fit(
            model,
            make_loader(blobs[0]),
            epochs=1,
            device=CPU,
            progress=False,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        )


def test_predict_keeps_order_and_restores_modes(blobs: Data) -> None:
    x, _ = blobs
    model = nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.5), nn.Linear(8, 3))
    model.train()
    model[0].eval()  # a frozen part must stay frozen after predict
    outputs = predict(model, x.numpy().astype("float64"), batch_size=5)
    assert model.training and model[1].training and not model[0].training
    model.eval()
    with torch.no_grad():
        expected = model(x)
    assert outputs.shape == (64, 3)
    assert outputs.device.type == "cpu" and not outputs.requires_grad
    torch.testing.assert_close(outputs, expected)  # dropout off, rows in input order


def test_predict_accepts_loaders_with_or_without_targets(blobs: Data) -> None:
    x, y = blobs
    model = nn.Linear(2, 2)
    direct = predict(model, x)
    torch.testing.assert_close(predict(model, make_loader(x, batch_size=7)), direct)
    torch.testing.assert_close(predict(model, make_loader(x, y, batch_size=7)), direct)
