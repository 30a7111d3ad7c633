"""Lesson 4's exercise checks reject the mistakes students make, each with its own
sentence, and accept the reference versions. The checks are the notebook's own
(`practicum.lessons.lesson4.checks`), so what passes here passes there."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import sacrebleu
import torch
from torch import nn

from practicum.coursework import exercise
from practicum.lessons.lesson4 import checks, checks_attention
from practicum.lessons.lesson4.attention import MultiHeadAttention
from practicum.lessons.lesson4.attention import masked_attention as reference_attention
from practicum.lessons.lesson4.bleu import bleu_score as reference_bleu
from practicum.lessons.lesson4.decode import beam_search as reference_beam
from practicum.lessons.lesson4.decode import greedy as reference_greedy
from practicum.lessons.lesson4.text import BOS, EOS, PAD
from practicum.lessons.lesson4.text import pad_batch as reference_pad_batch
from practicum.lessons.lesson4.transformer import positional_encoding as reference_pe
from practicum.lessons.lesson4.translate import teacher_forcing_loss as reference_loss
from practicum.lessons.lesson4.translate import train_epoch as reference_epoch

# --- pad_batch ---------------------------------------------------------------------------


def pad_left(sequences: list[list[int]], *, pad: int = PAD) -> torch.Tensor:
    longest = max(len(s) for s in sequences)
    return torch.tensor([[pad] * (longest - len(s)) + s for s in sequences])


def pad_float(sequences: list[list[int]], *, pad: int = PAD) -> torch.Tensor:
    return reference_pad_batch(sequences, pad=pad).float()


def pad_zero(sequences: list[list[int]], *, pad: int = PAD) -> torch.Tensor:
    return reference_pad_batch(sequences)


def pad_list(sequences: list[list[int]], *, pad: int = PAD) -> list[list[int]]:
    longest = max(len(s) for s in sequences)
    return [s + [pad] * (longest - len(s)) for s in sequences]


def pad_fixed(sequences: list[list[int]], *, pad: int = PAD) -> torch.Tensor:
    return torch.tensor([s + [pad] * (10 - len(s)) for s in sequences])


# --- teacher_forcing_loss ----------------------------------------------------------------


def _loss(
    model: nn.Module,
    inputs: torch.Tensor,
    src: torch.Tensor,
    targets: torch.Tensor,
    **options: Any,
) -> torch.Tensor:
    logits = model(src, inputs)
    return nn.functional.cross_entropy(
        logits.reshape(-1, logits.size(-1)), targets.reshape(-1), **options
    )


def loss_unshifted(model: nn.Module, src: torch.Tensor, tgt: torch.Tensor, **_: Any) -> Any:
    return _loss(model, tgt, src, tgt, ignore_index=PAD)


def loss_unshifted_cut(model: nn.Module, src: torch.Tensor, tgt: torch.Tensor, **_: Any) -> Any:
    return _loss(model, tgt[:, :-1], src, tgt[:, :-1], ignore_index=PAD)


def loss_backwards(model: nn.Module, src: torch.Tensor, tgt: torch.Tensor, **_: Any) -> Any:
    return _loss(model, tgt[:, 1:], src, tgt[:, :-1], ignore_index=PAD)


def loss_with_pad(model: nn.Module, src: torch.Tensor, tgt: torch.Tensor, **_: Any) -> Any:
    return _loss(model, tgt[:, :-1], src, tgt[:, 1:])


def loss_summed(model: nn.Module, src: torch.Tensor, tgt: torch.Tensor, **_: Any) -> Any:
    return _loss(model, tgt[:, :-1], src, tgt[:, 1:], ignore_index=PAD, reduction="sum")


def loss_detached(model: nn.Module, src: torch.Tensor, tgt: torch.Tensor, **_: Any) -> Any:
    return reference_loss(model, src, tgt).detach()


def loss_no_smoothing(
    model: nn.Module, src: torch.Tensor, tgt: torch.Tensor, *, label_smoothing: float = 0.0
) -> Any:
    return reference_loss(model, src, tgt)


# --- train_epoch -------------------------------------------------------------------------


def _epoch(
    model: nn.Module,
    batches: Any,
    optimizer: torch.optim.Optimizer,
    clip: float,
    *,
    zero_grad: bool = True,
    clip_at: str = "before step",
    train_mode: bool = True,
    step: bool = True,
    result: str = "mean",
) -> float:
    if train_mode:
        model.train()
    losses = []
    for src, tgt in batches:
        loss = reference_loss(model, src, tgt)
        if zero_grad:
            optimizer.zero_grad()
        loss.backward()
        if clip_at == "before step":
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        if step:
            optimizer.step()
        if clip_at == "after step":
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        losses.append(loss.item())
    return losses[-1] if result == "last" else sum(losses) / len(losses)


def epoch_no_zero_grad(model: Any, batches: Any, optimizer: Any, *, clip: float = 1.0) -> float:
    return _epoch(model, batches, optimizer, clip, zero_grad=False)


def epoch_no_clip(model: Any, batches: Any, optimizer: Any, *, clip: float = 1.0) -> float:
    return _epoch(model, batches, optimizer, clip, clip_at="never")


def epoch_clip_after_step(model: Any, batches: Any, optimizer: Any, *, clip: float = 1.0) -> float:
    return _epoch(model, batches, optimizer, clip, clip_at="after step")


def epoch_clip_fixed(model: Any, batches: Any, optimizer: Any, *, clip: float = 1.0) -> float:
    return _epoch(model, batches, optimizer, 1.0)


def epoch_eval_mode(model: Any, batches: Any, optimizer: Any, *, clip: float = 1.0) -> float:
    return _epoch(model, batches, optimizer, clip, train_mode=False)


def epoch_no_step(model: Any, batches: Any, optimizer: Any, *, clip: float = 1.0) -> float:
    return _epoch(model, batches, optimizer, clip, step=False)


def epoch_last_loss(model: Any, batches: Any, optimizer: Any, *, clip: float = 1.0) -> float:
    return _epoch(model, batches, optimizer, clip, result="last")


# --- greedy ------------------------------------------------------------------------------


def _search(
    model: Any,
    src: torch.Tensor,
    max_len: int,
    *,
    feed_back: bool = True,
    cut: str = "at eos",
    stop: str = "all",
    first: int = BOS,
) -> list[list[int]]:
    with torch.no_grad():
        state = model.start(src)
        tokens = torch.full((src.size(0),), first, dtype=torch.long)
        chosen, done = [], torch.zeros(src.size(0), dtype=torch.bool)
        for _ in range(max_len if stop != "unbounded" else 1000):
            log_probs, state = model.step(
                state, tokens if feed_back else torch.full_like(tokens, BOS)
            )
            tokens = log_probs.argmax(dim=-1)
            chosen.append(tokens)
            done |= tokens == EOS
            if (stop != "any" and done.all()) or (stop == "any" and done.any()):
                break
    rows = torch.stack(chosen, dim=1).tolist()
    if cut == "at eos":
        return [row[: row.index(EOS)] if EOS in row else row for row in rows]
    if cut == "drop eos":
        return [[t for t in row if t != EOS] for row in rows]
    return rows


def greedy_no_feedback(model: Any, src: torch.Tensor, *, max_len: int) -> list[list[int]]:
    return _search(model, src, max_len, feed_back=False)


def greedy_keeps_eos(model: Any, src: torch.Tensor, *, max_len: int) -> list[list[int]]:
    return _search(model, src, max_len, cut="never")


def greedy_drops_only_eos(model: Any, src: torch.Tensor, *, max_len: int) -> list[list[int]]:
    return _search(model, src, max_len, cut="drop eos")


def greedy_stops_at_first(model: Any, src: torch.Tensor, *, max_len: int) -> list[list[int]]:
    return _search(model, src, max_len, stop="any")


def greedy_no_max_len(model: Any, src: torch.Tensor, *, max_len: int) -> list[list[int]]:
    return _search(model, src, max_len, stop="unbounded")


def greedy_starts_with_pad(model: Any, src: torch.Tensor, *, max_len: int) -> list[list[int]]:
    return _search(model, src, max_len, first=PAD)


# --- bleu_score --------------------------------------------------------------------------


def _bleu(
    hypotheses: list[str],
    references: list[str],
    *,
    clip: bool = True,
    brevity: str = "when short",
    orders: int = 4,
    mean: str = "geometric",
    scale: float = 100.0,
) -> float:
    matches, totals, c, r = [0] * orders, [0] * orders, 0, 0
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        hyp, ref = hypothesis.split(), reference.split()
        c, r = c + len(hyp), r + len(ref)
        for n in range(1, orders + 1):
            mine = Counter(tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1))
            theirs = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
            matches[n - 1] += sum(
                min(k, theirs[g]) if clip else k * (g in theirs) for g, k in mine.items()
            )
            totals[n - 1] += sum(mine.values())
    precisions = [m / t for m, t in zip(matches, totals, strict=True)]
    if min(precisions) == 0:
        return 0.0
    if mean == "geometric":
        average = math.exp(sum(math.log(p) for p in precisions) / orders)
    else:
        average = sum(precisions) / orders
    penalty = {
        "when short": math.exp(1 - r / c) if c < r else 1.0,
        "never": 1.0,
        "inverted": math.exp(1 - c / r) if c < r else 1.0,
        "always": math.exp(1 - r / c),
    }[brevity]
    return scale * penalty * average


def bleu_unclipped(hypotheses: list[str], references: list[str]) -> float:
    return _bleu(hypotheses, references, clip=False)


def bleu_no_brevity(hypotheses: list[str], references: list[str]) -> float:
    return _bleu(hypotheses, references, brevity="never")


def bleu_inverted_brevity(hypotheses: list[str], references: list[str]) -> float:
    return _bleu(hypotheses, references, brevity="inverted")


def bleu_brevity_always(hypotheses: list[str], references: list[str]) -> float:
    return _bleu(hypotheses, references, brevity="always")


def bleu_three_orders(hypotheses: list[str], references: list[str]) -> float:
    return _bleu(hypotheses, references, orders=3)


def bleu_arithmetic(hypotheses: list[str], references: list[str]) -> float:
    return _bleu(hypotheses, references, mean="arithmetic")


def bleu_fraction(hypotheses: list[str], references: list[str]) -> float:
    return _bleu(hypotheses, references, scale=1.0)


def bleu_by_sacrebleu(hypotheses: list[str], references: list[str]) -> float:
    return float(sacrebleu.corpus_bleu(hypotheses, [references], tokenize="none").score)


def bleu_by_sacrebleu_object(hypotheses: list[str], references: list[str]) -> float:
    return float(sacrebleu.BLEU(tokenize="none").corpus_score(hypotheses, [references]).score)


def bleu_sentence_mean(hypotheses: list[str], references: list[str]) -> float:
    scores = [_bleu([h], [r]) for h, r in zip(hypotheses, references, strict=True)]
    return sum(scores) / len(scores)


# --- the cases ---------------------------------------------------------------------------

Check = Callable[..., None]
WRONG: list[tuple[Check, Callable[..., Any], Callable[..., Any] | None, str]] = [
    (checks.check_pad_batch, pad_left, reference_pad_batch, "padding goes after"),
    (checks.check_pad_batch, pad_float, reference_pad_batch, "int64"),
    (checks.check_pad_batch, pad_zero, reference_pad_batch, "the `pad` id you are given"),
    (checks.check_pad_batch, pad_list, reference_pad_batch, "return a tensor"),
    (checks.check_pad_batch, pad_fixed, reference_pad_batch, "as long as the longest"),
    (checks.check_teacher_forcing_loss, loss_unshifted, reference_loss, "not shifted"),
    (checks.check_teacher_forcing_loss, loss_unshifted_cut, reference_loss, "not shifted"),
    (checks.check_teacher_forcing_loss, loss_backwards, reference_loss, "wrong way"),
    (checks.check_teacher_forcing_loss, loss_with_pad, reference_loss, "ignore_index=PAD"),
    (checks.check_teacher_forcing_loss, loss_summed, reference_loss, "summed"),
    (checks.check_teacher_forcing_loss, loss_detached, reference_loss, "stay in the graph"),
    (checks.check_teacher_forcing_loss, loss_no_smoothing, reference_loss, "label_smoothing"),
    (checks.check_train_epoch, epoch_no_zero_grad, reference_epoch, "zero_grad()"),
    (checks.check_train_epoch, epoch_no_clip, reference_epoch, "not clipped"),
    (checks.check_train_epoch, epoch_clip_after_step, reference_epoch, "not clipped"),
    (checks.check_train_epoch, epoch_clip_fixed, reference_epoch, "not clipped to `clip`"),
    (checks.check_train_epoch, epoch_eval_mode, reference_epoch, "model.train()"),
    (checks.check_train_epoch, epoch_no_step, reference_epoch, "optimizer.step()"),
    (checks.check_train_epoch, epoch_last_loss, reference_epoch, "mean of the batches' losses"),
    (checks.check_greedy, greedy_no_feedback, reference_greedy, "feed the token just chosen"),
    (checks.check_greedy, greedy_keeps_eos, reference_greedy, "leave </s>"),
    (checks.check_greedy, greedy_drops_only_eos, reference_greedy, "cut each sentence"),
    (checks.check_greedy, greedy_stops_at_first, reference_greedy, "stops too early"),
    (checks.check_greedy, greedy_no_max_len, reference_greedy, "max_len = 3"),
    (checks.check_greedy, greedy_starts_with_pad, reference_greedy, "start every row with <s>"),
    (checks.check_bleu_score, bleu_unclipped, None, "not clipped"),
    (checks.check_bleu_score, bleu_no_brevity, None, "brevity penalty is missing"),
    (checks.check_bleu_score, bleu_inverted_brevity, None, "upside down"),
    (checks.check_bleu_score, bleu_brevity_always, None, "only when the hypotheses are shorter"),
    (checks.check_bleu_score, bleu_three_orders, None, "n = 1, 2, 3 and 4"),
    (checks.check_bleu_score, bleu_arithmetic, None, "geometric"),
    (checks.check_bleu_score, bleu_fraction, None, "0-100"),
    (checks.check_bleu_score, bleu_sentence_mean, None, "mean of sentence scores"),
    (checks.check_bleu_score, bleu_by_sacrebleu, None, "compute BLEU yourself"),
    (checks.check_bleu_score, bleu_by_sacrebleu_object, None, "compute BLEU yourself"),
]


@pytest.mark.parametrize(
    ("check", "wrong", "reference", "says"), WRONG, ids=[w[1].__name__ for w in WRONG]
)
def test_a_usual_mistake_is_caught_and_named(
    check: Check, wrong: Callable[..., Any], reference: Callable[..., Any] | None, says: str
) -> None:
    with pytest.raises(AssertionError) as raised:
        check(wrong) if reference is None else check(wrong, reference)
    message = str(raised.value)
    assert says in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("check", "reference"),
    [
        (checks.check_pad_batch, reference_pad_batch),
        (checks.check_teacher_forcing_loss, reference_loss),
        (checks.check_train_epoch, reference_epoch),
        (checks.check_greedy, reference_greedy),
    ],
    ids=["pad_batch", "teacher_forcing_loss", "train_epoch", "greedy"],
)
def test_the_reference_passes(check: Check, reference: Callable[..., Any]) -> None:
    check(reference, reference)


def test_the_reference_bleu_passes_and_the_cases_need_no_smoothing() -> None:
    checks.check_bleu_score(reference_bleu)
    for hypotheses, references in checks.BLEU_CASES:
        assert all(checks._counts(hypotheses, references, clip=True, max_n=4)[0])


def test_the_notebook_shows_one_line_verdicts(capsys: pytest.CaptureFixture[str]) -> None:
    chosen = exercise.checked(
        epoch_no_zero_grad, reference=reference_epoch, check=checks.check_train_epoch
    )
    assert chosen is reference_epoch
    verdict = capsys.readouterr().out.strip()
    assert verdict.startswith("✗ epoch_no_zero_grad: wrong: the gradients pile up")
    assert verdict.endswith("using the reference version so the notebook can go on")
    assert "\n" not in verdict


# === Section 4: attention, multi-head attention, beam search, positional encodings =====
# The checks are `practicum.lessons.lesson4.checks_attention`, the notebook's own.


def _scores(q: torch.Tensor, k: torch.Tensor, scale: float | None = None) -> torch.Tensor:
    return q @ k.transpose(-2, -1) / (math.sqrt(q.size(-1)) if scale is None else scale)


def _attend(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None,
    *,
    dim: int = -1,
    scale: float | None = None,
    use_mask: bool = True,
    invert: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    scores = _scores(q, k, scale)
    if mask is not None and use_mask:
        scores = scores.masked_fill(mask if invert else ~mask, float("-inf"))
    weights = torch.softmax(scores, dim=dim)
    return weights @ v, weights


def attention_over_queries(q: Any, k: Any, v: Any, mask: Any = None) -> Any:
    return _attend(q, k, v, mask, dim=-2)


def attention_over_dim_1(q: Any, k: Any, v: Any, mask: Any = None) -> Any:
    return _attend(q, k, v, mask, dim=1)


def attention_without_mask(q: Any, k: Any, v: Any, mask: Any = None) -> Any:
    return _attend(q, k, v, mask, use_mask=False)


def attention_mask_inverted(q: Any, k: Any, v: Any, mask: Any = None) -> Any:
    return _attend(q, k, v, mask, invert=True)


def attention_unscaled(q: Any, k: Any, v: Any, mask: Any = None) -> Any:
    return _attend(q, k, v, mask, scale=1.0)


def attention_scaled_by_d(q: Any, k: Any, v: Any, mask: Any = None) -> Any:
    return _attend(q, k, v, mask, scale=float(q.size(-1)))


def attention_masked_after_softmax(q: Any, k: Any, v: Any, mask: Any = None) -> Any:
    weights = torch.softmax(_scores(q, k), dim=-1)
    if mask is not None:
        weights = weights * mask
    return weights @ v, weights


def attention_context_of_keys(q: Any, k: Any, v: Any, mask: Any = None) -> Any:
    _, weights = _attend(q, k, v, mask)
    return weights @ k, weights


def attention_context_only(q: Any, k: Any, v: Any, mask: Any = None) -> Any:
    return _attend(q, k, v, mask)[0]


class HeadsInterleaved(MultiHeadAttention):
    """Cuts the last axis as (d / heads, heads): each head gets every heads-th dimension."""

    def forward(self, query: Any, key: Any, value: Any, mask: Any = None) -> Any:
        def split(x: torch.Tensor) -> torch.Tensor:
            b, t, d = x.shape
            return x.view(b, t, d // self.heads, self.heads).permute(0, 3, 1, 2)

        q, k, v = split(self.q(query)), split(self.k(key)), split(self.v(value))
        head_mask = None if mask is None else mask.unsqueeze(1)
        context, self.weights = reference_attention(q, k, v, head_mask)
        b, _, t, _ = context.shape
        return self.out(context.transpose(1, 2).reshape(b, t, -1))


class HeadsWithoutMask(MultiHeadAttention):
    def forward(self, query: Any, key: Any, value: Any, mask: Any = None) -> Any:
        return _heads(self, query, key, value, None)


class HeadsWithoutOut(MultiHeadAttention):
    def forward(self, query: Any, key: Any, value: Any, mask: Any = None) -> Any:
        return _heads(self, query, key, value, mask, project=False)


class HeadsWeightsNotKept(MultiHeadAttention):
    def forward(self, query: Any, key: Any, value: Any, mask: Any = None) -> Any:
        out = _heads(self, query, key, value, mask)
        self.weights = None
        return out


class HeadsWeightsAveraged(MultiHeadAttention):
    def forward(self, query: Any, key: Any, value: Any, mask: Any = None) -> Any:
        out = _heads(self, query, key, value, mask)
        self.weights = self.weights.mean(dim=1)
        return out


def _heads(
    module: MultiHeadAttention,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    mask: torch.Tensor | None,
    *,
    project: bool = True,
) -> torch.Tensor:
    def split(x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        return x.view(b, t, module.heads, d // module.heads).transpose(1, 2)

    q, k, v = split(module.q(query)), split(module.k(key)), split(module.v(value))
    head_mask = None if mask is None else mask.unsqueeze(1)
    context, module.weights = reference_attention(q, k, v, head_mask)
    b, _, t, _ = context.shape
    merged = context.transpose(1, 2).reshape(b, t, -1)
    return module.out(merged) if project else merged


def _beam(
    model: Any,
    src: torch.Tensor,
    beam: int,
    max_len: int,
    alpha: float,
    *,
    finished: str = "kept",
    start: str = "one",
    normalise: bool = True,
    penalty: str = "wu",
    stop: str = "all ended",
) -> list[list[int]]:
    """A row-by-row beam search as a student writes it, with one mistake switched on."""
    out = []
    for r in range(src.size(0)):
        state = model.start(src[r : r + 1])
        hypotheses = [([], 0.0, state)] * (1 if start == "one" else beam)
        for _ in range(max_len):
            candidates = []
            for tokens, score, st in hypotheses:
                if tokens and tokens[-1] == EOS and finished != "babble on":
                    candidates.append(([*tokens, EOS], score, st))
                    continue
                log_probs, new = model.step(st, torch.tensor([tokens[-1] if tokens else BOS]))
                for token, lp in enumerate(log_probs[0].tolist()):
                    if lp > float("-inf"):
                        candidates.append(([*tokens, token], score + lp, new))
            candidates.sort(key=lambda c: -c[1])
            if finished == "dropped":
                live = [c for c in candidates if EOS not in c[0]]
                hypotheses = live[:beam] or candidates[:beam]
            else:
                hypotheses = candidates[:beam]
            if all(EOS in h[0] for h in hypotheses) or (
                stop == "best ended" and EOS in hypotheses[0][0]
            ):
                break

        def key(h: tuple[list[int], float, Any]) -> float:
            tokens = h[0]
            length = tokens.index(EOS) + 1 if EOS in tokens else len(tokens)
            if not normalise:
                return h[1]
            return h[1] / (((5 + length) / 6) if penalty == "wu" else length) ** alpha

        best = max(hypotheses, key=key)[0]
        out.append(best[: best.index(EOS)] if EOS in best else best)
    return out


def beam_right(model: Any, src: Any, *, beam: int, max_len: int, alpha: float = 0.6) -> Any:
    return _beam(model, src, beam, max_len, alpha)


def beam_drops_finished(
    model: Any, src: Any, *, beam: int, max_len: int, alpha: float = 0.6
) -> Any:
    return _beam(model, src, beam, max_len, alpha, finished="dropped")


def beam_babbles_on(model: Any, src: Any, *, beam: int, max_len: int, alpha: float = 0.6) -> Any:
    return _beam(model, src, beam, max_len, alpha, finished="babble on")


def beam_starts_with_copies(
    model: Any, src: Any, *, beam: int, max_len: int, alpha: float = 0.6
) -> Any:
    return _beam(model, src, beam, max_len, alpha, start="copies")


def beam_raw_scores(model: Any, src: Any, *, beam: int, max_len: int, alpha: float = 0.6) -> Any:
    return _beam(model, src, beam, max_len, alpha, normalise=False)


def beam_stops_when_best_ends(
    model: Any, src: Any, *, beam: int, max_len: int, alpha: float = 0.6
) -> Any:
    return _beam(model, src, beam, max_len, alpha, stop="best ended")


def beam_divides_by_length(
    model: Any, src: Any, *, beam: int, max_len: int, alpha: float = 0.6
) -> Any:
    """Normalises by length ** alpha instead of Wu et al.'s ((5 + length) / 6) ** alpha."""
    return _beam(model, src, beam, max_len, alpha, penalty="length ** alpha")


