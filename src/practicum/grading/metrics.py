"""Metrics over plain arrays, so that a lesson's printed score and the service's agree."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sacrebleu.metrics.bleu import BLEU

from practicum.train.cider import cider_d


def _pair(name: str, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both sides as arrays of one shape; a silent broadcast would score the wrong thing."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        if y_true.ndim and y_pred.ndim and y_true.shape[0] != y_pred.shape[0]:
            raise ValueError(f"{name}: {y_pred.shape[0]} predictions for {y_true.shape[0]} labels")
        raise ValueError(f"{name}: predictions of shape {y_pred.shape} for {y_true.shape}")
    if y_true.size == 0:
        raise ValueError(f"{name}: no labels")
    return y_true, y_pred


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of exact matches; lengths must agree."""
    y_true, y_pred = _pair("accuracy", y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Unweighted mean of per-class F1 over the classes in y_true ∪ y_pred.

    The same class set as sklearn's `f1_score(average="macro")`: a class nobody predicted and
    nobody has counts nowhere, while a class predicted but absent from the truth counts as 0,
    so spraying rare labels is punished.
    """
    y_true, y_pred = _pair("macro_f1", y_true, y_pred)
    classes = np.union1d(y_true, y_pred)
    f1s = []
    for c in classes:
        tp = np.sum((y_true == c) & (y_pred == c))
        wrong = np.sum((y_true == c) != (y_pred == c))  # false positives + false negatives
        f1s.append(2 * tp / (2 * tp + wrong))
    return float(np.mean(f1s))


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared error over every element (pixels too, for image outputs)."""
    y_true, y_pred = _pair("rmse", y_true, y_pred)
    diff = y_true.astype(np.float64) - y_pred.astype(np.float64)
    return float(np.sqrt(np.mean(diff * diff)))


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error over every element."""
    y_true, y_pred = _pair("mae", y_true, y_pred)
    return float(np.mean(np.abs(y_true.astype(np.float64) - y_pred.astype(np.float64))))


@dataclass(frozen=True)
class BleuResult:
    score: float
    signature: str  # sacrebleu's own, so a published score says exactly how it was computed


References = Sequence[str | Sequence[str]] | np.ndarray
"""Per item, one reference (a string: a 1-D array or list of sentences) or several (a row of
a 2-D string array, or a list), where "" marks a missing one: a test set's items may have
different numbers of references (COCO has 5 to 7 captions an image), and a 2-D array pads
the short rows with ""."""


def reference_sets(references: References, name: str) -> list[list[str]]:
    """Each item's references as a list of at least one string (see `References`).

    An item given as one string is that reference, even "" (an empty reference sentence);
    among several, "" is padding and dropped, and an item left with none is refused."""
    sets = []
    for i, item in enumerate(references):
        if isinstance(item, str):
            sets.append([str(item)])
            continue
        if not isinstance(item, Sequence | np.ndarray) or not all(isinstance(r, str) for r in item):
            raise ValueError(f"{name}: item {i}: references must be text, got {item!r:.60}")
        refs = [str(r) for r in item if r != ""]
        if not refs:
            raise ValueError(f"{name}: item {i} has no reference")
        sets.append(refs)
    return sets


def reference_matrix(sets: Sequence[Sequence[str]]) -> np.ndarray:
    """Each item's references as a row of a 2-D (n_items, n_refs) string array, padded with ""
    where an item has fewer: the form a homework stores them in, which `reference_sets`
    reads back. Empty references are left out; an item left with none is refused."""
    rows = [[str(r) for r in refs if r] for refs in sets]
    empty = next((i for i, refs in enumerate(rows) if not refs), None)
    if empty is not None:
        raise ValueError(f"reference_matrix: item {empty} has no reference")
    width = max((len(refs) for refs in rows), default=1)
    padded = [refs + [""] * (width - len(refs)) for refs in rows]
    return np.array(padded, dtype=str).reshape(len(rows), width)


def bleu(
    references: References,
    hypotheses: Sequence[str],
    *,
    tokenize: str = "none",
    lowercase: bool = False,
) -> BleuResult:
    """Corpus BLEU-4 (0-100) via sacrebleu, against one reference per sentence or several
    (`References`: a 1-D list or array, or a 2-D string array padded with "").

    Submissions arrive already split into tokens by spaces (Japanese has no spaces of its own),
    so the default does no further tokenisation.

    Missing references reach sacrebleu as None, which it leaves out of the item's references;
    an "" there would be a reference of length 0, the closest length to any short hypothesis,
    which would cancel that hypothesis' brevity penalty.
    """
    if len(references) != len(hypotheses):
        raise ValueError(f"bleu: {len(hypotheses)} hypotheses for {len(references)} references")
    if not len(references):
        raise ValueError("bleu: no references")
    sets = reference_sets(references, "bleu")
    streams: list[list[str | None]] = [
        [refs[j] if j < len(refs) else None for refs in sets]
        for j in range(max(len(refs) for refs in sets))
    ]
    metric = BLEU(tokenize=tokenize, lowercase=lowercase)
    result = metric.corpus_score(list(hypotheses), streams)  # type: ignore[arg-type]
    return BleuResult(score=float(result.score), signature=str(metric.get_signature()))


def caption_bleu(references: References, hypotheses: Sequence[str]) -> BleuResult:
    """BLEU-4 for image captions: sacrebleu's corpus BLEU against every reference caption of
    each image, lowercased and tokenised by sacrebleu's default (13a, the mteval tokeniser:
    punctuation split off), so a caption is written as plain text in any case."""
    return bleu(references, hypotheses, tokenize="13a", lowercase=True)


@functools.cache
def bleu_signature(tokenize: str = "none") -> str:
    """sacrebleu's signature for homework BLEU (one reference a sentence). sacrebleu states it
    only after scoring, since it counts the references, so a one-line corpus is scored."""
    return bleu(["x"], ["x"], tokenize=tokenize).signature


@functools.cache
def caption_bleu_signature() -> str:
    """sacrebleu's signature for `caption_bleu`, with `nrefs:var`: every reference an image
    has, however many (Flickr8k has 5 an image, COCO 5 to 7). Scored on a corpus whose items
    have 1 and 2 references, since sacrebleu writes the count it saw; the count is only a
    label, so the scores are sacrebleu's on the same references whatever it says."""
    references = np.array([["x", ""], ["y", "y"]])
    return caption_bleu(references, ["x", "y"]).signature


