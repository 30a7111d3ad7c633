"""Lesson 5, Section 4: the checks of the student's soft attention, attention decoder step
and beam search.

Each check builds inputs on which the mistakes students really make give a different
answer (a softmax over the photos instead of the regions, a forgotten tanh, a context
that is not a weighted mean of the regions, a gate left out, attention computed from the
wrong state, finished hypotheses dropped, raw log-probabilities deciding) and raises
AssertionError with one sentence saying which.

The expected answers come from the formulas themselves, computed here from the student's
own module's weights, or from the reference that `exercise.checked` hands to a
two-argument check. Nothing here imports a reference, so this module binds none under a
name a notebook could call.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from practicum.coursework.tensor_checks import fill_seeded
from practicum.coursework.tensor_checks import tensors_close as _close
from practicum.lessons.lesson4.checks_attention import RandomModel
from practicum.lessons.lesson4.toys import PrefixState, TableTranslator
from practicum.lessons.lesson5.text import END, START

# ---------------------------------------------------------------------------------------
# Shared
# ---------------------------------------------------------------------------------------


def _pair(result: Any, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(result, tuple) or len(result) != 2:
        raise AssertionError(f"{what} must return a pair, got {type(result).__name__}")
    first, second = result
    return first, second


# ---------------------------------------------------------------------------------------
# Soft attention
# ---------------------------------------------------------------------------------------

REGION_DIM, HIDDEN, ATTENTION = 5, 6, 4


def attention_by_formula(
    att: Any,
    regions: torch.Tensor,
    h: torch.Tensor,
    *,
    squash: Callable[[torch.Tensor], torch.Tensor] = torch.tanh,
    tanh_outside: bool = False,
    use_state: bool = True,
    normalise: str = "regions",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Soft attention written out from `att`'s three layers: e_r = w . tanh(W_r r + W_h h),
    alpha = softmax over the regions of e, context = sum_r alpha_r r; the keyword
    arguments make the usual mistakes instead, so a check can recognise them."""
    keys = att.from_regions(regions)
    inside = keys + att.from_state(h).unsqueeze(1) if use_state else keys
    energy = att.score(inside if tanh_outside else squash(inside)).squeeze(-1)
    if tanh_outside:
        energy = torch.tanh(energy)
    if normalise == "regions":
        alpha = torch.softmax(energy, dim=-1)
    elif normalise == "photos":
        alpha = torch.softmax(energy, dim=0)
    else:  # "sigmoid"
        alpha = torch.sigmoid(energy)
    return (alpha.unsqueeze(-1) * regions).sum(dim=1), alpha


def _attention_module(cls: Callable[..., nn.Module], seed: int) -> Any:
    att = cls(REGION_DIM, HIDDEN, ATTENTION)
    fill_seeded(att, seed)
    return att.eval()


