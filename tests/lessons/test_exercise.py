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
