"""Lesson 2's fast CIFAR-10 reference: each ingredient on its own, then the command.

The 90%-in-30-minutes target on real CIFAR-10 is a benchmark (benchmarks/lesson2_cifar.py),
not a test: here the networks are a few channels wide and the images are look-alikes.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from practicum import data
from practicum.cli import app
from practicum.data import synthetic
from practicum.lessons.lesson2 import fast, reference
from practicum.train.muon import Muon, orthogonalize

TINY = fast.FastConfig(widths=(8, 16, 16), batch_size=32, epochs=10, tta_level=1)
CPU = torch.device("cpu")


def _smooth_images(n: int, seed: int) -> torch.Tensor:
    """Images whose neighbouring pixels and channels are strongly correlated, like photos."""
    g = torch.Generator().manual_seed(seed)
    base = torch.randn(n, 1, 9, 9, generator=g)
    img = torch.nn.functional.interpolate(base, size=(32, 32), mode="bilinear")
    tint = torch.tensor([1.0, 0.8, 0.6]).view(1, 3, 1, 1)
    return img * tint + 0.05 * torch.randn(n, 3, 32, 32, generator=g)


def test_patch_whitening_decorrelates_the_patches_it_was_fitted_on() -> None:
    x = _smooth_images(200, seed=0)
    weights = fast.patch_whitening(x, eps=1e-6)
    assert weights.shape == (24, 3, 2, 2)
    assert torch.allclose(weights[12:], -weights[:12])
    out = torch.nn.functional.conv2d(x, weights[:12])  # (N, 12, 31, 31)
    flat = out.permute(0, 2, 3, 1).reshape(-1, 12).double()
    covariance = flat.T @ flat / len(flat)
    raw = x.unfold(2, 2, 1).unfold(3, 2, 1).permute(0, 2, 3, 1, 4, 5).reshape(-1, 12).double()
    raw_cov = raw.T @ raw / len(raw)
    off_diagonal = raw_cov - torch.diag(torch.diag(raw_cov))
    assert off_diagonal.abs().max() > 0.3  # the input really was correlated
    assert torch.allclose(covariance, torch.eye(12, dtype=torch.float64), atol=1e-3)


def test_flips_alternate_between_epochs_and_batches_keep_labels() -> None:
    cfg = dataclasses.replace(TINY, translate=0, batch_size=4)
    x = torch.randn(10, 3, 32, 32)
    y = torch.arange(10)
    base = torch.tensor([True, False] * 5)
    g = torch.Generator().manual_seed(0)
    seen = []
    for epoch in (0, 1):
        batches = list(fast.epoch_batches(x, y, cfg, epoch, base, g))
        assert len(batches) == 2  # 10 images, batches of 4: the last 2 are dropped
        flipped = {}
        for images, labels in batches:
            for image, label in zip(images, labels, strict=True):
                assert torch.equal(image, x[label]) or torch.equal(image, x[label].flip(-1))
                flipped[int(label)] = not torch.equal(image, x[label])
        seen.append(flipped)
    for label in set(seen[0]) & set(seen[1]):
        assert seen[0][label] == bool(base[label]) and seen[1][label] != seen[0][label]


def test_triangle_schedule_rises_to_one_at_the_peak_and_falls() -> None:
    s = np.array([fast.triangle(i, 100, start=0.2, end=0.07, peak=0.23) for i in range(101)])
    assert s[0] == pytest.approx(0.2) and s[-1] == pytest.approx(0.07)
    assert s.argmax() == 23 and s.max() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("step", "total", "steps_left", "expected"),
    [
        (10, 100, 40.5, 50),  # behind: the run ends where the deadline says
        (60, 100, 5, 65),  # behind late in the run: still shortened
        (10, 100, 500, 200),  # ahead early: longer, up to the ceiling
        (10, 100, 120, 130),
        (60, 100, 500, 100),  # ahead past half-way: the decayed rate is left alone
        (10, 300, 500, 300),  # a forced run longer than the ceiling is not cut to it
        (10, 100, 0.2, 11),  # the deadline has passed: one more step, then stop
    ],
)
def test_replan_shortens_for_the_deadline_and_lengthens_only_early(
    step: int, total: int, steps_left: float, expected: int
) -> None:
    assert fast.replan(step, total, steps_left, ceil_steps=200) == expected


def test_training_meets_a_deadline_it_could_not_have_planned_for(
    blobs: tuple[np.ndarray, np.ndarray],
) -> None:
    # planned for 50 epochs, but the deadline has passed by the end of the first: the run
    # re-plans there and takes one more step (600 images in batches of 32: 18 an epoch)
    x, y = blobs
    said: list[str] = []
    fast.train_fast(
        x,
        y,
        dataclasses.replace(TINY, epochs=50),
        device=CPU,
        progress=False,
        log=said.append,
        deadline=time.perf_counter(),
    )
    assert said[0] == "re-planned for the deadline: 1.06 epochs"
    assert [line.split(",")[0] for line in said[1:]] == [
        "epoch 1: 18/19 steps",
        "epoch 2: 19/19 steps",
    ]


def test_orthogonalize_sets_every_singular_value_near_one() -> None:
    torch.manual_seed(0)
    g = torch.randn(16, 40) * torch.logspace(-3, 1, 40)
    before = torch.linalg.svdvals(g)
    assert before.max() / before.min() > 100
    s = torch.linalg.svdvals(orthogonalize(g, steps=5))
    assert s.min() > 0.5 and s.max() < 1.5
    assert torch.linalg.svdvals(orthogonalize(g, steps=3)).max() < 1.5  # the default: coarser
    tall = torch.linalg.svdvals(orthogonalize(g.T, steps=5))
    torch.testing.assert_close(tall, s, atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match="expects a matrix"):
        orthogonalize(torch.randn(2, 3, 4))


def test_muon_keeps_filters_at_a_fixed_norm_and_descends() -> None:
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(8, 3, 3, 3) * 5)
    target = torch.randn(8, 3, 3, 3)
    opt = Muon([w], lr=0.05, momentum=0.6)
    losses = []
    for _ in range(30):
        loss = ((w - target) ** 2).sum()
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    # rescaled to norm sqrt(rows) before each step, then one step of norm ~ lr * sqrt(rank)
    assert abs(w.norm().item() - 8**0.5) < 0.2
    assert losses[-1] < losses[1]


def test_lookahead_pulls_the_network_towards_its_slow_copy() -> None:
    net = torch.nn.Linear(2, 1)
    start = net.weight.detach().clone()
    look = fast.Lookahead(net)
    with torch.no_grad():
        net.weight.add_(1.0)
    look.update(net, decay=0.75)
    assert torch.allclose(net.weight, start + 0.25)
    look.update(net, decay=1.0)  # all the way back to the slow copy
    assert torch.allclose(net.weight, start + 0.25)


def _fake_timer(per_image: dict[tuple[int, int, int], float]):  # type: ignore[no-untyped-def]
    calls = []

    def timer(cfg: fast.FastConfig, device: torch.device) -> reference.Timing:
        calls.append(cfg.widths)
        return reference.Timing(per_image[cfg.widths], per_image[cfg.widths] / 3)

    return timer, calls


# seconds per training image: the widest network 4x the cost of the next one down, etc.
SPEEDS = {
    (64, 256, 256): 4e-3,
    (48, 192, 192): 2.5e-3,
    (32, 128, 128): 1.2e-3,
    (16, 64, 64): 0.4e-3,
}


@pytest.mark.parametrize(
    ("minutes", "widths", "epochs"),
    [
        (60.0, (64, 256, 256), fast.MAX_EPOCHS),  # everything fits: the longest schedule
        # the widest gets fewer than MIN_EPOCHS: a narrower one with the full schedule
        (20.0, (48, 192, 192), None),
        (10.0, (32, 128, 128), None),
        # less than the narrowest needs for MIN_EPOCHS: what fits, and it says so
        (1.0, (16, 64, 64), None),
    ],
)
def test_preset_picks_the_widest_network_that_fits(
    minutes: float, widths: tuple[int, int, int], epochs: float | None
) -> None:
    timer, _ = _fake_timer(SPEEDS)
    said: list[str] = []
    plan = reference.preset(minutes, 50_000, 10_000, device=CPU, timer=timer, log=said.append)
    cfg, per_image = plan.cfg, SPEEDS[widths]
    assert cfg.widths == widths
    # training gets what is left of the spendable budget once 10,000 images are predicted
    training = minutes * 60 * reference.SPENDABLE - 10_000 * per_image / 3
    assert plan.training_seconds == pytest.approx(training, rel=1e-3)
    expected = epochs or training / (50_000 * per_image)
    assert cfg.epochs == pytest.approx(expected, rel=1e-3)
    assert cfg.epochs * 50_000 * per_image + 10_000 * per_image / 3 <= minutes * 60
    assert ("too small" in said[-1]) == (minutes == 1.0)


def test_preset_takes_small_batches_on_a_cpu_and_airbench_batches_elsewhere() -> None:
    timer, _ = _fake_timer(SPEEDS)
    cpu = reference.preset(60.0, 50_000, 10_000, device=CPU, timer=timer).cfg
    gpu = reference.preset(60.0, 50_000, 10_000, device=torch.device("cuda"), timer=timer).cfg
    assert (cpu.batch_size, cpu.muon_lr) == (fast.CPU_BATCH, fast.CPU_MUON_LR)
    assert (gpu.batch_size, gpu.muon_lr) == (2000, 0.24)
    # Muon's rate scales with the square root of the batch
    assert cpu.muon_lr == pytest.approx(
        gpu.muon_lr * (cpu.batch_size / gpu.batch_size) ** 0.5, rel=0.01
    )
    assert reference.preset(60.0, 100, 10, device=CPU, timer=timer).cfg.batch_size == 100


def test_preset_refuses_a_budget_of_nothing() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        reference.preset(0, 100, 10, device=CPU)


def test_measure_times_real_steps() -> None:
    timing = reference.measure(dataclasses.replace(TINY, batch_size=32), CPU, steps=1)
    assert 0 < timing.train_per_image < 1 and 0 < timing.predict_per_image < 1


@pytest.fixture(scope="module")
def blobs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 600)
    return synthetic.blob_images(y, rng), y


@pytest.mark.parametrize("optimizer", ["muon", "sgd"])
def test_tiny_network_learns_coloured_blobs(
    blobs: tuple[np.ndarray, np.ndarray], optimizer: str
) -> None:
    x, y = blobs
    cfg = dataclasses.replace(TINY, optimizer=optimizer)
    net = fast.train_fast(x[:500], y[:500], cfg, device=CPU, progress=False)
    pred = fast.predict_logits(net, x[500:], tta_level=1, device=CPU).argmax(1)
    assert np.mean(pred == y[500:]) > 0.8  # chance is 0.25


def test_mirror_tta_answers_the_same_for_an_image_and_its_mirror(
    blobs: tuple[np.ndarray, np.ndarray],
) -> None:
    x, y = blobs
    net = fast.train_fast(x[:100], y[:100], dataclasses.replace(TINY, epochs=1), device=CPU)
    a = fast.predict_logits(net, x[:20], tta_level=1, device=CPU)
    b = fast.predict_logits(net, np.ascontiguousarray(x[:20, :, ::-1]), tta_level=1, device=CPU)
    np.testing.assert_allclose(a, b, atol=1e-5)
    plain = fast.predict_logits(net, x[:20], tta_level=0, device=CPU)
    assert not np.allclose(a, plain)


def test_images_must_be_uint8_32x32x3() -> None:
    with pytest.raises(ValueError, match=r"uint8 images of shape \(N, 32, 32, 3\)"):
        fast.to_tensor(np.zeros((2, 3, 32, 32), np.uint8), CPU)


runner = CliRunner()


@pytest.fixture
def cifar_like(tmp_path: Path) -> None:
    data.import_files(
        "cifar10",
        [synthetic.write_cifar10_like(tmp_path / "cifar-10-python.tar.gz", n_train=300, n_test=40)],
        verify=False,
    )


@pytest.mark.usefixtures("cifar_like")
def test_cli_fits_a_budget_and_writes_labels_for_x_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the real path (timing, preset, training, TTA), with networks a few channels wide
    monkeypatch.setattr(reference, "WIDTH_LADDER", ((16, 32, 32), (8, 16, 16)))
    x = data.load("cifar10", "test")["x"][:25]
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "s.csv"
    args = [
        "lesson",
        "homework",
        "2",
        "--budget-minutes",
        "0.3",
        "--x-test",
        str(tmp_path / "x.npy"),
    ]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "recipe: widths" in result.output
    rows = out.read_text().splitlines()
    assert rows[0] == "id,label" and len(rows) == 26
    assert {int(r.split(",")[1]) for r in rows[1:]} <= set(range(10))


@pytest.mark.usefixtures("cifar_like")
def test_budget_for_a_reference_without_presets_is_refused(tmp_path: Path) -> None:
    args = ["lesson", "homework", "1", "--budget-minutes", "5", "--out", str(tmp_path / "s.csv")]
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert "no budget presets" in result.output


def test_the_students_baseline_is_the_recipe_narrow_and_short() -> None:
    cpu = fast.baseline_config(torch.device("cpu"))
    assert (cpu.widths, cpu.epochs, cpu.batch_size) == ((32, 128, 128), 4.0, fast.CPU_BATCH)
    gpu = fast.baseline_config(torch.device("cuda"))
    assert (gpu.widths, gpu.epochs, gpu.batch_size) == ((32, 128, 128), 4.0, 2000)
    assert cpu.epochs < reference.MIN_EPOCHS and reference.WIDTH_LADDER[0] != cpu.widths
