"""Checks for the exercises of the lesson notebooks, and what they record.

An exercise notebook must run top to bottom even before the student writes a line, so
every exercise goes through `checked`: it tests the student's version and hands back the
student's version when it is right, the reference version otherwise, saying which.

The reference is found by the exercise's id in `EXERCISES` (a lesson adds its exercises
there), inside the check: a notebook never binds it to a name of its own, and a student's
version that merely calls the reference fails its check. Each outcome is kept in
`progress.json` and, on a course (PRACTICUM_URL set), sent to the course site; `summary`
ends a notebook with "5/8 exercises done; the reference was used for: ...".
"""

from __future__ import annotations

import copy
import importlib
import inspect
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import CodeType, FrameType
from typing import Any, TypeVar, cast

import numpy as np
import torch

from practicum.coursework import progress

T = TypeVar("T")


@dataclass(frozen=True)
class Exercise:
    """One exercise of a lesson: its id, where it sits, and where its reference lives."""

    lesson: int
    section: int
    id: str
    reference: str
    """Where the reference version lives: "module:qualified.name"."""
    methods: tuple[str, ...] = ()
    """For a class the student extends from the reference: the methods that are the
    exercise (the student must write them; calling the reference's versions fails)."""

    def resolve(self) -> Any:
        module, _, name = self.reference.partition(":")
        found: Any = importlib.import_module(module)
        for part in name.split("."):
            found = getattr(found, part)
        return found


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        1,
        2,
        "value",
        "practicum.lessons.lesson1.autograd:Value",
        ("__add__", "__mul__", "relu", "backward"),
    ),
    Exercise(1, 2, "softmax", "practicum.lessons.lesson1.mlp:softmax"),
    Exercise(1, 2, "affine", "practicum.lessons.lesson1.layers:Affine", ("forward", "backward")),
    Exercise(1, 2, "relu", "practicum.lessons.lesson1.layers:ReLU", ("forward", "backward")),
    Exercise(
        1, 2, "softmax_cross_entropy", "practicum.lessons.lesson1.layers:softmax_cross_entropy"
    ),
    Exercise(1, 2, "mlp_backward", "practicum.lessons.lesson1.mlp:NumpyMLP", ("backward",)),
    Exercise(1, 2, "train_epoch", "practicum.lessons.lesson1.loop:train_epoch"),
    Exercise(1, 2, "evaluate", "practicum.lessons.lesson1.loop:evaluate"),
    Exercise(1, 4, "sgd_momentum", "practicum.lessons.lesson1.optim:sgd_momentum"),
    Exercise(1, 4, "adam", "practicum.lessons.lesson1.optim:adam"),
    Exercise(1, 4, "dropout", "practicum.lessons.lesson1.layers:Dropout", ("forward", "backward")),
    Exercise(
        1, 4, "batchnorm", "practicum.lessons.lesson1.layers:BatchNorm", ("forward", "backward")
    ),
    Exercise(1, 4, "l2_penalty", "practicum.lessons.lesson1.mlp:l2_penalty"),
    Exercise(1, 4, "l1_penalty", "practicum.lessons.lesson1.mlp:l1_penalty"),
    Exercise(2, 2, "conv_output_size", "practicum.lessons.lesson2.cnn:conv_output_size"),
    Exercise(2, 2, "conv_forward", "practicum.lessons.lesson2.layers:conv_forward"),
    Exercise(2, 2, "conv_backward", "practicum.lessons.lesson2.layers:conv_backward"),
    Exercise(2, 2, "conv2d_unfold", "practicum.lessons.lesson2.cnn:conv2d_unfold"),
    Exercise(2, 2, "maxpool_forward", "practicum.lessons.lesson2.layers:maxpool_forward"),
    Exercise(2, 2, "maxpool_backward", "practicum.lessons.lesson2.layers:maxpool_backward"),
    Exercise(2, 2, "cnn", "practicum.lessons.lesson2.cnn:FirstCNN"),
    Exercise(
        2,
        4,
        "residual_block",
        "practicum.lessons.lesson2.resnet:BasicBlock",
        ("__init__", "forward"),
    ),
    Exercise(2, 4, "augment", "practicum.lessons.lesson2.inputs:RandomCropFlip", ("forward",)),
    Exercise(
        2,
        4,
        "smoothed_cross_entropy",
        "practicum.coursework.exercise:label_smoothed_cross_entropy",
    ),
    Exercise(2, 4, "flip_tta", "practicum.lessons.lesson2.inputs:predict_tta"),
    Exercise(3, 2, "rnn_cell", "practicum.lessons.lesson3.rnn:rnn_cell"),
    Exercise(3, 2, "rnn_step_backward", "practicum.lessons.lesson3.bptt:rnn_step_backward"),
    Exercise(3, 2, "rnn_bptt", "practicum.lessons.lesson3.bptt:rnn_bptt"),
    Exercise(3, 2, "lstm_cell", "practicum.lessons.lesson3.rnn:lstm_cell"),
    Exercise(3, 2, "gru_cell", "practicum.lessons.lesson3.rnn:gru_cell"),
    Exercise(3, 2, "unroll", "practicum.lessons.lesson3.rnn:unroll"),
    Exercise(3, 2, "teacher_forcing_loss", "practicum.lessons.lesson3.charlm:teacher_forcing_loss"),
    Exercise(3, 2, "sample", "practicum.lessons.lesson3.charlm:sample"),
    Exercise(3, 4, "seasonal_naive", "practicum.lessons.lesson3.forecast:seasonal_naive"),
    Exercise(3, 4, "make_windows", "practicum.lessons.lesson3.forecast:make_windows"),
    Exercise(
        3,
        4,
        "gru_forecaster",
        "practicum.lessons.lesson3.recurrent:GRUForecaster",
        ("__init__", "forward"),
    ),
    Exercise(3, 4, "train_epoch", "practicum.lessons.lesson3.recurrent:train_epoch"),
    Exercise(4, 2, "pad_batch", "practicum.lessons.lesson4.text:pad_batch"),
    Exercise(
        4, 2, "teacher_forcing_loss", "practicum.lessons.lesson4.translate:teacher_forcing_loss"
    ),
    Exercise(4, 2, "train_epoch", "practicum.lessons.lesson4.translate:train_epoch"),
    Exercise(4, 2, "greedy", "practicum.lessons.lesson4.decode:greedy"),
    Exercise(4, 2, "bleu_score", "practicum.lessons.lesson4.bleu:bleu_score"),
    Exercise(4, 4, "masked_attention", "practicum.lessons.lesson4.attention:masked_attention"),
    Exercise(
        4,
        4,
        "multi_head_attention",
        "practicum.lessons.lesson4.attention:MultiHeadAttention",
        ("forward",),
    ),
    Exercise(4, 4, "beam_search", "practicum.lessons.lesson4.decode:beam_search"),
    Exercise(
        4, 4, "positional_encoding", "practicum.lessons.lesson4.transformer:positional_encoding"
    ),
    Exercise(5, 2, "pad_captions", "practicum.lessons.lesson5.text:pad_captions"),
    Exercise(
        5,
        2,
        "show_and_tell",
        "practicum.lessons.lesson5.decoder:ShowAndTell",
        ("start", "forward", "step"),
    ),
    Exercise(5, 2, "train_epoch", "practicum.lessons.lesson5.train:train_epoch"),
    Exercise(
        5, 4, "soft_attention", "practicum.lessons.lesson5.decoder:SoftAttention", ("forward",)
    ),
    Exercise(5, 4, "attention_step", "practicum.lessons.lesson5.decoder:AttendAndTell", ("_one",)),
    Exercise(5, 4, "beam_search", "practicum.lessons.lesson5.search:beam_search"),
    Exercise(6, 2, "reparameterize", "practicum.lessons.lesson6.vae:reparameterize"),
    Exercise(6, 2, "vae_loss", "practicum.lessons.lesson6.vae:vae_loss"),
    Exercise(6, 2, "train_vae_epoch", "practicum.lessons.lesson6.vae:train_epoch"),
    Exercise(6, 2, "discriminator_loss", "practicum.lessons.lesson6.gan:discriminator_loss"),
    Exercise(6, 2, "generator_loss", "practicum.lessons.lesson6.gan:generator_loss"),
    Exercise(6, 2, "gan_step", "practicum.lessons.lesson6.gan:train_step"),
    Exercise(
        6,
        4,
        "conditional_generator",
        "practicum.lessons.lesson6.cgan:ConditionalGenerator",
        ("forward",),
    ),
    Exercise(
        6,
        4,
        "conditional_discriminator",
        "practicum.lessons.lesson6.cgan:ConditionalDiscriminator",
        ("forward",),
    ),
    Exercise(6, 4, "frechet_distance", "practicum.grading.generative:frechet_distance"),
    Exercise(6, 4, "class_consistency", "practicum.grading.generative:class_consistency"),
    Exercise(7, 1, "q_learning_update", "practicum.lessons.lesson7.gridworld:q_learning_update"),
    Exercise(7, 1, "epsilon_greedy", "practicum.lessons.lesson7.gridworld:epsilon_greedy"),
    Exercise(
        7, 2, "replay_buffer", "practicum.lessons.lesson7.dqn:ReplayBuffer", ("add", "sample")
    ),
    Exercise(7, 2, "epsilon_at", "practicum.lessons.lesson7.dqn:epsilon_at"),
    Exercise(7, 2, "dqn_target", "practicum.lessons.lesson7.dqn:dqn_target"),
    Exercise(7, 2, "dqn_step", "practicum.lessons.lesson7.dqn:dqn_step"),
    Exercise(7, 4, "double_dqn_target", "practicum.lessons.lesson7.dqn:double_dqn_target"),
    Exercise(7, 4, "gae", "practicum.lessons.lesson7.ppo:gae"),
    Exercise(7, 4, "clipped_loss", "practicum.lessons.lesson7.ppo:clipped_loss"),
)
"""Every lesson's exercises, in the order the notebooks check them."""


