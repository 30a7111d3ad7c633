"""Lesson 6, Sections 1-2: the VAE and GAN code (`lesson6/vae.py`, `lesson6/gan.py`) does
what the notebooks say, and every exercise check (`lesson6/checks.py`) accepts the
reference and right versions written differently, and rejects each mistake it claims to
catch, with its own sentence."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from practicum.coursework import exercise
from practicum.lessons.lesson6 import checks, gan, vae

pytestmark = pytest.mark.usefixtures("one_thread")


def rejects(check: Callable[..., None], wrong: Any, reference: Any, message: str) -> None:
    with pytest.raises(AssertionError, match=re.escape(message)):
        check(wrong, reference)


# --- vae.py -------------------------------------------------------------------------------


def test_reparameterize_draws_from_the_gaussian_and_keeps_the_gradient() -> None:
    torch.manual_seed(0)
    mu = torch.tensor([[1.0, -2.0]]).repeat(50_000, 1).requires_grad_()
    logvar = torch.tensor([[math.log(4.0), 0.0]]).repeat(50_000, 1).requires_grad_()
    z = vae.reparameterize(mu, logvar)
    assert torch.allclose(z.mean(0), torch.tensor([1.0, -2.0]), atol=0.05)
    assert torch.allclose(z.std(0), torch.tensor([2.0, 1.0]), rtol=0.02)
    z.sum().backward()
    assert torch.equal(mu.grad, torch.ones_like(mu))
    assert torch.allclose(logvar.grad, (z - mu).detach() / 2, atol=1e-5)


def test_the_closed_form_kl_is_torch_distributions_kl() -> None:
    gen = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(4, 3, generator=gen), torch.randn(4, 3, generator=gen)
    q = torch.distributions.Normal(mu, torch.exp(logvar / 2))
    prior = torch.distributions.Normal(torch.zeros(3), torch.ones(3))
    expected = torch.distributions.kl_divergence(q, prior).sum(dim=1)
    assert torch.allclose(vae.kl_to_standard_normal(mu, logvar), expected, atol=1e-6)
    assert vae.kl_to_standard_normal(torch.zeros(1, 2), torch.zeros(1, 2)).item() == 0


def test_vae_loss_is_bce_summed_over_pixels_plus_kl_averaged_over_images() -> None:
    logits, x, mu, logvar = checks.vae_inputs()
    bce = F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="sum") / len(x)
    kl = vae.kl_to_standard_normal(mu, logvar).mean()
    assert torch.allclose(vae.vae_loss(logits, x, mu, logvar), bce + kl, rtol=1e-5)


def test_the_vae_model_and_its_helpers() -> None:
    torch.manual_seed(0)
    model = vae.VAE(latent_dim=3, hidden=16)
    x = torch.rand(5, 1, 28, 28)
    logits, mu, logvar = model(x)
    assert logits.shape == x.shape and mu.shape == logvar.shape == (5, 3)
    assert model.generate(4).shape == (4, 1, 28, 28)
    recon = model.reconstruct(x)
    assert recon.min() >= 0 and recon.max() <= 1
    assert vae.encode_means(model, x, batch_size=2).shape == (5, 3)
    assert vae.Autoencoder(code=2, hidden=8)(x).shape == x.shape

    calls = []

    def sample(m: torch.Tensor, lv: torch.Tensor) -> torch.Tensor:
        calls.append(m.shape)
        return m

    vae.VAE(latent_dim=3, hidden=16, sample=sample)(x)
    assert calls == [(5, 3)]  # the model samples with the function it is given


def test_the_dataset_and_the_validation_split() -> None:
    x = np.arange(10 * 28 * 28, dtype=np.int64).reshape(10, 28, 28).astype(np.uint8)
    y = np.arange(10)
    dataset = vae.ImageDataset(x, y)
    image, label = dataset[3]
    assert len(dataset) == 10 and label == 3
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32
    assert torch.allclose(image, vae.as_tensor(x)[3])
    x_train, y_train, x_valid, y_valid = vae.carve_validation(x, y, 3, seed=0)
    assert len(x_valid) == 3 and len(x_train) == 7
    assert set(y_train) | set(y_valid) == set(range(10)) and not set(y_train) & set(y_valid)
    assert np.array_equal(vae.carve_validation(x, y, 3, seed=0)[3], y_valid)
    with pytest.raises(ValueError, match="labels"):
        vae.ImageDataset(x, y[:5])


def test_evaluate_is_the_loss_per_image_and_training_lowers_it() -> None:
    loader = checks.tiny_loader()
    model = checks.tiny_vae()
    model.sample = lambda mu, logvar: mu  # no noise: the same codes in both computations
    result = vae.evaluate(model, DataLoader(loader.dataset, batch_size=5))
    assert not model.training
    x = torch.stack([x for x, _ in loader.dataset])
    with torch.no_grad():
        logits, mu, logvar = model(x)
        expected = vae.vae_loss(logits, x, mu, logvar).item()
    assert math.isclose(result["loss"], expected, rel_tol=1e-5)
    assert math.isclose(result["loss"], result["reconstruction"] + result["kl"])
    assert result["kl"] >= 0
    model.sample = vae.reparameterize
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = vae.train_epoch(model, loader, optimizer)
    for _ in range(30):
        last = vae.train_epoch(model, loader, optimizer)
    assert model.training and last < first


# --- gan.py -------------------------------------------------------------------------------


def test_the_gan_losses_at_known_points() -> None:
    zeros = torch.zeros(4)
    assert math.isclose(
        gan.discriminator_loss(zeros, zeros[:2]).item(), 2 * math.log(2), rel_tol=1e-6
    )
    assert math.isclose(gan.generator_loss(zeros).item(), math.log(2), rel_tol=1e-6)
    assert math.isclose(gan.saturating_generator_loss(zeros).item(), -math.log(2), rel_tol=1e-6)
    # where D rejects the fakes, the minimax loss's gradient vanishes and the other's does not
    logits = torch.full((2,), -8.0, requires_grad=True)
    gan.generator_loss(logits).backward()
    assert torch.allclose(logits.grad, torch.full((2,), -0.5), atol=1e-3)
    logits.grad = None
    gan.saturating_generator_loss(logits).backward()
    assert logits.grad.abs().max() < 1e-3
    assert math.isfinite(gan.generator_loss(torch.tensor([-200.0])).item())


def test_the_dcgan_shapes_and_one_step() -> None:
    torch.manual_seed(0)
    generator, discriminator = gan.Generator(8, width=4), gan.Discriminator(width=4)
    gan.init_weights(generator)
    gan.init_weights(discriminator)
    z = torch.randn(6, 8)
    fake = generator(z)
    assert fake.shape == (6, 1, 28, 28) and fake.abs().max() <= 1
    assert discriminator(fake).shape == (6,)
    images = gan.sample(generator, z)
    assert generator.training and images.min() >= 0 and images.max() <= 1
    before = [p.detach().clone() for p in [*generator.parameters(), *discriminator.parameters()]]
    real = gan.to_gan_range(np.full((6, 28, 28), 255, dtype=np.uint8))
    assert torch.equal(real, torch.ones(6, 1, 28, 28))
    d_loss, g_loss = gan.train_step(
        generator, discriminator, real, z, gan.adam(generator), gan.adam(discriminator)
    )
    assert isinstance(d_loss, float) and isinstance(g_loss, float)
    after = [*generator.parameters(), *discriminator.parameters()]
    assert all(not torch.equal(a, b) for a, b in zip(after, before, strict=True))


def test_the_ring_and_its_modes() -> None:
    rng = np.random.default_rng(0)
    points = gan.ring_of_gaussians(4000, rng)
    assert points.shape == (4000, 2) and points.dtype == np.float32
    covered, near = gan.modes_covered(points)
    assert covered == 8 and near > 0.99
    one_mode = np.tile(gan.ring_centres()[:1], (500, 1))
    assert gan.modes_covered(one_mode) == (1, 1.0)


def test_the_toy_gan_keeps_its_snapshots_and_losses() -> None:
    run = gan.train_toy(20, snapshots=(0, 10, 20), n_shown=50, batch=32, hidden=16)
    assert sorted(run.snapshots) == [0, 10, 20]
    assert run.snapshots[20].shape == (50, 2)
    assert len(run.d_losses) == len(run.g_losses) == 20
    again = gan.train_toy(20, snapshots=(20,), n_shown=50, batch=32, hidden=16)
    assert np.array_equal(again.snapshots[20], run.snapshots[20])  # seeded


# --- the checks accept right versions --------------------------------------------------------


def reparameterize_randn(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return mu + torch.sqrt(torch.exp(logvar)) * torch.randn(mu.shape)


def vae_loss_summed(logits: Any, x: Any, mu: Any, logvar: Any) -> torch.Tensor:
    recon = F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="sum")
    kl = 0.5 * torch.sum(mu**2 + logvar.exp() - logvar - 1)
    return (recon + kl) / x.size(0)


def vae_epoch_other(model: nn.Module, loader: Any, optimizer: Any) -> Any:
    model.train()
    total, batches = torch.tensor(0.0), 0
    for batch in loader:
        images = batch[0]
        logits, mu, logvar = model(images)
        loss = vae.vae_loss(logits, images, mu, logvar)
        model.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.detach()
        batches += 1
    return total / batches


def d_loss_logsigmoid(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return -F.logsigmoid(real).mean() - F.logsigmoid(-fake).mean()


def g_loss_logsigmoid(fake: torch.Tensor) -> torch.Tensor:
    return -F.logsigmoid(fake).mean()


def gan_step_no_grad(generator: Any, discriminator: Any, real: Any, z: Any, g_opt: Any, d_opt: Any) -> Any:  # fmt: skip
    with torch.no_grad():
        fake = generator(z)
    d_opt.zero_grad()
    d_loss = d_loss_logsigmoid(discriminator(real), discriminator(fake))
    d_loss.backward()
    d_opt.step()
    g_opt.zero_grad()
    g_loss = g_loss_logsigmoid(discriminator(generator(z)))
    g_loss.backward()
    g_opt.step()
    return d_loss, g_loss  # 0-d tensors are numbers too


RIGHT = {
    "reparameterize": (checks.check_reparameterize, vae.reparameterize, [reparameterize_randn]),
    "vae_loss": (checks.check_vae_loss, vae.vae_loss, [vae_loss_summed]),
    "train_vae_epoch": (checks.check_train_vae_epoch, vae.train_epoch, [vae_epoch_other]),
    "discriminator_loss": (
        checks.check_discriminator_loss,
        gan.discriminator_loss,
        [d_loss_logsigmoid],
    ),
    "generator_loss": (checks.check_generator_loss, gan.generator_loss, [g_loss_logsigmoid]),
    "gan_step": (checks.check_gan_step, gan.train_step, [gan_step_no_grad]),
}


@pytest.mark.parametrize("name", RIGHT)
def test_each_check_accepts_the_reference_and_a_right_version(name: str) -> None:
    check, reference, others = RIGHT[name]
    check(reference, reference)
    for other in others:
        check(other, reference)
    assert exercise.find(6, name).resolve() is reference


def test_a_right_version_goes_through_checked_with_its_verdict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    got = exercise.checked(
        reparameterize_randn, reference=vae.reparameterize, check=checks.check_reparameterize
    )
    assert got is reparameterize_randn
    assert "✓ reparameterize_randn is correct" in capsys.readouterr().out


# --- reparameterize's mistakes -------------------------------------------------------------


def _sigma(logvar: torch.Tensor) -> torch.Tensor:
    return torch.exp(logvar / 2)


REPARAM_MISTAKES: dict[str, tuple[Callable[..., Any], str]] = {
    "exp(logvar)": (
        lambda mu, lv: mu + torch.exp(lv) * torch.randn_like(mu),
        "sigma is exp(logvar / 2): exp(logvar) is the variance",
    ),
    "logvar as sigma": (
        lambda mu, lv: mu + lv * torch.randn_like(mu),
        "logvar is the log of the variance, not the standard deviation",
    ),
    "minus": (
        lambda mu, lv: mu + torch.exp(-lv / 2) * torch.randn_like(mu),
        "sigma = exp(+logvar / 2)",
    ),
    "uniform": (
        lambda mu, lv: mu + _sigma(lv) * torch.rand_like(mu),
        "not the uniform distribution (torch.rand_like)",
    ),
    "no noise": (lambda mu, lv: mu + 0 * lv, "z equals mu: add the noise"),
    "one eps per batch": (
        lambda mu, lv: mu + _sigma(lv) * torch.randn(mu.shape[-1]),
        "every row got the same noise",
    ),
    "summed over the code": (
        lambda mu, lv: (mu + _sigma(lv) * torch.randn_like(mu)).sum(dim=1),
        "for mu of shape (4, 5) z has shape (4,)",
    ),
    "a tuple": (
        lambda mu, lv: (mu + _sigma(lv) * torch.randn_like(mu), mu),
        "return z as a torch tensor, not a tuple",
    ),
    "torch.normal": (
        lambda mu, lv: torch.normal(mu, _sigma(lv)),
        "no gradient reaches mu: compute z = mu + sigma * eps",
    ),
    "detached": (
        lambda mu, lv: (mu + _sigma(lv) * torch.randn_like(mu)).detach(),
        "no gradient reaches mu and logvar",
    ),
    "sigma detached": (
        lambda mu, lv: mu + _sigma(lv).detach() * torch.randn_like(mu),
        "no gradient reaches logvar",
    ),
    "wrong spread": (
        lambda mu, lv: mu + 3 * _sigma(lv) * torch.randn_like(mu),
        "your samples have means",
    ),
}


@pytest.mark.parametrize("mistake", REPARAM_MISTAKES)
def test_the_reparameterize_check_names_the_mistake(mistake: str) -> None:
    wrong, message = REPARAM_MISTAKES[mistake]
    rejects(checks.check_reparameterize, wrong, vae.reparameterize, message)


# --- vae_loss's mistakes -------------------------------------------------------------------


def _kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(dim=1)


def _bce(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


VAE_MISTAKES: dict[str, tuple[Callable[..., Any], str]] = {
    "pixel mean": (
        lambda lo, x, mu, lv: F.binary_cross_entropy_with_logits(lo, x) + _kl(mu, lv).mean(),
        "the reconstruction is averaged over the pixels",
    ),
    "everything averaged": (
        lambda lo, x, mu, lv: (
            F.binary_cross_entropy_with_logits(lo, x) - 0.5 * (1 + lv - mu**2 - lv.exp()).mean()
        ),
        "both terms are averaged over every number",
    ),
    "kl mean over dims": (
        lambda lo, x, mu, lv: (_bce(lo, x) - 0.5 * (1 + lv - mu**2 - lv.exp()).mean(1)).mean(),
        "the KL term is averaged over the latent dimensions",
    ),
    "batch sum": (
        lambda lo, x, mu, lv: (_bce(lo, x) + _kl(mu, lv)).sum(),
        "the loss is summed over the batch",
    ),
    "kl sign": (
        lambda lo, x, mu, lv: (_bce(lo, x) - _kl(mu, lv)).mean(),
        "the KL term has the wrong sign",
    ),
    "kl without 1/2": (
        lambda lo, x, mu, lv: (_bce(lo, x) + 2 * _kl(mu, lv)).mean(),
        "the KL term misses its factor 1/2",
    ),
    "logvar for the variance": (
        lambda lo, x, mu, lv: (_bce(lo, x) - 0.5 * (1 + lv - mu**2 - lv).sum(1)).mean(),
        "in the KL, sigma² is exp(logvar), not logvar",
    ),
    "sigma for the variance": (
        lambda lo, x, mu, lv: (
            _bce(lo, x) - 0.5 * (1 + lv - mu**2 - torch.exp(lv / 2)).sum(1)
        ).mean(),
        "use the variance sigma² = exp(logvar), not sigma",
    ),
    "no kl": (lambda lo, x, mu, lv: _bce(lo, x).mean(), "the KL term is missing"),
    "no reconstruction": (
        lambda lo, x, mu, lv: _kl(mu, lv).mean(),
        "the reconstruction term is missing",
    ),
    "elbo": (
        lambda lo, x, mu, lv: -(_bce(lo, x) + _kl(mu, lv)).mean(),
        "it returns the ELBO",
    ),
    "sigmoid twice": (
        lambda lo, x, mu, lv: (_bce(torch.sigmoid(lo), x) + _kl(mu, lv)).mean(),
        "the sigmoid is applied twice",
    ),
    "swapped": (
        lambda lo, x, mu, lv: (_bce(x, lo) + _kl(mu, lv)).mean(),
        "the arguments are swapped",
    ),
    "squared error": (
        lambda lo, x, mu, lv: (
            (torch.sigmoid(lo) - x).pow(2).flatten(1).sum(1) + _kl(mu, lv)
        ).mean(),
        "the reconstruction is a squared error",
    ),
    "logits against pixels": (
        lambda lo, x, mu, lv: ((lo - x).pow(2).flatten(1).sum(1) + _kl(mu, lv)).mean(),
        "the reconstruction compares the logits with the pixels",
    ),
    "a float": (
        lambda lo, x, mu, lv: (_bce(lo, x) + _kl(mu, lv)).mean().item(),
        "return the loss as a torch tensor",
    ),
    "per image": (
        lambda lo, x, mu, lv: _bce(lo, x) + _kl(mu, lv),
        "one number per image: average over the batch",
    ),
    "no gradient": (
        lambda lo, x, mu, lv: (_bce(lo, x) + _kl(mu, lv)).mean().detach(),
        "the loss carries no gradient",
    ),
    "kl detached": (
        lambda lo, x, mu, lv: (_bce(lo, x) + _kl(mu, lv).detach()).mean(),
        "its gradient with respect to mu is not",
    ),
    "something else": (
        lambda lo, x, mu, lv: (_bce(lo, x) + _kl(mu, lv)).mean() + 1,
        "the negative ELBO (BCE summed over pixels + KL, averaged over the images) is",
    ),
}


@pytest.mark.parametrize("mistake", VAE_MISTAKES)
def test_the_vae_loss_check_names_the_mistake(mistake: str) -> None:
    wrong, message = VAE_MISTAKES[mistake]
    rejects(checks.check_vae_loss, wrong, vae.vae_loss, message)


# --- train_vae_epoch's mistakes ------------------------------------------------------------


def vae_epoch(flaw: str) -> Callable[..., Any]:
    """A student's epoch, right unless `flaw` names one mistake."""

    def train(model: nn.Module, loader: Any, optimizer: torch.optim.Optimizer) -> Any:
        if flaw != "no_train":
            model.train()
        losses = []
        for batch in loader:
            x = batch if flaw == "whole_batch" else batch[0]
            logits, mu, logvar = model(x)
            loss = vae.vae_loss(logits, x, mu, logvar)
            if flaw not in ("no_zero_grad", "zero_grad_between"):
                optimizer.zero_grad()
            loss.backward()
            if flaw == "zero_grad_between":
                optimizer.zero_grad()
            if flaw != "no_step":
                optimizer.step()
            if flaw == "two_steps":
                optimizer.step()
            losses.append(loss.item())
        if flaw == "sum":
            return sum(losses)
        if flaw == "last":
            return losses[-1]
        if flaw == "list":
            return losses
        return float(np.mean(losses))

    return train


