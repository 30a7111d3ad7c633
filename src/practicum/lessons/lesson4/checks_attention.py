"""Lesson 4, Section 4: the checks of the student's attention, multi-head attention, beam
search and positional encodings.

Each check builds inputs on which the mistakes students really make give a different
answer (a softmax over the queries instead of the keys, a forgotten padding mask, heads
split the wrong way, raw log-probabilities deciding a beam, finished hypotheses dropped,
sine and cosine swapped) and raises AssertionError with one sentence saying which.

The expected answers come from PyTorch (`scaled_dot_product_attention`,
`nn.MultiheadAttention`), from the formulas themselves, or from the reference that
`exercise.checked` hands to a two-argument check. Nothing here imports a reference, so this
module binds none under a name a notebook could call.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from practicum.lessons.lesson4.seq2seq import Seq2Seq
from practicum.lessons.lesson4.text import BOS, EOS, PAD, pad_batch
from practicum.lessons.lesson4.toys import PrefixState, TableTranslator

# ---------------------------------------------------------------------------------------
# Masked scaled dot-product attention
# ---------------------------------------------------------------------------------------

Attention = Callable[..., Any]


def _expected_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """PyTorch's context, and its weights: attending to the identity matrix as values
    returns the weights themselves, so both come from `scaled_dot_product_attention`."""
    sdpa = nn.functional.scaled_dot_product_attention
    eye = torch.eye(k.size(-2)).expand(*k.shape[:-1], k.size(-2))
    return sdpa(q, k, v, attn_mask=mask), sdpa(q, k, eye, attn_mask=mask)


def _weights_with_scale(
    q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor | None, scale: float
) -> torch.Tensor:
    scores = q @ k.transpose(-2, -1) / scale
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1)


def attention_cases() -> list[tuple[str, tuple[torch.Tensor, ...], torch.Tensor | None]]:
    """(what, (query, key, value), mask): 3 queries over 5 keys, so the two axes of the
    weights cannot be mixed up unnoticed; then the second sentence padded after 3 keys;
    heads as an extra axis; a causal mask."""
    g = torch.Generator().manual_seed(4)
    q, k = torch.randn(2, 3, 8, generator=g), torch.randn(2, 5, 8, generator=g)
    v = torch.randn(2, 5, 6, generator=g)  # values of another size than the keys
    lengths = torch.tensor([5, 3])
    padding = (torch.arange(5) < lengths[:, None]).unsqueeze(1)  # (2, 1, 5)
    qh, kh, vh = (torch.randn(2, 2, n, 4, generator=g) for n in (3, 5, 5))
    x = torch.randn(1, 4, 8, generator=g)
    causal = torch.ones(4, 4, dtype=torch.bool).tril()
    return [
        ("3 queries, 5 keys, no mask", (q, k, v), None),
        ("3 queries, 5 keys, the second row padded after 3 keys", (q, k, v), padding),
        ("2 heads, padded keys", (qh, kh, vh), padding.unsqueeze(1)),
        ("4 positions with a causal mask", (x, x, x), causal),
    ]


def check_masked_attention(attention: Attention) -> None:
    """Context and weights equal PyTorch's on every case; says which mistake it sees."""
    for what, (q, k, v), mask in attention_cases():
        args = (q, k, v) if mask is None else (q, k, v, mask)
        result = attention(*args)
        if not isinstance(result, tuple) or len(result) != 2:
            raise AssertionError("return a pair (context, weights)")
        context, weights = (torch.as_tensor(r).detach() for r in result)
        expected_context, expected = _expected_attention(q, k, v, mask)
        if weights.shape != expected.shape:
            raise AssertionError(
                f"{what}: weights have shape {tuple(weights.shape)}, expected "
                f"{tuple(expected.shape)} (one weight per query and key)"
            )
        _diagnose_weights(what, q, k, mask, weights, expected)
        if context.shape != expected_context.shape:
            raise AssertionError(
                f"{what}: the context has shape {tuple(context.shape)}, expected "
                f"{tuple(expected_context.shape)} (weights @ value)"
            )
        if not torch.allclose(context, expected_context, rtol=1e-4, atol=1e-5):
            gap = (context - expected_context).abs().max()
            raise AssertionError(
                f"{what}: the weights are right but the context is off by up to {gap:.3g}: "
                "it is weights @ value"
            )


