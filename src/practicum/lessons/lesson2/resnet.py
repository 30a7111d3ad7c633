"""Lesson 2: residual networks, pretrained weights, and networks as feature extractors.

- `BasicBlock`: two 3x3 convolutions with batch normalisation, plus a skip connection
  that adds the block's input to its output, so that each block only learns a change;
- `ResNet`: a stem, stages of blocks, global average pooling and one Linear layer;
  `resnet18()` is torchvision's ResNet-18 with exactly its parameter names, so that
  `load_pretrained` reads a standard `resnet18-*.pth` file a user has on disk;
  `small_resnet()` is a CIFAR-sized one to train here;
- `extract_features`: what a trained network sees in an image (the input of its last
  Linear layer), and `fit_linear_probe`: a logistic regression on those features.

Nothing here downloads anything: pretrained weights are a file the user brings.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from torch.nn import functional as F

from practicum.train import predict
from practicum.train.device import model_device
from practicum.train.loaders import make_loader

IMAGENET_STATS = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
"""Per-channel mean and std (RGB, [0, 1] scale) that torchvision's pretrained weights
expect their inputs to be standardised with."""
RESNET18_FILE = "resnet18-f37072fd.pth"
"""The name torchvision gives its ImageNet ResNet-18 weights (IMAGENET1K_V1)."""


class BasicBlock(nn.Module):
    """conv3x3 -> BN -> ReLU -> conv3x3 -> BN, plus the input, then ReLU.

    When the block halves the image (stride 2) or changes the width, the input cannot be
    added as it is: `downsample`, a strided 1x1 conv with BN, reshapes it first.
    """

    def __init__(self, in_width: int, width: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_width, width, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.downsample: nn.Module | None = None
        if stride != 1 or in_width != width:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_width, width, 1, stride=stride, bias=False), nn.BatchNorm2d(width)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + skip)


class ResNet(nn.Module):
    """A stem, then stages `layer1`, `layer2`, ... of BasicBlocks (each stage after the
    first halves the image and widens it), global average pooling, and `fc`.

    `small_input=True` uses a 3x3 stem without max-pooling, for 32 x 32 images; the
    ImageNet stem (7x7 stride 2, then max-pool) would shrink them to 8 x 8 at once.
    """

    def __init__(
        self,
        blocks: Sequence[int] = (2, 2, 2, 2),
        widths: Sequence[int] = (64, 128, 256, 512),
        *,
        n_classes: int = 1000,
        small_input: bool = False,
    ) -> None:
        super().__init__()
        if not blocks or len(blocks) != len(widths):
            raise ValueError(f"ResNet: one width per stage, got {list(blocks)} and {list(widths)}")
        if small_input:
            self.conv1 = nn.Conv2d(3, widths[0], 3, padding=1, bias=False)
            self.maxpool: nn.Module = nn.Identity()
        else:
            self.conv1 = nn.Conv2d(3, widths[0], 7, stride=2, padding=3, bias=False)
            self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.stages: list[nn.Sequential] = []
        width = widths[0]
        for i, (count, stage_width) in enumerate(zip(blocks, widths, strict=True)):
            stride = 1 if i == 0 else 2
            stage = nn.Sequential(
                *(
                    BasicBlock(
                        width if j == 0 else stage_width, stage_width, stride if j == 0 else 1
                    )
                    for j in range(count)
                )
            )
            setattr(self, f"layer{i + 1}", stage)  # torchvision's names: layer1..layer4
            self.stages.append(stage)
            width = stage_width
        self.fc = nn.Linear(width, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) images -> (N, width) features: everything but the classifier."""
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        for stage in self.stages:
            x = stage(x)
        return F.adaptive_avg_pool2d(x, 1).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.fc(self.features(x))
        return out


def resnet18(n_classes: int = 1000, *, small_input: bool = False) -> ResNet:
    """ResNet-18 (He et al., 2016): 4 stages of 2 blocks, widths 64 to 512, 11.7M weights."""
    return ResNet((2, 2, 2, 2), (64, 128, 256, 512), n_classes=n_classes, small_input=small_input)


def small_resnet(
    widths: Sequence[int] = (32, 64, 128), blocks: Sequence[int] = (1, 1, 1), n_classes: int = 10
) -> ResNet:
    """A ResNet for 32 x 32 images that trains in minutes on a CPU."""
    return ResNet(blocks, widths, n_classes=n_classes, small_input=True)


# ---------------------------------------------------------------------------------------
# Pretrained weights from disk
# ---------------------------------------------------------------------------------------


class PretrainedMismatch(ValueError):
    """A weights file does not fit the model; the message lists what differs."""


