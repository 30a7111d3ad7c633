"""Lesson 6: the checks of Section 2's exercises, each able to name the mistake students make.

A check takes the student's function and the reference (which `exercise.checked` finds by
the exercise's id and hands over), runs both on small seeded inputs built here, and raises
AssertionError with one sentence when they disagree. Where a usual mistake explains the
difference (exp(logvar) taken for sigma, the KL's sign, pixels averaged instead of summed,
labels swapped, the saturating generator loss, fakes not detached, a missing `zero_grad`...),
the check recomputes that mistake, or tests the behaviour it breaks, and names it.
Gradients are checked too: against the reference's autograd, and for the
reparameterisation against the formula dz/dmu = 1, dz/dlogvar = (z - mu) / 2.

The notebook (`lesson6/section2_implementation.py`) and `tests/lessons/test_lesson6_parts.py`
use these same functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from practicum.lessons.lesson6.vae import VAE

Function = Callable[..., Any]
Tensors = tuple[torch.Tensor, ...]


def _bce(logits: torch.Tensor, label: float, reduction: str = "mean") -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(
        logits, torch.full_like(logits, label), reduction=reduction
    )


def _number(value: Any, what: str) -> float:
    """A Python number from a float, an int or a one-element tensor, else a clear error."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.detach())
    if isinstance(value, float | int) and not isinstance(value, bool):
        return float(value)
    raise AssertionError(f"return {what} as a Python float (loss.item()), not {value!r}")


def _close(got: float, expected: float, tol: float = 1e-4) -> bool:
    return math.isclose(got, expected, rel_tol=tol, abs_tol=tol)


def _scalar_loss(got: Any, batch: int) -> torch.Tensor:
    """The student's loss, if it is one number autograd can differentiate."""
    if not isinstance(got, torch.Tensor):
        raise AssertionError(
            f"return the loss as a torch tensor (loss.backward() needs one), not a "
            f"{type(got).__name__}"
        )
    if got.dim() != 0:
        if got.shape == (batch,):
            raise AssertionError(
                f"the loss has shape {tuple(got.shape)}, one number per image: average over "
                "the batch to return one number (a 0-d tensor)"
            )
        raise AssertionError(
            f"the loss has shape {tuple(got.shape)}: return one number for the batch (a 0-d tensor)"
        )
    if got.grad_fn is None:
        raise AssertionError(
            "the loss carries no gradient: compute it with torch operations on the inputs "
            "(no .item(), .detach(), numpy or torch.no_grad())"
        )
    return got


def _leaves(*tensors: torch.Tensor, grad: Sequence[bool]) -> Tensors:
    return tuple(t.detach().clone().requires_grad_(g) for t, g in zip(tensors, grad, strict=True))


def _same_gradients(
    candidate: Function, reference: Function, inputs: Tensors, names: Sequence[str]
) -> None:
    """Backpropagate both losses from fresh copies of `inputs`; name the first input whose
    gradient differs (a loss can be right in value and wrong in gradient: a detached term)."""
    grads = []
    for function in (candidate, reference):
        copies = _leaves(*inputs, grad=[t.requires_grad for t in inputs])
        function(*copies).backward()
        grads.append([t.grad for t in copies])
    for name, got, expected in zip(names, *grads, strict=True):
        if expected is None:
            continue
        if got is None or not torch.allclose(got, expected, rtol=1e-4, atol=1e-6):
            raise AssertionError(
                f"the loss is right but its gradient with respect to {name} is not: build it "
                f"from {name} with torch operations, without detaching any part"
            )


# ---------------------------------------------------------------------------------------
# reparameterize
# ---------------------------------------------------------------------------------------

REPARAM_MU = (-1.0, 0.5, 2.0)
REPARAM_LOGVAR = (-2.0, 0.0, 1.5)
REPARAM_SAMPLES = 20_000
"""The check draws this many samples of N(mu, sigma²) for three (mu, logvar) pairs."""