def _diagnose_weights(
    what: str,
    q: torch.Tensor,
    k: torch.Tensor,
    mask: torch.Tensor | None,
    weights: torch.Tensor,
    expected: torch.Tensor,
) -> None:
    if torch.allclose(weights, expected, rtol=1e-4, atol=1e-5):
        return
    if bool(weights.isnan().any()):
        raise AssertionError(
            f"{what}: some weights are NaN, as when every key of a query is masked: the "
            "mask is True where a query MAY look (fill the scores where it is False)"
        )
    ones = torch.ones(())
    over_keys, over_queries = weights.sum(-1), weights.sum(-2)
    if not torch.allclose(over_keys, ones, atol=1e-4):
        if torch.allclose(over_queries, ones, atol=1e-4):
            raise AssertionError(
                f"{what}: the weights sum to 1 over the queries, not over the keys: take "
                "the softmax over the last axis (dim=-1)"
            )
        raise AssertionError(
            f"{what}: each query's weights must sum to 1 over the keys (a softmax over "
            "dim=-1, after masking)"
        )
    if mask is not None:
        hidden = ~mask.expand_as(weights)
        leaked = weights[hidden].abs().max() if bool(hidden.any()) else torch.zeros(())
        if leaked > 1e-6:
            if float(weights[~hidden].abs().max()) < 1e-6:
                raise AssertionError(
                    f"{what}: all the weight goes to masked keys: the mask is True where a "
                    "query MAY look"
                )
            raise AssertionError(
                f"{what}: masked keys get weight up to {float(leaked):.3f}: set their scores "
                "to -inf where the mask is False, before the softmax"
            )
    d = q.size(-1)
    for scale, hint in (
        (1.0, "divide the scores by sqrt(d), d = query.size(-1)"),
        (float(d), "divide the scores by sqrt(d), not by d"),
        (math.sqrt(k.size(-2)), "divide by sqrt of the query size, not of the number of keys"),
    ):
        if torch.allclose(weights, _weights_with_scale(q, k, mask, scale), atol=1e-5):
            raise AssertionError(f"{what}: the scores are scaled wrongly: {hint}")
    gap = (weights - expected).abs().max()
    raise AssertionError(
        f"{what}: the weights differ from scaled_dot_product_attention's by up to {gap:.3g}"
    )


# ---------------------------------------------------------------------------------------
# Multi-head attention
# ---------------------------------------------------------------------------------------


def copy_into_torch(ours: Any, theirs: nn.MultiheadAttention) -> None:
    """Give `nn.MultiheadAttention` the weights of a module with q, k, v, out Linear layers."""
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.cat([ours.q.weight, ours.k.weight, ours.v.weight]))
        theirs.in_proj_bias.copy_(torch.cat([ours.q.bias, ours.k.bias, ours.v.bias]))
        theirs.out_proj.weight.copy_(ours.out.weight)
        theirs.out_proj.bias.copy_(ours.out.bias)


def copy_from_torch(ours: Any, theirs: nn.MultiheadAttention) -> None:
    """The other way: a trained Transformer layer's attention into a q, k, v, out module."""
    with torch.no_grad():
        d = theirs.embed_dim
        for i, name in enumerate(("q", "k", "v")):
            getattr(ours, name).weight.copy_(theirs.in_proj_weight[i * d : (i + 1) * d])
            getattr(ours, name).bias.copy_(theirs.in_proj_bias[i * d : (i + 1) * d])
        ours.out.weight.copy_(theirs.out_proj.weight)
        ours.out.bias.copy_(theirs.out_proj.bias)


def _pair(cls: Callable[..., nn.Module], heads: int) -> tuple[nn.Module, nn.MultiheadAttention]:
    with torch.random.fork_rng():
        torch.manual_seed(heads)
        ours = cls(16, heads)
        theirs = nn.MultiheadAttention(16, heads, batch_first=True)
    copy_into_torch(ours, theirs)
    return ours.eval(), theirs.eval()


