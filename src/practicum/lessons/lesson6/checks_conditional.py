"""Lesson 6, Section 4: the checks of the student's conditional generator, projection
discriminator, Fréchet distance and class consistency.

Each check builds inputs on which the mistakes students really make give a different
answer (the label left out, z and its embedding in the other order, a mean where a sum
belongs, a covariance over the wrong axis, an elementwise square root of a matrix, the
cross term forgotten, the argmax over the images instead of the classes...), recomputes
the mistake, and raises AssertionError with one sentence naming it.

The expected answers come from the reference that `exercise.checked` hands to a
two-argument check, run on the student's own module's weights. Nothing here imports a
reference, so this module binds none under a name a notebook could call.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from practicum.coursework.tensor_checks import fill_seeded
from practicum.coursework.tensor_checks import tensors_close as _close

Z_DIM, WIDTH, CLASSES = 8, 8, 10

# ---------------------------------------------------------------------------------------
# Shared
# ---------------------------------------------------------------------------------------


def _tensor(result: Any, what: str) -> torch.Tensor:
    if not isinstance(result, torch.Tensor):
        raise AssertionError(f"{what} must return a tensor, got {type(result).__name__}")
    return result.detach()


def _inputs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, Z_DIM, generator=g)
    labels = torch.tensor([3, 7, 0, 9, 1, 4, 4, 8, 2, 5, 6, 7][:n])
    return z, labels


# ---------------------------------------------------------------------------------------
# The conditional generator
# ---------------------------------------------------------------------------------------


def generator_by_formula(
    g: Any, z: torch.Tensor, labels: torch.Tensor, *, mistake: str = ""
) -> Any:
    """The reference generator's forward written out from `g`'s layers; `mistake` makes a
    usual mistake instead, so a check can recognise it."""
    e = g.embed(labels)
    if mistake == "order":
        joined = torch.cat([e, z], dim=1)
    elif mistake == "no label":
        joined = torch.cat([z, torch.zeros_like(e)], dim=1)
    else:
        joined = torch.cat([z, e], dim=1)
    h = g.project(joined)
    if mistake == "channels last":
        grid = h.view(len(z), 7, 7, 2 * g.width).permute(0, 3, 1, 2)
    else:
        grid = h.view(len(z), 2 * g.width, 7, 7)
    return g.up(grid)


def _generator(cls: Callable[..., nn.Module], seed: int) -> Any:
    g = cls(z_dim=Z_DIM, n_classes=CLASSES, width=WIDTH)
    fill_seeded(g, seed, scale=0.3)
    return g


def check_conditional_generator(
    cls: Callable[..., nn.Module], reference: Callable[..., nn.Module]
) -> None:
    """The student's ConditionalGenerator: forward(z (N, z_dim), labels (N,)) -> images
    (N, 1, 28, 28), equal to the reference's on the same weights, in eval mode (batch
    norm's running statistics) and in training mode (the batch's own)."""
    ours = _generator(cls, seed=1).eval()
    z, labels = _inputs(12, seed=2)
    with torch.no_grad():
        try:
            got = _tensor(ours(z, labels), "forward")
        except RuntimeError as error:
            if "shapes cannot be multiplied" in str(error):
                raise AssertionError(
                    f"self.project reads {2 * Z_DIM} numbers per image, z and the label's "
                    "embedding side by side: torch.cat([z, self.embed(labels)], dim=1) (not "
                    "a one-hot, not their sum or product)"
                ) from None
            raise
        expected = reference.forward(ours, z, labels)  # type: ignore[attr-defined]
        if got.shape != expected.shape:
            raise AssertionError(
                f"the images have shape {tuple(got.shape)}, expected {tuple(expected.shape)}: "
                "reshape the projection to (N, 2 * width, 7, 7) and let self.up do the rest"
            )
        if not _close(got, expected):
            _diagnose_generator(ours, z, labels, got)
        other = (labels + 1) % CLASSES
        if _close(_tensor(ours(z, other), "forward"), got):
            raise AssertionError("the label makes no difference to the image: embed it and use it")
    ours.train()
    theirs = _generator(reference, seed=1).train()
    theirs.load_state_dict(ours.state_dict())
    with torch.no_grad():
        if not _close(_tensor(ours(z, labels), "forward"), theirs(z, labels)):
            raise AssertionError(
                "right in eval mode but not in training mode: go through self.project and "
                "self.up, whose batch norm uses the batch's statistics while training"
            )


def _diagnose_generator(g: Any, z: torch.Tensor, labels: torch.Tensor, got: torch.Tensor) -> None:
    variants = (
        (
            "no label",
            "the label makes no difference to the image: embed it and concatenate it to z",
        ),
        (
            "order",
            "z and the label's embedding are swapped: torch.cat([z, self.embed(labels)], "
            "dim=1), z first, as the projection was built for",
        ),
        (
            "channels last",
            "reshape the projection to (N, 2 * width, 7, 7), channels first as conv layers "
            "take them; (N, 7, 7, channels) then a permute puts other numbers in each channel",
        ),
    )
    for mistake, message in variants:
        if _close(got, generator_by_formula(g, z, labels, mistake=mistake)):
            raise AssertionError(message)
    expected = generator_by_formula(g, z, labels)
    raise AssertionError(
        f"the images differ from the reference's by up to {(got - expected).abs().max():.3g}: "
        "self.project(torch.cat([z, self.embed(labels)], dim=1)), reshaped to "
        "(N, 2 * width, 7, 7), through self.up"
    )


# ---------------------------------------------------------------------------------------
# The projection discriminator
# ---------------------------------------------------------------------------------------


def discriminator_by_formula(
    d: Any, x: torch.Tensor, labels: torch.Tensor, *, mistake: str = ""
) -> torch.Tensor:
    """The projection discriminator written out from `d`'s layers: psi(phi) + embed(y) .
    phi, phi the features summed over the 7 x 7 grid; `mistake` makes a usual one."""
    grid: torch.Tensor = d.features(x)
    h = grid.mean(dim=(2, 3)) if mistake == "mean" else grid.sum(dim=(2, 3))
    linear: torch.Tensor = d.linear(h).squeeze(1)
    projection: torch.Tensor = (d.embed(labels) * h).sum(dim=1)
    if mistake == "no projection":
        return linear
    if mistake == "no linear":
        return projection
    if mistake == "sigmoid":
        return torch.sigmoid(linear + projection)
    return linear + projection


def _discriminator(cls: Callable[..., nn.Module], seed: int, spectral_norm: bool) -> Any:
    d = cls(n_classes=CLASSES, width=WIDTH, spectral_norm=spectral_norm)
    fill_seeded(d, seed, scale=0.3)
    return d


def _images(n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 28, 28, generator=g) * 2 - 1


def check_conditional_discriminator(
    cls: Callable[..., nn.Module], reference: Callable[..., nn.Module]
) -> None:
    """The student's ConditionalDiscriminator: forward(x (N, 1, 28, 28), labels (N,)) ->
    (N,) logits, equal to the reference's on the same weights, without and with spectral
    norm."""
    x = _images(12, seed=3)
    _, labels = _inputs(12, seed=4)
    ours = _discriminator(cls, seed=5, spectral_norm=False).eval()
    with torch.no_grad():
        try:
            got = _tensor(ours(x, labels), "forward")
        except RuntimeError as error:
            if "shapes cannot be multiplied" in str(error):
                raise AssertionError(
                    "pool the features over the 7 x 7 grid first, "
                    "self.features(x).sum(dim=(2, 3)), one vector of 2 * width per image, "
                    "before the linear layer and the projection"
                ) from None
            raise
        expected = reference.forward(ours, x, labels)  # type: ignore[attr-defined]
        if got.shape != expected.shape:
            if got.shape == (len(x), 1):
                raise AssertionError(
                    "the logits have shape (N, 1): return one number per image, shape (N,) "
                    "(squeeze the linear layer's last axis)"
                )
            raise AssertionError(
                f"the logits have shape {tuple(got.shape)}, expected {tuple(expected.shape)}: "
                "one logit per image; the projection is a dot product per image, "
                "(self.embed(labels) * h).sum(dim=1), not a matrix product"
            )
        if not _close(got, expected, 1e-4):
            _diagnose_discriminator(ours, x, labels, got, expected)
    ours = _discriminator(cls, seed=6, spectral_norm=True).eval()
    theirs = _discriminator(reference, seed=6, spectral_norm=True).eval()
    theirs.load_state_dict(ours.state_dict())
    with torch.no_grad():
        if not _close(_tensor(ours(x, labels), "forward"), theirs(x, labels), 1e-4):
            raise AssertionError(
                "right without spectral norm but not with it: call the layers "
                "(self.embed(labels), self.linear(h)) instead of reading their .weight, "
                "which spectral norm recomputes when the layer is called"
            )


def _diagnose_discriminator(
    d: Any, x: torch.Tensor, labels: torch.Tensor, got: torch.Tensor, expected: torch.Tensor
) -> None:
    variants = (
        (
            "no projection",
            "the label makes no difference to the logit: add the projection, the dot "
            "product of self.embed(labels) with the image's features",
        ),
        (
            "no linear",
            "the label-free term is missing: the logit is self.linear(h) plus the "
            "projection (self.embed(labels) * h).sum(dim=1)",
        ),
        (
            "mean",
            "the features are averaged over the grid: sum them, "
            "self.features(x).sum(dim=(2, 3)), as the reference was built with",
        ),
        (
            "sigmoid",
            "return the logit itself: the loss (binary cross-entropy with logits) applies "
            "the sigmoid",
        ),
    )
    for mistake, message in variants:
        if _close(got, discriminator_by_formula(d, x, labels, mistake=mistake), 1e-4):
            raise AssertionError(message)
    raise AssertionError(
        f"the logits differ from the reference's by up to {(got - expected).abs().max():.3g}: "
        "h = self.features(x).sum(dim=(2, 3)), then self.linear(h).squeeze(1) + "
        "(self.embed(labels) * h).sum(dim=1)"
    )


# ---------------------------------------------------------------------------------------
# The Fréchet distance
# ---------------------------------------------------------------------------------------


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    root: np.ndarray = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    return root


def frechet_by_formula(a: np.ndarray, b: np.ndarray, *, mistake: str = "", ddof: int = 1) -> float:
    """|mu_a - mu_b|^2 + tr(C_a) + tr(C_b) - 2 tr((C_a C_b)^(1/2)), one row a sample;
    `mistake` makes a usual mistake instead, so a check can recognise it."""
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    c_a, c_b = np.cov(a, rowvar=False, ddof=ddof), np.cov(b, rowvar=False, ddof=ddof)
    means = float(np.sum((mu_a - mu_b) ** 2))
    if mistake == "norm":
        means = float(np.linalg.norm(mu_a - mu_b))
    root = _psd_sqrt(c_a)
    cross = float(np.sum(np.sqrt(np.clip(np.linalg.eigvalsh(root @ c_b @ root), 0, None))))
    if mistake == "no cross":
        cross = 0.0
    elif mistake == "elementwise":
        cross = float(np.sum(np.sqrt(np.clip(np.diag(c_a @ c_b), 0, None))))
    elif mistake == "separate roots":
        cross = float(np.trace(_psd_sqrt(c_a) @ _psd_sqrt(c_b)))
    elif mistake == "sqrt of trace":
        cross = math.sqrt(max(float(np.trace(c_a @ c_b)), 0.0))
    elif mistake == "no root":
        cross = float(np.trace(c_a @ c_b))
    factor = 1.0 if mistake == "factor" else 2.0
    return means + float(np.trace(c_a) + np.trace(c_b)) - factor * cross


def feature_sets(seed: int = 0, n_a: int = 300, n_b: int = 200, dims: int = 6) -> tuple[Any, Any]:
    """Two sets of correlated features of different sizes, means and covariances that do
    not commute (so the square roots of the two cannot be taken apart)."""
    rng = np.random.default_rng(seed)
    mix_a, mix_b = rng.normal(size=(dims, dims)), rng.normal(size=(dims, dims))
    a = rng.normal(size=(n_a, dims)) @ mix_a + 0.5
    b = rng.normal(size=(n_b, dims)) @ mix_b * 0.8 - 0.3
    return a, b


def _as_number(got: Any) -> float:
    if isinstance(got, torch.Tensor):
        got = got.detach().cpu().numpy()
    array = np.asarray(got)
    if array.size != 1:
        raise AssertionError(
            f"return one number, the distance, not an array of shape {array.shape}"
        )
    value = array.reshape(())[()]
    if np.iscomplexobj(value):
        real, imaginary = float(np.real(value)), float(np.imag(value))
        if abs(imaginary) > 1e-6 * max(1.0, abs(real)):
            raise AssertionError(
                "the result is complex: a matrix square root of the non-symmetric C_a C_b "
                "went complex; take it as (S C_b S)^(1/2) with S = C_a^(1/2), symmetric, "
                "through np.linalg.eigh"
            )
        value = np.real(value)
    return float(value)


def check_frechet_distance(candidate: Callable[..., Any], reference: Callable[..., Any]) -> None:
    """The student's frechet_distance(features_a (N, D), features_b (M, D)) -> float,
    against the reference on sets of different sizes (either covariance convention, n - 1
    or n, is accepted: at a lesson's thousands of images they agree to a fraction of a
    percent)."""
    a, b = feature_sets()
    try:
        got = _as_number(candidate(a.copy(), b.copy()))
    except (AssertionError, NotImplementedError):
        raise
    except Exception as error:
        try:
            candidate(a[: len(b)].copy(), b.copy())
        except Exception:
            raise AssertionError(f"raised {type(error).__name__}: {error}") from None
        raise AssertionError(
            "it fails when the two sets have different numbers of images: the covariance "
            "is over the wrong axis, np.cov(features, rowvar=False) takes one row per image"
        ) from None
    if not math.isfinite(got):
        raise AssertionError(
            "the result is nan: np.sqrt takes the square root of each entry, and a "
            "covariance has negative ones; take the matrix square root through its "
            "eigen-decomposition (np.linalg.eigh)"
        )
    expected = float(reference(a.copy(), b.copy()))
    population = frechet_by_formula(a, b, ddof=0)
    if not (
        math.isclose(got, expected, rel_tol=1e-6) or math.isclose(got, population, rel_tol=1e-6)
    ):
        _diagnose_frechet(a, b, got, expected)
    same = _as_number(candidate(a.copy(), a.copy()))
    if abs(same) > 1e-6 * abs(expected):
        raise AssertionError(
            f"the distance of a set to itself is {same:.4g}, not 0: "
            "tr(C + C - 2 (C C)^(1/2)) vanishes only with the matrix square root of C C"
        )
    swapped = _as_number(candidate(b.copy(), a.copy()))
    if not math.isclose(swapped, got, rel_tol=1e-6):
        raise AssertionError(
            f"the distance from a to b is {got:.4g} but from b to a {swapped:.4g}: it must "
            "be symmetric"
        )


def _diagnose_frechet(a: np.ndarray, b: np.ndarray, got: float, expected: float) -> None:
    variants = (
        (
            "no cross",
            "the cross term is missing: subtract 2 tr((C_a C_b)^(1/2)), which makes the "
            "distance of a set to itself 0",
        ),
        ("factor", "the cross term counts twice: subtract 2 tr((C_a C_b)^(1/2)), not once"),
        (
            "elementwise",
            "np.sqrt of C_a @ C_b takes the square root of each entry, not of the matrix: "
            "take the matrix square root through an eigen-decomposition (np.linalg.eigh)",
        ),
        (
            "separate roots",
            "tr(C_a^(1/2) C_b^(1/2)) is not tr((C_a C_b)^(1/2)) unless the two covariances "
            "commute: take the square root of S C_b S, S = C_a^(1/2)",
        ),
        ("sqrt of trace", "the square root is of the matrix C_a C_b, before the trace"),
        ("no root", "the cross term needs the matrix square root of C_a C_b"),
        (
            "norm",
            "the means enter squared: |mu_a - mu_b|^2, np.sum((mu_a - mu_b) ** 2), not the "
            "norm itself",
        ),
    )
    for mistake, message in variants:
        for ddof in (1, 0):
            if math.isclose(
                got, frechet_by_formula(a, b, mistake=mistake, ddof=ddof), rel_tol=1e-5
            ):
                raise AssertionError(message)
    transposed = _transposed_cov(a, b)
    if transposed is not None and math.isclose(got, transposed, rel_tol=1e-5):
        raise AssertionError(
            "the covariance is over the wrong axis: np.cov(features, rowvar=False), one row "
            "per image"
        )
    raise AssertionError(f"got {got:.6g}, expected {expected:.6g}")


def _transposed_cov(a: np.ndarray, b: np.ndarray) -> float | None:
    """The distance with np.cov's default axis (rows are variables), where it is defined."""
    if len(a) != len(b):
        return None
    c_a, c_b = np.cov(a), np.cov(b)
    root = _psd_sqrt(c_a)
    cross = float(np.sum(np.sqrt(np.clip(np.linalg.eigvalsh(root @ c_b @ root), 0, None))))
    means = float(np.sum((a.mean(axis=0) - b.mean(axis=0)) ** 2))
    return means + float(np.trace(c_a) + np.trace(c_b)) - 2 * cross