EPOCH_MISTAKES = {
    "no_zero_grad": "the gradients pile up from batch to batch",
    "zero_grad_between": "the weights did not change",
    "no_step": "the weights did not change",
    "no_train": "switch the model to training mode first (model.train())",
    "sum": "it returns the sum of the batches' losses",
    "last": "it returns the last batch's loss",
    "list": "return the mean of the batches' losses as a Python float",
    "whole_batch": "each batch of the loader is a pair (images, labels)",
    "two_steps": "your weights differ from the reference's by up to",
}


@pytest.mark.parametrize("mistake", EPOCH_MISTAKES)
def test_the_vae_epoch_check_names_the_mistake(mistake: str) -> None:
    rejects(
        checks.check_train_vae_epoch, vae_epoch(mistake), vae.train_epoch, EPOCH_MISTAKES[mistake]
    )


def test_the_vae_epoch_check_accepts_a_correct_epoch_written_like_the_mistakes() -> None:
    checks.check_train_vae_epoch(vae_epoch(""), vae.train_epoch)


# --- discriminator_loss's and generator_loss's mistakes -------------------------------------


def bce(logits: torch.Tensor, label: float, reduction: str = "mean") -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label), reduction=reduction)  # fmt: skip


D_MISTAKES: dict[str, tuple[Callable[..., Any], str]] = {
    "swapped": (lambda r, f: bce(r, 0) + bce(f, 1), "the labels are swapped"),
    "sigmoid twice": (
        lambda r, f: bce(torch.sigmoid(r), 1) + bce(torch.sigmoid(f), 0),
        "the sigmoid is applied twice",
    ),
    "averaged": (lambda r, f: (bce(r, 1) + bce(f, 0)) / 2, "the two terms are averaged"),
    "one mean": (
        lambda r, f: F.binary_cross_entropy_with_logits(
            torch.cat([r, f]), torch.cat([torch.ones_like(r), torch.zeros_like(f)])
        ),
        "one mean over real and fake images together",
    ),
    "no fake term": (lambda r, f: bce(r, 1), "the fake term is missing"),
    "no real term": (lambda r, f: bce(f, 0), "the real term is missing"),
    "fakes labelled 1": (lambda r, f: bce(r, 1) + bce(f, 1), "the fakes are labelled 1"),
    "negated": (lambda r, f: -(bce(r, 1) + bce(f, 0)), "it is minus D's loss"),
    "summed": (lambda r, f: bce(r, 1, "sum") + bce(f, 0, "sum"), "the loss is summed"),
    "log of sigmoid": (
        lambda r, f: -torch.log(torch.sigmoid(r)).mean() - torch.log(1 - torch.sigmoid(f)).mean(),
        "when D is very sure (its logits of ±120) your loss is",
    ),
    "bce of probabilities": (
        lambda r, f: (
            F.binary_cross_entropy(torch.sigmoid(r), torch.ones_like(r))
            + F.binary_cross_entropy(torch.sigmoid(f), torch.zeros_like(f))
        ),
        "sigmoid then log underflows in float32",
    ),
    "a float": (lambda r, f: (bce(r, 1) + bce(f, 0)).item(), "return the loss as a torch tensor"),
    "per image": (
        lambda r, f: (
            F.binary_cross_entropy_with_logits(r, torch.ones_like(r), reduction="none") + bce(f, 0)
        ),
        "one number per image: average over the batch",
    ),
    "real detached": (
        lambda r, f: bce(r.detach(), 1) + bce(f, 0),
        "its gradient with respect to the real logits is not",
    ),
    "something else": (lambda r, f: bce(r, 1) + bce(f, 0) + 1, "D's loss (-mean log D(x)"),
}


