from datetime import datetime, timedelta

import numpy as np
import pytest

from practicum.grading.metrics import bleu, rmse
from practicum.grading.scoring import Row, SubmissionScore, leaderboard, score
from practicum.grading.submission import SubmissionSpec, parse_predictions

MASK = np.array([True, True, False, False, False])


def test_labels_scored_on_each_part() -> None:
    spec = SubmissionSpec("labels", 5, n_classes=3)
    parsed = parse_predictions(np.array([0, 1, 2, 2, 0]), spec)
    scores = score(parsed, np.array([0, 0, 2, 2, 2]), MASK, "accuracy")
    assert (scores.public, scores.full) == (0.5, 0.6)
    assert scores.private == pytest.approx(2 / 3)


def test_default_metric_for_images_is_rmse_over_pixels() -> None:
    truth = np.zeros((5, 2, 2), np.float32)
    predictions = np.zeros((5, 2, 2), np.float32)
    predictions[0] = 0.5  # only a public image is off
    parsed = parse_predictions(predictions, SubmissionSpec("images", 5, image_shape=(2, 2)))
    scores = score(parsed, truth, MASK)
    assert scores.public == pytest.approx(rmse(truth[:2], predictions[:2]))
    assert scores.private == 0.0
    assert scores.full == pytest.approx(np.sqrt(0.25 * 4 / 20))


def test_tokens_scored_with_bleu_on_the_masked_references() -> None:
    references = ["a b c d", "e f g h", "i j k l", "m n o p", "q r s t"]
    hypotheses = ["a b c d", "e f g h", "x y z w", "m n o p", "q r s t"]
    parsed = parse_predictions(hypotheses, SubmissionSpec("tokens", 5))
    scores = score(parsed, references, MASK)
    assert scores.public == pytest.approx(100.0)
    assert scores.private == pytest.approx(bleu(references[2:], hypotheses[2:]).score)
    assert scores.private < 100


def test_regression_with_mae() -> None:
    parsed = parse_predictions([1.0, 1.0, 1.0, 1.0, 1.0], SubmissionSpec("regression", 5))
    scores = score(parsed, np.array([1.0, 3.0, 1.0, 1.0, 4.0]), MASK, "mae")
    assert (scores.public, scores.private, scores.full) == (1.0, 1.0, 1.0)


def test_score_refuses_mismatches() -> None:
    parsed = parse_predictions([0, 1, 2, 2, 0], SubmissionSpec("labels", 5, n_classes=3))
    truth = np.zeros(5, np.int64)
    with pytest.raises(ValueError, match="metric bleu cannot score labels"):
        score(parsed, truth, MASK, "bleu")
    with pytest.raises(ValueError, match="unknown metric 'f2'"):
        score(parsed, truth, MASK, "f2")
    with pytest.raises(ValueError, match="4 truths"):
        score(parsed, truth[:4], MASK)
    with pytest.raises(ValueError, match="public or the private part empty"):
        score(parsed, truth, np.ones(5, bool))


T0 = datetime(2026, 3, 1, 12, 0)


def sub(sid: int, student: str, minutes: int, public: float, private: float) -> SubmissionScore:
    return SubmissionScore(sid, student, T0 + timedelta(minutes=minutes), public, private)


SUBMISSIONS = [
    sub(1, "ann", 0, 0.80, 0.70),
    sub(2, "ann", 10, 0.90, 0.60),
    sub(3, "bob", 5, 0.90, 0.75),
    sub(4, "cat", 1, 0.85, 0.80),
    sub(5, "bob", 20, 0.90, 0.90),  # same public score as bob's #3, but later
]


def test_best_per_student_with_ties_going_to_the_earlier_submission() -> None:
    rows = leaderboard(SUBMISSIONS, use="public", higher_is_better=True)
    assert [(r.rank, r.student, r.submission_id, r.entries) for r in rows] == [
        (1, "bob", 3, 2),  # 0.90 at minute 5 beats ann's 0.90 at minute 10
        (2, "ann", 2, 2),
        (3, "cat", 4, 1),
    ]
    assert rows[0] == Row(1, "bob", 0.90, 3, T0 + timedelta(minutes=5), 2)


def test_private_board_ranks_on_private_scores() -> None:
    rows = leaderboard(SUBMISSIONS, use="private", higher_is_better=True)
    assert [(r.student, r.score, r.submission_id) for r in rows] == [
        ("bob", 0.90, 5),
        ("cat", 0.80, 4),
        ("ann", 0.70, 1),
    ]


def test_picks_restrict_the_choice() -> None:
    rows = leaderboard(
        SUBMISSIONS,
        use="private",
        higher_is_better=True,
        picks={"ann": [2], "bob": [], "cat": [99]},
    )
    by_student = {r.student: r for r in rows}
    assert by_student["ann"].submission_id == 2  # picked, though #1 scores better
    assert by_student["ann"].entries == 2
    assert by_student["bob"].submission_id == 5  # no picks: best of all
    assert by_student["cat"].submission_id == 4  # a pick that is not theirs is ignored
    assert [r.student for r in rows] == ["bob", "cat", "ann"]


def test_lower_is_better_for_errors() -> None:
    errors = [sub(1, "ann", 0, 0.3, 0.3), sub(2, "bob", 1, 0.1, 0.5), sub(3, "ann", 2, 0.2, 0.2)]
    rows = leaderboard(errors, use="public", higher_is_better=False)
    assert [(r.rank, r.student, r.score) for r in rows] == [(1, "bob", 0.1), (2, "ann", 0.2)]


def test_equal_scores_between_students_rank_the_earlier_first_without_sharing() -> None:
    same = [
        sub(1, "late", 9, 0.5, 0.5),
        sub(2, "early", 3, 0.5, 0.5),
        sub(3, "nan", 0, float("nan"), 0),
    ]
    rows = leaderboard(same, use="public", higher_is_better=True)
    assert [(r.rank, r.student) for r in rows] == [(1, "early"), (2, "late"), (3, "nan")]
    assert leaderboard([], use="public", higher_is_better=True) == []
