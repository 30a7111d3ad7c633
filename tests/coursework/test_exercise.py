"""exercise.checked: the student's version when right, the reference (and why) otherwise."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from numpy.typing import NDArray

from practicum.coursework import exercise


def reference(x: NDArray[Any]) -> NDArray[Any]:
    return x * 2


def test_a_right_answer_is_kept(capsys: pytest.CaptureFixture[str]) -> None:
    def double(x: NDArray[Any]) -> NDArray[Any]:
        return x + x

    assert exercise.checked(double, reference=reference, cases=[(np.arange(3.0),)]) is double
    assert capsys.readouterr().out == "✓ double is correct\n"


def test_not_implemented_falls_back_to_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    def double(x: NDArray[Any]) -> NDArray[Any]:
        raise NotImplementedError()

    assert exercise.checked(double, reference=reference, cases=[(np.arange(3.0),)]) is reference
    out = capsys.readouterr().out
    assert "✗ double: not implemented yet; using the reference version" in out


def test_a_wrong_answer_shows_input_and_both_outputs(capsys: pytest.CaptureFixture[str]) -> None:
    def double(x: NDArray[Any]) -> NDArray[Any]:
        return x * 3

    assert exercise.checked(double, reference=reference, cases=[(np.array([1.0]),)]) is reference
    out = capsys.readouterr().out
    assert "wrong on input [1.]: got [3.], expected [2.]" in out


def test_a_crash_and_a_wrong_shape_are_caught(capsys: pytest.CaptureFixture[str]) -> None:
    def crashes(x: NDArray[Any]) -> NDArray[Any]:
        return x @ np.ones((5, 5))

    def flattens(x: NDArray[Any]) -> NDArray[Any]:
        return (x * 2).ravel()

    case = [(np.ones((2, 3)),)]
    assert exercise.checked(crashes, reference=reference, cases=case) is reference
    assert "raised ValueError" in capsys.readouterr().out
    assert exercise.checked(flattens, reference=reference, cases=case) is reference
    assert "wrong on input" in capsys.readouterr().out


def test_inputs_are_copied_so_a_mutating_answer_cannot_spoil_the_reference() -> None:
    def doubles_in_place(x: NDArray[Any]) -> NDArray[Any]:
        x *= 2
        return x

    data = np.ones(3)
    assert (
        exercise.checked(doubles_in_place, reference=reference, cases=[(data,)]) is doubles_in_place
    )
    np.testing.assert_array_equal(data, np.ones(3))


def test_check_callables_and_their_messages(capsys: pytest.CaptureFixture[str]) -> None:
    def too_big(fn: Any) -> None:
        assert fn(np.array([1.0]))[0] < 2.5, "too big"

    def triple(x: NDArray[Any]) -> NDArray[Any]:
        return x * 3

    assert exercise.checked(triple, reference=reference, check=too_big, name="scale") is reference
    assert "✗ scale: wrong: too big; using the reference" in capsys.readouterr().out
    assert exercise.checked(reference, reference=triple, check=too_big) is reference


def test_same_compares_tensors_arrays_tuples_and_floats() -> None:
    assert exercise.same(torch.tensor([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]))
    assert exercise.same((1.0, np.zeros(2)), [1.0, np.zeros(2)])
    assert not exercise.same((1.0,), (1.0, 2.0))
    assert not exercise.same(np.zeros((2, 1)), np.zeros(2))
    assert exercise.same("a", "a") and not exercise.same("a", "b")


# ---------------------------------------------------------------------------------------
# Registered exercises: the reference found by id, outcomes recorded, the summary
# ---------------------------------------------------------------------------------------

SOFTMAX_CASES = [(np.array([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0]]),)]


def my_softmax(z: NDArray[Any]) -> NDArray[Any]:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def unsolved(z: NDArray[Any]) -> NDArray[Any]:
    raise NotImplementedError


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """No course site; calls to report_exercise are collected instead of made."""
    from practicum import client

    monkeypatch.delenv("PRACTICUM_URL", raising=False)
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(client, "report_exercise", lambda *a, **kw: calls.append((*a, kw)) or True)
    return calls


def test_every_registered_reference_resolves_and_ids_are_unique() -> None:
    seen = set()
    for entry in exercise.EXERCISES:
        assert callable(entry.resolve()), entry
        assert (entry.lesson, entry.id) not in seen
        seen.add((entry.lesson, entry.id))
        for method in entry.methods:
            assert callable(getattr(entry.resolve(), method))
    with pytest.raises(KeyError, match="lesson 1 has no exercise 'nope'"):
        exercise.find(1, "nope")


def test_the_reference_is_found_by_id_and_the_outcome_recorded(
    offline: list[tuple[Any, ...]], capsys: pytest.CaptureFixture[str]
) -> None:
    from practicum.coursework import progress
    from practicum.lessons.lesson1 import mlp

    got = exercise.checked(unsolved, lesson=1, exercise="softmax", cases=SOFTMAX_CASES)
    assert got is mlp.softmax
    assert "✗ unsolved: not implemented yet; using the reference" in capsys.readouterr().out
    entry = progress.exercise_results(1)["softmax"]
    assert entry["done"] is False and entry["used_reference"] is True
    assert exercise.checked(my_softmax, lesson=1, exercise="softmax", cases=SOFTMAX_CASES) is (
        my_softmax
    )
    entry = progress.exercise_results(1)["softmax"]
    assert entry["done"] is True and entry["used_reference"] is False
    assert offline == []  # no course site: nothing sent


def test_on_a_course_each_outcome_is_sent(
    offline: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRACTICUM_URL", "http://course.test")
    exercise.checked(unsolved, lesson=1, exercise="softmax", cases=SOFTMAX_CASES)
    exercise.checked(my_softmax, lesson=1, exercise="softmax", cases=SOFTMAX_CASES)
    assert offline == [
        (1, "softmax", {"done": False, "used_reference": True}),
        (1, "softmax", {"done": True, "used_reference": False}),
    ]


def test_an_unreachable_course_site_costs_one_line_and_the_notebook_goes_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("PRACTICUM_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("PRACTICUM_TOKEN", "t")
    got = exercise.checked(my_softmax, lesson=1, exercise="softmax", cases=SOFTMAX_CASES)
    assert got is my_softmax
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "✓ my_softmax is correct"
    assert len(out) == 2 and "softmax was not recorded on the course site" in out[1]


def test_an_unwritable_progress_file_is_one_line(
    offline: list[tuple[Any, ...]], capsys: pytest.CaptureFixture[str]
) -> None:
    from practicum.coursework import progress

    progress.progress_path().parent.mkdir(parents=True, exist_ok=True)
    progress.progress_path().write_text("{broken")
    assert exercise.checked(my_softmax, lesson=1, exercise="softmax", cases=SOFTMAX_CASES)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[1].startswith("(this result was not recorded:")


def test_the_summary_counts_done_exercises_and_names_the_fallbacks(
    offline: list[tuple[Any, ...]], capsys: pytest.CaptureFixture[str]
) -> None:
    from practicum.coursework import progress

    for entry in exercise.lesson_exercises(1):
        if entry.id != "l1_penalty":
            fell_back = entry.id in ("softmax", "l2_penalty")
            progress.record_exercise(1, entry.id, done=not fell_back, used_reference=fell_back)
    total = len(exercise.lesson_exercises(1))
    exercise.summary(1)
    text = exercise.summary_text(1)
    assert text.splitlines()[0] == (
        f"Lesson 1: {total - 3}/{total} exercises done; the reference was used for: softmax, "
        "l2_penalty; not checked yet: l1_penalty (Section 4)."
    )
    assert f"Your progress is kept in {progress.progress_path()}." in text
    assert capsys.readouterr().out == text + "\n"
    progress.record_exercise(1, "softmax", done=True, used_reference=False)
    progress.record_exercise(1, "l2_penalty", done=True, used_reference=False)
    progress.record_exercise(1, "l1_penalty", done=True, used_reference=False)
    assert exercise.summary_text(1).splitlines()[0] == f"Lesson 1: {total}/{total} exercises done."


# ---------------------------------------------------------------------------------------
# A student's version that only hands the work to the reference fails its check
# ---------------------------------------------------------------------------------------


def test_a_version_that_calls_the_reference_fails(capsys: pytest.CaptureFixture[str]) -> None:
    from practicum.lessons.lesson1 import mlp

    def softmax(z: NDArray[Any]) -> NDArray[Any]:
        return helper(z)

    def helper(z: NDArray[Any]) -> NDArray[Any]:
        return mlp.softmax(z)  # one call away still counts

    assert exercise.checked(softmax, reference=mlp.softmax, cases=SOFTMAX_CASES) is mlp.softmax
    assert "calls the reference version instead of computing" in capsys.readouterr().out
    assert exercise.checked(mlp.softmax, reference=mlp.softmax, cases=SOFTMAX_CASES)
    assert "is the reference version itself" in capsys.readouterr().out


def test_a_check_may_use_the_reference_itself(capsys: pytest.CaptureFixture[str]) -> None:
    seen = []

    def compare(candidate: Any, ref: Any) -> None:
        seen.append(ref)
        x = np.arange(3.0)
        assert exercise.same(candidate(x), ref(x)), "differs"

    def double(x: NDArray[Any]) -> NDArray[Any]:
        return x + x

    assert exercise.checked(double, reference=reference, check=compare) is double
    assert seen == [reference]
    assert "✓ double is correct" in capsys.readouterr().out


def test_a_class_exercise_must_write_its_methods_itself(
    offline: list[tuple[Any, ...]], capsys: pytest.CaptureFixture[str]
) -> None:
    from practicum.lessons.lesson1 import mlp

    def matches(cls: Any) -> None:
        rng = np.random.default_rng(0)
        model = cls((6, 5, 3), seed=0)
        x, y = rng.normal(size=(4, 6)), mlp.one_hot(rng.integers(0, 3, size=4), 3)
        assert model.gradient_check(x, y) < 1e-6, "gradients differ"

    class Inherits(mlp.NumpyMLP):
        pass

    class Delegates(mlp.NumpyMLP):
        def backward(self, y_onehot: Any) -> None:
            super().backward(y_onehot)

    class Own(mlp.NumpyMLP):
        def backward(self, y_onehot: Any) -> None:
            delta = (self.probs - y_onehot) / len(y_onehot)
            for i in reversed(range(len(self.weights))):
                self.grad_weights[i] = self.inputs[i].T @ delta
                self.grad_biases[i] = delta.sum(axis=0)
                if i > 0:
                    delta = (delta @ self.weights[i].T) * (self.pre_activations[i - 1] > 0)

    kw: dict[str, Any] = {"lesson": 1, "exercise": "mlp_backward", "check": matches}
    assert exercise.checked(Inherits, **kw) is mlp.NumpyMLP
    assert "write backward in your class" in capsys.readouterr().out
    assert exercise.checked(Delegates, **kw) is mlp.NumpyMLP
    assert "calls the reference version" in capsys.readouterr().out
    assert exercise.checked(Own, **kw) is Own
    assert "✓ Own is correct" in capsys.readouterr().out