@pytest.mark.parametrize("mistake", D_MISTAKES)
def test_the_discriminator_loss_check_names_the_mistake(mistake: str) -> None:
    wrong, message = D_MISTAKES[mistake]
    rejects(checks.check_discriminator_loss, wrong, gan.discriminator_loss, message)


G_MISTAKES: dict[str, tuple[Callable[..., Any], str]] = {
    "saturating": (lambda f: torch.log(1 - torch.sigmoid(f)).mean(), "that is the saturating loss"),
    "saturating by bce": (lambda f: -bce(f, 0), "log(1 - D(G(z))) of the minimax game"),
    "label 0": (lambda f: bce(f, 0), "the fakes are labelled 0"),
    "sign": (lambda f: -bce(f, 1), "the sign is wrong"),
    "sigmoid twice": (lambda f: bce(torch.sigmoid(f), 1), "the sigmoid is applied twice"),
    "summed": (lambda f: bce(f, 1, "sum"), "the loss is summed over the fakes"),
    "log of sigmoid": (
        lambda f: -torch.log(torch.sigmoid(f)).mean(),
        "when D is very sure (fake logits of ±120) your loss is",
    ),
    "no gradient": (lambda f: bce(f.detach(), 1), "the loss carries no gradient"),
    "something else": (lambda f: 2 * bce(f, 1), "-mean log D(G(z)) is"),
}