# ---------------------------------------------------------------------------------------
# Class consistency
# ---------------------------------------------------------------------------------------


class ToyJudge:
    """Stands in for the course's judge: an image's class is written in its top-left
    pixel (class c is the value 20 c + 10, on the 0..255 scale), read the way the real
    judge reads images (uint8 as 0..255, floats as 0..1). `logits` are (N, 10)."""

    def _classes(self, images: Any) -> np.ndarray:
        array = np.asarray(images)
        if array.ndim == 2:
            array = array.reshape(len(array), 28, 28)
        scaled = array.astype(np.float64) / (255.0 if array.dtype == np.uint8 else 1.0)
        return np.clip(np.floor(scaled[:, 0, 0] * 255 / 20), 0, 9).astype(np.int64)

    def logits(self, images: Any) -> np.ndarray:
        classes = self._classes(images)
        out = np.tile(np.linspace(-1.0, 1.0, 10), (len(classes), 1))
        out[np.arange(len(classes)), classes] = 5.0
        return out

    def classify(self, images: Any) -> np.ndarray:
        classes: np.ndarray = self.logits(images).argmax(axis=1).astype(np.int64)
        return classes

    def features(self, images: Any) -> np.ndarray:
        return self.logits(images)


def toy_images(classes: Any) -> np.ndarray:
    """uint8 (N, 28, 28) images that `ToyJudge` reads as `classes`."""
    classes = np.asarray(classes)
    images = np.zeros((len(classes), 28, 28), dtype=np.uint8)
    images[:, 0, 0] = 20 * classes + 10
    return images


