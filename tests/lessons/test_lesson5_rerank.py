"""Consensus reranking of Lesson 5's candidate captions: the agreement score against
hand-computed values, the vote, the weight of the decoder's own score, the n-best beam
search it reads, and the nearest photos that vote."""

from __future__ import annotations

import math

import pytest
import torch

from practicum.lessons.lesson4.decode import beam_hypotheses, beam_search
from practicum.lessons.lesson5 import baselines, rerank
from practicum.lessons.lesson5.decoder import ShowAndTell
from practicum.lessons.lesson5.text import Vocab


def test_agreement_is_one_for_a_reference_itself() -> None:
    assert rerank.agreement("A dog runs.", ["a dog runs"]) == pytest.approx(1.0)


def test_agreement_matches_a_hand_computed_smoothed_sentence_bleu() -> None:
    # against "a cat sleeps": 1 of 3 words, 0 of 2 bigrams, 0 of 1 trigram, no 4-gram;
    # smoothed precisions 2/4, 1/3, 1/2, 1/1 -> (1/12) ** (1/4); same length, no penalty
    other = (2 / 4 * 1 / 3 * 1 / 2 * 1 / 1) ** 0.25
    got = rerank.agreement("a dog runs", ["a dog runs", "a cat sleeps"])
    assert got == pytest.approx((1.0 + other) / 2)


def test_agreement_has_bleus_brevity_penalty_per_reference() -> None:
    # every n-gram of "a dog" matches; 2 words against 4: exp(1 - 4 / 2)
    assert rerank.agreement("a dog", ["a dog runs fast"]) == pytest.approx(math.exp(-1))
    assert rerank.agreement("a dog runs fast", ["a dog"]) < 1.0  # longer: lower precision
    assert rerank.agreement("", ["a dog"]) == 0.0


def test_rerank_follows_the_vote_then_the_decoder_as_its_weight_grows() -> None:
    candidates = [[("a man sits on a bench", -0.5), ("a dog runs on the grass", -1.5)]]
    votes = [["a brown dog runs on the grass", "the dog runs", "a dog on grass"]]
    assert rerank.rerank(candidates, votes, weight=0.0) == ["a dog runs on the grass"]
    assert rerank.rerank(candidates, votes, weight=10.0) == ["a man sits on a bench"]
    with pytest.raises(ValueError, match="2 of references"):
        rerank.rerank(candidates, votes * 2, weight=0.0)


def test_choose_weight_keeps_the_weight_that_scores_best_on_validation_photos() -> None:
    bench = [("a man sits on a bench", -0.5), ("a dog runs on the grass", -1.5)]
    cats = [("two cats play with a ball", -0.5)]
    candidates = [bench, bench, cats]  # a third photo, so CIDEr-D's idf is not zero
    votes = [["a dog runs on the grass"]] * 2 + [["two cats play"]]
    truth = [["a man sits on a bench", "a man on a bench"]] * 2 + [["two cats play"]]
    weight, _ = rerank.choose_weight(candidates, votes, truth, weights=(0.0, 10.0))
    assert weight == 10.0  # the vote is wrong here: the decoder's own choice wins
    truth = [["a dog runs on the grass", "a dog on grass"]] * 2 + [["two cats play"]]
    weight, cider = rerank.choose_weight(candidates, votes, truth, weights=(0.0, 10.0))
    assert weight == 0.0 and cider > 0


def _model_and_vocab() -> tuple[ShowAndTell, Vocab]:
    torch.manual_seed(0)
    vocab = Vocab.build(["a dog runs on grass", "a man sits", "two cats play"], min_freq=1)
    return ShowAndTell(6, len(vocab), embed=8, hidden=12).eval(), vocab


def test_beam_hypotheses_are_best_first_and_the_first_is_beam_searchs() -> None:
    model, _ = _model_and_vocab()
    photos = torch.randn(3, 6)
    found = beam_hypotheses(model, photos, beam=4, max_len=6, alpha=0.6)  # type: ignore[arg-type]
    assert [len(row) for row in found] == [4, 4, 4]
    for row in found:
        scores = [score for _, score in row]
        assert scores == sorted(scores, reverse=True)
    best = beam_search(model, photos, beam=4, max_len=6, alpha=0.6)  # type: ignore[arg-type]
    assert [row[0][0] for row in found] == best


def test_caption_candidates_score_each_caption_per_word() -> None:
    model, vocab = _model_and_vocab()
    photos = torch.randn(2, 6)
    candidates = rerank.caption_candidates(model, photos, vocab, beam=3)
    raw = beam_hypotheses(model, photos, beam=3, max_len=20, alpha=0.0)  # type: ignore[arg-type]
    assert len(candidates) == 2 and all(len(row) == 3 for row in candidates)
    for row, raw_row in zip(candidates, raw, strict=True):
        for (caption, per_word), (ids, total) in zip(row, raw_row, strict=True):
            assert caption == vocab.decode(ids)
            assert per_word == pytest.approx(total / max(1, len(ids)))


def test_nearest_photos_come_nearest_first() -> None:
    train = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7], [-1.0, 0.1]])
    query = torch.tensor([[0.9, 0.2], [-1.0, 0.0]])
    nearest = baselines.nearest_photos(train, query, k=2)
    assert [row[0] for row in nearest] == [0, 3]
    assert all(len(row) == 2 and len(set(row)) == 2 for row in nearest)