def find(lesson: int, exercise_id: str) -> Exercise:
    for entry in EXERCISES:
        if entry.lesson == lesson and entry.id == exercise_id:
            return entry
    have = ", ".join(e.id for e in EXERCISES if e.lesson == lesson) or "none"
    raise KeyError(f"lesson {lesson} has no exercise {exercise_id!r} (have: {have})")


def lesson_exercises(lesson: int) -> list[Exercise]:
    return [e for e in EXERCISES if e.lesson == lesson]


def label_smoothed_cross_entropy(
    logits: torch.Tensor, y: torch.Tensor, smoothing: float = 0.2
) -> torch.Tensor:
    """The reference of Lesson 2's label-smoothing exercise: PyTorch's own."""
    return torch.nn.functional.cross_entropy(logits, y, label_smoothing=smoothing)


def checked(
    candidate: T,
    *,
    lesson: int | None = None,
    exercise: str | None = None,
    reference: T | None = None,
    cases: Sequence[tuple[Any, ...]] = (),
    check: Callable[..., None] | None = None,
    name: str | None = None,
    rtol: float = 1e-5,
    atol: float = 1e-7,
) -> T:
    """The student's `candidate` when it passes, else the reference, with a one-line verdict.

    The reference is the registered one of (`lesson`, `exercise`), or `reference` when
    given (tests, one-off checks). With `lesson` and `exercise` the outcome is recorded
    (progress.json, and the course site on a course).

    `cases` are argument tuples on which candidate and reference must give the same
    result (arrays compared with a tolerance); `check`, when given, is called with the
    candidate (and the reference, when it takes two arguments) and raises AssertionError
    with a message when something is wrong.
    """
    entry = find(lesson, exercise) if lesson is not None and exercise is not None else None
    if reference is None:
        if entry is None:
            raise TypeError("checked: pass lesson= and exercise= (or a reference)")
        reference = cast(T, entry.resolve())
    label = name or getattr(candidate, "__name__", None) or exercise or "your code"
    methods = entry.methods if entry is not None else ()
    problem = _find_problem(candidate, reference, cases, check, rtol, atol, methods)
    if problem is None:
        print(f"✓ {label} is correct")
    else:
        print(f"✗ {label}: {problem}; using the reference version so the notebook can go on")
    if entry is not None:
        _record(entry, done=problem is None)
    return candidate if problem is None else reference


