import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from practicum.grading.metrics import METRICS, accuracy, bleu, macro_f1, mae, rmse


def test_accuracy_keeps_its_contract() -> None:
    assert accuracy(np.array([1, 2, 3, 4]), np.array([1, 2, 0, 4])) == 0.75
    with pytest.raises(ValueError, match="3 predictions for 4 labels"):
        accuracy(np.array([1, 2, 3, 4]), np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="no labels"):
        accuracy(np.array([]), np.array([]))


def test_macro_f1_by_hand() -> None:
    # class 0: tp 1, fp 1, fn 1 -> 1/2; class 1: tp 2, fp 1 -> 4/5; class 2: tp 1, fn 1 -> 2/3
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 0])
    assert macro_f1(y_true, y_pred) == pytest.approx((1 / 2 + 4 / 5 + 2 / 3) / 3)


def test_macro_f1_counts_predicted_only_classes_and_ignores_absent_ones() -> None:
    # class 0: tp 1, fn 1 -> 2/3; class 3 is only predicted -> 0; class 5 appears nowhere
    assert macro_f1(np.array([0, 0]), np.array([0, 3])) == pytest.approx((2 / 3 + 0) / 2)
    assert macro_f1(np.array([4, 4]), np.array([4, 4])) == 1.0


def _reference_macro_f1(y_true: list[int], y_pred: list[int]) -> float:
    """Textbook precision/recall form, independent of the implementation's tp/fp/fn shortcut."""
    scores = []
    for c in sorted(set(y_true) | set(y_pred)):
        tp = sum(t == c and p == c for t, p in zip(y_true, y_pred, strict=True))
        predicted, actual = y_pred.count(c), y_true.count(c)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        both = precision + recall
        scores.append(2 * precision * recall / both if both else 0.0)
    return sum(scores) / len(scores)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=30))
def test_macro_f1_matches_the_textbook_form(pairs: list[tuple[int, int]]) -> None:
    y_true, y_pred = [t for t, _ in pairs], [p for _, p in pairs]
    assert macro_f1(np.array(y_true), np.array(y_pred)) == pytest.approx(
        _reference_macro_f1(y_true, y_pred)
    )


def test_rmse_and_mae_by_hand() -> None:
    y_true, y_pred = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0])
    assert rmse(y_true, y_pred) == pytest.approx(math.sqrt(4 / 3))
    assert mae(y_true, y_pred) == pytest.approx(2 / 3)
    images = np.zeros((2, 2, 2), np.float32)
    assert rmse(images, images + 0.5) == pytest.approx(0.5)  # over every pixel
    with pytest.raises(ValueError, match=r"rmse: predictions of shape \(2, 3\) for \(2, 2\)"):
        rmse(np.zeros((2, 2)), np.zeros((2, 3)))


def test_rmse_of_uint8_does_not_wrap_around() -> None:
    assert rmse(np.array([0], np.uint8), np.array([255], np.uint8)) == 255.0


def test_bleu_perfect_is_100_and_signature_says_how() -> None:
    sentences = ["私 は 学生 です", "the cat sat on the mat"]
    result = bleu(sentences, sentences)
    assert result.score == pytest.approx(100.0)
    assert "nrefs:1" in result.signature and "tok:none" in result.signature


def test_bleu_by_hand_brevity_penalty() -> None:
    # every n-gram precision is 1; the hypothesis is 4 tokens for 5: BP = exp(1 - 5/4)
    result = bleu(["a b c d e"], ["a b c d"])
    assert result.score == pytest.approx(100 * math.exp(-0.25))


def test_bleu_splits_on_spaces_only_by_default() -> None:
    assert bleu(["a,b c"], ["a , b c"]).score < 100  # 13a would have split the comma
    assert bleu(["a,b c"], ["a , b c"], tokenize="13a").score == pytest.approx(100.0)
    with pytest.raises(ValueError, match="1 hypotheses for 2 references"):
        bleu(["a", "b"], ["a"])


def test_registry_names_directions_and_kinds() -> None:
    assert set(METRICS) == {
        "accuracy",
        "macro_f1",
        "rmse",
        "mae",
        "bleu",
        "caption_bleu",
        "cider_d",
        "class_frechet",
        "class_consistency",
    }
    assert {n for n, m in METRICS.items() if m.higher_is_better} == {
        *("accuracy", "macro_f1", "bleu", "caption_bleu", "cider_d", "class_consistency"),
    }
    assert all(name == info.name for name, info in METRICS.items())
    assert "images" in METRICS["rmse"].kinds
    assert all(METRICS[name].kinds == ("tokens",) for name in ("bleu", "caption_bleu", "cider_d"))
    assert all(
        METRICS[name].kinds == ("images",) for name in ("class_frechet", "class_consistency")
    )
    assert METRICS["bleu"].fn(["a b c d"], ["a b c d"]) == pytest.approx(100.0)
    assert METRICS["accuracy"].fn(np.array([1, 0]), np.array([1, 1])) == 0.5
