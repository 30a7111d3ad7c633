"""Lesson 4: the checks of the exercises, each able to name the mistake students make.

A check takes the student's function and the reference (which `exercise.checked` finds
by the exercise's id and hands over: this module never imports one), runs both on small
inputs built here, and raises AssertionError with one sentence when they disagree. Where
a usual mistake explains the difference (no shift of the target, padding counted, a
missing `zero_grad`, unclipped n-gram counts...), the check recomputes that mistake and
names it.

The notebook (`lesson4/section2_implementation.py`) and `tests/lessons/test_lesson4_checks.py`
use these same functions.
"""

from __future__ import annotations

import copy
import functools
import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sacrebleu
import torch
from torch import nn

from practicum.lessons.lesson4.seq2seq import Seq2Seq
from practicum.lessons.lesson4.text import BOS, EOS, PAD
from practicum.lessons.lesson4.toys import CountingTranslator

Function = Callable[..., Any]

# ---------------------------------------------------------------------------------------
# pad_batch
# ---------------------------------------------------------------------------------------

PAD_CASES: tuple[list[list[int]], ...] = ([[5, 6, 7], [8], [9, 10]], [[4]], [[7, 8], [9, 10]])


def check_pad_batch(candidate: Function, reference: Function) -> None:
    for sequences in PAD_CASES:
        got, expected = candidate(copy.deepcopy(sequences)), reference(sequences)
        _same_ids(got, expected, sequences, PAD)
    sequences = [[5, 6], [7]]
    got, expected = candidate(sequences, pad=-1), reference(sequences, pad=-1)
    if isinstance(got, torch.Tensor) and got.shape == expected.shape and not got.eq(-1).any():
        raise AssertionError("fill with the `pad` id you are given, not a fixed 0")
    _same_ids(got, expected, sequences, -1)


def _same_ids(got: Any, expected: torch.Tensor, sequences: list[list[int]], pad: int) -> None:
    """Raise, naming the mistake, unless `got` is `expected`."""
    if not isinstance(got, torch.Tensor):
        raise AssertionError(f"return a tensor, not a {type(got).__name__}")
    if got.shape != expected.shape:
        raise AssertionError(
            f"for {sequences} the shape is {tuple(got.shape)}, expected {tuple(expected.shape)}: "
            "one row per sentence, as long as the longest"
        )
    if got.dtype != torch.long:
        raise AssertionError(f"the ids are {got.dtype}: nn.Embedding needs int64 (torch.long)")
    if torch.equal(got, expected):
        return
    left = torch.full_like(expected, pad)
    for row, sequence in enumerate(sequences):
        left[row, left.size(1) - len(sequence) :] = torch.tensor(sequence)
    if torch.equal(got, left):
        raise AssertionError("the padding goes after each sentence, not before it")
    raise AssertionError(f"for {sequences} got {got.tolist()}, expected {expected.tolist()}")


# ---------------------------------------------------------------------------------------
# teacher_forcing_loss
# ---------------------------------------------------------------------------------------


def tiny_seq2seq(seed: int = 0, *, dropout: float = 0.0) -> Seq2Seq:
    """A Seq2Seq small enough to check on: 12 source ids, 15 target ids."""
    torch.manual_seed(seed)
    return Seq2Seq(12, 15, embed=8, hidden=16, dropout=dropout)


