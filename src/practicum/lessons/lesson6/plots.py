"""Lesson 6's pictures, drawn by code so they can be rebuilt: the VAE and the GAN's two
players as diagrams, reconstructions, a 2-D latent space coloured by class and decoded on a
grid, the two generator losses, a toy GAN's samples and the learning curves.

Every function returns its figure closed (Jupyter shows a figure returned by a cell's last
line; a closed one is not shown a second time).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from practicum.lessons.lesson4.plots import arrow, box

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

DATA, NETWORK, CODE, LOSS = "#eeeeee", "#cfe2f3", "#d9ead3", "#f4cccc"


def _image(ax: Axes, image: NDArray[Any] | None, x: float, y: float, label: str) -> None:
    """A small image centred at (x, y), or a box saying what it would be."""
    if image is None:
        box(ax, x, y, label, DATA)
        return
    ax.imshow(image, cmap="gray_r", extent=(x - 0.45, x + 0.45, y - 0.45, y + 0.45), zorder=2)
    ax.text(x, y - 0.65, label, ha="center", va="top", fontsize=9)


def _finish(fig: Figure, ax: Axes, xlim: tuple[float, float], ylim: tuple[float, float]) -> Figure:
    import matplotlib.pyplot as plt

    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.tight_layout()
    plt.close(fig)
    return fig


def draw_vae(image: NDArray[Any] | None = None, decoded: NDArray[Any] | None = None) -> Figure:
    """The VAE: the encoder gives mu and log sigma² of q(z|x); z = mu + sigma * eps with eps
    drawn from N(0, I) beside the network; the decoder turns z into pixel probabilities.
    The loss: the reconstruction's cross-entropy plus the KL of q(z|x) from N(0, I)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 3.6))
    _image(ax, image, 0, 1.5, "image x")
    box(ax, 1.6, 1.5, "encoder", NETWORK, w=1.1)
    box(ax, 3.3, 2.1, "mu", CODE, w=0.9)
    box(ax, 3.3, 0.9, "log sigma²", CODE, w=1.2)
    box(ax, 5.2, 1.5, "z = mu + sigma·eps", CODE, w=2.2)
    box(ax, 5.2, -0.2, "eps ~ N(0, I)", DATA, w=1.5)
    box(ax, 7.3, 1.5, "decoder", NETWORK, w=1.1)
    _image(ax, decoded, 9.0, 1.5, "p(x|z), per pixel")
    arrow(ax, (0.5, 1.5), (1.05, 1.5))
    arrow(ax, (2.15, 1.6), (2.85, 2.1))
    arrow(ax, (2.15, 1.4), (2.7, 0.9))
    arrow(ax, (3.75, 2.1), (4.2, 1.65))
    arrow(ax, (3.9, 0.9), (4.2, 1.35))
    arrow(ax, (5.2, 0.1), (5.2, 1.2), colour="grey", style="--")
    arrow(ax, (6.3, 1.5), (6.75, 1.5))
    arrow(ax, (7.85, 1.5), (8.5, 1.5))
    ax.text(6.1, -0.2, "z is a differentiable function of mu and sigma:\n"
            "gradients flow back to the encoder", va="center", fontsize=8, color="green")  # fmt: skip
    box(ax, 3.0, 3.4, "KL(q(z|x) || N(0, I))", LOSS, w=2.3)
    box(ax, 7.6, 3.4, "reconstruction: BCE(x, p(x|z))", LOSS, w=3.0)
    arrow(ax, (3.2, 2.4), (3.1, 3.1), colour="tab:red")
    arrow(ax, (8.9, 2.1), (8.3, 3.1), colour="tab:red")
    ax.text(5.15, 3.4, "+", ha="center", va="center", fontsize=14, color="tab:red")
    ax.text(5.15, 4.0, "loss = negative ELBO", ha="center", fontsize=10, color="tab:red")
    return _finish(fig, ax, (-0.7, 9.8), (-0.8, 4.4))