CONSISTENCY_CASES = (
    # what the images show, what they were generated for
    ([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8], [3, 1, 4, 1, 5, 9, 2, 6, 9, 9, 0, 7]),
    ([4, 7, 0, 9, 1, 3, 8, 2, 6, 5], [4, 7, 0, 9, 1, 3, 8, 2, 5, 6]),
)


def check_class_consistency(candidate: Callable[..., Any], reference: Callable[..., Any]) -> None:
    """The student's class_consistency(judge, images, labels) -> the share of images the
    judge puts in their intended class, on a toy judge whose answers are known."""
    judge = ToyJudge()
    for shown, asked in CONSISTENCY_CASES:
        images, labels = toy_images(shown), np.array(asked)
        expected = float(reference(judge, images, labels))
        try:
            got = _as_number(candidate(judge, images.copy(), labels.copy()))
        except (AssertionError, NotImplementedError):
            raise
        except ValueError as error:
            if "broadcast" in str(error):
                raise AssertionError(
                    "the predictions and the labels differ in length: the judge's logits "
                    "are (N, 10), so the argmax goes over axis 1, the classes (or use "
                    "judge.classify)"
                ) from None
            raise
        if math.isclose(got, expected, abs_tol=1e-9):
            continue
        _diagnose_consistency(judge, images, labels, got, expected)
    shown, asked = CONSISTENCY_CASES[0]
    try:
        as_list = _as_number(candidate(judge, toy_images(shown), list(asked)))
    except (AttributeError, TypeError):
        as_list = math.nan
    if not math.isclose(as_list, float(reference(judge, toy_images(shown), np.array(asked)))):
        raise AssertionError(
            "right for an array of labels but not for a list: the labels may come as a "
            "list, so np.asarray(labels) first"
        )
    floats = toy_images(shown).astype(np.float32) / 255
    from_floats = _as_number(candidate(judge, floats, np.array(asked)))
    if not math.isclose(from_floats, float(reference(judge, floats, np.array(asked)))):
        raise AssertionError(
            "right for uint8 images but not for floats in 0..1: hand the images to the "
            "judge as they are, it reads both"
        )