@pytest.mark.parametrize("mistake", G_MISTAKES)
def test_the_generator_loss_check_names_the_mistake(mistake: str) -> None:
    wrong, message = G_MISTAKES[mistake]
    rejects(checks.check_generator_loss, wrong, gan.generator_loss, message)


# --- gan_step's mistakes ----------------------------------------------------------------------


def gan_step(flaw: str) -> Callable[..., Any]:
    """A student's step, right unless `flaw` names one mistake."""

    def step(generator: Any, discriminator: Any, real: Any, z: Any, g_opt: Any, d_opt: Any) -> Any:
        fake = generator(z)
        scored = fake if flaw in ("no_detach", "no_detach_retained") else fake.detach()
        if flaw != "no_d_zero_grad":
            d_opt.zero_grad()
        if flaw == "one_d_call":
            logits = discriminator(torch.cat([real, scored]))
            d_loss = gan.discriminator_loss(logits[: len(real)], logits[len(real) :])
        else:
            d_loss = gan.discriminator_loss(discriminator(real), discriminator(scored))
        d_loss.backward(retain_graph=flaw == "no_detach_retained")
        if flaw != "no_d_step":
            d_opt.step()
        if flaw != "no_g_zero_grad":
            g_opt.zero_grad()
        g_fake = fake.detach() if flaw == "g_detached" else fake
        g_loss = gan.generator_loss(discriminator(g_fake))
        g_loss.backward()
        if flaw != "no_g_step":
            g_opt.step()
        if flaw == "swapped":
            return g_loss.item(), d_loss.item()
        if flaw == "summed":
            return d_loss.item() + g_loss.item(), g_loss.item()
        if flaw == "one_number":
            return d_loss.item()
        return d_loss.item(), g_loss.item()

    return step