def _record(entry: Exercise, *, done: bool) -> None:
    """Keep the outcome; a failure to keep it is said in one line and never raised."""
    try:
        progress.record_exercise(entry.lesson, entry.id, done=done, used_reference=not done)
    except (OSError, progress.ProgressError) as error:
        print(f"(this result was not recorded: {error})")
    from practicum.client import URL_ENV, report_exercise

    if os.environ.get(URL_ENV, "").strip():
        report_exercise(entry.lesson, entry.id, done=done, used_reference=not done)


def summary(lesson: int) -> None:
    """Print where the lesson's exercises stand (the last cell of an exercise notebook)."""
    print(summary_text(lesson))


def summary_text(lesson: int) -> str:
    """E.g. "Lesson 2: 5/8 exercises done; the reference was used for: conv2d_unfold,
    unroll", the exercises not checked yet, and where the progress is kept."""
    exercises = lesson_exercises(lesson)
    try:
        results = progress.exercise_results(lesson)
    except progress.ProgressError as error:
        return f"Lesson {lesson}: no summary, the progress file cannot be read ({error})"
    done = [e.id for e in exercises if results.get(e.id, {}).get("done") is True]
    fallback = [e.id for e in exercises if results.get(e.id, {}).get("used_reference") is True]
    unchecked = [e for e in exercises if e.id not in results]
    text = f"Lesson {lesson}: {len(done)}/{len(exercises)} exercises done"
    text += f"; the reference was used for: {', '.join(fallback)}" if fallback else ""
    if unchecked:
        sections = sorted({e.section for e in unchecked})
        where = " and ".join(f"Section {s}" for s in sections)
        text += f"; not checked yet: {', '.join(e.id for e in unchecked)} ({where})"
    text += f".\nYour progress is kept in {progress.progress_path()}"
    if os.environ.get("PRACTICUM_URL", "").strip():
        text += " and on the course site"
    return text + "."