def _diagnose_consistency(
    judge: ToyJudge, images: np.ndarray, labels: np.ndarray, got: float, expected: float
) -> None:
    predicted = judge.classify(images)
    right = int(np.sum(predicted == labels))
    if math.isclose(got, right):
        raise AssertionError(
            f"it returns the number of images in their class ({right}), not the share "
            "of them: divide by the number of images"
        )
    if math.isclose(got, 100 * expected):
        raise AssertionError("return a share between 0 and 1, not a percentage")
    if math.isclose(got, 1 - expected):
        raise AssertionError(
            "it returns the share of images in another class than asked: count the ones "
            "the judge puts in their intended class"
        )
    by_images = judge.logits(images).argmax(axis=0)
    if len(by_images) == len(labels) and math.isclose(got, float(np.mean(by_images == labels))):
        raise AssertionError(
            "the argmax goes over axis 0, the images: the judge's logits are (N, 10), take "
            "it over axis 1, the classes (or use judge.classify)"
        )
    for order, what in ((np.sort(labels), "sorted"), (labels[::-1], "reversed")):
        if math.isclose(got, float(np.mean(predicted == order))):
            raise AssertionError(
                f"the labels are compared {what}: image i was generated for labels[i], "
                "compare them in the order given"
            )
    raw = judge.classify(images.astype(np.float32))
    if math.isclose(got, float(np.mean(raw == labels))):
        raise AssertionError(
            "the images reach the judge as floats on the 0..255 scale, which it reads as "
            "0..1: hand it the uint8 images as they are (or floats divided by 255)"
        )
    raise AssertionError(f"got {got:.4g}, expected {expected:.4g}")
