"""Flickr8k look-alike photos for the lesson 5 (captioning) homework tests, shared by the
service and web tests (imported by name, like tiny_homework)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sacrebleu
from sacrebleu.metrics.bleu import BLEU

from practicum import data
from practicum.data import synthetic
from practicum.data.captioned import captioned_images

HW = "lesson5-captions"
SIGNATURE = f"nrefs:var|case:lc|eff:no|tok:13a|smooth:exp|version:{sacrebleu.__version__}"
"""sacrebleu's signature of caption_bleu, as every page shows it."""


@dataclass(frozen=True)
class Photos:
    """The look-alike source files, and each split's file names and captions as imported."""

    folder: Path
    names: dict[str, list[str]]
    captions: dict[str, list[list[str]]]

    def image(self, name: str) -> bytes:
        return (self.folder / "Images" / name).read_bytes()


def write_photos(folder: Path, *, drop: int = 0) -> Photos:
    """Flickr8k look-alike in Kaggle's layout, imported. Its captions repeat from photo to
    photo (they name a colour and a shape), so each gets the number of its row: a caption
    found in a public file can only have leaked from its photo. `drop`: every 7th photo
    loses that many of its five captions."""
    synthetic.write_flickr8k_like(folder, n_images=120, seed=5, text_only=0)
    source = folder / "captions.txt"
    rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"), newline="")))
    seen: dict[str, int] = {}
    kept = [rows[0]]
    for number, (image, caption) in enumerate(rows[1:]):
        seen[image] = seen.get(image, 0) + 1
        if len(seen) % 7 == 0 and seen[image] > 5 - drop:
            continue
        kept.append([image, caption.replace(" .", f" row{number} .", 1)])
    with source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(kept)
    data.import_files("flickr8k", [folder], verify=False)
    splits = {split: captioned_images("flickr8k", split) for split in ("train", "dev", "test")}
    return Photos(
        folder,
        {split: photos.file_names for split, photos in splits.items()},
        {split: photos.captions for split, photos in splits.items()},
    )


def corpus_bleu(hypotheses: list[str], references: list[list[str]], where: np.ndarray) -> float:
    """sacrebleu itself, not the grader, over the items `where` picks."""
    picked = [int(i) for i in np.flatnonzero(where)]
    width = max(len(references[i]) for i in picked)
    streams = [
        [references[i][j] if j < len(references[i]) else None for i in picked] for j in range(width)
    ]
    scorer = BLEU(lowercase=True)
    return float(scorer.corpus_score([hypotheses[i] for i in picked], streams).score)  # type: ignore[arg-type]
