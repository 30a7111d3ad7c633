"""Lesson 6, Sections 3 and 4: the small DDPM of `lesson6/diffusion.py` does what its
formulas say, and the checks of Section 4's exercises accept the reference versions and
reject the mistakes students make, each with its own sentence."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest
import scipy.linalg
import torch
from torch import nn
from torch.nn import functional as F

from practicum.coursework import exercise
from practicum.grading import generative
from practicum.lessons.lesson6 import checks_conditional as checks
from practicum.lessons.lesson6 import diffusion
from practicum.lessons.lesson6 import plots_conditional as draw
from practicum.lessons.lesson6.cgan import ConditionalDiscriminator, ConditionalGenerator

# --- the noise schedules -----------------------------------------------------------------


def test_the_linear_schedule_is_ho_et_al_s_at_a_thousand_steps() -> None:
    schedule = diffusion.linear_schedule(1000)
    assert math.isclose(float(schedule.betas[0]), 1e-4, rel_tol=1e-5)
    assert math.isclose(float(schedule.betas[-1]), 0.02, rel_tol=1e-5)
    assert float(schedule.alpha_bars[-1]) < 1e-4


@pytest.mark.parametrize("kind", ["linear", "cosine"])
@pytest.mark.parametrize("steps", [50, 200])
def test_signal_falls_from_almost_all_to_almost_none(kind: str, steps: int) -> None:
    schedule = diffusion.make_schedule(kind, steps)
    bars = schedule.alpha_bars
    assert schedule.steps == steps and schedule.kind == kind
    assert bool((bars[1:] < bars[:-1]).all())
    assert float(bars[0]) > 0.98 and float(bars[-1]) < 0.01
    assert torch.allclose(bars, torch.cumprod(1 - schedule.betas, 0))


def test_the_cosine_schedule_keeps_more_signal_early() -> None:
    linear, cosine = diffusion.linear_schedule(100), diffusion.cosine_schedule(100)
    assert float(cosine.alpha_bars[24]) > float(linear.alpha_bars[24]) + 0.2


def test_an_unknown_schedule_is_refused() -> None:
    with pytest.raises(ValueError, match="'linear' or 'cosine'"):
        diffusion.make_schedule("quadratic", 10)


# --- the forward process, the loss, sampling ----------------------------------------------


def test_one_jump_equals_the_steps_one_at_a_time_in_distribution() -> None:
    """x_t from q_sample and from t single steps x_s = sqrt(1 - beta_s) x_(s-1) + sqrt(beta_s)
    eps have the same mean and variance."""
    schedule = diffusion.linear_schedule(20)
    torch.manual_seed(0)
    x0 = torch.full((20_000, 1, 1, 1), 0.7)
    t = 11
    x = x0.clone()
    for s in range(t + 1):
        x = (1 - schedule.betas[s]).sqrt() * x + schedule.betas[s].sqrt() * torch.randn_like(x)
    jumped = diffusion.q_sample(x0, torch.full((len(x0),), t), torch.randn_like(x0), schedule)
    bar = float(schedule.alpha_bars[t])
    for sample in (x, jumped):
        assert math.isclose(float(sample.mean()), 0.7 * math.sqrt(bar), abs_tol=0.02)
        assert math.isclose(float(sample.var()), 1 - bar, rel_tol=0.05)


def test_q_sample_scales_each_image_by_its_own_step() -> None:
    schedule = diffusion.cosine_schedule(10)
    x0 = torch.ones(3, 1, 28, 28)
    t = torch.tensor([0, 4, 9])
    out = diffusion.q_sample(x0, t, torch.zeros_like(x0), schedule)
    for i in range(3):
        assert torch.allclose(out[i], schedule.alpha_bars[t[i]].sqrt() * x0[i])


class Oracle(nn.Module):
    """Knows the one image it is asked about, so it can answer the noise exactly."""

    def __init__(self, target: torch.Tensor, schedule: diffusion.Schedule) -> None:
        super().__init__()
        self.target, self.schedule = target, schedule

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: Any = None) -> torch.Tensor:
        bar = self.schedule.alpha_bars[t].view(-1, 1, 1, 1)
        return (x - bar.sqrt() * self.target) / (1 - bar).sqrt()


def test_the_loss_of_a_network_that_knows_the_noise_is_zero() -> None:
    schedule = diffusion.cosine_schedule(50)
    target = torch.rand(4, 1, 28, 28) * 2 - 1
    loss = diffusion.diffusion_loss(Oracle(target, schedule), target, schedule)
    assert float(loss) < 1e-8


def test_a_network_that_knows_the_image_samples_it() -> None:
    schedule = diffusion.cosine_schedule(30)
    target = (torch.rand(1, 1, 28, 28) * 1.6 - 0.8).repeat(3, 1, 1, 1)
    images, kept = diffusion.sample(Oracle(target, schedule), schedule, 3, keep=(29, 10, 0))
    assert torch.allclose(images, target, atol=1e-4)
    assert sorted(kept) == [0, 10, 29]
    assert float((kept[29] - target).abs().mean()) > float((kept[10] - target).abs().mean())


def test_the_denoiser_answers_one_number_per_pixel_and_needs_its_labels() -> None:
    net = diffusion.Denoiser(width=8, embed=16, n_classes=10)
    x = torch.randn(5, 1, 28, 28)
    t = torch.tensor([0, 1, 2, 3, 4])
    out = net(x, t, torch.tensor([0, 1, 2, 3, 4]))
    assert out.shape == x.shape
    assert float(out.detach().abs().max()) == 0.0  # the last layer starts at zero
    with pytest.raises(ValueError, match="pass the labels"):
        net(x, t)
    embedded = diffusion.time_embedding(torch.tensor([0, 1, 50]), 16)
    assert embedded.shape == (3, 16) and not torch.allclose(embedded[1], embedded[2])


def test_a_few_steps_of_training_lower_the_loss() -> None:
    torch.manual_seed(0)
    images = torch.zeros(64, 1, 28, 28) - 1
    images[:, :, 8:20, 10:18] = 1.0  # one bright block: easy to learn
    net = diffusion.Denoiser(width=8, embed=16)
    schedule = diffusion.cosine_schedule(20)
    result = diffusion.train_diffusion(
        net, images, schedule, steps=60, batch=32, lr=3e-3, log_every=20, log=None
    )
    assert [step for step, _ in result.losses] == [20, 40, 60]
    assert result.losses[-1][1] < result.losses[0][1]
    assert result.seconds > 0


def test_bytes_and_model_scale_round_trip() -> None:
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    back = diffusion.to_uint8(diffusion.to_model_scale(images))
    assert back.dtype == np.uint8 and np.array_equal(back, images)


# --- the pictures --------------------------------------------------------------------------


def test_the_pictures_are_drawn() -> None:
    names = [f"class {c}" for c in range(10)]
    images = np.random.default_rng(0).integers(0, 256, (20, 28, 28), dtype=np.uint8)
    labels = np.repeat(np.arange(10), 2)
    schedules = {"linear": diffusion.linear_schedule(50), "cosine": diffusion.cosine_schedule(50)}
    figures = [
        draw.draw_cgan(),
        draw.draw_forward_process(images[:2], schedules, [0, 10, 49]),
        draw.draw_reverse_process({10: torch.zeros(3, 1, 28, 28), 0: torch.ones(3, 1, 28, 28)}),
        draw.draw_class_rows(images, labels, names, per_class=2),
        draw.draw_side_by_side({"a": (images, labels), "b": (images, labels)}, names, per_class=2),
        draw.draw_interpolation(images[:6].reshape(2, 3, 28, 28), names, [0, 5]),
        draw.draw_nearest_pairs(images[:3], images[3:6], np.array([1.0, 2.0, 3.0])),
        draw.draw_curves({"a": [{"step": 1, "loss": 2.0}, {"step": 2, "loss": 1.0}]}, ["loss"]),
    ]
    assert all(len(figure.axes) >= 1 for figure in figures)


# --- the conditional generator ------------------------------------------------------------


class Generator(ConditionalGenerator):
    """Right, with hooks for the mistakes."""

    def join(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return torch.cat([z, self.embed(labels)], dim=1)

    def grid(self, h: torch.Tensor) -> torch.Tensor:
        return h.view(len(h), 2 * self.width, 7, 7)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.up(self.grid(self.project(self.join(z, labels))))


class Swapped(Generator):
    def join(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.embed(labels), z], dim=1)


class Blind(Generator):
    def join(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return torch.cat([z, torch.zeros_like(z)], dim=1)


class Added(Generator):
    def join(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return z + self.embed(labels)


class OneHot(Generator):
    def join(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return torch.cat([z, F.one_hot(labels, self.n_classes).float()], dim=1)


class ChannelsLast(Generator):
    def grid(self, h: torch.Tensor) -> torch.Tensor:
        return h.view(len(h), 7, 7, 2 * self.width).permute(0, 3, 1, 2)


class FrozenNorm(Generator):
    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        linear, norm, relu = self.project
        h = linear(self.join(z, labels))
        h = relu(
            F.batch_norm(
                h, norm.running_mean, norm.running_var, norm.weight, norm.bias, False, 0.0, 1e-5
            )
        )
        return self.up(self.grid(h))


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (Swapped, "z and the label's embedding are swapped"),
        (Blind, "the label makes no difference"),
        (Added, "z and the label's embedding side by side"),
        (OneHot, "z and the label's embedding side by side"),
        (ChannelsLast, "channels first"),
        (FrozenNorm, "right in eval mode but not in training mode"),
    ],
)
def test_the_generator_check_names_the_mistake(wrong: type[nn.Module], says: str) -> None:
    with pytest.raises(AssertionError, match=re.escape(says)):
        checks.check_conditional_generator(wrong, ConditionalGenerator)


def test_the_generator_check_accepts_the_right_ones() -> None:
    checks.check_conditional_generator(ConditionalGenerator, ConditionalGenerator)
    checks.check_conditional_generator(Generator, ConditionalGenerator)


# --- the projection discriminator ---------------------------------------------------------


class Discriminator(ConditionalDiscriminator):
    """Right, with hooks for the mistakes."""

    def pool(self, grid: torch.Tensor) -> torch.Tensor:
        return grid.sum(dim=(2, 3))

    def project(self, h: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return (self.embed(labels) * h).sum(dim=1)

    def score(self, h: torch.Tensor) -> torch.Tensor:
        return self.linear(h).squeeze(1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.pool(self.features(x))
        return self.score(h) + self.project(h, labels)


class NoProjection(Discriminator):
    def project(self, h: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return torch.zeros(len(h))


class NoLinear(Discriminator):
    def score(self, h: torch.Tensor) -> torch.Tensor:
        return torch.zeros(len(h))


class MeanPool(Discriminator):
    def pool(self, grid: torch.Tensor) -> torch.Tensor:
        return grid.mean(dim=(2, 3))


class Flattened(Discriminator):
    def pool(self, grid: torch.Tensor) -> torch.Tensor:
        return grid.flatten(1)


class Probability(Discriminator):
    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(super().forward(x, labels))


class Column(Discriminator):
    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return super().forward(x, labels).unsqueeze(1)


class MatrixProduct(Discriminator):
    def project(self, h: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.embed(labels) @ h.T


class ReadsWeight(Discriminator):
    def project(self, h: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return (self.embed.weight[labels] * h).sum(dim=1)


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (NoProjection, "the label makes no difference to the logit"),
        (NoLinear, "the label-free term is missing"),
        (MeanPool, "the features are averaged over the grid"),
        (Flattened, "pool the features over the 7 x 7 grid first"),
        (Probability, "return the logit itself"),
        (Column, "the logits have shape (N, 1)"),
        (MatrixProduct, "not a matrix product"),
        (ReadsWeight, "right without spectral norm but not with it"),
    ],
)
def test_the_discriminator_check_names_the_mistake(wrong: type[nn.Module], says: str) -> None:
    with pytest.raises(AssertionError, match=re.escape(says)):
        checks.check_conditional_discriminator(wrong, ConditionalDiscriminator)


def test_the_discriminator_check_accepts_the_right_ones() -> None:
    checks.check_conditional_discriminator(ConditionalDiscriminator, ConditionalDiscriminator)
    checks.check_conditional_discriminator(Discriminator, ConditionalDiscriminator)


# --- the Fréchet distance ----------------------------------------------------------------


def _stats(a: np.ndarray, ddof: int = 1) -> tuple[np.ndarray, np.ndarray]:
    return a.mean(axis=0), np.cov(a, rowvar=False, ddof=ddof)


def _right_with_eigh(a: np.ndarray, b: np.ndarray) -> float:
    (mu_a, c_a), (mu_b, c_b) = _stats(a), _stats(b)
    values, vectors = np.linalg.eigh(c_a)
    root = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root @ c_b @ root), 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(c_a) + np.trace(c_b) - 2 * cross)


def _right_with_scipy(a: np.ndarray, b: np.ndarray) -> Any:
    (mu_a, c_a), (mu_b, c_b) = _stats(a), _stats(b)
    return ((mu_a - mu_b) ** 2).sum() + np.trace(c_a + c_b - 2 * scipy.linalg.sqrtm(c_a @ c_b))


def _population(a: np.ndarray, b: np.ndarray) -> float:
    (mu_a, c_a), (mu_b, c_b) = _stats(a, 0), _stats(b, 0)
    cross = np.trace(scipy.linalg.sqrtm(c_a @ c_b)).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(c_a) + np.trace(c_b) - 2 * cross)


def _wrong_axis(a: np.ndarray, b: np.ndarray) -> float:
    c_a, c_b = np.cov(a), np.cov(b)
    cross = np.trace(scipy.linalg.sqrtm(c_a @ c_b)).real
    mu = a.mean(axis=0) - b.mean(axis=0)
    return float(mu @ mu + np.trace(c_a) + np.trace(c_b) - 2 * cross)


def _no_cross(a: np.ndarray, b: np.ndarray) -> float:
    (mu_a, c_a), (mu_b, c_b) = _stats(a), _stats(b)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(c_a) + np.trace(c_b))


def _once(a: np.ndarray, b: np.ndarray) -> float:
    (mu_a, c_a), (mu_b, c_b) = _stats(a), _stats(b)
    cross = np.trace(scipy.linalg.sqrtm(c_a @ c_b)).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(c_a) + np.trace(c_b) - cross)


def _elementwise(a: np.ndarray, b: np.ndarray) -> float:
    (mu_a, c_a), (mu_b, c_b) = _stats(a), _stats(b)
    with np.errstate(invalid="ignore"):
        cross = np.trace(np.sqrt(c_a @ c_b))
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(c_a) + np.trace(c_b) - 2 * cross)


def _elementwise_each(a: np.ndarray, b: np.ndarray) -> float:
    (mu_a, c_a), (mu_b, c_b) = _stats(a), _stats(b)
    with np.errstate(invalid="ignore"):
        cross = np.trace(np.sqrt(c_a) @ np.sqrt(c_b))
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(c_a) + np.trace(c_b) - 2 * cross)


def _separate_roots(a: np.ndarray, b: np.ndarray) -> float:
    (mu_a, c_a), (mu_b, c_b) = _stats(a), _stats(b)
    cross = np.trace(scipy.linalg.sqrtm(c_a) @ scipy.linalg.sqrtm(c_b)).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(c_a) + np.trace(c_b) - 2 * cross)


def _sqrt_of_trace(a: np.ndarray, b: np.ndarray) -> float:
    (mu_a, c_a), (mu_b, c_b) = _stats(a), _stats(b)
    cross = math.sqrt(np.trace(c_a @ c_b))
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(c_a) + np.trace(c_b) - 2 * cross)


def _norm(a: np.ndarray, b: np.ndarray) -> float:
    (mu_a, c_a), (mu_b, c_b) = _stats(a), _stats(b)
    cross = np.trace(scipy.linalg.sqrtm(c_a @ c_b)).real
    return float(np.linalg.norm(mu_a - mu_b) + np.trace(c_a) + np.trace(c_b) - 2 * cross)


def _complex(a: np.ndarray, b: np.ndarray) -> complex:
    return complex(_right_with_eigh(a, b), 0.5)


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (_wrong_axis, "the covariance is over the wrong axis"),
        (_no_cross, "the cross term is missing"),
        (_once, "the cross term counts twice"),
        (_elementwise, "np.sqrt of C_a @ C_b takes the square root of each entry"),
        (_elementwise_each, "the result is nan"),
        (_separate_roots, "unless the two covariances commute"),
        (_sqrt_of_trace, "the square root is of the matrix C_a C_b, before the trace"),
        (_norm, "the means enter squared"),
        (_complex, "the result is complex"),
    ],
)
def test_the_frechet_check_names_the_mistake(wrong: Any, says: str) -> None:
    with pytest.raises(AssertionError, match=re.escape(says)):
        checks.check_frechet_distance(wrong, generative.frechet_distance)


@pytest.mark.parametrize("right", [_right_with_eigh, _right_with_scipy, _population])
def test_the_frechet_check_accepts_the_right_ones(right: Any) -> None:
    checks.check_frechet_distance(right, generative.frechet_distance)
    checks.check_frechet_distance(generative.frechet_distance, generative.frechet_distance)


def test_the_frechet_distance_of_two_one_dimensional_gaussians() -> None:
    """In one dimension it is (m1 - m2)^2 + (s1 - s2)^2 (the quiz's first question)."""
    value = generative.frechet_from_stats(
        np.array([0.0]), np.array([[1.0]]), np.array([1.0]), np.array([[4.0]])
    )
    assert math.isclose(value, 2.0, abs_tol=1e-12)


# --- class consistency -------------------------------------------------------------------


def _consistency(judge: Any, images: Any, labels: Any) -> float:
    return float(np.mean(judge.classify(images) == np.asarray(labels)))


def _count(judge: Any, images: Any, labels: Any) -> float:
    return float(np.sum(judge.classify(images) == labels))


def _percent(judge: Any, images: Any, labels: Any) -> float:
    return 100 * float(np.mean(judge.classify(images) == labels))


def _wrong_share(judge: Any, images: Any, labels: Any) -> float:
    return float(np.mean(judge.classify(images) != labels))


def _argmax_over_images(judge: Any, images: Any, labels: Any) -> float:
    return float(np.mean(judge.logits(images).argmax(axis=0) == labels))


def _sorted(judge: Any, images: Any, labels: Any) -> float:
    return float(np.mean(judge.classify(images) == np.sort(labels)))


def _reversed(judge: Any, images: Any, labels: Any) -> float:
    return float(np.mean(judge.classify(images) == np.asarray(labels)[::-1]))


def _as_floats(judge: Any, images: Any, labels: Any) -> float:
    return float(np.mean(judge.classify(np.asarray(images).astype(np.float32)) == labels))


def _needs_an_array(judge: Any, images: Any, labels: Any) -> float:
    return float(np.mean(judge.classify(images) == labels.astype(np.int64)))


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (_count, "it returns the number of images in their class"),
        (_percent, "not a percentage"),
        (_wrong_share, "the share of images in another class than asked"),
        (_argmax_over_images, "over axis 1, the classes"),
        (_sorted, "the labels are compared sorted"),
        (_reversed, "the labels are compared reversed"),
        (_as_floats, "floats on the 0..255 scale"),
        (_needs_an_array, "the labels may come as a list"),
    ],
)
def test_the_consistency_check_names_the_mistake(wrong: Any, says: str) -> None:
    with pytest.raises(AssertionError, match=re.escape(says)):
        checks.check_class_consistency(wrong, generative.class_consistency)


