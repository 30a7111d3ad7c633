"""CIDEr-D as coco-caption computes it: cases worked out by hand, its properties, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from practicum.train.cider import caption_tokens, cider_d

PENALTY_1 = math.exp(-1 / 72)
"""The Gaussian length penalty for lengths one bigram apart: exp(-1 / (2 * 6^2))."""


def test_two_images_by_hand() -> None:
    # Two images, one reference each: "a dog runs" and "a cat sits". L = log(2 images).
    # Document frequencies: "a" is in both images (df 2), every other n-gram in one (df 1).
    # Weights tf * (L - log df): "a" -> L - log 2 = 0; every other n-gram -> L.
    #
    # Image 0, hypothesis "a dog runs" = its reference, so both vectors are the same:
    #   n=1 {a: 0, dog: L, runs: L}, norm sqrt(2) L: (0 + L^2 + L^2) / (2 L^2) = 1
    #   n=2 {a dog: L, dog runs: L}: 1;  n=3 {a dog runs: L}: 1
    #   n=4 no 4-grams, both norms 0: 0 (CIDEr-D leaves it 0 rather than dividing by 0)
    #   lengths 2 and 2 bigrams: no penalty. 10 * mean(1, 1, 1, 0) = 7.5
    # Image 1, hypothesis "a cat" for "a cat sits":
    #   n=1 hyp {a: 0, cat: L} norm L, ref {a: 0, cat: L, sits: L} norm sqrt(2) L:
    #       min(L, L) * L / (L * sqrt(2) L) = 1 / sqrt(2)
    #   n=2 hyp {a cat: L} norm L, ref {a cat: L, cat sits: L} norm sqrt(2) L: 1 / sqrt(2)
    #   n=3, n=4: the hypothesis has none: 0
    #   lengths 1 and 2 bigrams: penalty exp(-1 / 72)
    #   10 * mean(1/sqrt(2), 1/sqrt(2), 0, 0) * exp(-1/72) = 10 * sqrt(2) / 4 * exp(-1/72)
    result = cider_d([["a dog runs"], ["a cat sits"]], ["a dog runs", "a cat"])
    image_1 = 10 * math.sqrt(2) / 4 * PENALTY_1
    assert result.per_item == pytest.approx([7.5, image_1], abs=1e-12)
    assert result.per_item.dtype == np.float64
    assert result.score == pytest.approx((7.5 + image_1) / 2, abs=1e-12)
    assert result.score == pytest.approx(5.4933843, abs=1e-7)


def test_weights_are_clipped_to_the_reference_so_repeating_a_word_does_not_pay() -> None:
    # Two images, references "dog runs" and "cat sits"; every n-gram has df 1, weight L.
    # Reference 0: n=1 {dog: L, runs: L} norm sqrt(2) L; n=2 {dog runs: L}; 1 bigram.
    # "dog": n=1 {dog: L} norm L: L * L / (L * sqrt(2) L) = 1/sqrt(2); no bigrams: 0;
    #   0 bigrams against 1: exp(-1/72). 10 * (1/sqrt(2)) / 4 * exp(-1/72)
    # "dog dog": n=1 {dog: 2L} norm 2L: min(2L, L) * L / (2L * sqrt(2) L) = 1 / (2 sqrt(2))
    #   (unclipped, 2L * L would make it the plain cosine 1/sqrt(2) again);
    #   n=2 {dog dog: L}: the reference has no "dog dog": 0; 1 bigram, as many as the
    #   reference: no penalty. 10 * (1 / (2 sqrt(2))) / 4
    refs = [["dog runs"], ["cat sits"]]
    once = cider_d(refs, ["dog", "cat sits"]).per_item[0]
    twice = cider_d(refs, ["dog dog", "cat sits"]).per_item[0]
    assert once == pytest.approx(10 / (4 * math.sqrt(2)) * PENALTY_1, abs=1e-12)
    assert twice == pytest.approx(10 / (8 * math.sqrt(2)), abs=1e-12)
    assert twice < once
    assert cider_d(refs, ["dog runs dog runs dog runs", "cat sits"]).per_item[0] < 10


def test_the_mean_over_references_and_the_document_frequency_per_image() -> None:
    # Image 0 has two references, "a dog" and "a dog", image 1 one, "a cat". "a dog" counts
    # once for image 0's document frequency (df 1, not 2); "a" is in both images (weight 0).
    # Hypothesis 0 "a dog" equals both references: n=1 {a: 0, dog: L} vs the same: 1;
    # n=2 {a dog: L}: 1; n=3, n=4 empty: 0. Per reference 10 * mean(1, 1, 0, 0) = 5, and
    # the mean over the two references is 5 again.
    result = cider_d([["a dog", "a dog"], ["a cat"]], ["a dog", "a cat"])
    assert result.per_item == pytest.approx([5.0, 5.0], abs=1e-12)
    # With a second reference "the dog" instead, image 0's n-grams: a, dog, a dog, the,
    # the dog, each in image 0 only (df 1, weight L) except "a" (df 2, weight 0).
    # Against "a dog": 5 as before. Against "the dog": n=1 hyp {a: 0, dog: L} norm L, ref
    # {the: L, dog: L} norm sqrt(2) L: L^2 / (sqrt(2) L^2) = 1/sqrt(2); n=2: "a dog" is not
    # "the dog": 0. 10 * mean(1/sqrt(2), 0, 0, 0) = 10 / (4 sqrt(2)). Mean of the two.
    mixed = cider_d([["a dog", "the dog"], ["a cat"]], ["a dog", "a cat"])
    assert mixed.per_item[0] == pytest.approx((5 + 10 / (4 * math.sqrt(2))) / 2, abs=1e-12)


def test_a_corpus_of_one_image_scores_0_because_every_idf_is_0() -> None:
    # log(1 image) - log(max(1, df)) = 0 for every n-gram, so every vector and norm is 0;
    # CIDEr-D then leaves each part 0 (pycocoevalcap's plain CIDEr would say NaN).
    result = cider_d([["a dog runs on the grass"]], ["a dog runs on the grass"])
    assert (result.score, result.per_item.tolist()) == (0.0, [0.0])


def test_n_grams_common_to_every_image_weigh_nothing() -> None:
    # "a dog" is in both images' references: weight 0 everywhere, nothing left to match
    result = cider_d([["a dog"], ["a dog"]], ["a dog", "a dog"])
    assert result.per_item.tolist() == [0.0, 0.0]


def test_perfect_captions_of_four_tokens_or_more_score_10() -> None:
    references = [["a dog runs on grass"], ["two men are talking outside"], ["a red car"]]
    result = cider_d(references, [r[0] for r in references])
    # four tokens or more: every n has its n-grams; 3 tokens: no 4-grams, 7.5 at most
    assert result.per_item == pytest.approx([10.0, 10.0, 7.5], abs=1e-12)


CORPUS = [
    [
        "a brown dog runs across the grass",
        "a dog is running on a lawn",
        "the puppy sprints through a green field",
        "a brown dog playing outside",
        "dog running in the park",
    ],
    [
        "two men talk on a street corner",
        "a pair of men are chatting outside",
        "two people having a conversation in the city",
        "men talking near a building",
        "two guys standing and talking",
    ],
    [
        "a child jumps into a swimming pool",
        "a little girl splashes in the water",
        "kid diving into the pool",
        "a young child swimming",
        "a girl jumps in the blue pool",
    ],
]


def test_a_caption_equal_to_one_of_several_references_beats_an_unrelated_one() -> None:
    good = [refs[1] for refs in CORPUS]
    unrelated = ["a plate of food on a table"] * len(CORPUS)
    matching, other = cider_d(CORPUS, good), cider_d(CORPUS, unrelated)
    assert (matching.per_item > other.per_item).all()
    # its own reference gives 10 / 5 at most; the others add a little
    assert 2 < matching.score < 4
    assert other.score < 0.5


def test_the_length_penalty_grows_with_the_difference() -> None:
    references = [["a dog runs on the green grass"], ["a cat sleeps"], ["a bird flies"]]
    base = ["a dog runs on the green grass", "a cat sleeps", "a bird flies"]
    longer = [f"{base[0]} {' '.join(['and'] * k)}" for k in (2, 6, 12)]
    scores = [cider_d(references, [text, *base[1:]]).per_item[0] for text in [base[0], *longer]]
    assert scores == sorted(scores, reverse=True) and scores[-1] < scores[0] / 2


def test_captions_are_tokenised_like_coco_caption() -> None:
    assert caption_tokens("A Dog's ball, (red)!") == ["a", "dog", "'s", "ball", "red"]
    assert caption_tokens("Don't stop... the black-and-white dog -- at 3.5 m.") == [
        *("do", "n't", "stop", "the", "black-and-white", "dog", "at", "3.5", "m"),
    ]
    assert caption_tokens('the dogs\' "toy" ; `x` : - ') == ["the", "dogs", "toy", "x"]
    assert caption_tokens("A dog 's bone .") == ["a", "dog", "'s", "bone"]  # Flickr8k spacing
    assert caption_tokens("") == []
    # case and punctuation do not change the score
    refs = [["A dog runs on the grass."], ["Two men talk."]]
    plain = cider_d([["a dog runs on the grass"], ["two men talk"]], ["a dog runs", "men"])
    messy = cider_d(refs, ["A DOG, runs!", "Men..."])
    assert messy.per_item == pytest.approx(plain.per_item, abs=1e-12)


def test_empty_hypotheses_score_0() -> None:
    result = cider_d(CORPUS, ["", "", ""])
    assert result.per_item.tolist() == [0.0, 0.0, 0.0]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.text("abc d", max_size=12), min_size=1, max_size=4),
            st.text("abc d", max_size=12),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_scores_lie_in_0_to_10(items: list[tuple[list[str], str]]) -> None:
    result = cider_d([refs for refs, _ in items], [hyp for _, hyp in items])
    assert np.isfinite(result.per_item).all()
    assert ((result.per_item >= 0) & (result.per_item <= 10 + 1e-9)).all()
    assert result.score == pytest.approx(float(np.mean(result.per_item)))


@pytest.mark.parametrize(
    ("references", "hypotheses", "message"),
    [
        ([["a"], ["b"]], ["a"], "1 hypotheses for 2 images of references"),
        ([], [], "no images"),
        (["a dog", "a cat"], ["a", "b"], r"references\[0\] is one string"),
        ([["a dog"], []], ["a", "b"], "image 1 has no references"),
        ([["a dog", None]], ["a"], "image 0: a reference is NoneType, not text"),
        ([["a dog"]], [3], "hypothesis 0 is int, not text"),
        ([["a dog"]], "a dog", "hypotheses is one string"),
    ],
)
def test_bad_input_is_refused(references: object, hypotheses: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cider_d(references, hypotheses)  # type: ignore[arg-type]
