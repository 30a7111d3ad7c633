"""BLEU against several references an item (captions): by hand, against sacrebleu itself, with
ragged references, and through `scoring.score` with a public/private split."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sacrebleu
from sacrebleu.metrics.bleu import BLEU

from practicum.grading.metrics import (
    METRICS,
    bleu,
    caption_bleu,
    caption_bleu_signature,
    reference_sets,
    signature,
)
from practicum.grading.scoring import score
from practicum.grading.submission import SubmissionSpec, parse_predictions
from practicum.train.cider import cider_d

CAPTION_SIGNATURE = f"nrefs:var|case:lc|eff:no|tok:13a|smooth:exp|version:{sacrebleu.__version__}"


def test_the_closest_reference_length_sets_the_brevity_penalty() -> None:
    # every n-gram of "a b c d" is in the references: all precisions 1. One reference of 6
    # tokens: BP = exp(1 - 6/4). With a second reference of 4 tokens, the closest: BP = 1.
    assert bleu(["a b c d e f"], ["a b c d"]).score == pytest.approx(100 * math.exp(-0.5))
    two = np.array([["a b c d e f", "a b c d"]])
    assert bleu(two, ["a b c d"]).score == pytest.approx(100.0)
    assert "nrefs:2" in bleu(two, ["a b c d"]).signature


def test_ragged_references_leave_a_short_item_its_brevity_penalty() -> None:
    # item 0: "a b" for ["a b c d e f"] (padded with ""), item 1: "w x y z" for itself twice.
    # n-grams: 1-grams 2/2 + 4/4, 2-grams 1/1 + 3/3, 3-grams 0/0 + 2/2, 4-grams 0/0 + 1/1:
    # every precision 1. Lengths: hypotheses 2 + 4 = 6, closest references 6 + 4 = 10,
    # so BP = exp(1 - 10/6). Had the padding "" been a reference, its length 0 would be the
    # closest to "a b" (|2 - 0| < |2 - 6|), the references would total 4 < 6 and BP be 1.
    references = np.array([["a b c d e f", ""], ["w x y z", "w x y z"]])
    expected = 100 * math.exp(1 - 10 / 6)
    result = caption_bleu(references, ["a b", "w x y z"])
    assert result.score == pytest.approx(expected)
    assert result.signature == CAPTION_SIGNATURE
    padded_wrongly = BLEU().corpus_score(
        ["a b", "w x y z"], [["a b c d e f", "w x y z"], ["", "w x y z"]]
    )
    assert padded_wrongly.score == pytest.approx(100.0)
    # the same references as lists of different lengths
    as_lists = [["a b c d e f"], ["w x y z", "w x y z"]]
    assert caption_bleu(as_lists, ["a b", "w x y z"]).score == pytest.approx(expected)


def test_caption_bleu_is_sacrebleu_lowercased_with_13a_on_every_reference() -> None:
    references = np.array(
        [
            ["A dog runs on the grass.", "A brown dog is running outside.", ""],
            ["Two men talk on a street.", "Two people are talking.", "Men chat outside."],
            ["A child jumps into the pool.", "", ""],
        ]
    )
    hypotheses = ["a dog is running on the grass", "two men are talking .", "A CHILD JUMPS."]
    streams = [[str(r) if r else None for r in column] for column in references.T]
    expected = BLEU(lowercase=True).corpus_score(hypotheses, streams)
    result = caption_bleu(references, hypotheses)
    assert result.score == pytest.approx(expected.score)
    assert 0 < result.score < 100
    perfect = caption_bleu(references, [row[0].upper() for row in references])
    assert perfect.score == pytest.approx(100.0)  # case does not count


def test_bleu_still_takes_one_reference_a_sentence_and_an_empty_one_counts() -> None:
    sentences = np.array(["私 は 学生 です", "the cat sat on the mat"])
    assert bleu(sentences, sentences).score == pytest.approx(100.0)
    # one reference given as a string is that reference, "" included (an empty sentence)
    result = bleu(["a b c d", ""], ["a b c d", ""])
    assert "nrefs:1" in result.signature and result.score == pytest.approx(100.0)


def test_the_signatures_say_how_captions_are_scored() -> None:
    assert caption_bleu_signature() == CAPTION_SIGNATURE
    assert signature("caption_bleu") == CAPTION_SIGNATURE
    assert signature("bleu") is not None and "tok:none" in str(signature("bleu"))
    assert signature("cider_d") is None and signature("accuracy") is None


@pytest.mark.parametrize(
    ("references", "message"),
    [
        (np.array([["a b", ""], ["", ""]]), "caption_bleu: item 1 has no reference"),
        ([["a b"], [None]], "caption_bleu: item 1: references must be text"),
        ([["a b"], 3], "caption_bleu: item 1: references must be text"),
    ],
)
def test_reference_sets_refuse_items_without_text(references: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        reference_sets(references, "caption_bleu")  # type: ignore[arg-type]


def test_reference_sets_drop_the_padding() -> None:
    sets = reference_sets(np.array([["a", "b", ""], ["c", "", ""]]), "x")
    assert sets == [["a", "b"], ["c"]]
    assert reference_sets(np.array(["a", ""]), "x") == [["a"], [""]]


def test_counts_must_agree() -> None:
    with pytest.raises(ValueError, match="1 hypotheses for 2 references"):
        caption_bleu(np.array([["a", "b"], ["c", "d"]]), ["a"])
    with pytest.raises(ValueError, match="no references"):
        caption_bleu(np.zeros((0, 5), str), [])


MASK = np.array([True, True, False, False, False])
REFERENCES = np.array(
    [
        ["a dog runs on the grass", "a brown dog running", "", ""],
        ["two men talk on a street", "two people are talking", "men chat outside", ""],
        ["a child jumps into a pool", "a girl splashes in the water", "", ""],
        ["a red car parked by a wall", "a car on the road", "a red vehicle", "a parked car"],
        ["a bird sits on a branch", "", "", ""],
    ]
)


def test_score_splits_multi_reference_captions_by_the_mask() -> None:
    hypotheses = [
        "a dog runs on the grass",
        "two men talking",
        "a child jumps into the water",
        "a car",
        "a bird on a branch",
    ]
    parsed = parse_predictions(hypotheses, SubmissionSpec("tokens", 5))
    public, private = np.flatnonzero(MASK), np.flatnonzero(~MASK)
    scores = score(parsed, REFERENCES, MASK, "caption_bleu")
    assert scores.public == pytest.approx(
        caption_bleu(REFERENCES[public], [hypotheses[i] for i in public]).score
    )
    assert scores.private == pytest.approx(
        caption_bleu(REFERENCES[private], [hypotheses[i] for i in private]).score
    )
    assert scores.full == pytest.approx(caption_bleu(REFERENCES, hypotheses).score)
    assert len({scores.public, scores.private, scores.full}) == 3

    # CIDEr-D: each part is a corpus of its own, document frequencies included
    cider = score(parsed, REFERENCES, MASK, "cider_d")
    sets = reference_sets(REFERENCES, "cider_d")
    assert cider.public == pytest.approx(
        cider_d([sets[i] for i in public], [hypotheses[i] for i in public]).score
    )
    assert cider.private == pytest.approx(
        cider_d([sets[i] for i in private], [hypotheses[i] for i in private]).score
    )
    assert cider.full == pytest.approx(cider_d(sets, hypotheses).score)


def test_a_perfect_public_part_and_an_empty_private_one() -> None:
    hypotheses = [str(row[0]) for row in REFERENCES[:2]] + ["", "", ""]
    parsed = parse_predictions(hypotheses, SubmissionSpec("tokens", 5))
    scores = score(parsed, REFERENCES, MASK, "caption_bleu")
    assert (scores.public, scores.private) == (pytest.approx(100.0), 0.0)
    assert METRICS["caption_bleu"].higher_is_better and METRICS["cider_d"].higher_is_better


def test_bleu_scores_two_dimensional_references_through_score() -> None:
    hypotheses = ["a brown dog running", "men chat outside", "x", "a parked car", "y"]
    parsed = parse_predictions(hypotheses, SubmissionSpec("tokens", 5))
    scores = score(parsed, REFERENCES, MASK, "bleu")
    assert scores.public == pytest.approx(100.0)  # the second, third reference match
    assert scores.private < 100