def pe_swapped(length: int, d_model: int) -> torch.Tensor:
    table = reference_pe(length, d_model)
    return torch.stack([table[:, 1::2], table[:, 0::2]], dim=-1).reshape(length, d_model)


def pe_exponent_i(length: int, d_model: int) -> torch.Tensor:
    i = torch.arange(d_model // 2, dtype=torch.float64)
    angle = torch.arange(length, dtype=torch.float64)[:, None] / 10000 ** (i / d_model)
    return torch.stack([angle.sin(), angle.cos()], dim=-1).reshape(length, d_model).float()


def pe_halves(length: int, d_model: int) -> torch.Tensor:
    table = reference_pe(length, d_model)
    return torch.cat([table[:, 0::2], table[:, 1::2]], dim=1)


def pe_transposed(length: int, d_model: int) -> torch.Tensor:
    return reference_pe(length, d_model).T


def pe_numpy(length: int, d_model: int) -> Any:
    return reference_pe(length, d_model).numpy()


ATTENTION_WRONG: list[tuple[Check, Any, str]] = [
    (checks_attention.check_masked_attention, attention_over_queries, "over the last axis"),
    (checks_attention.check_masked_attention, attention_over_dim_1, "over the last axis"),
    (checks_attention.check_masked_attention, attention_without_mask, "masked keys get weight"),
    (checks_attention.check_masked_attention, attention_mask_inverted, "MAY look"),
    (checks_attention.check_masked_attention, attention_unscaled, "sqrt(d), d = query.size(-1)"),
    (checks_attention.check_masked_attention, attention_scaled_by_d, "not by d"),
    (
        checks_attention.check_masked_attention,
        attention_masked_after_softmax,
        "sum to 1 over the keys",
    ),
    (checks_attention.check_masked_attention, attention_context_of_keys, "weights @ value"),
    (checks_attention.check_masked_attention, attention_context_only, "(context, weights)"),
    (checks_attention.check_multi_head_attention, HeadsInterleaved, "right with 1 head"),
    (checks_attention.check_multi_head_attention, HeadsWithoutMask, "as if there were no mask"),
    (
        checks_attention.check_multi_head_attention,
        HeadsWithoutOut,
        "differs from nn.MultiheadAttention",
    ),
    (checks_attention.check_multi_head_attention, HeadsWeightsNotKept, "in self.weights"),
    (checks_attention.check_multi_head_attention, HeadsWeightsAveraged, "in self.weights"),
    (checks_attention.check_beam_search, beam_drops_finished, "keep a finished one in the beam"),
    (checks_attention.check_beam_search, beam_babbles_on, "only by </s>, at no cost"),
    (checks_attention.check_beam_search, beam_starts_with_copies, "not `beam` copies"),
    (checks_attention.check_beam_search, beam_raw_scores, "((5 + length) / 6) ** alpha"),
    (
        checks_attention.check_beam_search,
        beam_stops_when_best_ends,
        "until every hypothesis has ended",
    ),
    (checks_attention.check_beam_search, beam_divides_by_length, "the reference"),
    (checks_attention.check_positional_encoding, pe_swapped, "sine goes on the even dimensions"),
    (checks_attention.check_positional_encoding, pe_exponent_i, "not i / d_model"),
    (checks_attention.check_positional_encoding, pe_halves, "interleave them"),
    (checks_attention.check_positional_encoding, pe_transposed, "one row per position"),
    (checks_attention.check_positional_encoding, pe_numpy, "return a torch tensor"),
]


@pytest.mark.parametrize(
    ("check", "wrong", "says"), ATTENTION_WRONG, ids=[w[1].__name__ for w in ATTENTION_WRONG]
)
def test_a_usual_attention_or_search_mistake_is_caught_and_named(
    check: Check, wrong: Any, says: str
) -> None:
    with pytest.raises(AssertionError) as raised:
        check(wrong, reference_beam) if check is checks_attention.check_beam_search else check(
            wrong
        )
    message = str(raised.value)
    assert says in message
    assert "\n" not in message and message.count(": ") <= 2  # one sentence


def test_the_section_four_references_and_a_student_style_version_pass() -> None:
    checks_attention.check_masked_attention(reference_attention)
    checks_attention.check_multi_head_attention(MultiHeadAttention)
    checks_attention.check_beam_search(reference_beam, reference_beam)
    checks_attention.check_beam_search(beam_right, reference_beam)
    checks_attention.check_positional_encoding(reference_pe)


def test_the_toy_models_make_the_point_they_are_built_for() -> None:
    """Greedy misses the best sentence of GREEDY_MISSES; raw log-probability prefers the
    empty sentence of SHORT_BIAS and the length penalty does not; and the random models
    tell greedy, raw and normalised beams apart."""
    one = torch.zeros((1, 1), dtype=torch.long)
    assert reference_greedy(
        checks_attention.toy(checks_attention.GREEDY_MISSES), one, max_len=5
    ) == [[4, 6]]
    short = checks_attention.toy(checks_attention.SHORT_BIAS)
    assert reference_beam(short, one, beam=2, max_len=8, alpha=0.0) == [[]]
    assert reference_beam(short, one, beam=2, max_len=8, alpha=0.6) == [[4, 5, 6, 7, 8]]
    src = torch.tensor([[5, 6, 7, 8, 9], [4, 10, 0, 0, 0], [11, 5, 6, 0, 0], [7, 0, 0, 0, 0]])
    answers: dict[tuple[int, float], list[list[int]]] = {}
    for beam, alpha in ((1, 0.0), (3, 0.6), (4, 0.0), (3, 1.5)):  # greedy, then the check's
        answers[beam, alpha] = [
            row
            for seed in range(3)
            for row in reference_beam(
                checks_attention.RandomModel(seed), src, beam=beam, max_len=8, alpha=alpha
            )
        ]
    assert len({str(rows) for rows in answers.values()}) == 4
    assert len({len(row) for rows in answers.values() for row in rows}) >= 6


def test_a_wrong_attention_falls_back_with_a_one_line_verdict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    chosen = exercise.checked(
        attention_without_mask,
        reference=reference_attention,
        check=checks_attention.check_masked_attention,
    )
    assert chosen is reference_attention
    verdict = capsys.readouterr().out.strip()
    assert verdict.startswith("✗ attention_without_mask: wrong: 3 queries, 5 keys, the second")
    assert "masked keys get weight up to" in verdict and "\n" not in verdict