def test_the_consistency_check_accepts_the_right_ones() -> None:
    checks.check_class_consistency(_consistency, generative.class_consistency)
    checks.check_class_consistency(generative.class_consistency, generative.class_consistency)


def test_the_argmax_over_images_is_named_on_a_batch_of_ten_too() -> None:
    shown, asked = checks.CONSISTENCY_CASES[1]
    judge = checks.ToyJudge()
    images, labels = checks.toy_images(shown), np.array(asked)
    right = _consistency(judge, images, labels)
    assert not math.isclose(_argmax_over_images(judge, images, labels), right)


# --- through exercise.checked ---------------------------------------------------------------


def test_the_exercises_are_registered_and_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PRACTICUM_HOME", str(tmp_path))
    monkeypatch.setenv("PRACTICUM_URL", "")
    ids = [e.id for e in exercise.lesson_exercises(6) if e.section == 4]
    assert ids == [
        "conditional_generator",
        "conditional_discriminator",
        "frechet_distance",
        "class_consistency",
    ]
    got = exercise.checked(
        Generator,
        lesson=6,
        exercise="conditional_generator",
        check=checks.check_conditional_generator,
    )
    assert got is Generator

    class MySwapped(ConditionalGenerator):
        def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
            h = self.project(torch.cat([self.embed(labels), z], dim=1))
            return self.up(h.view(len(z), 2 * self.width, 7, 7))

    got = exercise.checked(
        MySwapped,
        lesson=6,
        exercise="conditional_generator",
        check=checks.check_conditional_generator,
    )
    assert got is ConditionalGenerator

    class CallsTheReference(ConditionalDiscriminator):
        def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
            return super().forward(x, labels)

    got = exercise.checked(
        CallsTheReference,
        lesson=6,
        exercise="conditional_discriminator",
        check=checks.check_conditional_discriminator,
    )
    assert got is ConditionalDiscriminator
    printed = capsys.readouterr().out
    assert "✓ Generator is correct" in printed
    assert "✗ MySwapped: wrong: z and the label's embedding are swapped" in printed
    assert "it calls the reference version instead" in printed