def check_multi_head_attention(cls: Callable[..., nn.Module]) -> None:
    """Outputs and per-head weights equal `nn.MultiheadAttention`'s with the same weights:
    cross-attention from 4 queries to 6 padded keys, and causal self-attention."""
    g = torch.Generator().manual_seed(1)
    x, memory = torch.randn(3, 4, 16, generator=g), torch.randn(3, 6, 16, generator=g)
    pad = torch.zeros(3, 6, dtype=torch.bool)
    pad[0, 4:], pad[2, 2:] = True, True  # True at <pad>, as PyTorch's key_padding_mask
    causal = torch.ones(4, 4, dtype=torch.bool).tril()
    cases = [
        (
            "cross-attention, 4 queries over 6 padded keys",
            (x, memory, memory),
            (~pad)[:, None],
            pad,
            None,
        ),
        ("self-attention with a causal mask", (x, x, x), causal[None], None, ~causal),
    ]
    one_head_right = _multi_head_agrees(cls, 1, cases[0]) is None
    for case in cases:
        problem = _multi_head_agrees(cls, 4, case)
        if problem is None:
            continue
        if one_head_right and problem.startswith("output"):
            raise AssertionError(
                f"{case[0]}: right with 1 head, wrong with 4: split the last axis into "
                "(heads, d_model // heads) and move the heads before the positions"
            )
        raise AssertionError(f"{case[0]}: {problem}")


def _multi_head_agrees(
    cls: Callable[..., nn.Module], heads: int, case: tuple[Any, ...]
) -> str | None:
    _, (query, key, value), ours_mask, key_padding, attn_mask = case
    ours, theirs = _pair(cls, heads)
    with torch.no_grad():
        got = ours(query, key, value, ours_mask)
        expected, weights = theirs(
            query,
            key,
            value,
            key_padding_mask=key_padding,
            attn_mask=attn_mask,
            need_weights=True,
            average_attn_weights=False,
        )
        unmasked, _ = theirs(query, key, value)
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
        return f"returned {shape}, expected a tensor of shape {tuple(expected.shape)}"
    if not torch.allclose(got, expected, rtol=1e-4, atol=1e-5):
        if torch.allclose(got, unmasked, rtol=1e-4, atol=1e-5):
            return "output as if there were no mask: pass the mask on to the attention"
        return (
            f"output differs from nn.MultiheadAttention's by up to "
            f"{(got - expected).abs().max():.3g}"
        )
    kept = getattr(ours, "weights", None)
    if not isinstance(kept, torch.Tensor) or kept.shape != weights.shape:
        return f"keep the attention weights, shape {tuple(weights.shape)}, in self.weights"
    if not torch.allclose(kept.detach(), weights, rtol=1e-4, atol=1e-5):
        return "self.weights differ from nn.MultiheadAttention's per-head weights"
    return None


# ---------------------------------------------------------------------------------------
# Beam search: toy models whose best sentence is known
# ---------------------------------------------------------------------------------------

A, B, C, D, E = 4, 5, 6, 7, 8
NAMES = {BOS: "<s>", EOS: "</s>", A: "A", B: "B", C: "C", D: "D", E: "E"}
Tree = Mapping[tuple[int, ...], Mapping[int, float]]

GREEDY_MISSES: Tree = {
    (): {A: 0.6, B: 0.4},
    (A,): {C: 0.36, B: 0.34, EOS: 0.30},
    (A, C): {EOS: 1.0},
    (A, B): {EOS: 1.0},
    (B,): {EOS: 1.0},
}
"""Greedy takes A (0.6), then C: "A C" has probability 0.216; "B" (0.4) is better, and it
ends a step earlier than "A C", so a search that drops finished hypotheses loses it too."""

SHORT_BIAS: Tree = {
    (): {EOS: 0.5, A: 0.5},
    (A,): {B: 0.97, EOS: 0.03},
    (A, B): {C: 0.97, EOS: 0.03},
    (A, B, C): {D: 0.97, EOS: 0.03},
    (A, B, C, D): {E: 0.97, EOS: 0.03},
    (A, B, C, D, E): {EOS: 0.97, A: 0.03},
}
"""The empty sentence has probability 0.5, "A B C D E" 0.5 * 0.97**5 = 0.43: raw
log-probability prefers saying nothing; divided by the length penalty, the long one wins."""


def toy(tree: Tree) -> TableTranslator:
    return TableTranslator(tree, vocab_size=10)


class Babbling(TableTranslator):
    """A toy whose decoder, like a real one, is not stopped by saying `</s>`: fed it, it
    goes on with A or B (0.5 each). Only the search can stop it."""

    def step(self, state: PrefixState, tokens: torch.Tensor) -> tuple[torch.Tensor, PrefixState]:
        log_probs, state = super().step(state, tokens)
        ended = (state.fed == EOS).any(dim=1)
        log_probs[ended] = float("-inf")
        log_probs[ended, A] = log_probs[ended, B] = math.log(0.5)
        return log_probs, state