def signature(metric: str) -> str | None:
    """How a metric's scores are computed, where its name alone does not say (BLEU depends on
    tokenisation, casing, smoothing and version); None for the others. `bleu`'s says
    `nrefs:1`, its homework's usual one reference a sentence."""
    if metric == "bleu":
        return bleu_signature()
    if metric == "caption_bleu":
        return caption_bleu_signature()
    return None


@dataclass(frozen=True)
class MetricInfo:
    name: str
    higher_is_better: bool
    kinds: tuple[str, ...]  # the submission kinds (see submission.SubmissionSpec) it can score
    fn: Callable[[Any, Any], float]  # fn(truth, predictions) -> score


def _bleu_score(references: References, hypotheses: Sequence[str]) -> float:
    return bleu(references, hypotheses).score


def _caption_bleu_score(references: References, hypotheses: Sequence[str]) -> float:
    return caption_bleu(references, hypotheses).score


def _cider_d_score(references: References, hypotheses: Sequence[str]) -> float:
    return cider_d(reference_sets(references, "cider_d"), hypotheses).score


class MetricUnavailable(RuntimeError):
    """What a metric measures with is missing or damaged (the judge that scores generated
    images): no score can be given until staff repair it. The message is for staff."""


def _judged(name: str, real_images: Any, images: Any) -> float:
    """A metric of generated images, measured by the course's judge; imported here, not at
    the top, so that torch loads only when images are scored."""
    from practicum.grading import generative
    from practicum.grading.judge import JudgeError

    real_images, images = _pair(name, real_images, images)
    measure = (
        generative.class_frechet_metric
        if name == "class_frechet"
        else generative.consistency_metric
    )
    try:
        return measure(real_images, images)
    except JudgeError as e:
        raise MetricUnavailable(str(e)) from e


def _class_frechet_score(real_images: np.ndarray, images: np.ndarray) -> float:
    return _judged("class_frechet", real_images, images)


def _class_consistency_score(real_images: np.ndarray, images: np.ndarray) -> float:
    return _judged("class_consistency", real_images, images)


METRICS: dict[str, MetricInfo] = {
    info.name: info
    for info in (
        MetricInfo("accuracy", True, ("labels",), accuracy),
        MetricInfo("macro_f1", True, ("labels",), macro_f1),
        MetricInfo("rmse", False, ("regression", "images"), rmse),
        MetricInfo("mae", False, ("regression", "images"), mae),
        MetricInfo("bleu", True, ("tokens",), _bleu_score),
        MetricInfo("caption_bleu", True, ("tokens",), _caption_bleu_score),
        MetricInfo("cider_d", True, ("tokens",), _cider_d_score),
        # conditional generation: the truth is a real image of the class each item asks for
        # (see grading.generative)
        MetricInfo("class_frechet", False, ("images",), _class_frechet_score),
        MetricInfo("class_consistency", True, ("images",), _class_consistency_score),
    )
}