def draw_gan(real: NDArray[Any] | None = None, fake: NDArray[Any] | None = None) -> Figure:
    """The two players: G turns noise into a fake; D scores real and fake images. D's loss
    labels real 1 and fake 0; G's loss asks D to say 1 for the fake, and its gradient flows
    back through D (frozen for G's step) into G."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4.4))
    box(ax, 0, 0.5, "z ~ N(0, I)", DATA, w=1.3)
    box(ax, 1.9, 0.5, "generator G", NETWORK, w=1.4)
    _image(ax, fake, 3.8, 0.5, "fake G(z)")
    _image(ax, real, 3.8, 3.0, "real x (data)")
    box(ax, 5.9, 1.75, "discriminator D", NETWORK, w=1.8)
    box(ax, 8.2, 1.75, "D(·) = P(real)", CODE, w=1.6)
    arrow(ax, (0.65, 0.5), (1.2, 0.5))
    arrow(ax, (2.6, 0.5), (3.3, 0.5))
    arrow(ax, (4.3, 0.6), (5.1, 1.55))
    arrow(ax, (4.3, 2.9), (5.1, 1.95))
    arrow(ax, (6.8, 1.75), (7.4, 1.75))
    box(ax, 8.2, 3.4, "D's loss: real → 1, fake → 0", LOSS, w=2.7)
    box(ax, 8.2, 0.1, "G's loss: −log D(G(z)), fake → 1", LOSS, w=3.0)
    arrow(ax, (8.2, 2.05), (8.2, 3.1), colour="tab:red")
    arrow(ax, (8.2, 1.45), (8.2, 0.4), colour="tab:red")
    arrow(ax, (6.7, 0.1), (2.0, 0.15), colour="tab:purple", style="--", bend=-0.25)
    ax.text(4.3, -0.95, "G's gradient flows back through D into G (only G's weights change)",
            ha="center", fontsize=8, color="tab:purple")  # fmt: skip
    ax.text(5.7, 3.4, "updates D only\n(fakes detached)", ha="center", va="center", fontsize=8,
            color="tab:red")  # fmt: skip
    return _finish(fig, ax, (-0.8, 9.9), (-1.2, 4.0))


def reconstructions(
    originals: NDArray[Any], rebuilt: Mapping[str, NDArray[Any]], *, title: str = ""
) -> Figure:
    """A row of images (N, 28, 28), and under it a row of each model's reconstructions."""
    import matplotlib.pyplot as plt

    rows = {"original": originals, **rebuilt}
    n = len(originals)
    fig, axes = plt.subplots(len(rows), n, figsize=(1.0 * n, 1.1 * len(rows)), squeeze=False)
    for r, (name, images) in enumerate(rows.items()):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(images[c], cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    plt.close(fig)
    return fig


def tile(images: NDArray[Any], cols: int = 16, gap: int = 2) -> NDArray[np.float64]:
    """Images (N, H, W) in [0, 1] as one array, `cols` to a row, with white gaps (of value
    0, the background of the gray_r colour map)."""
    n, h, w = images.shape
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    canvas = np.zeros((rows * (h + gap) - gap, cols * (w + gap) - gap))
    for i, image in enumerate(images):
        r, c = divmod(i, cols)
        canvas[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = image
    return canvas


def sample_rows(rows: Mapping[str, NDArray[Any]], *, cols: int = 16, title: str = "") -> Figure:
    """Several sets of images (N, 28, 28) in [0, 1], each tiled into one picture with its
    name on the left: one drawing per set, quick to render however many images."""
    import matplotlib.pyplot as plt

    tiles = {name: tile(images, cols) for name, images in rows.items()}
    heights = [t.shape[0] for t in tiles.values()]
    width = 0.8 * cols
    fig, axes = plt.subplots(
        len(tiles), 1, figsize=(width, width * sum(heights) / (cols * 30) + 0.5),
        gridspec_kw={"height_ratios": heights}, squeeze=False,
    )  # fmt: skip
    for ax, (name, picture) in zip(axes[:, 0], tiles.items(), strict=True):
        ax.imshow(picture, cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    plt.close(fig)
    return fig


def latent_scatter(
    panels: Mapping[str, NDArray[Any]],
    labels: NDArray[np.integer[Any]],
    class_names: Sequence[str],
    *,
    title: str = "",
) -> Figure:
    """One panel per model: its 2-D codes (N, 2) as points, coloured by class; the dashed
    circle in each panel has radius 2 (where N(0, I) keeps 86% of its mass)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle

    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.6), squeeze=False)
    colours = plt.get_cmap("tab10")
    for ax, (name, codes) in zip(axes[0], panels.items(), strict=True):
        for k, class_name in enumerate(class_names):
            chosen = labels == k
            ax.scatter(*codes[chosen].T, s=3, alpha=0.6, color=colours(k), label=class_name)
        ax.add_patch(Circle((0, 0), 2.0, fill=False, linestyle="--", color="black"))
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("z1")
        ax.set_ylabel("z2")
        ax.set_aspect("equal", adjustable="datalim")
    axes[0, -1].legend(markerscale=4, fontsize=8, loc="center left", bbox_to_anchor=(1, 0.5))
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    plt.close(fig)
    return fig


def latent_grid(images: NDArray[Any], values: NDArray[Any], *, title: str = "") -> Figure:
    """Images decoded from a square grid of 2-D codes: `images` (n * n, 28, 28) in row
    order, z2 from the top down, z1 from left to right, over the code values `values` (n,)."""
    import matplotlib.pyplot as plt

    n = len(values)
    side = images.shape[-1]
    mosaic = images.reshape(n, n, side, side).transpose(0, 2, 1, 3).reshape(n * side, n * side)
    fig, ax = plt.subplots(figsize=(6.5, 6.5))
    ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=1)
    ticks = np.arange(n) * side + side / 2
    ax.set_xticks(ticks, [f"{v:.1f}" for v in values], fontsize=7)
    ax.set_yticks(ticks, [f"{v:.1f}" for v in values[::-1]], fontsize=7)
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    plt.close(fig)
    return fig


def generator_losses() -> Figure:
    """The minimax generator loss log(1 - D(G(z))) and the non-saturating -log D(G(z))
    against D(G(z)), and the slope of each with respect to D's logit."""
    import matplotlib.pyplot as plt

    p = np.linspace(0.001, 0.999, 500)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    left.plot(p, np.log(1 - p), label="minimax: log(1 − D(G(z)))")
    left.plot(p, -np.log(p), label="non-saturating: −log D(G(z))")
    left.set_xlabel("D(G(z)): how real D finds the fake")
    left.set_ylabel("G's loss (G minimises it)")
    left.set_ylim(-5, 5)
    left.legend(fontsize=8)
    right.plot(p, -p, label="minimax: −D(G(z))")
    right.plot(p, -(1 - p), label="non-saturating: −(1 − D(G(z)))")
    right.axvspan(0, 0.1, color="grey", alpha=0.2)
    right.text(0.02, -0.5, "early training:\nD rejects\nthe fakes", fontsize=8)
    right.set_xlabel("D(G(z))")
    right.set_ylabel("d loss / d logit of D")
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.axhline(0, color="black", linewidth=0.5)
    fig.tight_layout()
    plt.close(fig)
    return fig


def toy_samples(
    rows: Mapping[str, Mapping[int, NDArray[Any]]],
    centres: NDArray[Any],
    *,
    title: str = "",
) -> Figure:
    """One row per run, one panel per training step: the generator's samples (points) over
    the centres of the mixture (red crosses)."""
    import matplotlib.pyplot as plt

    cols = max(len(snapshots) for snapshots in rows.values())
    fig, axes = plt.subplots(len(rows), cols, figsize=(2.2 * cols, 2.4 * len(rows)), squeeze=False)
    for r, (name, snapshots) in enumerate(rows.items()):
        for c, ax in enumerate(axes[r]):
            ax.set_xticks([])
            ax.set_yticks([])
            if c >= len(snapshots):
                ax.axis("off")
                continue
            step, points = list(snapshots.items())[c]
            ax.scatter(points[:, 0], points[:, 1], s=1, alpha=0.5)
            ax.scatter(centres[:, 0], centres[:, 1], marker="x", color="tab:red", s=25)
            ax.set_xlim(-3, 3)
            ax.set_ylim(-3, 3)
            ax.set_aspect("equal")
            ax.set_title(f"step {step}", fontsize=8)
        axes[r, 0].set_ylabel(name, fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    plt.close(fig)
    return fig


def _smooth(values: Sequence[float], window: int) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if window <= 1 or len(array) < window:
        return array
    return np.convolve(array, np.ones(window) / window, mode="valid")


def gan_curves(
    d_losses: Sequence[float], g_losses: Sequence[float], *, title: str = "", window: int = 50
) -> Figure:
    """D's and G's losses at every step (faint) and their running means over `window` steps;
    the dotted line is 2 ln 2 = 1.386, D's loss when it cannot tell real from fake."""
    import matplotlib.pyplot as plt

    window = max(1, min(window, len(d_losses) // 5))
    fig, ax = plt.subplots(figsize=(8, 3.4))
    for values, name, colour in (
        (d_losses, "D's loss", "tab:blue"),
        (g_losses, "G's loss", "tab:orange"),
    ):
        ax.plot(values, color=colour, alpha=0.25, linewidth=0.8)
        smooth = _smooth(values, window)
        ax.plot(np.arange(len(smooth)) + window - 1, smooth, color=colour, label=name)
    ax.axhline(2 * math.log(2), color="grey", linestyle=":", label="2 ln 2")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (training batches)")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    plt.close(fig)
    return fig


def vae_curves(history: Sequence[Mapping[str, float]], *, title: str = "") -> Figure:
    """Per epoch: the training loss (the mean of its batches) and the validation loss
    (negative ELBO per image), and the validation loss's two terms."""
    import matplotlib.pyplot as plt

    epochs = [row["epoch"] for row in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.4))
    left.plot(epochs, [row["train_loss"] for row in history], "o-", label="training")
    left.plot(epochs, [row["valid_loss"] for row in history], "o--", label="validation")
    left.set_ylabel("negative ELBO (nats per image)")
    left.legend()
    right.plot(epochs, [row["valid_reconstruction"] for row in history], "o-",
               label="reconstruction", color="tab:green")  # fmt: skip
    twin = right.twinx()
    twin.plot(epochs, [row["valid_kl"] for row in history], "s--", label="KL",
              color="tab:purple")  # fmt: skip
    right.set_ylabel("reconstruction (nats per image)", color="tab:green")
    twin.set_ylabel("KL (nats per image)", color="tab:purple")
    right.set_title("validation loss, its two terms", fontsize=10)
    for ax in (left, right):
        ax.set_xlabel("epoch")
        ax.set_xticks(epochs if len(epochs) <= 15 else epochs[:: math.ceil(len(epochs) / 15)])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    plt.close(fig)
    return fig
