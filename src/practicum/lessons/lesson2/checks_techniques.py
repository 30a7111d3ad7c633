"""Lesson 2: the checks of Section 4's exercises (a residual block, the augmentation,
test-time augmentation), each able to name the mistake students make.

- The residual block is compared with `resnet.BasicBlock` weight for weight: the same
  parameter names and shapes, then the reference's weights (and batch-norm statistics)
  loaded into the student's block, the same outputs in evaluation and training mode, and
  the same gradients. Without a projection where the shape changes, a ReLU before the
  addition, no ReLU after it, the stride on the wrong convolution: each is named.
- The augmentation is checked on what it must do, since its output is random: every
  output is a crop of the zero-padded image or of its mirror image, of the input's size;
  about half are mirrored, every offset occurs, each image draws its own; in evaluation
  mode nothing changes (validation images are scored as they are).
- Test-time augmentation runs on a model with batch norm handed over in training mode.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

Function = Callable[..., Any]
BLOCK_CASES = ((6, 6, 1), (6, 12, 2), (6, 12, 1))
"""(in_width, width, stride): a shape-keeping block, one that halves and widens, one that
only widens."""


# ---------------------------------------------------------------------------------------
# residual_block
# ---------------------------------------------------------------------------------------


def _randomise_batchnorm(block: nn.Module) -> None:
    """Scales, shifts and running statistics away from their 1/0 defaults, so that a
    batch norm left out or misplaced shows."""
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for module in block.modules():
            if isinstance(module, nn.BatchNorm2d):
                size = module.num_features
                module.weight.copy_(0.5 + torch.rand(size, generator=gen))
                module.bias.copy_(torch.randn(size, generator=gen) * 0.3)
                assert module.running_mean is not None and module.running_var is not None
                module.running_mean.copy_(torch.randn(size, generator=gen) * 0.2)
                module.running_var.copy_(0.5 + torch.rand(size, generator=gen))


def _block_mistakes(ref: Any, x: torch.Tensor, stride: int) -> dict[str, torch.Tensor]:
    """Message -> what a usual mistake computes, from the reference's own layers."""
    skip = x if ref.downsample is None else ref.downsample(x)
    inner = ref.bn2(ref.conv2(F.relu(ref.bn1(ref.conv1(x)))))
    mistakes = {
        "the ReLU comes before the addition: add the shortcut to the second batch norm's "
        "output, then apply the ReLU to the sum": F.relu(inner) + skip,
        "the ReLU after the addition is missing: the block returns ReLU(F(x) + shortcut)": (
            inner + skip
        ),
        "the shortcut is missing: add the input (or its projection) to F(x) before the last "
        "ReLU": F.relu(inner),
        "the ReLU between the two convolutions is missing: conv, BN, ReLU, conv, BN": F.relu(
            ref.bn2(ref.conv2(ref.bn1(ref.conv1(x)))) + skip
        ),
    }
    if stride != 1:
        first = F.relu(ref.bn1(F.conv2d(x, ref.conv1.weight, padding=1)))
        second = ref.bn2(F.conv2d(first, ref.conv2.weight, stride=stride, padding=1))
        mistakes[
            "the stride is on the second convolution: the first one (conv1) takes it, the "
            "second keeps the size"
        ] = F.relu(second + skip)
    return mistakes


def _same_parameters(
    mine: nn.Module, ref: nn.Module, in_width: int, width: int, stride: int
) -> None:
    shape = f"{in_width} -> {width} channels, stride {stride}"
    own, theirs = mine.state_dict(), ref.state_dict()
    projecting = stride != 1 or in_width != width
    has_projection = any(k.startswith("downsample") for k in own)
    if projecting and not has_projection:
        raise AssertionError(
            f"this block changes the shape ({shape}), so x cannot be added as it is: give it "
            "the projection shortcut self.downsample (a 1 x 1 convolution with the block's "
            "stride and no bias, then batch norm)"
        )
    if not projecting and has_projection:
        raise AssertionError(
            f"this block keeps the shape ({shape}): its shortcut is x itself; a projection "
            "only where the shape changes (set self.downsample = None otherwise)"
        )
    if set(own) != set(theirs):
        extra, missing = sorted(set(own) - set(theirs)), sorted(set(theirs) - set(own))
        raise AssertionError(
            f"your block's parameters {extra[:4]} are not the expected {missing[:4]}: name "
            "the layers conv1, bn1, conv2, bn2 and downsample (an nn.Sequential of the 1 x 1 "
            "convolution and its batch norm), convolutions without bias"
        )
    for key, value in theirs.items():
        if own[key].shape != value.shape:
            raise AssertionError(
                f"{key} has shape {tuple(own[key].shape)}, expected {tuple(value.shape)} "
                f"({shape}; 3 x 3 convolutions with padding 1)"
            )