def tiny_pairs(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(source (3, 5), target (3, 7)) ids with padding: `<s> ... </s> <pad>...`."""
    gen = torch.Generator().manual_seed(seed)
    lengths = [(5, 5), (3, 2), (4, 4)]
    src = torch.full((3, 5), PAD)
    tgt = torch.full((3, 7), PAD)
    for row, (n_src, n_tgt) in enumerate(lengths):
        src[row, :n_src] = torch.randint(4, 12, (n_src,), generator=gen)
        tgt[row, 0] = BOS
        tgt[row, 1 : n_tgt + 1] = torch.randint(4, 15, (n_tgt,), generator=gen)
        tgt[row, n_tgt + 1] = EOS
    return src, tgt


LOSS_MISTAKES = {
    "no_shift": "the target is not shifted: the decoder reads tgt[:, :-1] and must predict "
    "tgt[:, 1:], the next token at every position",
    "no_shift_full": "the target is not shifted: feed tgt[:, :-1] to the model and predict "
    "tgt[:, 1:], not the tokens it just read",
    "backwards": "the shift goes the wrong way: the decoder reads tgt[:, :-1] (starting with "
    "<s>) and predicts tgt[:, 1:] (ending with </s>)",
    "pad_counted": "the <pad> positions are counted in the loss: pass ignore_index=PAD to "
    "the cross-entropy",
    "summed": "the loss is summed: take the mean over the real (non-<pad>) target tokens",
}


def _flawed_loss(model: nn.Module, src: torch.Tensor, tgt: torch.Tensor, flaw: str) -> float:
    """The loss as computed with one usual mistake (never the right one)."""
    inputs, targets, ignore, reduction = tgt[:, :-1], tgt[:, 1:], PAD, "mean"
    if flaw == "no_shift":
        targets = tgt[:, :-1]
    elif flaw == "no_shift_full":
        inputs = targets = tgt
    elif flaw == "backwards":
        inputs, targets = tgt[:, 1:], tgt[:, :-1]
    elif flaw == "pad_counted":
        ignore = -100
    elif flaw == "summed":
        reduction = "sum"
    else:
        raise ValueError(f"unknown mistake {flaw!r}")
    with torch.no_grad():
        logits = model(src, inputs)
        loss = nn.functional.cross_entropy(
            logits.reshape(-1, logits.size(-1)),
            targets.reshape(-1),
            ignore_index=ignore,
            reduction=reduction,
        )
    return float(loss)


def check_teacher_forcing_loss(candidate: Function, reference: Function) -> None:
    model, (src, tgt) = tiny_seq2seq(), tiny_pairs()
    model.eval()
    got = candidate(copy.deepcopy(model), src.clone(), tgt.clone())
    with torch.no_grad():
        expected = float(reference(model, src, tgt))
        expected_smoothed = float(reference(model, src, tgt, label_smoothing=0.1))
    if not isinstance(got, torch.Tensor) or got.dim() != 0:
        raise AssertionError("return the loss as one number: a tensor of shape ()")
    if not got.requires_grad:
        raise AssertionError("the loss must stay in the graph (no .item() or .detach())")
    value = float(got.detach())
    if math.isclose(value, expected, rel_tol=1e-5, abs_tol=1e-6):
        smoothed = candidate(copy.deepcopy(model), src, tgt, label_smoothing=0.1)
        if not math.isclose(float(smoothed.detach()), expected_smoothed, rel_tol=1e-5):
            raise AssertionError("pass `label_smoothing` on to the cross-entropy")
        return
    for flaw, message in LOSS_MISTAKES.items():
        if math.isclose(value, _flawed_loss(model, src, tgt, flaw), rel_tol=1e-5):
            raise AssertionError(message)
    raise AssertionError(f"got a loss of {value:.4f}, expected {expected:.4f}")


# ---------------------------------------------------------------------------------------
# train_epoch
# ---------------------------------------------------------------------------------------

EPOCH_CLIP = 0.05
"""Small, so that clipping changes every update of the check (SGD, learning rate 0.5)."""

EPOCH_MISTAKES = {
    "no_zero_grad": "the gradients pile up from batch to batch: call optimizer.zero_grad() "
    "before each backward()",
    "no_clip": "the gradient is not clipped to `clip` before the step: call "
    "nn.utils.clip_grad_norm_(model.parameters(), clip) between backward() and step()",
    "no_train_mode": "the model stays in evaluation mode (dropout off): call model.train() first",
}


def _epoch_batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [tiny_pairs(seed) for seed in range(3)]


def _flawed_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    *,
    batches: Sequence[tuple[torch.Tensor, torch.Tensor]],
    flaw: str,
) -> None:
    """One epoch with one usual mistake (never the right loop)."""
    if flaw not in EPOCH_MISTAKES:
        raise ValueError(f"unknown mistake {flaw!r}")
    model.train(flaw != "no_train_mode")
    for src, tgt in batches:
        logits = model(src, tgt[:, :-1])
        loss = nn.functional.cross_entropy(
            logits.reshape(-1, logits.size(-1)), tgt[:, 1:].reshape(-1), ignore_index=PAD
        )
        if flaw != "no_zero_grad":
            optimizer.zero_grad()
        loss.backward()
        if flaw != "no_clip":
            nn.utils.clip_grad_norm_(model.parameters(), EPOCH_CLIP)
        optimizer.step()


def _one_epoch(run: Callable[[nn.Module, torch.optim.Optimizer], Any]) -> tuple[Any, nn.Module]:
    """From the same weights and the same dropout draws: what `run` returns, and the model."""
    model = tiny_seq2seq(dropout=0.2)
    model.eval()  # the loop itself must switch to training mode
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    torch.manual_seed(1)
    return run(model, optimizer), model


def _gap(a: nn.Module, b: nn.Module) -> float:
    return max(
        float((p - q).detach().abs().max())
        for p, q in zip(a.parameters(), b.parameters(), strict=True)
    )


def check_train_epoch(candidate: Function, reference: Function) -> None:
    batches = _epoch_batches()
    got, mine = _one_epoch(lambda m, o: candidate(m, copy.deepcopy(batches), o, clip=EPOCH_CLIP))
    expected, theirs = _one_epoch(lambda m, o: reference(m, batches, o, clip=EPOCH_CLIP))
    before = tiny_seq2seq(dropout=0.2)
    if _gap(mine, before) == 0:
        raise AssertionError("the weights did not change: call optimizer.step() after backward()")
    gap = _gap(mine, theirs)
    if gap > 1e-5:
        for flaw, message in EPOCH_MISTAKES.items():
            _, wrong = _one_epoch(functools.partial(_flawed_epoch, batches=batches, flaw=flaw))
            if _gap(mine, wrong) <= 1e-5:
                raise AssertionError(message)
        raise AssertionError(
            f"after one epoch from the same weights, yours differ from the reference's by "
            f"up to {gap:.2e}"
        )
    if not isinstance(got, float | int | torch.Tensor) or not math.isclose(
        float(got), float(expected), rel_tol=1e-5
    ):
        raise AssertionError(
            f"return the mean of the batches' losses as a float ({float(expected):.4f} here), "
            f"not {got!r}"
        )


# ---------------------------------------------------------------------------------------
# greedy
# ---------------------------------------------------------------------------------------

COUNT_SOURCES = torch.tensor([[5, 7], [10, 16], [20, 21]])
"""Row r of the counting translator says src[r, 0] .. src[r, 1], then </s>."""


def check_greedy(candidate: Function, reference: Function) -> None:
    counting = CountingTranslator(limit=50)
    for max_len in (12, 3):
        got = candidate(counting, COUNT_SOURCES.clone(), max_len=max_len)
        _same_sentences(got, reference(counting, COUNT_SOURCES, max_len=max_len), max_len)
    model, (src, _) = tiny_seq2seq(), tiny_pairs()
    model.eval()
    with torch.no_grad():
        got = candidate(copy.deepcopy(model), src.clone(), max_len=6)
        expected = reference(model, src, max_len=6)
    _same_sentences(
        got,
        expected,
        6,
        otherwise="on a small Seq2Seq the sentences differ: take the argmax of the "
        "log-probabilities over the vocabulary (the last axis)",
    )


def _same_sentences(
    got: Any, expected: list[list[int]], max_len: int, *, otherwise: str | None = None
) -> None:
    """Raise, naming the mistake, unless `got` is `expected`."""
    if not isinstance(got, list) or not all(isinstance(row, list) for row in got):
        raise AssertionError(f"return one list of token ids per source row, not {got!r:.60}")
    got = [[int(t) for t in row] for row in got]
    if got == expected:
        return
    if len(got) != len(expected):
        raise AssertionError(f"{len(got)} sentences for {len(expected)} source rows")
    pairs = list(zip(got, expected, strict=True))
    if any(EOS in row for row in got):
        raise AssertionError("leave </s> and everything after it out of each sentence")
    if any(len(row) > max_len for row in got):
        raise AssertionError(f"stop after max_len = {max_len} tokens")
    if any(row[: len(want)] == want and len(row) > len(want) for row, want in pairs):
        raise AssertionError("a row goes on after its </s>: cut each sentence at its first </s>")
    if any(len(set(row)) == 1 and len(set(want)) > 1 for row, want in pairs):
        raise AssertionError(
            "each row repeats one token: feed the token just chosen back in as the next input"
        )
    if all(row[1:] == want[: len(row) - 1] and row[:1] != want[:1] for row, want in pairs):
        raise AssertionError("start every row with <s> (BOS): the decoder learnt to read it first")
    if any(want[: len(row)] == row and len(row) < len(want) for row, want in pairs):
        raise AssertionError(
            "a sentence stops too early: go on until every row has said </s> (or max_len)"
        )
    raise AssertionError(otherwise or f"got {got}, expected {expected}")


# ---------------------------------------------------------------------------------------
# bleu_score
# ---------------------------------------------------------------------------------------

BLEU_CASES: tuple[tuple[list[str], list[str]], ...] = (
    (
        ["私 は 学生 で す 。", "彼 は 医者 で す 。"],
        ["私 は 学生 で す 。", "彼 は 医者 で す 。"],
    ),
    (
        ["私 は 学生 で す 。", "猫 が 好き で す", "彼 は 彼 は 彼 は 医者 で す"],
        ["私 は 学生 で す 。", "猫 が とても 好き で す 。", "彼 は 医者 で す 。"],
    ),
    (
        ["今日 は 晴れ で す", "私 は 犬 が 好き"],
        ["今日 は とても 晴れ て い ま す 。", "私 は 犬 が 好き で す 。"],
    ),
    (
        ["a a a a b c d e", "x y z w v"],
        ["a b c d e f", "x y z w q r s t u"],
    ),
)
"""Corpora on which every n-gram order has a match, so sacrebleu's smoothing of zero
counts plays no part; the second needs clipping, the third and fourth the brevity penalty."""

BLEU_MISTAKES = {
    "unclipped": "n-gram matches are not clipped: count each n-gram at most as often as it "
    "occurs in the reference",
    "no_brevity": "the brevity penalty is missing: multiply by exp(1 - r/c) when the "
    "hypotheses (c tokens) are shorter than the references (r tokens)",
    "brevity_inverted": "the brevity penalty is upside down: exp(1 - r/c), with r the "
    "reference length and c the hypothesis length",
    "brevity_always": "the brevity penalty applies only when the hypotheses are shorter than "
    "the references (otherwise it is 1)",
    "sentence_mean": "this is the mean of sentence scores: corpus BLEU adds the counts over "
    "all sentences first, then divides",
    "arithmetic": "the precisions are averaged arithmetically: BLEU takes their geometric "
    "mean, exp(mean of log p_n)",
    "three_grams": "use n = 1, 2, 3 and 4 (four precisions)",
    "recall": "divide the matches by the hypothesis's n-grams, not the reference's",
}


def _counts(
    hypotheses: Sequence[str], references: Sequence[str], *, clip: bool, max_n: int
) -> tuple[list[int], list[int], list[int], int, int]:
    """Matches, hypothesis n-grams and reference n-grams per order, and both lengths."""
    matches, totals, ref_totals = [0] * max_n, [0] * max_n, [0] * max_n
    hyp_len = ref_len = 0
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        hyp, ref = hypothesis.split(), reference.split()
        hyp_len, ref_len = hyp_len + len(hyp), ref_len + len(ref)
        for n in range(1, max_n + 1):
            mine = Counter(tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1))
            theirs = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
            found = (min(c, theirs[g]) if clip else c * (g in theirs) for g, c in mine.items())
            matches[n - 1] += sum(found)
            totals[n - 1] += sum(mine.values())
            ref_totals[n - 1] += sum(theirs.values())
    return matches, totals, ref_totals, hyp_len, ref_len


def _flawed_bleu(hypotheses: Sequence[str], references: Sequence[str], flaw: str) -> float:
    """BLEU (0-100) computed with one usual mistake (never the right one)."""
    if flaw not in BLEU_MISTAKES:
        raise ValueError(f"unknown mistake {flaw!r}")
    if flaw == "sentence_mean":
        scores = [
            _flawed_bleu([h], [r], "no_brevity") * _brevity(len(h.split()), len(r.split()))
            for h, r in zip(hypotheses, references, strict=True)
        ]
        return sum(scores) / len(scores)
    max_n = 3 if flaw == "three_grams" else 4
    matches, totals, ref_totals, c, r = _counts(
        hypotheses, references, clip=flaw != "unclipped", max_n=max_n
    )
    below = ref_totals if flaw == "recall" else totals
    precisions = [m / t if t else 0.0 for m, t in zip(matches, below, strict=True)]
    if min(precisions) == 0:
        return 0.0
    if flaw == "arithmetic":
        mean = sum(precisions) / max_n
    else:
        mean = math.exp(sum(math.log(p) for p in precisions) / max_n)
    penalty = {
        "no_brevity": 1.0,
        "brevity_inverted": math.exp(1 - c / r) if c < r else 1.0,
        "brevity_always": math.exp(1 - r / c) if c else 0.0,
    }.get(flaw, _brevity(c, r))
    return 100.0 * penalty * mean


def _brevity(c: int, r: int) -> float:
    if c == 0:
        return 0.0
    return 1.0 if c >= r else math.exp(1 - r / c)


def _sacrebleu_score(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """What the homework is graded by: sacrebleu on the tokens as given."""
    return float(sacrebleu.corpus_bleu(list(hypotheses), [list(references)], tokenize="none").score)


@contextmanager
def _without_sacrebleu() -> Iterator[None]:
    """sacrebleu judges the check, so the candidate may not ask it: its BLEU refuses to be
    made or to compute while the candidate runs."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(
            "compute BLEU yourself: sacrebleu is what your score is checked against"
        )

    judge = sacrebleu.metrics.bleu.BLEU
    saved = {name: judge.__dict__[name] for name in ("__init__", "compute_bleu")}
    setattr(judge, "__init__", refuse)  # noqa: B010 (mypy: no assigning to a method)
    setattr(judge, "compute_bleu", staticmethod(refuse))  # noqa: B010
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(judge, name, value)


def check_bleu_score(candidate: Function) -> None:
    """Against sacrebleu itself, the homework's judge."""
    for hypotheses, references in BLEU_CASES:
        with _without_sacrebleu():
            got = candidate(list(hypotheses), list(references))
        expected = _sacrebleu_score(hypotheses, references)
        if not isinstance(got, float | int) or isinstance(got, bool):
            raise AssertionError(f"return one float, not a {type(got).__name__}")
        if math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9):
            continue
        if math.isclose(100 * got, expected, rel_tol=1e-6):
            raise AssertionError("report BLEU on sacrebleu's 0-100 scale (multiply by 100)")
        for flaw, message in BLEU_MISTAKES.items():
            if math.isclose(got, _flawed_bleu(hypotheses, references, flaw), rel_tol=1e-6):
                raise AssertionError(message)
        raise AssertionError(
            f"got {got:.4f} where sacrebleu says {expected:.4f} on {len(hypotheses)} sentences"
        )
