"""Lesson 5's homework reference: `practicum lesson homework 5 --x-test PHOTOS --out s.txt`.

What it does within its budget (minutes on 2 CPU cores; the shares scale with it):

1. trains the Lesson 2 network on CIFAR-10 (a third of the budget), or uses torchvision's
   ResNet-18 ImageNet weights instead when the file is on disk (`PRACTICUM_RESNET18`, or
   torch's own cache folder);
2. turns every photo into pooled features, for the photo and for a few crops and mirror
   images of it (more views of 700 photos: the decoder overfits less);
3. pretrains a Show-and-Tell decoder's language model on the captions without photos;
4. trains it on the photos' captions, keeping the epoch with the best CIDEr-D on a
   validation split carved from the training photos;
5. writes a lowercased caption per test photo by beam search, or, where it scores better
   on the validation split, the beam's candidate that the captions of the nearest
   training photos agree with most (`rerank`, its weight chosen there too).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from practicum import data
from practicum.data.captioned import CaptionedImages, caption_text, captioned_images, decode_image
from practicum.lessons.lesson5 import baselines, rerank
from practicum.lessons.lesson5 import features as feats
from practicum.lessons.lesson5.decoder import ShowAndTell
from practicum.lessons.lesson5.text import Vocab
from practicum.lessons.lesson5.train import (
    FitResult,
    fit_captioner,
    pretrain_language,
    write_captions,
)
from practicum.train import seed_everything

DEFAULT_BUDGET_MINUTES = 30.0
RESNET18_ENV = "PRACTICUM_RESNET18"
Log = Callable[[str], None]


@dataclass(frozen=True)
class Recipe:
    widths: tuple[int, int, int] = (64, 256, 256)
    cifar_share: float = 0.35
    """Share of the budget for the CIFAR-10 network."""
    views: int = 4
    """Feature views per training photo: the photo, its mirror, and crops."""
    sizes: tuple[int, ...] = (feats.PHOTO_SIZE,)
    """Pixels the network sees each view at, side by side. (32, 64, 128) finds better
    neighbours (BENCHMARKS.md) but did not help the decoder, at 1.5 times the cost."""
    pretrain_epochs: int = 2
    epochs: int = 3
    """Passes over the training views (each pass shows every caption `views` times)."""
    lr: float = 1e-3
    """Peak learning rate after pretraining (cosine decay); twice it overfits by epoch 2."""
    beam: int = 3
    """Beam of the captions that choose the epoch."""
    candidates: int = 8
    """Beam of the candidate captions the neighbours vote among."""
    neighbours: int = 10
    """Training photos whose captions vote (five captions each)."""
    valid_fraction: float = 0.1
    min_freq: int = 3
    hidden: int = 512
    dropout: float = 0.5

    def __post_init__(self) -> None:
        if self.views < 2:
            raise ValueError("views: at least 2 (the photo and its mirror describe it)")

    @classmethod
    def for_budget(cls, minutes: float) -> Recipe:
        if minutes >= 20:
            return cls()
        return cls(
            widths=(32, 128, 128),
            views=2,
            pretrain_epochs=1,
            epochs=max(2, int(minutes)),
            lr=2e-3,
        )


def resnet18_file() -> Path | None:
    """torchvision's ResNet-18 weights, if the user has them on disk (never downloaded)."""
    candidates = [os.environ.get(RESNET18_ENV, "")]
    torch_home = Path(os.environ.get("TORCH_HOME", Path.home() / ".cache" / "torch"))
    candidates.append(str(torch_home / "hub" / "checkpoints" / "resnet18-f37072fd.pth"))
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