def _compare_outputs(mine: nn.Module, ref: nn.Module, x: torch.Tensor, stride: int) -> None:
    with torch.no_grad():
        got, expected = mine.eval()(x), ref.eval()(x)
        if got.shape != expected.shape:
            raise AssertionError(
                f"for x {tuple(x.shape)} the block gives {tuple(got.shape)}, expected "
                f"{tuple(expected.shape)}"
            )
        if torch.allclose(got, expected, atol=1e-5):
            return
        for message, wrong in _block_mistakes(ref, x, stride).items():
            if torch.allclose(got, wrong, atol=1e-5):
                raise AssertionError(message)
    raise AssertionError(
        "with the reference's weights your block computes something else: "
        "ReLU(BN(conv(ReLU(BN(conv(x))))) + shortcut(x))"
    )


def check_residual_block(candidate: type[nn.Module], reference: type[nn.Module]) -> None:
    for in_width, width, stride in BLOCK_CASES:
        torch.manual_seed(0)
        mine, ref = candidate(in_width, width, stride), reference(in_width, width, stride)
        _same_parameters(mine, ref, in_width, width, stride)
        _randomise_batchnorm(ref)
        mine.load_state_dict(ref.state_dict())
        x = torch.randn(4, in_width, 8, 8, generator=torch.Generator().manual_seed(2))
        _compare_outputs(mine, ref, x, stride)
        grads = []
        for block in (mine.train(), ref.train()):
            leaf = x.clone().requires_grad_()
            out = block(leaf)
            out.backward(torch.cos(torch.arange(out.numel(), dtype=x.dtype)).reshape(out.shape))
            grads.append(leaf.grad)
        mine_grad, ref_grad = grads
        if (
            mine_grad is None
            or ref_grad is None
            or not torch.allclose(mine_grad, ref_grad, atol=1e-5)
        ):
            raise AssertionError(
                "in training mode the gradient with respect to x differs from the reference "
                "block's: build the output from x with torch operations, without in-place "
                "changes or detach"
            )


# ---------------------------------------------------------------------------------------
# augment
# ---------------------------------------------------------------------------------------

AUGMENT_IMAGES, AUGMENT_SIDE, AUGMENT_PAD = 400, 6, 2


def _crops(images: torch.Tensor, pad: int, mode: str = "constant") -> torch.Tensor:
    """Every window of the input's size of the padded images: (N, 2p+1, 2p+1, C, H, W)."""
    h, w = images.shape[-2:]
    padded = F.pad(images, (pad,) * 4, mode=mode)
    windows = padded.unfold(2, h, 1).unfold(3, w, 1)  # (N, C, 2p+1, 2p+1, H, W)
    return windows.permute(0, 2, 3, 1, 4, 5)


def _which_variant(
    out: torch.Tensor, x: torch.Tensor, pad: int, flip_axis: int = -1, mode: str = "constant"
) -> torch.Tensor:
    """(N, 3) rows of (mirrored, dy, dx) for the variant each output image equals, -1 where
    it equals none."""
    found = torch.full((len(x), 3), -1)
    for mirrored, images in enumerate((x, x.flip(flip_axis))):
        crops = _crops(images, pad, mode)
        equal = (crops - out[:, None, None]).abs().flatten(3).amax(3) < 1e-6  # (N, 2p+1, 2p+1)
        hits = equal.nonzero()
        found[hits[:, 0]] = torch.stack(
            [torch.full_like(hits[:, 0], mirrored), hits[:, 1], hits[:, 2]], dim=1
        )
    return found


def _explain_stray(out: torch.Tensor, x: torch.Tensor, pad: int) -> str:
    if (_which_variant(out, x, pad, flip_axis=-2)[:, 0] >= 0).all():
        return (
            "some images are flipped upside down: mirror them left-right, along the last "
            "axis (the width), as a mirror beside the object would"
        )
    if pad <= x.shape[-1] - 1 and (_which_variant(out, x, pad, mode="reflect")[:, 0] >= 0).all():
        return "the border is filled by reflection: pad with zeros (F.pad's default)"
    return (
        "some outputs are not a window of the zero-padded image or of its mirror image: pad "
        "each side with `pad` zeros, then cut out a window of the input's size"
    )


def _augment_once(module: nn.Module, x: torch.Tensor, pad: int) -> torch.Tensor:
    out = module.train()(x.clone())
    if not isinstance(out, torch.Tensor):
        raise AssertionError(f"forward must return a tensor, not a {type(out).__name__}")
    if out.shape != x.shape:
        padded = x.shape[-1] + 2 * pad
        if out.shape[-1] == padded:
            raise AssertionError(
                f"it returns the padded images {tuple(out.shape)}: cut a window of the "
                f"input's size {tuple(x.shape[-2:])} out of each"
            )
        raise AssertionError(
            f"the output has shape {tuple(out.shape)}; crops keep the input's shape "
            f"{tuple(x.shape)}, so the network sees images of the size it expects"
        )
    found = _which_variant(out, x, pad)
    if (found[:, 0] < 0).any():
        raise AssertionError(_explain_stray(out, x, pad))
    return found


