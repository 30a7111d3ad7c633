"""Metrics over plain arrays, so that a lesson's printed score and the service's agree."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sacrebleu.metrics.bleu import BLEU


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


def bleu(
    references: Sequence[str], hypotheses: Sequence[str], *, tokenize: str = "none"
) -> BleuResult:
    """Corpus BLEU (0-100) with one reference per sentence, via sacrebleu.

    Submissions arrive already split into tokens by spaces (Japanese has no spaces of its own),
    so the default does no further tokenisation.
    """
    if len(references) != len(hypotheses):
        raise ValueError(f"bleu: {len(hypotheses)} hypotheses for {len(references)} references")
    if not references:
        raise ValueError("bleu: no references")
    metric = BLEU(tokenize=tokenize)
    result = metric.corpus_score(list(hypotheses), [list(references)])
    return BleuResult(score=float(result.score), signature=str(metric.get_signature()))


@functools.cache
def bleu_signature(tokenize: str = "none") -> str:
    """sacrebleu's signature for homework BLEU (one reference a sentence). sacrebleu states it
    only after scoring, since it counts the references, so a one-line corpus is scored."""
    return bleu(["x"], ["x"], tokenize=tokenize).signature


def signature(metric: str) -> str | None:
    """How a metric's scores are computed, where its name alone does not say (BLEU depends on
    tokenisation, smoothing and version); None for the others."""
    return bleu_signature() if metric == "bleu" else None


@dataclass(frozen=True)
class MetricInfo:
    name: str
    higher_is_better: bool
    kinds: tuple[str, ...]  # the submission kinds (see submission.SubmissionSpec) it can score
    fn: Callable[[Any, Any], float]  # fn(truth, predictions) -> score


def _bleu_score(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    return bleu(references, hypotheses).score


METRICS: dict[str, MetricInfo] = {
    info.name: info
    for info in (
        MetricInfo("accuracy", True, ("labels",), accuracy),
        MetricInfo("macro_f1", True, ("labels",), macro_f1),
        MetricInfo("rmse", False, ("regression", "images"), rmse),
        MetricInfo("mae", False, ("regression", "images"), mae),
        MetricInfo("bleu", True, ("tokens",), _bleu_score),
    )
}