def g_first(generator: Any, discriminator: Any, real: Any, z: Any, g_opt: Any, d_opt: Any) -> Any:
    g_opt.zero_grad()
    g_loss = gan.generator_loss(discriminator(generator(z)))
    g_loss.backward()
    g_opt.step()
    d_opt.zero_grad()
    d_loss = gan.discriminator_loss(discriminator(real), discriminator(generator(z).detach()))
    d_loss.backward()
    d_opt.step()
    return d_loss.item(), g_loss.item()


STEP_MISTAKES: dict[str, tuple[Callable[..., Any], str]] = {
    "no_detach": (gan_step("no_detach"), "backward through G ran twice: detach the fakes"),
    "no_detach_retained": (
        gan_step("no_detach_retained"),
        "D's loss reached the generator's weights: detach the fakes",
    ),
    "g_detached": (gan_step("g_detached"), "G got no gradient"),
    "no_d_zero_grad": (gan_step("no_d_zero_grad"), "D's gradients pile up"),
    "no_g_zero_grad": (gan_step("no_g_zero_grad"), "G's gradients pile up"),
    "one_d_call": (gan_step("one_d_call"), "score the real and the fake images in two calls"),
    "g_first": (g_first, "update D first, then G"),
    "no_d_step": (gan_step("no_d_step"), "D's weights did not change"),
    "no_g_step": (gan_step("no_g_step"), "G's weights did not change"),
    "swapped": (gan_step("swapped"), "return (d_loss, g_loss) in that order"),
    "summed": (gan_step("summed"), "return the values of the two losses that were minimised"),
    "one_number": (gan_step("one_number"), "return the two losses (d_loss, g_loss)"),
}