def load_pretrained(model: nn.Module, path: str | Path, *, skip: Sequence[str] = ()) -> list[str]:
    """Load a state dict saved with `torch.save(model.state_dict(), path)` into `model`,
    such as torchvision's `resnet18-f37072fd.pth` into `resnet18()`. Returns the loaded keys.

    Parameters whose names start with one of `skip` keep their own values: pass
    `skip=("fc.",)` to reuse everything but an ImageNet model's 1000-class layer. The file is
    read with `weights_only=True`, so it cannot run code. Nothing is ever downloaded.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no such weights file. Practicum never downloads weights: get them "
            f"yourself (torchvision's ResNet-18 is {RESNET18_FILE} from "
            "https://download.pytorch.org/models/) and pass the file's path"
        )
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]  # a checkpoint that wraps the weights
    if not isinstance(state, dict):
        raise PretrainedMismatch(f"{path}: expected a state dict, got {type(state).__name__}")
    prefixes = tuple(skip)
    own = {k: v for k, v in model.state_dict().items() if not k.startswith(prefixes)}
    given = {k: v for k, v in state.items() if not k.startswith(prefixes)}
    problems = _mismatches(own, given)
    if problems:
        raise PretrainedMismatch(f"{path} does not fit {type(model).__name__}:\n" + problems)
    model.load_state_dict(given, strict=False)
    return sorted(given)


def _mismatches(own: dict[str, torch.Tensor], given: dict[str, Any]) -> str:
    """Missing and unexpected keys and differing shapes, a few of each, one per line."""
    missing = sorted(set(own) - set(given))
    unexpected = sorted(set(given) - set(own))
    shapes = [
        f"{k}: file {tuple(given[k].shape)}, model {tuple(own[k].shape)}"
        for k in sorted(set(own) & set(given))
        if isinstance(given[k], torch.Tensor) and given[k].shape != own[k].shape
    ]
    lines = []
    for title, items in (("missing", missing), ("unexpected", unexpected), ("shape", shapes)):
        if items:
            shown = ", ".join(items[:8]) + (
                f", ... ({len(items) - 8} more)" if len(items) > 8 else ""
            )
            lines.append(f"  {title} ({len(items)}): {shown}")
    if unexpected and all(k.startswith("module.") for k in unexpected):
        lines.append("  hint: the file was saved from nn.DataParallel; strip the 'module.' prefix")
    elif shapes and all(k.startswith("fc.") for k in shapes):
        lines.append("  hint: a different number of classes; pass skip=('fc.',)")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Feature extraction and linear probes
# ---------------------------------------------------------------------------------------


def extract_features(
    model: nn.Module,
    x: NDArray[Any] | torch.Tensor,
    *,
    batch_size: int = 512,
    device: torch.device | None = None,
) -> NDArray[np.float32]:
    """(N, D) features of the penultimate layer: the input of the model's last Linear layer.

    A network trained to classify learns, layer by layer, features that make the classes
    linearly separable; those features often serve other tasks on similar images too.
    """
    linear = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linear:
        raise ValueError(f"extract_features: {type(model).__name__} has no Linear layer")
    captured: list[torch.Tensor] = []
    hook = linear[-1].register_forward_hook(
        lambda _module, inputs, _output: captured.append(inputs[0].detach().float().cpu())
    )
    try:
        predict(model, make_loader(torch.as_tensor(x), batch_size=batch_size), device=device)
    finally:
        hook.remove()
    return torch.cat(captured).flatten(1).numpy()


class LinearProbe(nn.Module):
    """Standardise the features with the training set's statistics, then one Linear layer:
    multinomial logistic regression."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, mean: torch.Tensor, std: torch.Tensor, n_classes: int) -> None:
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.linear = nn.Linear(len(mean), n_classes)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.linear((features - self.mean) / self.std)
        return out

    def predict(self, features: NDArray[Any]) -> NDArray[np.int64]:
        with torch.no_grad():
            scores = self(torch.as_tensor(features, dtype=torch.float32).to(model_device(self)))
        labels: NDArray[np.int64] = scores.argmax(1).cpu().numpy().astype(np.int64)
        return labels


def fit_linear_probe(
    features: NDArray[Any],
    y: NDArray[Any],
    *,
    n_classes: int | None = None,
    l2: float = 1e-3,
    steps: int = 100,
) -> LinearProbe:
    """Logistic regression on fixed features, fitted on the whole set at once with L-BFGS.

    A handful of full-batch steps suffice for a convex problem this small; `l2` (weight
    decay on the mean loss) keeps it from chasing every training point when examples are few.
    """
    x = torch.as_tensor(np.asarray(features), dtype=torch.float32)
    labels = torch.as_tensor(np.asarray(y), dtype=torch.int64)
    if x.ndim != 2 or len(x) != len(labels):
        raise ValueError(
            f"fit_linear_probe: need (N, D) features and N labels, got {tuple(x.shape)}, {len(labels)}"
        )
    classes = int(labels.max()) + 1 if n_classes is None else n_classes
    probe = LinearProbe(x.mean(0), x.std(0).clamp_min(1e-6), classes)
    optimizer = torch.optim.LBFGS(probe.parameters(), max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(probe(x), labels) + l2 * probe.linear.weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return probe