def probability(tree: Tree, sentence: list[int]) -> float:
    """Of `sentence` followed by `</s>`, under the toy model of `tree`."""
    return float(toy(tree).sentences().get((*sentence, EOS), 0.0))


def spell(ids: list[int]) -> str:
    return " ".join(NAMES.get(i, str(i)) for i in ids) or "(empty)"


def length_penalty(length: int, alpha: float) -> float:
    """Wu et al. (2016): ((5 + length) / 6) ** alpha, the length counting `</s>`."""
    return float(((5 + length) / 6) ** alpha)


Search = Callable[..., Any]


def _rows(search: Search, model: Any, src: torch.Tensor, **options: Any) -> list[list[int]]:
    rows = search(model, src, **options)
    if not isinstance(rows, list) or len(rows) != src.size(0):
        raise AssertionError(f"return one list of token ids per source row ({src.size(0)})")
    return [[int(t) for t in row] for row in rows]


def check_beam_search(search: Search, reference: Search) -> None:
    """Finds what greedy misses, keeps finished hypotheses, normalises by length, and
    agrees with the reference on a small random model (with and without normalisation)."""
    src = torch.zeros((2, 3), dtype=torch.long)
    tree = toy(GREEDY_MISSES)
    got = _rows(search, tree, src, beam=2, max_len=5)
    if got != [[B], [B]]:
        found = spell(got[0])
        if got[0] == [A, C]:
            raise AssertionError(
                f"beam 2 returned {found} (probability 0.216), greedy's answer, not B (0.4): "
                "start from one hypothesis (not `beam` copies of it), keep the best `beam` "
                "extensions of all hypotheses, and keep a finished one in the beam"
            )
        raise AssertionError(f"beam 2 returned {found}, expected B (probability 0.4)")
    if _rows(search, tree, src, beam=1, max_len=5) != [[A, C], [A, C]]:
        raise AssertionError("with beam=1 it must return greedy's answer, A C")
    got = _rows(search, Babbling(GREEDY_MISSES, vocab_size=10), src, beam=2, max_len=6)
    if got != [[B], [B]]:
        raise AssertionError(
            f"on a model that goes on talking after </s> it returned {spell(got[0])}, not B: "
            "extend a finished hypothesis only by </s>, at no cost, whatever the model says"
        )
    short = toy(SHORT_BIAS)
    long_ = [A, B, C, D, E]
    raw_long = math.log(probability(SHORT_BIAS, long_))
    normalised = raw_long / length_penalty(len(long_) + 1, 0.6)
    got = _rows(search, short, src, beam=2, max_len=8, alpha=0.6)
    if got[0] != long_:
        raise AssertionError(
            f"with alpha=0.6 it returned {spell(got[0])}; A B C D E (log-prob "
            f"{raw_long:.2f}, 6 tokens with </s>, normalised {normalised:.2f}) beats the "
            f"empty sentence ({math.log(0.5):.2f}): divide each finished score by "
            "((5 + length) / 6) ** alpha, and search on until every hypothesis has ended"
        )
    got = _rows(search, short, src, beam=2, max_len=8, alpha=0.0)
    if got[0] != []:
        raise AssertionError(
            f"with alpha=0 it returned {spell(got[0])}: without normalisation the raw "
            "log-probability decides, and the empty sentence (0.5) wins"
        )
    _agrees_on_random_model(search, reference)


class RandomModel:
    """Next-token log-probabilities drawn at random for each (source, prefix), the same
    every time they are asked for; `</s>` grows likelier as the sentence grows, so
    hypotheses end at different lengths and greedy, raw and normalised beams disagree."""

    def __init__(self, seed: int, vocab: int = 9, spread: float = 2.0) -> None:
        self.seed, self.vocab, self.spread = seed, vocab, spread

    def start(self, src: torch.Tensor) -> PrefixState:
        return PrefixState(src, torch.empty((src.size(0), 0), dtype=torch.long))

    def step(self, state: PrefixState, tokens: torch.Tensor) -> tuple[torch.Tensor, PrefixState]:
        prefix = torch.cat([state.fed, tokens.unsqueeze(1)], dim=1)
        out = torch.full((prefix.size(0), self.vocab), float("-inf"))
        for row, (source, ids) in enumerate(zip(state.src.tolist(), prefix.tolist(), strict=True)):
            if EOS in ids:
                out[row, EOS] = 0.0
                continue
            digest = hashlib.sha256(f"{self.seed}:{source}:{ids}".encode()).digest()
            g = torch.Generator().manual_seed(int.from_bytes(digest[:8], "little"))
            logits = torch.randn(self.vocab, generator=g) * self.spread
            logits[EOS] += 0.7 * len(ids) - 2.0
            logits[[PAD, BOS]] = float("-inf")
            out[row] = torch.log_softmax(logits, dim=-1)
        return out, PrefixState(state.src, prefix)


