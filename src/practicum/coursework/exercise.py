"""Checks for the exercises of the lesson notebooks.

An exercise notebook must run top to bottom even before the student writes a line, so
every exercise goes through `checked`: it tests the student's version and hands back the
student's version when it is right, the reference version otherwise, saying which.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import torch

T = TypeVar("T")


def checked(
    candidate: T,
    *,
    reference: T,
    cases: Sequence[tuple[Any, ...]] = (),
    check: Callable[[T], None] | None = None,
    name: str | None = None,
    rtol: float = 1e-5,
    atol: float = 1e-7,
) -> T:
    """The student's `candidate` when it passes, else `reference`, with a one-line verdict.

    `cases` are argument tuples on which candidate and reference must give the same
    result (arrays compared with a tolerance); `check`, when given, is called with the
    candidate and raises AssertionError with a message when something is wrong.
    """
    label = name or getattr(candidate, "__name__", "your code")
    problem = _find_problem(candidate, reference, cases, check, rtol, atol)
    if problem is None:
        print(f"✓ {label} is correct")
        return candidate
    print(f"✗ {label}: {problem}; using the reference version so the notebook can go on")
    return reference


def _find_problem(
    candidate: T,
    reference: T,
    cases: Sequence[tuple[Any, ...]],
    check: Callable[[T], None] | None,
    rtol: float,
    atol: float,
) -> str | None:
    if not callable(candidate) or not callable(reference):
        raise TypeError("checked: candidate and reference must be functions or classes")
    for args in cases:
        try:
            got = candidate(*copy.deepcopy(args))
        except NotImplementedError:
            return "not implemented yet"
        except Exception as error:  # the student's bug, reported instead of raised
            return f"raised {type(error).__name__}: {error} on input {describe(args)}"
        expected = reference(*copy.deepcopy(args))
        if not same(got, expected, rtol=rtol, atol=atol):
            return (
                f"wrong on input {describe(args)}: "
                f"got {describe(got)}, expected {describe(expected)}"
            )
    if check is not None:
        try:
            check(candidate)
        except NotImplementedError:
            return "not implemented yet"
        except AssertionError as error:
            message = str(error).strip().splitlines()
            return f"wrong: {message[0]}" if message else "wrong"
        except Exception as error:
            return f"raised {type(error).__name__}: {error}"
    return None


def same(got: Any, expected: Any, *, rtol: float = 1e-5, atol: float = 1e-7) -> bool:
    """Equal up to float tolerance: numbers, numpy arrays, tensors, and tuples/lists of them."""
    if isinstance(expected, tuple | list):
        return (
            isinstance(got, tuple | list)
            and len(got) == len(expected)
            and all(same(g, e, rtol=rtol, atol=atol) for g, e in zip(got, expected, strict=True))
        )
    try:
        g, e = _as_array(got), _as_array(expected)
    except (TypeError, ValueError):
        return bool(got == expected)
    return g.shape == e.shape and bool(np.allclose(g, e, rtol=rtol, atol=atol))


def _as_array(value: Any) -> np.ndarray[Any, Any]:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.dtype.kind not in "biufc":
        raise TypeError("not numeric")
    return array


def describe(value: Any) -> str:
    """A short, readable rendering of an input or output for a verdict line."""
    if isinstance(value, tuple) and len(value) == 1:
        value = value[0]
    if isinstance(value, tuple | list):
        return "(" + ", ".join(describe(v) for v in value) + ")"
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        body = np.array2string(value, precision=4, threshold=12, edgeitems=2)
        return body.replace("\n", "") + (f" (shape {value.shape})" if value.ndim > 1 else "")
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
