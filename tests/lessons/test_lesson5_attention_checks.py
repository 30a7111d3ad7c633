"""Lesson 5, Section 4: the checks of soft attention, the attention decoder's step and beam
search reject the mistakes students make, each with its own sentence, and accept the
reference versions; and the reference beam search of `lesson5.search` agrees with Lesson
4's batched one and with trying every caption of a toy model."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from practicum.coursework import exercise
from practicum.lessons.lesson4 import decode
from practicum.lessons.lesson5 import checks_attention as checks
from practicum.lessons.lesson5 import search
from practicum.lessons.lesson5.decoder import AttendAndTell, AttendState, SoftAttention
from practicum.lessons.lesson5.search import Beam, Hypothesis
from practicum.lessons.lesson5.text import END, START

# --- soft attention ----------------------------------------------------------------------


class Attention(SoftAttention):
    """Right, except where a subclass says otherwise."""

    def squash(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x)

    def scores(self, keys: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return self.score(self.squash(keys + self.from_state(h).unsqueeze(1))).squeeze(-1)

    def weights(self, scores: torch.Tensor) -> torch.Tensor:
        return torch.softmax(scores, dim=1)

    def mix(self, alpha: torch.Tensor, regions: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        return (alpha.unsqueeze(-1) * regions).sum(dim=1)

    def forward(
        self, regions: torch.Tensor, h: torch.Tensor, keys: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        keys = self.from_regions(regions) if keys is None else keys
        alpha = self.weights(self.scores(keys, h))
        return self.mix(alpha, regions, keys), alpha


class OverPhotos(Attention):
    def weights(self, scores: torch.Tensor) -> torch.Tensor:
        return torch.softmax(scores, dim=0)


class NoTanh(Attention):
    def squash(self, x: torch.Tensor) -> torch.Tensor:
        return x


class Relu(Attention):
    def squash(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


class TanhOutside(Attention):
    def scores(self, keys: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.score(keys + self.from_state(h).unsqueeze(1)).squeeze(-1))


class NoState(Attention):
    def scores(self, keys: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return self.score(torch.tanh(keys)).squeeze(-1)


class Sigmoid(Attention):
    def weights(self, scores: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(scores)


class PlainMean(Attention):
    def mix(self, alpha: torch.Tensor, regions: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        return regions.mean(dim=1)


class MeanOfKeys(Attention):
    def mix(self, alpha: torch.Tensor, regions: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        return (alpha.unsqueeze(-1) * keys).sum(dim=1)


class KeepsAxis(Attention):
    def forward(
        self, regions: torch.Tensor, h: torch.Tensor, keys: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        context, alpha = super().forward(regions, h, keys)
        return context, alpha.unsqueeze(-1)


class WrongWithKeys(Attention):
    def forward(
        self, regions: torch.Tensor, h: torch.Tensor, keys: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        context, alpha = super().forward(regions, h, None)
        return (context * 2, alpha) if keys is not None else (context, alpha)


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (OverPhotos, "over the photos of the batch, not over the regions"),
        (NoTanh, "no tanh"),
        (Relu, "not relu"),
        (TanhOutside, "tanh goes inside"),
        (NoState, "state h is missing"),
        (Sigmoid, "must sum to 1 over its regions"),
        (PlainMean, "plain mean of the regions"),
        (MeanOfKeys, "weighted mean of the keys"),
        (KeepsAxis, "alpha has shape (3, 7, 1)"),
        (WrongWithKeys, "use `keys` when it is given"),
    ],
)
def test_the_attention_check_names_the_mistake(wrong: type[SoftAttention], says: str) -> None:
    with pytest.raises(AssertionError, match=_pattern(says)):
        checks.check_soft_attention(wrong)


def test_the_attention_check_accepts_the_right_ones() -> None:
    checks.check_soft_attention(SoftAttention)
    checks.check_soft_attention(Attention)


# --- the decoder's step ------------------------------------------------------------------


class Step(AttendAndTell):
    """A right step written out, with hooks for the mistakes."""

    def attention(self, state: AttendState) -> tuple[torch.Tensor, torch.Tensor]:
        result: tuple[torch.Tensor, torch.Tensor] = self.attend(state.regions, state.h, state.keys)
        return result

    def gated(self, context: torch.Tensor, state: AttendState) -> torch.Tensor:
        return torch.sigmoid(self.gate(state.h)) * context

    def finish(
        self,
        h: torch.Tensor,
        c: torch.Tensor,
        alpha: torch.Tensor,
        state: AttendState,
    ) -> tuple[torch.Tensor, AttendState]:
        return self.out(self.drop(h)), AttendState(h, c, state.regions, state.keys, alpha)

    def _one(self, state: AttendState, tokens: torch.Tensor) -> tuple[torch.Tensor, AttendState]:
        context, alpha = self.attention(state)
        context = self.gated(context, state)
        words = self.drop(self.embed(tokens))
        h, c = self.cell(torch.cat([words, context], dim=-1), (state.h, state.c))
        return self.finish(h, c, alpha, state)


class NoGate(Step):
    def gated(self, context: torch.Tensor, state: AttendState) -> torch.Tensor:
        return context


class LinearGate(Step):
    def gated(self, context: torch.Tensor, state: AttendState) -> torch.Tensor:
        return self.gate(state.h) * context


class FromCell(Step):
    def attention(self, state: AttendState) -> tuple[torch.Tensor, torch.Tensor]:
        result: tuple[torch.Tensor, torch.Tensor] = self.attend(state.regions, state.c, state.keys)
        return result


class Stale(Step):
    def attention(self, state: AttendState) -> tuple[torch.Tensor, torch.Tensor]:
        return (state.alpha.unsqueeze(-1) * state.regions).sum(1), state.alpha


class LogitsFromCell(Step):
    def finish(
        self, h: torch.Tensor, c: torch.Tensor, alpha: torch.Tensor, state: AttendState
    ) -> tuple[torch.Tensor, AttendState]:
        return self.out(self.drop(c)), AttendState(h, c, state.regions, state.keys, alpha)


class LogSoftmax(Step):
    def finish(
        self, h: torch.Tensor, c: torch.Tensor, alpha: torch.Tensor, state: AttendState
    ) -> tuple[torch.Tensor, AttendState]:
        logits, new = super().finish(h, c, alpha, state)
        return torch.log_softmax(logits, -1), new


class AlphaFromNewState(Step):
    def finish(
        self, h: torch.Tensor, c: torch.Tensor, alpha: torch.Tensor, state: AttendState
    ) -> tuple[torch.Tensor, AttendState]:
        _, fresh = self.attend(state.regions, h, state.keys)
        return super().finish(h, c, fresh, state)


class OldAlpha(Step):
    def finish(
        self, h: torch.Tensor, c: torch.Tensor, alpha: torch.Tensor, state: AttendState
    ) -> tuple[torch.Tensor, AttendState]:
        return super().finish(h, c, state.alpha, state)


class Swapped(Step):
    def finish(
        self, h: torch.Tensor, c: torch.Tensor, alpha: torch.Tensor, state: AttendState
    ) -> tuple[torch.Tensor, AttendState]:
        logits, _ = super().finish(h, c, alpha, state)
        return logits, AttendState(c, h, state.regions, state.keys, alpha)


class Forgetful(Step):
    """Right for one step, but hands back the old (h, c): every step starts again."""

    def finish(
        self, h: torch.Tensor, c: torch.Tensor, alpha: torch.Tensor, state: AttendState
    ) -> tuple[torch.Tensor, AttendState]:
        logits, _ = super().finish(h, c, alpha, state)
        return logits, AttendState(state.h, state.c, state.regions, state.keys, alpha)


class NoDropout(Step):
    def _one(self, state: AttendState, tokens: torch.Tensor) -> tuple[torch.Tensor, AttendState]:
        self.drop.p = 0.0
        return super()._one(state, tokens)


class DropsContext(Step):
    def gated(self, context: torch.Tensor, state: AttendState) -> torch.Tensor:
        return self.drop(super().gated(context, state))


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (NoGate, "the gate is missing"),
        (LinearGate, "a number between 0 and 1"),
        (FromCell, "not from the cell state state.c"),
        (Stale, "compute new attention weights every step"),
        (LogitsFromCell, "not from the cell state c"),
        (LogSoftmax, "return the raw logits"),
        (AlphaFromNewState, "not new ones from the new h"),
        (OldAlpha, "keeps the previous step's alpha"),
        (Swapped, "h and c are swapped"),
        (Forgetful, "the new state is not"),
        (NoDropout, "applies no dropout"),
        (DropsContext, "nowhere else"),
    ],
)
def test_the_step_check_names_the_mistake(wrong: type[AttendAndTell], says: str) -> None:
    with pytest.raises(AssertionError, match=_pattern(says)):
        checks.check_attention_step(wrong, AttendAndTell)


def test_the_step_check_accepts_the_right_ones() -> None:
    checks.check_attention_step(AttendAndTell, AttendAndTell)
    checks.check_attention_step(Step, AttendAndTell)


def test_the_step_check_follows_a_whole_caption() -> None:
    """A step that is right once but loses the cell state c on the way: caught only when a
    whole caption is read step after step."""

    class LosesCell(Step):
        calls = 0

        def finish(
            self, h: torch.Tensor, c: torch.Tensor, alpha: torch.Tensor, state: AttendState
        ) -> tuple[torch.Tensor, AttendState]:
            self.calls += 1
            logits, new = super().finish(h, c, alpha, state)
            if self.calls < 3:  # the check's single step, and the caption's first, are right
                return logits, new
            return logits, AttendState(h, c * 0.5, state.regions, state.keys, alpha)

    with pytest.raises(AssertionError, match="parts from the reference at step"):
        checks.check_attention_step(LosesCell, AttendAndTell)


# --- beam search -------------------------------------------------------------------------


def greedy_only(
    model: Any, features: torch.Tensor, *, beam: int, max_len: int, alpha: float = 0.0
) -> Beam:
    return search.beam_search(model, features, beam=1, max_len=max_len, alpha=alpha)


def drops_finished(
    model: Any, features: torch.Tensor, *, beam: int, max_len: int, alpha: float = 0.0
) -> Beam:
    """Only open hypotheses are extended; finished ones are thrown away, unless nothing
    else is left."""
    state = model.start(features.unsqueeze(0))
    kept, steps = [Hypothesis((), 0.0)], []
    for _ in range(max_len):
        last = torch.tensor([h.tokens[-1] if h.tokens else START for h in kept])
        log_probs, state = model.step(state, last)
        total = torch.tensor([h.log_prob for h in kept]).unsqueeze(1) + log_probs
        values, flat = total.flatten().topk(min(beam, int(torch.isfinite(total).sum())))
        chosen = []
        for value, index in zip(values.tolist(), flat.tolist(), strict=True):
            row, word = divmod(index, total.size(1))
            chosen.append(Hypothesis((*kept[row].tokens, word), value, row))
        steps.append(chosen)
        open_ = [h for h in chosen if not h.finished]
        if not open_:
            kept = chosen
            break
        state = state.select(torch.tensor([h.parent for h in open_]))
        kept = open_
    return Beam(sorted(kept, key=lambda h: h.score(alpha), reverse=True), steps, alpha)


def extends_finished(
    model: Any, features: torch.Tensor, *, beam: int, max_len: int, alpha: float = 0.0
) -> Beam:
    """Treats `<end>` as any other word: finished hypotheses go on, with the model's own
    log-probabilities."""
    state = model.start(features.unsqueeze(0))
    kept, steps = [Hypothesis((), 0.0)], []
    for _ in range(max_len):
        last = torch.tensor([h.tokens[-1] if h.tokens else START for h in kept])
        log_probs, state = model.step(state, last)
        total = torch.tensor([h.log_prob for h in kept]).unsqueeze(1) + log_probs
        values, flat = total.flatten().topk(min(beam, int(torch.isfinite(total).sum())))
        chosen = []
        for value, index in zip(values.tolist(), flat.tolist(), strict=True):
            row, word = divmod(index, total.size(1))
            tokens = (*kept[row].tokens, word)
            cut = tokens[: tokens.index(END) + 1] if END in tokens else tokens
            chosen.append(Hypothesis(cut, value, row))
        kept = chosen
        steps.append(kept)
        state = state.select(torch.tensor([h.parent for h in kept]))
        if all(h.finished for h in kept):
            break
    return Beam(sorted(kept, key=lambda h: h.score(alpha), reverse=True), steps, alpha)


def raw_scores(
    model: Any, features: torch.Tensor, *, beam: int, max_len: int, alpha: float = 0.0
) -> Beam:
    found = search.beam_search(model, features, beam=beam, max_len=max_len, alpha=alpha)
    return Beam(sorted(found.ranked, key=lambda h: -h.log_prob), found.steps, alpha)


def words_only_length(
    model: Any, features: torch.Tensor, *, beam: int, max_len: int, alpha: float = 0.0
) -> Beam:
    found = search.beam_search(model, features, beam=beam, max_len=max_len, alpha=alpha)
    ranked = sorted(
        found.ranked,
        key=lambda h: h.log_prob / search.length_penalty(len(h.words), alpha),
        reverse=True,
    )
    return Beam(ranked, found.steps, alpha)


def parents_zero(
    model: Any, features: torch.Tensor, *, beam: int, max_len: int, alpha: float = 0.0
) -> Beam:
    found = search.beam_search(model, features, beam=beam, max_len=max_len, alpha=alpha)
    steps = [[Hypothesis(h.tokens, h.log_prob, 0) for h in step] for step in found.steps]
    return Beam(found.ranked, steps, alpha)


def never_stops(
    model: Any, features: torch.Tensor, *, beam: int, max_len: int, alpha: float = 0.0
) -> Beam:
    found = search.beam_search(model, features, beam=beam, max_len=max_len, alpha=alpha)
    steps = list(found.steps)
    while len(steps) < max_len:
        steps.append([Hypothesis(h.tokens, h.log_prob, i) for i, h in enumerate(steps[-1])])
    return Beam(found.ranked, steps, alpha)


def returns_ids(
    model: Any, features: torch.Tensor, *, beam: int, max_len: int, alpha: float = 0.0
) -> Any:
    return search.beam_search(model, features, beam=beam, max_len=max_len, alpha=alpha).best.words


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (greedy_only, "greedy's answer"),
        (drops_finished, "greedy's answer"),
        (extends_finished, "goes on talking after <end>"),
        (raw_scores, "with alpha=0.6 it returned '(empty)'"),
        (words_only_length, "the length |Y| in the penalty counts <end>"),
        (parents_zero, "the parents are"),
        (never_stops, "stop when every kept hypothesis has said <end>"),
        (returns_ids, "return Beam(ranked, steps, alpha)"),
    ],
)
def test_the_beam_check_names_the_mistake(wrong: Any, says: str) -> None:
    with pytest.raises(AssertionError, match=_pattern(says)):
        checks.check_beam_search(wrong, search.beam_search)


def test_the_beam_check_accepts_the_reference() -> None:
    checks.check_beam_search(search.beam_search, search.beam_search)


# --- the reference search ------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("beam", "alpha"), [(1, 0.0), (3, 0.0), (4, 0.7), (5, 1.5)])
def test_the_reference_search_agrees_with_lesson_four(seed: int, beam: int, alpha: float) -> None:
    model = checks.random_captioner(seed)
    photos = torch.randn(4, 6, checks.REGION_DIM, generator=torch.Generator().manual_seed(seed))
    batched = decode.beam_search(model, photos, beam=beam, max_len=10, alpha=alpha)
    for i in range(len(photos)):
        found = search.beam_search(model, photos[i], beam=beam, max_len=10, alpha=alpha)
        assert found.best.words == batched[i]
        assert len(found.steps) <= 10 and all(len(step) <= beam for step in found.steps)
    if beam == 1:
        assert decode.greedy(model, photos, max_len=10) == batched


@pytest.mark.parametrize("table", [checks.GREEDY_MISSES, checks.SHORT_BIAS])
@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0])
def test_a_wide_beam_finds_what_trying_every_caption_finds(table: Any, alpha: float) -> None:
    everything = checks.exhaustive(table, alpha)
    found = search.beam_search(
        checks.Captioner(table), checks.PHOTO, beam=len(everything), max_len=10, alpha=alpha
    )
    assert [h.words for h in found.ranked] == [words for words, _ in everything]
    for h, (_, log_prob) in zip(found.ranked, everything, strict=True):
        assert math.isclose(h.log_prob, log_prob, abs_tol=1e-5)


def test_greedy_misses_what_a_beam_of_two_finds() -> None:
    toy = checks.Captioner(checks.GREEDY_MISSES)
    (greedy,) = decode.greedy(toy, checks.PHOTO.unsqueeze(0), max_len=5)
    assert checks.spell(greedy) == "a dog"
    found = search.beam_search(toy, checks.PHOTO, beam=2, max_len=5)
    assert checks.spell(found.best.words) == "dogs"
    assert math.isclose(math.exp(found.best.log_prob), 0.4, rel_tol=1e-6)


def test_the_tree_records_every_step_and_the_best_path() -> None:
    toy = checks.Captioner(checks.GREEDY_MISSES)
    found = search.beam_search(toy, checks.PHOTO, beam=2, max_len=5)
    spelled = [[checks.spell(list(h.tokens)) for h in step] for step in found.steps]
    assert spelled == [["a", "dogs"], ["dogs <end>", "a dog"], ["dogs <end>", "a dog <end>"]]
    assert [h.parent for h in found.steps[1]] == [1, 0]
    assert [h.parent for h in found.steps[2]] == [0, 1]
    assert search.best_path(found) == [1, 0, 0]
    assert [checks.spell(list(h.tokens)) for h in found.dropped[0]] == []
    assert checks.spell(list(found.dropped[1][0].tokens)) == "a man"


def test_the_notebook_exercises_are_registered_in_order() -> None:
    ids = [e.id for e in exercise.lesson_exercises(5) if e.section == 4]
    assert ids == ["soft_attention", "attention_step", "beam_search"]
    assert exercise.find(5, "beam_search").resolve() is search.beam_search


def _pattern(text: str) -> str:
    import re

    return re.escape(text)