def photo_views(photo: np.ndarray, size: int, views: int) -> np.ndarray:
    """(views, size, size, 3): the centre crop, its mirror, then corner crops of 90%."""
    from PIL import Image

    image = Image.fromarray(photo)
    w, h = image.size
    out = []
    boxes = [(0, 0, 1.0), (0, 0, 1.0), (0, 0, 0.9), (1, 1, 0.9), (0, 1, 0.9), (1, 0, 0.9)]
    for k in range(views):
        fx, fy, frac = boxes[k % len(boxes)]
        side = int(min(w, h) * frac)
        left = (w - side) // 2 if frac == 1.0 else fx * (w - side)
        top = (h - side) // 2 if frac == 1.0 else fy * (h - side)
        crop = image.crop((left, top, left + side, top + side)).resize(
            (size, size), Image.Resampling.BICUBIC
        )
        array = np.asarray(crop)
        out.append(array[:, ::-1] if k % 2 == 1 else array)
    return np.stack(out)


def backbone_for(budget_s: float, recipe: Recipe, seed: int, log: Log) -> feats.Backbone:
    weights = resnet18_file()
    if weights is not None:
        log(f"image features: ResNet-18 from {weights}")
        return feats.resnet18_backbone(weights)
    cifar = data.load("cifar10", "train")
    deadline = time.perf_counter() + recipe.cifar_share * budget_s
    log(f"image features: the Lesson 2 network, trained on CIFAR-10 ({recipe.widths})")
    return feats.train_fast_backbone(
        cifar["x"],
        cifar["y"],
        widths=recipe.widths,
        epochs=3.0,
        seed=seed,
        deadline=deadline,
        progress=False,
    )


def photo_vectors(
    backbone: feats.Backbone,
    photos: Sequence[np.ndarray],
    views: int = 2,
    sizes: Sequence[int] = (feats.PHOTO_SIZE,),
) -> torch.Tensor:
    """(N, views, F * len(sizes)) pooled features of decoded photos, `views` views each (see
    `photo_views`), each view seen at every one of `sizes` (pixels), side by side."""
    out = []
    for start in range(0, len(photos), 64):
        chunk = photos[start : start + 64]
        scales = []
        for size in sizes:
            stacked = np.concatenate([photo_views(p, size, views) for p in chunk])
            pooled = feats.pooled(feats.grid_features(backbone, stacked, flip=False))
            scales.append(pooled.view(-1, views, pooled.size(-1)))
        out.append(torch.cat(scales, dim=-1))
    return torch.cat(out)


@dataclass
class Trained:
    """A trained reference captioner: the eyes, the standardisation, the decoder, and the
    training photos (pooled features, captions) whose neighbours vote among captions."""

    backbone: feats.Backbone
    standard: feats.Standardizer
    model: ShowAndTell
    vocab: Vocab
    recipe: Recipe
    result: FitResult
    train_vectors: torch.Tensor
    train_captions: Sequence[Sequence[str]]
    weight: float | None = None
    """The decoder's log-probability per word against the neighbours' vote; None: no vote,
    the beam's best caption."""

    def caption(self, photos: Sequence[np.ndarray]) -> list[str]:
        return self.caption_vectors(self.vectors(photos))

    def vectors(self, photos: Sequence[np.ndarray]) -> torch.Tensor:
        """(N, F) pooled features of decoded photos: the photo and its mirror, averaged."""
        return photo_vectors(self.backbone, photos, 2, self.recipe.sizes).mean(1)

    def caption_vectors(self, vectors: torch.Tensor) -> list[str]:
        """Captions of photos given as their pooled (N, F) features (before standardising)."""
        if self.weight is None:
            return write_captions(
                self.model, self.standard(vectors), self.vocab, beam=self.recipe.beam
            )
        candidates = rerank.caption_candidates(
            self.model, self.standard(vectors), self.vocab, beam=self.recipe.candidates
        )
        return rerank.rerank(candidates, self.votes(vectors), weight=self.weight)

    def votes(self, vectors: torch.Tensor) -> list[list[str]]:
        """The captions of each photo's nearest training photos."""
        nearest = baselines.nearest_photos(self.train_vectors, vectors, k=self.recipe.neighbours)
        return [[c for i in row for c in self.train_captions[i]] for row in nearest]