@pytest.mark.parametrize("mistake", STEP_MISTAKES)
def test_the_gan_step_check_names_the_mistake(mistake: str) -> None:
    wrong, message = STEP_MISTAKES[mistake]
    rejects(checks.check_gan_step, wrong, gan.train_step, message)


def test_the_gan_step_check_accepts_a_correct_step_written_like_the_mistakes() -> None:
    checks.check_gan_step(gan_step(""), gan.train_step)


def test_a_generic_gan_step_mistake_gets_the_weights_gap() -> None:
    def doubled_lr(generator: Any, discriminator: Any, real: Any, z: Any, g_opt: Any, d_opt: Any) -> Any:  # fmt: skip
        result = gan.train_step(generator, discriminator, real, z, g_opt, d_opt)
        d_opt.step()  # one step too many, with the G step's leftovers in D
        return result

    rejects(checks.check_gan_step, doubled_lr, gan.train_step, "your weights differ")


def test_the_check_models_are_tiny_and_deterministic() -> None:
    first, second = checks.tiny_gan(), checks.tiny_gan()
    for a, b in zip(first[0].parameters(), second[0].parameters(), strict=True):
        assert torch.equal(a, b)
    loader = checks.tiny_loader()
    assert isinstance(loader.dataset, TensorDataset) and len(loader) == 3