def check_soft_attention(cls: Callable[..., nn.Module]) -> None:
    """The student's SoftAttention(region_dim, hidden, attention): forward(regions (B, R, D),
    h (B, H), keys=None) -> (context (B, D), alpha (B, R)), against the formula on 3 photos
    of 7 regions (so the two axes of alpha cannot be mixed up unnoticed)."""
    g = torch.Generator().manual_seed(5)
    regions = torch.randn(3, 7, REGION_DIM, generator=g)
    h = torch.randn(3, HIDDEN, generator=g)
    att = _attention_module(cls, seed=1)
    with torch.no_grad():
        context, alpha = _pair(att(regions, h), "forward")
        expected_context, expected = attention_by_formula(att, regions, h)
        _diagnose_alpha(att, regions, h, torch.as_tensor(alpha).detach(), expected)
        context = torch.as_tensor(context).detach()
        keys = att.from_regions(regions)
        if _close(context, (expected.unsqueeze(-1) * keys).sum(dim=1)):
            raise AssertionError(
                "the context is a weighted mean of the keys: weight the regions themselves "
                "(their D features), not from_regions(regions)"
            )
        if context.shape != expected_context.shape:
            raise AssertionError(
                f"the context has shape {tuple(context.shape)}, expected "
                f"{tuple(expected_context.shape)}: one weighted mean of the regions per photo"
            )
        if not _close(context, expected_context):
            if _close(context, regions.mean(dim=1)):
                raise AssertionError(
                    "the context is the plain mean of the regions: weight each region by its "
                    "alpha, sum_r alpha_r * region_r"
                )
            raise AssertionError(
                f"the weights are right but the context is off by up to "
                f"{(context - expected_context).abs().max():.3g}: it is "
                "(alpha.unsqueeze(-1) * regions).sum(dim=1)"
            )
        keys = att.from_regions(regions)
        again, _ = _pair(att(regions, h, keys), "forward with keys")
        if not _close(torch.as_tensor(again).detach(), expected_context):
            raise AssertionError(
                "given keys=from_regions(regions) (computed once per photo) the result "
                "changes: use `keys` when it is given, compute it when it is None"
            )


def _diagnose_alpha(
    att: Any,
    regions: torch.Tensor,
    h: torch.Tensor,
    alpha: torch.Tensor,
    expected: torch.Tensor,
) -> None:
    if alpha.shape != expected.shape:
        raise AssertionError(
            f"alpha has shape {tuple(alpha.shape)}, expected {tuple(expected.shape)}: one "
            "weight per photo and region (squeeze the score's last axis)"
        )
    if _close(alpha, expected):
        return
    if not torch.allclose(alpha.sum(dim=1), torch.ones(len(alpha)), atol=1e-4):
        if torch.allclose(alpha.sum(dim=0), torch.ones(alpha.size(1)), atol=1e-4):
            raise AssertionError(
                "the weights sum to 1 over the photos of the batch, not over the regions: "
                "take the softmax over dim=1 (the regions)"
            )
        raise AssertionError(
            "each photo's weights must sum to 1 over its regions: a softmax over dim=1 "
            "of the scores"
        )
    variants = (
        ({"squash": lambda x: x}, "no tanh: the scores are w . tanh(W_r r + W_h h)"),
        (
            {"tanh_outside": True},
            "tanh goes inside the score, on W_r r + W_h h, not on the score after w",
        ),
        (
            {"use_state": False},
            "the decoder's state h is missing from the scores: add from_state(h) to every "
            "region's key (unsqueeze(1) to broadcast over the regions)",
        ),
        ({"squash": torch.relu}, "use tanh, not relu, on W_r r + W_h h"),
    )
    for options, message in variants:
        _, wrong = attention_by_formula(att, regions, h, **options)
        if _close(alpha, wrong):
            raise AssertionError(message)
    raise AssertionError(
        f"the weights differ from softmax(w . tanh(W_r r + W_h h)) by up to "
        f"{(alpha - expected).abs().max():.3g}"
    )


# ---------------------------------------------------------------------------------------
# The attention decoder's step
# ---------------------------------------------------------------------------------------

DECODER = {"embed": 4, "hidden": HIDDEN, "attention": ATTENTION}
VOCAB = 11