def _reparam_mistakes(
    mu: torch.Tensor, logvar: torch.Tensor
) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Message -> (mean, standard deviation) of the samples that mistake draws."""
    sigma = torch.exp(logvar / 2)
    return {
        "sigma is exp(logvar / 2): exp(logvar) is the variance sigma², so your samples spread "
        "like sigma² instead of sigma": (mu, torch.exp(logvar)),
        "logvar is the log of the variance, not the standard deviation: sigma = exp(logvar / 2)": (
            mu,
            logvar.abs(),
        ),
        "sigma = exp(+logvar / 2): with exp(-logvar / 2) a large variance gives a small spread": (
            mu,
            torch.exp(-logvar / 2),
        ),
        "draw eps from the standard normal (torch.randn_like), not the uniform distribution "
        "(torch.rand_like)": (mu + sigma / 2, sigma / math.sqrt(12)),
    }


def check_reparameterize(candidate: Function, reference: Function) -> None:
    gen = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(4, 5, generator=gen), torch.randn(4, 5, generator=gen)
    z = candidate(mu.clone(), logvar.clone())
    if not isinstance(z, torch.Tensor):
        raise AssertionError(f"return z as a torch tensor, not a {type(z).__name__}")
    if z.shape != mu.shape:
        raise AssertionError(
            f"for mu of shape {tuple(mu.shape)} z has shape {tuple(z.shape)}: draw one eps "
            "for every number of mu (torch.randn_like(mu)), so z has mu's shape"
        )

    mu = torch.tensor(REPARAM_MU).repeat(REPARAM_SAMPLES, 1).requires_grad_()
    logvar = torch.tensor(REPARAM_LOGVAR).repeat(REPARAM_SAMPLES, 1).requires_grad_()
    torch.manual_seed(0)
    z = candidate(mu, logvar)
    drawn = z.detach()
    if torch.allclose(drawn, mu.detach()):
        raise AssertionError(
            "z equals mu: add the noise, sigma * eps with eps drawn from N(0, I) (torch.randn_like)"
        )
    mean, spread = drawn.mean(dim=0), drawn.std(dim=0)
    if bool((spread < 1e-6).all()):
        raise AssertionError(
            "every row got the same noise: draw a new eps for every number "
            "(torch.randn_like(mu)), not one eps for the whole batch"
        )
    _same_distribution(mean, spread, mu.detach()[0], logvar.detach()[0])
    _reparam_gradients(z, mu, logvar)


def _matches(
    mean: torch.Tensor, spread: torch.Tensor, want_mean: torch.Tensor, want_std: torch.Tensor
) -> bool:
    """Sample mean and standard deviation agree with N(want_mean, want_std²), within five
    standard errors of the mean and 5% of the standard deviation."""
    error = 5 * want_std / math.sqrt(REPARAM_SAMPLES) + 1e-4
    mean_ok = bool(((mean - want_mean).abs() <= error).all())
    std_ok = bool(((spread - want_std).abs() <= 0.05 * want_std + 1e-3).all())
    return mean_ok and std_ok


def _same_distribution(
    mean: torch.Tensor, spread: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor
) -> None:
    sigma = torch.exp(logvar / 2)
    if _matches(mean, spread, mu, sigma):
        return
    for message, (want_mean, want_std) in _reparam_mistakes(mu, logvar).items():
        if _matches(mean, spread, want_mean, want_std):
            raise AssertionError(message)
    raise AssertionError(
        f"for mu = {list(REPARAM_MU)} and logvar = {list(REPARAM_LOGVAR)} your samples have "
        f"means {[round(v, 2) for v in mean.tolist()]} and standard deviations "
        f"{[round(v, 2) for v in spread.tolist()]}; N(mu, sigma²) has sigma = "
        f"{[round(v, 2) for v in sigma.tolist()]}"
    )


def _reparam_gradients(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> None:
    """dz/dmu = 1 and dz/dlogvar = sigma * eps / 2 = (z - mu) / 2, whatever eps was drawn."""
    cut = (
        "no gradient reaches {}: compute z = mu + sigma * eps with eps = torch.randn_like(...) "
        "(torch.normal and Normal(...).sample() cut the path, and so do .detach() and numpy)"
    )
    if not z.requires_grad:
        raise AssertionError(cut.format("mu and logvar"))
    z.backward(torch.ones_like(z))
    if mu.grad is None or not bool((mu.grad.abs() > 0).any()):
        raise AssertionError(cut.format("mu"))
    if logvar.grad is None or not bool((logvar.grad.abs() > 0).any()):
        raise AssertionError(cut.format("logvar"))
    if not torch.allclose(mu.grad, torch.ones_like(mu), atol=1e-5):
        raise AssertionError("dz/dmu must be 1: z = mu + sigma * eps")
    wanted = (z.detach() - mu.detach()) / 2
    if not torch.allclose(logvar.grad, wanted, rtol=1e-3, atol=1e-5):
        raise AssertionError(
            "dz/dlogvar must be sigma * eps / 2, the derivative of exp(logvar / 2) * eps: "
            "draw eps without using logvar, then compute sigma from logvar"
        )


# ---------------------------------------------------------------------------------------
# vae_loss
# ---------------------------------------------------------------------------------------

VAE_BATCH = 4
IMAGE = (1, 4, 4)
LATENT = 3


def vae_inputs(seed: int = 0) -> Tensors:
    """(logits (4, 1, 4, 4), x in [0, 1] with some exact 0s and 1s, mu (4, 3), logvar)."""
    gen = torch.Generator().manual_seed(seed)
    logits = 2 * torch.randn(VAE_BATCH, *IMAGE, generator=gen)
    x = torch.rand(VAE_BATCH, *IMAGE, generator=gen)
    x[0, 0, 0], x[1, 0, 1] = 0.0, 1.0
    mu = torch.randn(VAE_BATCH, LATENT, generator=gen)
    logvar = 0.7 * torch.randn(VAE_BATCH, LATENT, generator=gen)
    return logits, x, mu, logvar


def _per_image(values: torch.Tensor) -> torch.Tensor:
    return values.reshape(len(values), -1).sum(dim=1)


def _kl_terms(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return 1 + logvar - mu.pow(2) - logvar.exp()


def _vae_mistakes(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> dict[str, torch.Tensor]:  # fmt: skip
    """Message -> the loss a usual mistake computes on these inputs."""
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    recon = _per_image(bce)
    kl = -0.5 * _kl_terms(mu, logvar).sum(dim=1)
    return {
        "the reconstruction is averaged over the pixels: sum it over the pixels of each image "
        "(then average over the batch), or the KL term outweighs it": (bce.mean() + kl.mean()),
        "both terms are averaged over every number: sum the reconstruction over the pixels "
        "and the KL over the latent dimensions, then average over the batch": (
            bce.mean() - 0.5 * _kl_terms(mu, logvar).mean()
        ),
        "the KL term is averaged over the latent dimensions: sum it over them (it is the KL "
        "of the whole code)": recon.mean() - 0.5 * _kl_terms(mu, logvar).mean(dim=1).mean(),
        "the loss is summed over the batch: average it over the images (the convention here: "
        "nats per image)": (recon + kl).sum(),
        "the KL term has the wrong sign: the loss is the reconstruction PLUS KL(q || N(0, I)) "
        "= -1/2 sum(1 + logvar - mu² - exp(logvar)), which is never negative": (recon - kl).mean(),
        "the KL term misses its factor 1/2: KL = -1/2 sum(1 + logvar - mu² - exp(logvar))": (
            recon + 2 * kl
        ).mean(),
        "in the KL, sigma² is exp(logvar), not logvar: -1/2 sum(1 + logvar - mu² - exp(logvar))": (
            recon - 0.5 * (1 + logvar - mu.pow(2) - logvar).sum(dim=1)
        ).mean(),
        "in the KL, use the variance sigma² = exp(logvar), not sigma = exp(logvar / 2)": (
            recon - 0.5 * (1 + logvar - mu.pow(2) - torch.exp(logvar / 2)).sum(dim=1)
        ).mean(),
        "the KL term is missing: the negative ELBO is the reconstruction plus "
        "KL(q(z|x) || N(0, I))": recon.mean(),
        "the reconstruction term is missing: the negative ELBO is the binary cross-entropy of "
        "the pixels plus the KL": kl.mean(),
        "it returns the ELBO: the loss to minimise is its negative, reconstruction + KL": -(
            recon + kl
        ).mean(),
        "the sigmoid is applied twice: binary_cross_entropy_with_logits takes the decoder's "
        "logits themselves, not torch.sigmoid(logits)": (
            _per_image(
                F.binary_cross_entropy_with_logits(torch.sigmoid(logits), x, reduction="none")
            )
            + kl
        ).mean(),
        "the arguments are swapped: the decoder's logits come first, the images (targets) second": (
            _per_image(F.binary_cross_entropy_with_logits(x, logits, reduction="none")) + kl
        ).mean(),
        "the reconstruction is a squared error: the Bernoulli decoder's term is the binary "
        "cross-entropy of the pixels": (_per_image((torch.sigmoid(logits) - x).pow(2)) + kl).mean(),
        "the reconstruction compares the logits with the pixels: use binary cross-entropy "
        "with logits (the decoder's outputs are logits, not pixels)": (
            _per_image((logits - x).pow(2)) + kl
        ).mean(),
    }


def check_vae_loss(candidate: Function, reference: Function) -> None:
    inputs = vae_inputs()
    grad = (True, False, True, True)
    got = _scalar_loss(candidate(*_leaves(*inputs, grad=grad)), VAE_BATCH)
    expected = reference(*inputs)
    value = float(got.detach())
    if not _close(value, float(expected)):
        for message, wrong in _vae_mistakes(*inputs).items():
            if _close(value, float(wrong)):
                raise AssertionError(message)
        raise AssertionError(
            f"your loss is {value:.4f} on the check's batch, the negative ELBO (BCE summed "
            f"over pixels + KL, averaged over the images) is {float(expected):.4f}"
        )
    _same_gradients(
        candidate, reference, _leaves(*inputs, grad=grad), ("the logits", "x", "mu", "logvar")
    )


# ---------------------------------------------------------------------------------------
# train_vae_epoch
# ---------------------------------------------------------------------------------------

EPOCH_IMAGES, EPOCH_BATCH, EPOCH_LR = 24, 8, 0.05


def tiny_vae() -> VAE:
    """A VAE for 1 x 4 x 4 images with a 2-D code, the same weights on every call."""
    torch.manual_seed(0)
    return VAE(latent_dim=2, hidden=6, shape=IMAGE)


def tiny_loader() -> DataLoader[tuple[torch.Tensor, ...]]:
    """24 (image, label) pairs in three batches of 8, in a fixed order."""
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(EPOCH_IMAGES, *IMAGE, generator=gen)
    y = torch.randint(0, 10, (EPOCH_IMAGES,), generator=gen)
    return DataLoader(TensorDataset(x, y), batch_size=EPOCH_BATCH, shuffle=False)


def _weights(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def _gap(a: Sequence[torch.Tensor], b: Sequence[torch.Tensor]) -> float:
    return max(float((x - y).abs().max()) for x, y in zip(a, b, strict=True))


def _vae_epoch(train: Function) -> tuple[Any, VAE]:
    """Run one epoch of `train` on the tiny VAE, handed over in evaluation mode (as after
    a validation pass), with plain SGD and the same noise draws every time."""
    model = tiny_vae().eval()
    optimizer = torch.optim.SGD(model.parameters(), lr=EPOCH_LR)
    torch.manual_seed(2)
    return train(model, tiny_loader(), optimizer), model


def check_train_vae_epoch(candidate: Function, reference: Function) -> None:
    start = _weights(tiny_vae())
    try:
        got, mine = _vae_epoch(candidate)
    except (AssertionError, NotImplementedError):
        raise
    except Exception as error:
        raise AssertionError(
            f"raised {type(error).__name__}: {error} (each batch of the loader is a pair "
            "(images, labels), and model(images) returns (logits, mu, logvar))"
        ) from None
    expected, theirs = _vae_epoch(reference)
    if _gap(_weights(mine), start) == 0:
        raise AssertionError(
            "the weights did not change: after loss.backward(), call optimizer.step() "
            "(optimizer.zero_grad() goes before backward, not between backward and step)"
        )
    if _gap(_weights(mine), _weights(theirs)) > 1e-5:
        _, wrong = _vae_epoch(_accumulating(reference))
        if _gap(_weights(mine), _weights(wrong)) <= 1e-5:
            raise AssertionError(
                "the gradients pile up from batch to batch: call optimizer.zero_grad() before "
                "loss.backward() in every batch"
            )
        raise AssertionError(
            "after one epoch from the same weights, on the same batches and noise, your "
            f"weights differ from the reference's by up to "
            f"{_gap(_weights(mine), _weights(theirs)):.2e}: for each batch, model(x), "
            "vae_loss, zero_grad, backward, step"
        )
    if not mine.training:
        raise AssertionError(
            "switch the model to training mode first (model.train()): an evaluation on the "
            "validation split leaves it in evaluation mode"
        )
    _mean_of_batches(got, float(expected), reference)


@contextmanager
def _recorded_losses() -> Iterator[list[float]]:
    """The value of every loss whose backward() runs inside the block."""
    seen: list[float] = []
    original = torch.Tensor.backward

    def backward(self: torch.Tensor, *args: Any, **kwargs: Any) -> None:
        if self.dim() == 0:
            seen.append(float(self.detach()))
        original(self, *args, **kwargs)

    torch.Tensor.backward = backward  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        torch.Tensor.backward = original  # type: ignore[method-assign]


def _mean_of_batches(got: Any, expected: float, reference: Function) -> None:
    value = _number(got, "the mean of the batches' losses")
    if _close(value, expected, 1e-5):
        return
    with _recorded_losses() as losses:
        _vae_epoch(reference)
    if _close(value, sum(losses), 1e-5):
        raise AssertionError(
            "it returns the sum of the batches' losses: return their mean (divide by the "
            "number of batches)"
        )
    if losses and _close(value, losses[-1], 1e-5):
        raise AssertionError("it returns the last batch's loss: return the mean over the batches")
    raise AssertionError(
        f"return the mean of the batches' losses ({expected:.4f} here), not {value:.4f}"
    )


def _accumulating(reference: Function) -> Function:
    """The reference epoch with `zero_grad` switched off: gradients accumulate."""

    def train(model: nn.Module, loader: Any, optimizer: torch.optim.Optimizer) -> Any:
        optimizer.zero_grad = lambda set_to_none=True: None  # type: ignore[method-assign]
        return reference(model, loader, optimizer)

    return train


# ---------------------------------------------------------------------------------------
# discriminator_loss and generator_loss
# ---------------------------------------------------------------------------------------

EXTREME = 120.0
"""A logit D gives when it is very sure: sigmoid(-120) is 0 in float32."""


def gan_logits(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(D's logits on 5 real images, on 3 fakes): batches of different sizes."""
    gen = torch.Generator().manual_seed(seed)
    return 2 * torch.randn(5, generator=gen), 2 * torch.randn(3, generator=gen)