def _check_draws(draws: list[torch.Tensor], pad: int) -> None:
    mirrored = torch.stack([d[:, 0].float().mean() for d in draws])
    if (mirrored == 0).all():
        raise AssertionError("no image was ever mirrored: mirror each with probability 1/2")
    if (mirrored == 1).all():
        raise AssertionError("every image is mirrored every time: only with probability 1/2")
    if ((mirrored == 0) | (mirrored == 1)).all():
        raise AssertionError(
            "the whole batch is mirrored or not, together: draw one coin for each image"
        )
    if ((mirrored - 0.5).abs() > 0.15).any():
        raise AssertionError(
            f"{mirrored.tolist()} of the images were mirrored in four batches: each should be "
            "with probability 1/2"
        )
    offsets = torch.cat([d[:, 1:] for d in draws])
    if len(torch.unique(offsets, dim=0)) == 1:
        raise AssertionError("no image is ever shifted: cut the window at a random position")
    # mirroring before or after cropping mirrors the column offset too; the images left
    # as they are show the offsets as drawn, whichever order the code uses
    plain = [d[d[:, 0] == 0, 1:] for d in draws]
    if all(len(torch.unique(p, dim=0)) == 1 for p in plain):
        raise AssertionError(
            "every image of a batch is shifted the same way: draw a window position for each image"
        )
    unmirrored = torch.cat(plain)
    if bool((unmirrored[:, 0] == unmirrored[:, 1]).all()):
        raise AssertionError(
            "images only move along the diagonal: draw the row and the column offsets separately"
        )
    seen = {tuple(row) for row in offsets.tolist()}
    if len(seen) < (2 * pad + 1) ** 2:
        rows = sorted({r for r, _ in seen})
        raise AssertionError(
            f"with pad {pad} the window's corner must take all {2 * pad + 1} positions "
            f"0..{2 * pad} in each direction, uniformly; yours took rows {rows}"
        )


def check_augment(candidate: type[nn.Module]) -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(AUGMENT_IMAGES, 3, AUGMENT_SIDE, AUGMENT_SIDE, generator=gen) + 0.5
    module = candidate(pad=AUGMENT_PAD)
    torch.manual_seed(0)
    draws = [_augment_once(module, x, AUGMENT_PAD) for _ in range(4)]
    _check_draws(draws, AUGMENT_PAD)
    with torch.no_grad():
        evaluated = module.eval()(x.clone())
    if not isinstance(evaluated, torch.Tensor) or not torch.equal(evaluated, x):
        raise AssertionError(
            "in eval mode it still changes the images: validation and test images must be "
            "scored as they are (check self.training and return x unchanged)"
        )
    wide = candidate(pad=4)
    out = wide.train()(torch.rand(2, 3, 32, 32, generator=gen))
    if out.shape != (2, 3, 32, 32):
        raise AssertionError(f"with pad=4 a batch of (2, 3, 32, 32) became {tuple(out.shape)}")


# ---------------------------------------------------------------------------------------
# flip_tta
# ---------------------------------------------------------------------------------------


def tta_model() -> nn.Module:
    """A small net with batch norm, so that forgetting eval mode shows."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 5)
    )


def _tta_mistakes(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    def probs(m: nn.Module, images: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = m(images).softmax(dim=1)
        return out

    trained = copy.deepcopy(model).train()
    m = copy.deepcopy(model).eval()
    return {
        "the model was left in training mode: switch it to evaluation mode first (batch norm "
        "then uses its running statistics, and dropout keeps everything)": 0.5
        * (probs(trained, x) + probs(copy.deepcopy(model).train(), x.flip(-1))),
        "the images are flipped upside down: mirror them left-right, along the last axis "
        "(the width)": 0.5 * (probs(m, x) + probs(m, x.flip(-2))),
        "the scores are averaged before the softmax: average the two views' probabilities": (
            (0.5 * (m(x) + m(x.flip(-1)))).softmax(dim=1)
        ),
        "it returns averaged scores: turn each view's scores into probabilities (softmax over "
        "the classes), then average": 0.5 * (m(x) + m(x.flip(-1))),
        "only the image itself is used: average its probabilities with its mirror image's": (
            probs(m, x)
        ),
    }


def check_flip_tta(candidate: Function) -> None:
    model = tta_model()
    x = 2 * torch.randn(6, 3, 8, 8, generator=torch.Generator().manual_seed(3)) + 1
    got = candidate(copy.deepcopy(model).train(), x.clone())
    if not isinstance(got, torch.Tensor):
        raise AssertionError(f"return a torch tensor, not a {type(got).__name__}")
    if got.requires_grad:
        raise AssertionError(
            "the result carries a gradient: predict under torch.no_grad(), nothing is trained here"
        )
    if got.shape != (6, 5):
        raise AssertionError(
            f"for 6 images and 5 classes the result has shape {tuple(got.shape)}, expected (6, 5)"
        )
    with torch.no_grad():
        m = copy.deepcopy(model).eval()
        expected = 0.5 * (m(x).softmax(dim=1) + m(x.flip(-1)).softmax(dim=1))
        if torch.allclose(got, expected, atol=1e-6):
            return
        for message, wrong in _tta_mistakes(model, x).items():
            if torch.allclose(got, wrong, atol=1e-6):
                raise AssertionError(message)
    raise AssertionError(
        "the result is not the mean of the softmax probabilities of each image and its "
        "mirror image, in evaluation mode"
    )