def train_reference(
    train: CaptionedImages,
    *,
    seed: int = 0,
    budget_minutes: float = DEFAULT_BUDGET_MINUTES,
    text: Sequence[str] = (),
    log: Log = print,
) -> Trained:
    """Train within the budget (leaving a twentieth of it to caption the test photos)."""
    started = time.perf_counter()
    budget_s = budget_minutes * 60
    recipe = Recipe.for_budget(budget_minutes)
    seed_everything(seed)
    backbone = backbone_for(budget_s, recipe, seed, log)
    rest, valid = train.carve(recipe.valid_fraction, seed)
    train_views = photo_vectors(
        backbone, [rest.image(i) for i in range(len(rest))], recipe.views, recipe.sizes
    )
    valid_x = photo_vectors(
        backbone, [valid.image(i) for i in range(len(valid))], 2, recipe.sizes
    ).mean(1)
    standard = feats.Standardizer.fit(train_views.flatten(0, 1))
    log(
        f"features of {len(rest)} training and {len(valid)} validation photos: "
        f"{time.perf_counter() - started:.0f} s"
    )
    vocab = Vocab.build(
        [c for photo in rest.captions for c in photo] + list(text), min_freq=recipe.min_freq
    )
    model = ShowAndTell(
        train_views.size(-1), len(vocab), hidden=recipe.hidden, dropout=recipe.dropout
    )
    deadline = started + budget_s * 0.95
    if text:
        pretrain_language(
            model,
            (train_views.size(-1),),
            text,
            vocab,
            epochs=recipe.pretrain_epochs,
            seed=seed,
            deadline=deadline,
            log=log,
        )
    # every view of a photo is a training photo of its own, with the photo's captions
    result = fit_captioner(
        model,
        standard(train_views.flatten(0, 1)),
        [photo for photo in rest.captions for _ in range(recipe.views)],
        standard(valid_x),
        valid.captions,
        vocab,
        epochs=recipe.epochs,
        lr=recipe.lr,
        beam=recipe.beam,
        seed=seed,
        deadline=deadline,
        log=log,
    )
    log(f"kept epoch {result.best_epoch}: validation {result.best}")
    trained = Trained(
        backbone, standard, model, vocab, recipe, result, train_views[:, :2].mean(1), rest.captions
    )
    candidates = rerank.caption_candidates(model, standard(valid_x), vocab, beam=recipe.candidates)
    weight, cider = rerank.choose_weight(candidates, trained.votes(valid_x), valid.captions)
    if cider > result.best.cider:
        trained.weight = weight
    log(
        f"reranked by {recipe.neighbours} neighbours, weight {weight}: validation CIDEr-D "
        f"{cider:.3f} against {result.best.cider:.3f} without: "
        + ("reranking" if trained.weight is not None else "not reranking")
    )
    return trained


def solve_captions(
    train: CaptionedImages,
    test_photos: Sequence[bytes],
    *,
    seed: int = 0,
    budget_minutes: float = DEFAULT_BUDGET_MINUTES,
    text: Sequence[str] = (),
    log: Log = print,
) -> list[str]:
    """One lowercased caption per test photo (encoded files), trained on `train`."""
    trained = train_reference(train, seed=seed, budget_minutes=budget_minutes, text=text, log=log)
    photos = [decode_image(b, f"test photo {i}") for i, b in enumerate(test_photos)]
    return trained.caption(photos)


def budgeted_solver(
    budget_minutes: float,
) -> Callable[[dict[str, np.ndarray], Sequence[bytes], int], list[str]]:
    """The registry's solver: train split arrays (plus dev and the caption-only text from
    the cache when there), the encoded test photos, a seed -> captions."""

    def solve(train: dict[str, np.ndarray], test_photos: Sequence[bytes], seed: int) -> list[str]:
        photos = CaptionedImages.from_arrays(train)
        with contextlib.suppress(data.NotCachedError):
            photos = photos.join(captioned_images("flickr8k", "dev"))
        try:
            text = caption_text()
        except data.NotCachedError:
            text = []
        return solve_captions(
            photos, test_photos, seed=seed, budget_minutes=budget_minutes, text=text
        )

    return solve