def _find_problem(
    candidate: T,
    reference: T,
    cases: Sequence[tuple[Any, ...]],
    check: Callable[..., None] | None,
    rtol: float,
    atol: float,
    methods: Sequence[str] = (),
) -> str | None:
    if not callable(candidate) or not callable(reference):
        raise TypeError("checked: candidate and reference must be functions or classes")
    shortcut = _shortcut(candidate, reference, methods)
    if shortcut is not None:
        return shortcut
    with _watch(candidate, reference, methods) as watch:
        problem = _run_checks(candidate, reference, cases, check, rtol, atol)
    if watch.called_reference:
        return "it calls the reference version instead of computing the result itself"
    return problem


def _run_checks(
    candidate: T,
    reference: T,
    cases: Sequence[tuple[Any, ...]],
    check: Callable[..., None] | None,
    rtol: float,
    atol: float,
) -> str | None:
    ref = cast(Callable[..., Any], reference)
    for args in cases:
        try:
            got = cast(Callable[..., Any], candidate)(*copy.deepcopy(args))
        except NotImplementedError:
            return "not implemented yet"
        except Exception as error:  # the student's bug, reported instead of raised
            return f"raised {type(error).__name__}: {error} on input {describe(args)}"
        expected = ref(*copy.deepcopy(args))
        if not same(got, expected, rtol=rtol, atol=atol):
            return (
                f"wrong on input {describe(args)}: "
                f"got {describe(got)}, expected {describe(expected)}"
            )
    if check is not None:
        try:
            if _positional_arity(check) >= 2:
                check(candidate, reference)
            else:
                check(candidate)
        except NotImplementedError:
            return "not implemented yet"
        except AssertionError as error:
            message = str(error).strip().splitlines()
            return f"wrong: {message[0]}" if message else "wrong"
        except Exception as error:
            return f"raised {type(error).__name__}: {error}"
    return None


def _positional_arity(function: Callable[..., Any]) -> int:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return 1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in parameters if p.kind in kinds)


def _shortcut(candidate: Any, reference: Any, methods: Sequence[str]) -> str | None:
    """A candidate that is, or simply inherits, the reference."""
    if candidate is reference or inspect.unwrap(candidate) is inspect.unwrap(reference):
        return "it is the reference version itself, not yours"
    subclass = isinstance(candidate, type) and isinstance(reference, type)
    if subclass and issubclass(candidate, reference):
        missing = [m for m in methods if m not in vars(candidate)]
        if not methods or missing:
            what = ", ".join(missing) or "the exercise's methods"
            return f"write {what} in your class instead of inheriting the reference's"
    return None


def _codes(thing: Any, only: Sequence[str] = ()) -> set[CodeType]:
    """The code objects of a function, or of the methods a class defines itself."""
    if isinstance(thing, type):
        members = [v for k, v in vars(thing).items() if not only or k in only]
    else:
        members = [thing]
    codes = set()
    for member in members:
        function = inspect.unwrap(getattr(member, "__func__", member))
        code = getattr(function, "__code__", None)
        if isinstance(code, CodeType):
            codes.add(code)
    return codes


class _Watch:
    called_reference = False


@contextmanager
def _watch(candidate: Any, reference: Any, methods: Sequence[str]) -> Iterator[_Watch]:
    """Notice the reference's code running inside the candidate's (a student's version
    that only calls `mlp.softmax`, say, or `super().backward`)."""
    watch = _Watch()
    forbidden = _codes(reference, methods)
    mine = _codes(candidate) - forbidden
    if not forbidden or not mine:
        yield watch
        return

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event != "call" or watch.called_reference or frame.f_code not in forbidden:
            return
        caller = frame.f_back
        while caller is not None:
            if caller.f_code in mine:
                watch.called_reference = True
                return
            caller = caller.f_back

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield watch
    finally:
        sys.setprofile(previous)


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