def step_by_formula(
    model: Any,
    state: Any,
    tokens: torch.Tensor,
    *,
    gate: str = "sigmoid",
    query: str = "h",
    alpha_from: str = "previous",
    logits_from: str = "h",
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """One step of Show, Attend and Tell from `model`'s layers, dropout off: (logits, h, c,
    alpha). The keyword arguments make the usual mistakes instead."""
    if query == "stale":  # the weights of the step before, not new ones
        alpha = state.alpha
        context = (alpha.unsqueeze(-1) * state.regions).sum(dim=1)
    else:
        q = state.h if query == "h" else state.c
        context, alpha = model.attend(state.regions, q, state.keys)
    if gate == "sigmoid":
        context = torch.sigmoid(model.gate(state.h)) * context
    elif gate == "linear":
        context = model.gate(state.h) * context
    h, c = model.cell(torch.cat([model.embed(tokens), context], -1), (state.h, state.c))
    if alpha_from == "new":
        _, alpha = model.attend(state.regions, h, state.keys)
    elif alpha_from == "old":
        alpha = state.alpha
    logits = model.out(h if logits_from == "h" else c)
    return logits, h, c, alpha


def _decoder(cls: Callable[..., nn.Module], seed: int, dropout: float = 0.0) -> Any:
    model = cls(REGION_DIM, VOCAB, dropout=dropout, **DECODER)
    fill_seeded(model, seed, scale=0.6)
    return model


def _unpack_step(result: Any) -> tuple[torch.Tensor, Any]:
    logits, state = _pair(result, "the step")
    for name in ("h", "c", "alpha", "regions", "keys"):
        if not hasattr(state, name):
            raise AssertionError(
                f"the new state has no `{name}`: return AttendState(h, c, state.regions, "
                "state.keys, alpha)"
            )
    return torch.as_tensor(logits).detach(), state


def check_attention_step(
    cls: Callable[..., nn.Module], reference: Callable[..., nn.Module]
) -> None:
    """The student's AttendAndTell step (`_one(state, tokens) -> (logits, new state)`): one
    step from the first state equals the formula on the same weights; a whole caption read
    with teacher forcing, step by step, equals the reference's; and in training mode it
    applies dropout where the reference does."""
    g = torch.Generator().manual_seed(7)
    regions = torch.randn(2, 9, REGION_DIM, generator=g)
    captions_in = torch.tensor([[START, 4, 5, 6, 7], [START, 8, 9, 0, 0]])
    ours = _decoder(cls, seed=3).eval()
    theirs = _decoder(reference, seed=3).eval()
    theirs.load_state_dict(ours.state_dict())
    with torch.no_grad():
        state = theirs.start(regions)
        # a state that is not the first, so the previous alpha is not uniform
        state = theirs._one(state, captions_in[:, 0])[1]
        tokens = captions_in[:, 1]
        logits, new = _unpack_step(ours._one(state, tokens))
        _diagnose_step(ours, state, tokens, logits, new)
        got_logits, got_alphas = _pair(ours(regions, captions_in), "forward")
        expected_logits, expected_alphas = theirs(regions, captions_in)
        for t in range(captions_in.size(1)):
            same = _close(torch.as_tensor(got_logits)[:, t], expected_logits[:, t], 1e-4)
            if not same or not _close(torch.as_tensor(got_alphas)[:, t], expected_alphas[:, t]):
                raise AssertionError(
                    f"right for one step, but reading a whole caption it parts from the "
                    f"reference at step {t + 1}: return the new h and c (and the regions and "
                    "keys unchanged) in the state, so the next step continues from them"
                )
    _check_dropout(cls, reference, regions, captions_in)


def _diagnose_step(
    model: Any, state: Any, tokens: torch.Tensor, logits: torch.Tensor, new: Any
) -> None:
    expected_logits, h, c, alpha = step_by_formula(model, state, tokens)
    got_alpha = torch.as_tensor(new.alpha).detach()
    if got_alpha.shape != alpha.shape:
        raise AssertionError(
            f"the state's alpha has shape {tuple(got_alpha.shape)}, expected "
            f"{tuple(alpha.shape)}: this step's attention weights, one per region"
        )
    right = (
        _close(logits, expected_logits, 1e-4)
        and _close(torch.as_tensor(new.h), h)
        and _close(torch.as_tensor(new.c), c)
        and _close(got_alpha, alpha)
    )
    if right:
        if new.regions is not state.regions and not _close(new.regions, state.regions):
            raise AssertionError("keep the photo's regions unchanged in the new state")
        return
    if _close(logits, torch.log_softmax(expected_logits, -1), 1e-4):
        raise AssertionError(
            "return the raw logits of self.out: forward's loss and step's log_softmax come after"
        )
    variants: tuple[tuple[dict[str, str], str], ...] = (
        (
            {"gate": "none"},
            "the gate is missing: multiply the context by sigmoid(self.gate(state.h)) before "
            "the LSTM cell reads it",
        ),
        ({"gate": "linear"}, "the gate is sigmoid(self.gate(state.h)): a number between 0 and 1"),
        (
            {"query": "c"},
            "attend from the previous hidden state state.h, not from the cell state state.c",
        ),
        (
            {"query": "stale"},
            "compute new attention weights every step, from the previous state: "
            "self.attend(state.regions, state.h, state.keys); state.alpha is only kept "
            "for drawing",
        ),
        (
            {"logits_from": "c"},
            "the logits come from the new hidden state h, not from the cell state c",
        ),
    )
    for options, message in variants:
        wrong_logits, _, _, _ = step_by_formula(model, state, tokens, **options)
        if _close(logits, wrong_logits, 1e-4):
            raise AssertionError(message)
    if _close(logits, expected_logits, 1e-4):
        if _close(got_alpha, step_by_formula(model, state, tokens, alpha_from="new")[3]):
            raise AssertionError(
                "the alpha kept in the state must be the weights that made this step's "
                "context (computed from the previous state), not new ones from the new h"
            )
        if _close(got_alpha, state.alpha):
            raise AssertionError(
                "the new state keeps the previous step's alpha: keep this step's weights"
            )
        if not _close(torch.as_tensor(new.h), h) and _close(torch.as_tensor(new.h), c):
            raise AssertionError("h and c are swapped in the new state")
        raise AssertionError(
            "the logits are right but the new state is not: AttendState(h, c, "
            "state.regions, state.keys, alpha) with the cell's new h and c"
        )
    raise AssertionError(
        f"the logits differ from the reference's by up to "
        f"{(logits - expected_logits).abs().max():.3g}: attention from state.h, the gated "
        "context next to the word's embedding into the cell, self.out on the new h"
    )


def _check_dropout(
    cls: Callable[..., nn.Module],
    reference: Callable[..., nn.Module],
    regions: torch.Tensor,
    captions_in: torch.Tensor,
) -> None:
    ours = _decoder(cls, seed=4, dropout=0.5).train()
    theirs = _decoder(reference, seed=4, dropout=0.5).train()
    theirs.load_state_dict(ours.state_dict())
    with torch.no_grad():
        with torch.random.fork_rng():
            torch.manual_seed(11)
            got, _ = ours(regions, captions_in)
        with torch.random.fork_rng():
            torch.manual_seed(11)
            expected, _ = theirs(regions, captions_in)
        theirs.eval()
        without, _ = theirs(regions, captions_in)
    if _close(torch.as_tensor(got), expected, 1e-4):
        return
    if _close(torch.as_tensor(got), without, 1e-4):
        raise AssertionError(
            "in training mode the step applies no dropout: self.drop on the word's "
            "embedding and on the new h before self.out"
        )
    raise AssertionError(
        "right with dropout off, but in training mode it differs from the reference: "
        "self.drop on the word's embedding and on the new h before self.out, nowhere else"
    )


# ---------------------------------------------------------------------------------------
# Beam search: toy captioners whose best caption is known
# ---------------------------------------------------------------------------------------

A, DOG, DOGS, TWO, RUN, ON, GRASS, MAN = 4, 5, 6, 7, 8, 9, 10, 11
NAMES = {
    START: "<start>",
    END: "<end>",
    A: "a",
    DOG: "dog",
    DOGS: "dogs",
    TWO: "two",
    RUN: "run",
    ON: "on",
    GRASS: "grass",
    MAN: "man",
}
ITOS = [NAMES.get(i, f"w{i}") for i in range(16)]
"""Word of every id of the toys' vocabulary (16 ids)."""
Tree = Mapping[tuple[int, ...], Mapping[int, float]]

GREEDY_MISSES: Tree = {
    (): {A: 0.6, DOGS: 0.4},
    (A,): {DOG: 0.36, MAN: 0.34, END: 0.30},
    (A, DOG): {END: 1.0},
    (A, MAN): {END: 1.0},
    (DOGS,): {END: 1.0},
}
"""Greedy takes "a" (0.6), then "dog": "a dog" has probability 0.216; "dogs" (0.4) is
better, and it ends a step earlier than "a dog", so a search that drops finished
hypotheses loses it too."""

SHORT_BIAS: Tree = {
    (): {END: 0.5, TWO: 0.5},
    (TWO,): {DOGS: 0.97, END: 0.03},
    (TWO, DOGS): {RUN: 0.97, END: 0.03},
    (TWO, DOGS, RUN): {ON: 0.97, END: 0.03},
    (TWO, DOGS, RUN, ON): {GRASS: 0.97, END: 0.03},
    (TWO, DOGS, RUN, ON, GRASS): {END: 0.97, A: 0.03},
}
"""The empty caption has probability 0.5, "two dogs run on grass" 0.5 * 0.97**5 = 0.43:
the raw log-probability prefers saying nothing; divided by the length penalty, the long
caption wins."""

COUNT_END: Tree = {
    (): {END: 0.37, DOGS: 0.31, A: 0.32},
    (A,): {MAN: 0.5, DOG: 0.5},
}
"""At alpha = 1 the empty caption (log P -0.99, 1 token with `<end>`: -0.99 / 1) beats
"dogs" (log P -1.17, 2 tokens: -1.17 / (7/6) = -1.00); counting words only, without
`<end>`, "dogs" would win (-1.17 / 1 against -0.99 / (5/6) = -1.19)."""


class Captioner(TableTranslator):
    """A toy captioner: ignores the photo, looks the next word up by the words so far."""

    def __init__(self, table: Tree) -> None:
        super().__init__(table, vocab_size=len(ITOS))


class Babbling(Captioner):
    """Like a real decoder, it is not stopped by saying `<end>`: fed it, it goes on with
    "a" or "dog" (0.5 each). Only the search can stop it."""

    def step(self, state: PrefixState, tokens: torch.Tensor) -> tuple[torch.Tensor, PrefixState]:
        log_probs, state = super().step(state, tokens)
        ended = (state.fed == END).any(dim=1)
        log_probs[ended] = float("-inf")
        log_probs[ended, A] = log_probs[ended, DOG] = math.log(0.5)
        return log_probs, state


def spell(ids: list[int]) -> str:
    return " ".join(ITOS[i] for i in ids) or "(empty)"


def exhaustive(table: Tree, alpha: float = 0.0) -> list[tuple[list[int], float]]:
    """Every caption of the toy (words without `<end>`) with its log-probability, best
    first by log P / ((5 + length) / 6) ** alpha, length counting `<end>`."""
    captions = Captioner(table).sentences()
    ranked = sorted(
        captions.items(),
        key=lambda item: math.log(item[1]) / ((5 + len(item[0])) / 6) ** alpha,
        reverse=True,
    )
    return [(list(tokens[:-1]), math.log(p)) for tokens, p in ranked]


Search = Callable[..., Any]
PHOTO = torch.zeros(3)
"""The toys ignore the photo; any features do."""


def _run(search: Search, model: Any, features: torch.Tensor, **options: Any) -> Any:
    beam = search(model, features, **options)
    ranked = getattr(beam, "ranked", None)
    if not isinstance(ranked, list) or not ranked:
        raise AssertionError(
            "return Beam(ranked, steps, alpha): `ranked` the last step's hypotheses, best first"
        )
    steps = getattr(beam, "steps", None)
    if not isinstance(steps, list) or not steps:
        raise AssertionError("return Beam(ranked, steps, alpha) with the hypotheses of every step")
    for h in ranked:
        if not hasattr(h, "tokens") or not hasattr(h, "log_prob"):
            raise AssertionError("each hypothesis is a Hypothesis(tokens, log_prob, parent)")
    return beam


def _best(beam: Any) -> list[int]:
    tokens = list(beam.ranked[0].tokens)
    return tokens[:-1] if tokens and tokens[-1] == END else tokens


def check_beam_search(search: Search, reference: Search) -> None:
    """Finds what greedy misses, equals greedy with a beam of 1, keeps finished hypotheses,
    scores them right, normalises by length, and agrees step by step with the reference
    on random models."""
    toy = Captioner(GREEDY_MISSES)
    beam = _run(search, toy, PHOTO, beam=2, max_len=5)
    if _best(beam) != [DOGS]:
        found = spell(_best(beam))
        if _best(beam) == [A, DOG]:
            raise AssertionError(
                f"a beam of 2 returned '{found}' (probability 0.216), greedy's answer, not "
                "'dogs' (0.4): keep the best `beam` extensions of all hypotheses, and keep "
                "a finished one in the beam"
            )
        raise AssertionError(f"a beam of 2 returned '{found}', expected 'dogs' (probability 0.4)")
    if _best(_run(search, toy, PHOTO, beam=1, max_len=5)) != [A, DOG]:
        raise AssertionError("with beam=1 it must return greedy's answer, 'a dog'")
    wide = _run(search, toy, PHOTO, beam=10, max_len=5)
    truth = dict((tuple(w), lp) for w, lp in exhaustive(GREEDY_MISSES))
    for h in wide.ranked:
        words = tuple(_best_words(h))
        if words in truth and not math.isclose(h.log_prob, truth[words], abs_tol=1e-5):
            raise AssertionError(
                f"'{spell(list(words))}' has log_prob {h.log_prob:.4f}, but its words' "
                f"log-probabilities (with <end>) sum to {truth[words]:.4f}"
            )
    if sorted(tuple(_best_words(h)) for h in wide.ranked) != sorted(truth):
        raise AssertionError(
            "a beam wider than all the toy's captions must end with every one of them "
            f"({len(truth)}): finished hypotheses stay in the beam until the end"
        )
    if _best(_run(search, Babbling(GREEDY_MISSES), PHOTO, beam=2, max_len=6)) != [DOGS]:
        raise AssertionError(
            "on a model that goes on talking after <end> it does not return 'dogs': a "
            "finished hypothesis is never extended; it competes unchanged, with its score"
        )
    short = Captioner(SHORT_BIAS)
    long_caption = [TWO, DOGS, RUN, ON, GRASS]
    best, raw = exhaustive(SHORT_BIAS, 0.6)[0]
    got = _best(_run(search, short, PHOTO, beam=2, max_len=8, alpha=0.6))
    if got != long_caption:
        raise AssertionError(
            f"with alpha=0.6 it returned '{spell(got)}'; '{spell(best)}' (log P {raw:.2f}, 6 "
            f"tokens with <end>, {raw / ((5 + 6) / 6) ** 0.6:.2f} normalised) beats the empty "
            f"caption ({math.log(0.5):.2f} / 1): rank by log P / ((5 + length) / 6) ** alpha, "
            "the length counting <end>"
        )
    got = _best(_run(search, short, PHOTO, beam=2, max_len=8, alpha=0.0))
    if got != []:
        raise AssertionError(
            f"with alpha=0 it returned '{spell(got)}': without normalisation the raw "
            "log-probability decides, and the empty caption (0.5) wins"
        )
    got = _best(_run(search, Captioner(COUNT_END), PHOTO, beam=3, max_len=4, alpha=1.0))
    if got != []:
        raise AssertionError(
            f"with alpha=1 it returned '{spell(got)}', not the empty caption: the length "
            "|Y| in the penalty counts <end> (len(h.tokens)), so the empty caption has 1"
        )
    _agrees_on_random_models(search, reference)


def _best_words(h: Any) -> list[int]:
    tokens = list(h.tokens)
    return tokens[:-1] if tokens and tokens[-1] == END else tokens


def random_captioner(seed: int = 0) -> Any:
    """A tiny untrained Show, Attend and Tell, made confident, ending at various lengths."""
    from practicum.lessons.lesson5.decoder import AttendAndTell

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = AttendAndTell(REGION_DIM, 14, embed=8, hidden=16, attention=8, dropout=0.0)
        with torch.no_grad():
            model.out.weight.mul_(6.0)
            model.out.bias[END] += 0.5
    return model.eval()


def _steps(beam: Any) -> list[list[tuple[tuple[int, ...], float, int]]]:
    return [
        [(tuple(int(t) for t in h.tokens), float(h.log_prob), int(h.parent)) for h in step]
        for step in beam.steps
    ]


def _agrees_on_random_models(search: Search, reference: Search) -> None:
    g = torch.Generator().manual_seed(3)
    models: list[tuple[str, Any, torch.Tensor]] = [
        (f"random model {seed}", RandomModel(seed, vocab=9), torch.tensor([seed, 1.0]))
        for seed in range(3)
    ]
    models += [
        (
            "small untrained captioner",
            random_captioner(seed),
            torch.randn(6, REGION_DIM, generator=g),
        )
        for seed in range(2)
    ]
    for name, model, photo in models:
        for beam, alpha in ((3, 0.0), (4, 0.7), (2, 1.5)):
            options = {"beam": beam, "max_len": 8, "alpha": alpha}
            got, expected = (
                _run(search, model, photo, **options),
                reference(model, photo, **options),
            )
            where = f"on a {name} (beam {beam}, alpha {alpha})"
            mine, theirs = _steps(got), _steps(expected)
            for t, (a, b) in enumerate(zip(mine, theirs, strict=False)):
                if len(a) > beam:
                    raise AssertionError(
                        f"{where}: step {t + 1} keeps {len(a)} hypotheses, more than the beam"
                    )
                if [x[0] for x in a] != [x[0] for x in b] or not all(
                    math.isclose(x[1], y[1], abs_tol=1e-4) for x, y in zip(a, b, strict=True)
                ):
                    raise AssertionError(
                        f"{where}: step {t + 1} keeps {[spell_ids(x[0]) for x in a]}, the "
                        f"reference {[spell_ids(x[0]) for x in b]} (best log-probability first)"
                    )
                if [x[2] for x in a] != [x[2] for x in b]:
                    raise AssertionError(
                        f"{where}: at step {t + 1} the parents are {[x[2] for x in a]}, "
                        f"expected {[x[2] for x in b]}: each hypothesis's index in the previous "
                        "step's list"
                    )
            if len(mine) != len(theirs):
                raise AssertionError(
                    f"{where}: it ran {len(mine)} steps, the reference {len(theirs)}: stop "
                    "when every kept hypothesis has said <end>, or after max_len steps"
                )
            ranked = [(tuple(int(t) for t in h.tokens), float(h.log_prob)) for h in got.ranked]
            wanted = [(tuple(h.tokens), h.log_prob) for h in expected.ranked]
            if [r[0] for r in ranked] != [w[0] for w in wanted]:
                raise AssertionError(
                    f"{where}: ranked {[spell_ids(r[0]) for r in ranked]}, expected "
                    f"{[spell_ids(w[0]) for w in wanted]}: best first by log P / "
                    "((5 + length) / 6) ** alpha"
                )


def spell_ids(ids: tuple[int, ...]) -> str:
    return " ".join(str(i) for i in ids) or "(empty)"