def _d_mistakes(real: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
    both = torch.cat([real, fake])
    labels = torch.cat([torch.ones_like(real), torch.zeros_like(fake)])
    right = _bce(real, 1) + _bce(fake, 0)
    return {
        "the labels are swapped: real images get label 1, fakes label 0": _bce(real, 0)
        + _bce(fake, 1),
        "the sigmoid is applied twice: binary_cross_entropy_with_logits takes D's logits "
        "themselves, not torch.sigmoid(logits)": _bce(torch.sigmoid(real), 1)
        + _bce(torch.sigmoid(fake), 0),
        "the two terms are averaged: add them, the mean over the real batch plus the mean "
        "over the fake batch (the convention here)": right / 2,
        "one mean over real and fake images together weighs each batch by its size: take the "
        "mean over each batch and add the two": F.binary_cross_entropy_with_logits(both, labels),
        "the fake term is missing: D must also learn to reject the fakes (label 0)": _bce(real, 1),
        "the real term is missing: D must also learn to accept real images (label 1)": _bce(
            fake, 0
        ),
        "the fakes are labelled 1: D must learn to call them fake, label 0": _bce(real, 1)
        + _bce(fake, 1),
        "it is minus D's loss: D maximises log D(x) + log(1 - D(G(z))), so the loss it "
        "minimises is the negative of that": -right,
        "the loss is summed over the images: average over each batch": _bce(real, 1, "sum")
        + _bce(fake, 0, "sum"),
    }


def _g_mistakes(fake: torch.Tensor) -> dict[str, torch.Tensor]:
    return {
        "that is the saturating loss log(1 - D(G(z))) of the minimax game: its gradient "
        "vanishes when D rejects the fakes; minimise -log D(G(z)) (label 1 for the fakes)": (
            -_bce(fake, 0)
        ),
        "the fakes are labelled 0: G wants D to take them for real, so its loss uses label 1 "
        "(-log D(G(z)))": _bce(fake, 0),
        "the sign is wrong: G minimises -log D(G(z)), not log D(G(z))": -_bce(fake, 1),
        "the sigmoid is applied twice: binary_cross_entropy_with_logits takes D's logits "
        "themselves, not torch.sigmoid(logits)": _bce(torch.sigmoid(fake), 1),
        "the loss is summed over the fakes: average over the batch": _bce(fake, 1, "sum"),
    }


def _named(value: float, mistakes: dict[str, torch.Tensor]) -> str | None:
    for message, wrong in mistakes.items():
        if _close(value, float(wrong)):
            return message
    return None


def _stable(candidate: Function, reference: Function, inputs: Tensors, who: str) -> None:
    """Right where D is very sure too: log(sigmoid(x)) underflows, one fused call does not."""
    got = candidate(*(t.clone() for t in inputs))
    value, expected = float(torch.as_tensor(got).detach()), float(reference(*inputs))
    if not _close(value, expected):
        shown = "nan" if math.isnan(value) else f"{value:.4g}"
        raise AssertionError(
            f"when D is very sure ({who} logits of ±{EXTREME:.0f}) your loss is {shown}, not "
            f"{expected:.4g}: sigmoid then log underflows in float32; use "
            "F.binary_cross_entropy_with_logits (or F.logsigmoid), one stable step"
        )


def check_discriminator_loss(candidate: Function, reference: Function) -> None:
    real, fake = gan_logits()
    got = _scalar_loss(candidate(*_leaves(real, fake, grad=(True, True))), len(real))
    value, expected = float(got.detach()), float(reference(real, fake))
    if not _close(value, expected):
        message = _named(value, _d_mistakes(real, fake))
        raise AssertionError(
            message
            or f"your loss is {value:.4f} on the check's logits, D's loss (-mean log D(x) - "
            f"mean log(1 - D(G(z)))) is {expected:.4f}"
        )
    _same_gradients(
        candidate,
        reference,
        _leaves(real, fake, grad=(True, True)),
        ("the real logits", "the fake logits"),
    )
    sure = (torch.tensor([EXTREME, -EXTREME, 1.0]), torch.tensor([-EXTREME, EXTREME]))
    _stable(candidate, reference, sure, "its")


def check_generator_loss(candidate: Function, reference: Function) -> None:
    _, fake = gan_logits()
    got = _scalar_loss(candidate(fake.clone().requires_grad_()), len(fake))
    value, expected = float(got.detach()), float(reference(fake))
    if not _close(value, expected):
        message = _named(value, _g_mistakes(fake))
        raise AssertionError(
            message
            or f"your loss is {value:.4f} on the check's logits, -mean log D(G(z)) is "
            f"{expected:.4f}"
        )
    _same_gradients(candidate, reference, (fake.clone().requires_grad_(),), ("the logits",))
    _stable(candidate, reference, (torch.tensor([-EXTREME, 0.5]),), "fake")


# ---------------------------------------------------------------------------------------
# gan_step
# ---------------------------------------------------------------------------------------

STEP_BATCH, STEP_LATENT, STEP_LR = 6, 3, 0.1


def tiny_gan() -> tuple[nn.Module, nn.Module]:
    """A generator of 1 x 4 x 4 images from 3 numbers and a discriminator, both with batch
    norm as in DCGAN, the same weights on every call."""
    torch.manual_seed(0)
    generator = nn.Sequential(
        nn.Linear(STEP_LATENT, 8), nn.BatchNorm1d(8), nn.ReLU(),
        nn.Linear(8, 16), nn.Tanh(), nn.Unflatten(1, IMAGE),
    )  # fmt: skip
    discriminator = nn.Sequential(
        nn.Flatten(), nn.Linear(16, 8), nn.BatchNorm1d(8), nn.LeakyReLU(0.2),
        nn.Linear(8, 1), nn.Flatten(0),
    )  # fmt: skip
    return generator, discriminator


def gan_batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Two steps' (real images in [-1, 1], noise z)."""
    gen = torch.Generator().manual_seed(3)
    return [
        (
            2 * torch.rand(STEP_BATCH, *IMAGE, generator=gen) - 1,
            torch.randn(STEP_BATCH, STEP_LATENT, generator=gen),
        )
        for _ in range(2)
    ]


class _GanRun:
    """Two steps of a train_step on the tiny GAN: the losses returned, the final models,
    and how many backward passes reached the generator's first weight."""

    def __init__(self, step: Function) -> None:
        self.generator, self.discriminator = tiny_gan()
        self.backward_into_g = 0
        first = next(self.generator.parameters())
        first.register_hook(self._count)
        g_opt = torch.optim.SGD(self.generator.parameters(), lr=STEP_LR)
        d_opt = torch.optim.SGD(self.discriminator.parameters(), lr=STEP_LR)
        self.returned = []
        self.counts = []
        for real, z in gan_batches():
            before = self.backward_into_g
            self.returned.append(
                step(self.generator, self.discriminator, real.clone(), z.clone(), g_opt, d_opt)
            )
            self.counts.append(self.backward_into_g - before)

    def _count(self, grad: torch.Tensor) -> None:
        self.backward_into_g += 1

    def weights(self) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        return _weights(self.generator), _weights(self.discriminator)


def _flawed_step(flaw: str) -> Function:
    """The reference step with one usual mistake (the reference losses throughout)."""

    def step(
        generator: nn.Module,
        discriminator: nn.Module,
        real: torch.Tensor,
        z: torch.Tensor,
        g_opt: torch.optim.Optimizer,
        d_opt: torch.optim.Optimizer,
    ) -> tuple[float, float]:
        def d_step(fake: torch.Tensor) -> torch.Tensor:
            if flaw != "no_d_zero_grad":
                d_opt.zero_grad()
            if flaw == "one_d_call":
                logits = discriminator(torch.cat([real, fake.detach()]))
                loss = _bce(logits[: len(real)], 1) + _bce(logits[len(real) :], 0)
            else:
                loss = _bce(discriminator(real), 1) + _bce(discriminator(fake.detach()), 0)
            loss.backward()
            d_opt.step()
            return loss

        def g_step(fake: torch.Tensor) -> torch.Tensor:
            if flaw != "no_g_zero_grad":
                g_opt.zero_grad()
            loss = _bce(discriminator(fake), 1)
            loss.backward()
            g_opt.step()
            return loss

        fake = generator(z)
        if flaw == "g_first":
            g_loss = g_step(fake)
            d_loss = d_step(generator(z))
        else:
            d_loss = d_step(fake)
            g_loss = g_step(fake)
        return d_loss.item(), g_loss.item()

    return step


STEP_MISTAKES = {
    "no_d_zero_grad": "D's gradients pile up: call d_opt.zero_grad() before D's backward "
    "(G's backward also leaves gradients in D)",
    "no_g_zero_grad": "G's gradients pile up from step to step: call g_opt.zero_grad() before "
    "G's backward",
    "g_first": "update D first, then G (Goodfellow et al.'s Algorithm 1): G's step must see "
    "the D that has just learned from this batch",
    "one_d_call": "score the real and the fake images in two calls of D, not one call on both "
    "together: with batch norm, a batch that mixes real and fake images is normalised "
    "differently",
}


def check_gan_step(candidate: Function, reference: Function) -> None:
    try:
        mine = _GanRun(candidate)
    except (AssertionError, NotImplementedError):
        raise
    except RuntimeError as error:
        if "backward through the graph a second time" in str(error):
            raise AssertionError(
                "backward through G ran twice: detach the fakes in D's step "
                "(discriminator(fake.detach())), so D's loss stops at the fakes"
            ) from None
        raise
    theirs = _GanRun(reference)
    _gradient_paths(mine)
    g_start, d_start = (_weights(m) for m in tiny_gan())
    g_mine, d_mine = mine.weights()
    if _gap(d_mine, d_start) == 0:
        raise AssertionError("D's weights did not change: call d_opt.step() after D's backward")
    if _gap(g_mine, g_start) == 0:
        raise AssertionError("G's weights did not change: call g_opt.step() after G's backward")
    g_theirs, d_theirs = theirs.weights()
    if max(_gap(g_mine, g_theirs), _gap(d_mine, d_theirs)) > 1e-5:
        for flaw, message in STEP_MISTAKES.items():
            g_wrong, d_wrong = _GanRun(_flawed_step(flaw)).weights()
            if max(_gap(g_mine, g_wrong), _gap(d_mine, d_wrong)) <= 1e-5:
                raise AssertionError(message)
        raise AssertionError(
            "after two steps from the same weights, on the same images and noise, your "
            "weights differ from the reference's (G by up to "
            f"{_gap(g_mine, g_theirs):.2e}, D by up to {_gap(d_mine, d_theirs):.2e})"
        )
    _returned_losses(mine.returned, theirs.returned)


def _gradient_paths(run: _GanRun) -> None:
    if any(count > 1 for count in run.counts):
        raise AssertionError(
            "D's loss reached the generator's weights: detach the fakes in D's step "
            "(discriminator(fake.detach())), or its backward computes G's gradients for "
            "nothing, and they leak into G's step"
        )
    if any(count == 0 for count in run.counts):
        raise AssertionError(
            "G got no gradient: in G's step score the fakes without detaching them "
            "(generator_loss(discriminator(fake))), then g_loss.backward()"
        )


def _returned_losses(got: Sequence[Any], expected: Sequence[tuple[float, float]]) -> None:
    for returned, (d_loss, g_loss) in zip(got, expected, strict=True):
        if not isinstance(returned, tuple | list) or len(returned) != 2:
            raise AssertionError(f"return the two losses (d_loss, g_loss), not {returned!r}")
        d_value = _number(returned[0], "D's loss")
        g_value = _number(returned[1], "G's loss")
        if _close(d_value, g_loss, 1e-5) and _close(g_value, d_loss, 1e-5):
            raise AssertionError("return (d_loss, g_loss) in that order: D's loss first")
        if not (_close(d_value, d_loss, 1e-5) and _close(g_value, g_loss, 1e-5)):
            raise AssertionError(
                f"it returned ({d_value:.4f}, {g_value:.4f}); this step's losses are "
                f"({d_loss:.4f}, {g_loss:.4f}): return the values of the two losses that "
                "were minimised"
            )
