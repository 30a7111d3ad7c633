"""Lesson 2's pictures: what a CNN learned (first-layer filters, feature maps) and where
it goes wrong (misclassified images). All return figures, drawn with `common.image_grid`;
the confusion matrix is `practicum.train.plots.plot_confusion_matrix`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from practicum.coursework import common
from practicum.train.device import model_device

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def displayable(
    images: NDArray[Any] | torch.Tensor,
    *,
    rescale: bool = False,
    channels_first: bool | None = None,
) -> NDArray[Any]:
    """Images in a layout matplotlib shows: (N, H, W) or (N, H, W, 3).

    Accepts (N, C, H, W) with C = 1 or 3 as well; `channels_first` says which layout a
    4-d batch has (by default it is guessed, which fails only for 3-pixel-wide images
    such as 3 x 3 filters). Bytes are shown as they are; floats are stretched to [0, 1]
    image by image when `rescale` is set (for normalised or whitened images, whose values
    are no longer brightnesses), else clipped.
    """
    array = (
        images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    )
    if channels_first is None:
        channels_first = array.ndim == 4 and array.shape[1] in (1, 3) and array.shape[-1] > 3
    if channels_first:
        array = array.transpose(0, 2, 3, 1)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.dtype == np.uint8:
        return array
    array = array.astype(np.float32)
    if rescale:
        axes = tuple(range(1, array.ndim))
        low = array.min(axis=axes, keepdims=True)
        high = array.max(axis=axes, keepdims=True)
        stretched: NDArray[np.float32] = (array - low) / np.maximum(high - low, 1e-8)
        return stretched
    clipped: NDArray[np.float32] = np.clip(array, 0.0, 1.0)
    return clipped


def plot_filters(
    layer: nn.Conv2d | torch.Tensor, *, cols: int = 8, title: str | None = None
) -> Figure:
    """The filters of a first conv layer, each scaled by its own largest weight.

    Three input channels are shown in colour, with mid-grey for 0 (a filter that adds up
    all colours is light, one that subtracts them dark, and colour contrasts coloured); one
    channel as a red (positive) to blue (negative) map; more than three (a deeper layer) as
    the filter's sum over its input channels.
    """
    weight = layer.weight if isinstance(layer, nn.Conv2d) else layer
    w = weight.detach().float().cpu()
    if w.ndim != 4:
        raise ValueError(f"plot_filters: expected (out, in, k, k) weights, got {tuple(w.shape)}")
    if w.shape[1] != 3:
        w = w.sum(1, keepdim=True)
    largest = w.abs().amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-12)
    # 0 -> 0.5, each filter's extreme weight -> 0 or 1
    scaled = displayable(0.5 + 0.5 * w / largest, channels_first=True)
    if scaled.ndim == 3:  # one channel: colour it here, so that 0 stays white in every panel
        scaled = matplotlib.colormaps["RdBu_r"](scaled)[..., :3]
    return common.image_grid(
        scaled,
        cols=cols,
        titles=[str(i) for i in range(len(scaled))],
        title=title or f"{w.shape[0]} filters of {w.shape[2]} x {w.shape[3]}",
    )


def plot_feature_maps(
    model: nn.Module,
    layer: nn.Module,
    image: NDArray[Any] | torch.Tensor,
    *,
    max_maps: int = 32,
    cols: int = 8,
    title: str | None = None,
) -> Figure:
    """What `layer` outputs for one (C, H, W) image: one picture per channel (bright =
    strongly active), the first `max_maps` of them."""
    outputs: list[torch.Tensor] = []
    hook = layer.register_forward_hook(lambda _m, _i, output: outputs.append(output.detach()))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.as_tensor(image, dtype=torch.float32)[None].to(model_device(model)))
    finally:
        hook.remove()
        model.train(was_training)
    if not outputs or outputs[0].ndim != 4:
        raise ValueError("plot_feature_maps: the layer must be run by the model and give maps")
    maps = outputs[0][0, :max_maps].float().cpu().numpy()
    return common.image_grid(
        maps,
        cols=cols,
        cmap="viridis",
        titles=[str(i) for i in range(len(maps))],
        title=title
        or f"{len(maps)} of {outputs[0].shape[1]} feature maps, {maps.shape[1]} x {maps.shape[2]}",
    )


def plot_misclassified(
    images: NDArray[Any] | torch.Tensor,
    y_true: Sequence[int] | NDArray[Any],
    y_pred: Sequence[int] | NDArray[Any],
    class_names: Sequence[str] | None = None,
    *,
    n: int = 24,
    cols: int = 8,
    rescale: bool = False,
) -> Figure:
    """The first `n` images whose prediction is wrong, titled true / predicted class."""
    truth, guess = np.asarray(y_true), np.asarray(y_pred)
    if len(truth) != len(guess) or len(truth) != len(images):
        raise ValueError(
            f"plot_misclassified: {len(images)} images, {len(truth)} labels, {len(guess)} predictions"
        )
    wrong = np.flatnonzero(truth != guess)[:n]
    if len(wrong) == 0:
        raise ValueError("plot_misclassified: every prediction is right; nothing to show")

    def name(label: Any) -> str:
        return class_names[int(label)] if class_names else str(int(label))

    picked = images[torch.as_tensor(wrong)] if isinstance(images, torch.Tensor) else images[wrong]
    shown = displayable(picked, rescale=rescale)
    return common.image_grid(
        shown,
        cols=cols,
        titles=[f"{name(truth[i])}\n→ {name(guess[i])}" for i in wrong],
        title=f"{len(wrong)} of {int((truth != guess).sum())} mistakes (true → predicted)",
    )