def random_seq2seq(seed: int = 0) -> Seq2Seq:
    """A tiny untrained attention LSTM (its states, padding and all), made confident."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = Seq2Seq(12, 12, embed=8, hidden=16, dropout=0.0, attention=True)
        with torch.no_grad():
            model.out.weight.mul_(6.0)
            model.out.bias[EOS] += 0.3
    return model.eval()


def _agrees_on_random_model(search: Search, reference: Search) -> None:
    src = pad_batch([[5, 6, 7, 8, 9], [4, 10], [11, 5, 6], [7]])
    models: list[tuple[str, Any]] = [
        (f"random model {seed}", RandomModel(seed)) for seed in range(3)
    ]
    models.append(("small untrained LSTM", random_seq2seq()))
    for name, model in models:
        for beam, alpha in ((3, 0.6), (4, 0.0), (3, 1.5)):
            options = {"beam": beam, "max_len": 8, "alpha": alpha}
            got = _rows(search, model, src, **options)
            expected = [[int(t) for t in row] for row in reference(model, src, **options)]
            for row, (mine, theirs) in enumerate(zip(got, expected, strict=True)):
                if mine != theirs:
                    raise AssertionError(
                        f"on a {name} (beam {beam}, alpha {alpha}), row {row} gave "
                        f"{mine}, the reference {theirs}"
                    )


# ---------------------------------------------------------------------------------------
# Positional encodings
# ---------------------------------------------------------------------------------------


def sinusoids(length: int, d_model: int) -> np.ndarray:
    """The formula of Vaswani et al. (2017), in numpy: PE[p, 2i] = sin(p / 10000^(2i/d)),
    PE[p, 2i+1] = cos(p / 10000^(2i/d))."""
    position = np.arange(length)[:, None]
    even = np.arange(0, d_model, 2)
    angles = position / 10000.0 ** (even / d_model)
    table = np.zeros((length, d_model))
    table[:, 0::2] = np.sin(angles)
    table[:, 1::2] = np.cos(angles[:, : d_model // 2])
    return table


def check_positional_encoding(encoding: Callable[[int, int], Any]) -> None:
    for length, d_model in ((50, 16), (7, 6)):
        table = encoding(length, d_model)
        if not isinstance(table, torch.Tensor):
            raise AssertionError(f"return a torch tensor, not {type(table).__name__}")
        got = table.detach().double().numpy()
        expected = sinusoids(length, d_model)
        if got.shape != expected.shape:
            raise AssertionError(
                f"shape {got.shape} for ({length}, {d_model}): one row per position"
            )
        if np.allclose(got, expected, atol=1e-5):
            continue
        if np.allclose(got[:, 0::2], expected[:, 1::2], atol=1e-5):
            raise AssertionError("sine goes on the even dimensions (0, 2, ...), cosine on the odd")
        half = d_model // 2
        if np.allclose(got[:, :half], expected[:, 0::2], atol=1e-5):
            raise AssertionError(
                "interleave them: sine on the even dimensions, cosine on the odd ones, not "
                "all sines first"
            )
        slower = expected.copy()
        i = np.arange(0, d_model, 2) // 2
        angles = np.arange(length)[:, None] / 10000.0 ** (i / d_model)
        slower[:, 0::2], slower[:, 1::2] = np.sin(angles), np.cos(angles)
        if np.allclose(got, slower, atol=1e-5):
            raise AssertionError(
                "the exponent is 2i / d_model with 2i the even dimension (0, 2, 4, ...), "
                "not i / d_model"
            )
        gap = np.abs(got - expected).max()
        raise AssertionError(f"({length}, {d_model}): off by up to {gap:.3g} from the formula")
