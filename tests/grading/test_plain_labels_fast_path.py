"""The vectorised reader of plain `id,label` files must agree with the line-by-line reader
on every input: same labels, or a fall-back so the careful reader gives its message."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from practicum.grading import submission
from practicum.grading.submission import SubmissionError, SubmissionSpec, parse_submission

SPEC = SubmissionSpec("labels", 12, n_classes=4)


def _slow(raw: bytes, monkeypatch: pytest.MonkeyPatch) -> object:
    with monkeypatch.context() as patched:
        patched.setattr(submission, "_plain_labels", lambda raw, spec: None)
        try:
            return parse_submission(raw, SPEC).values.tolist()  # type: ignore[union-attr]
        except SubmissionError as exc:
            return str(exc)


def _fast(raw: bytes) -> object:
    try:
        return parse_submission(raw, SPEC).values.tolist()  # type: ignore[union-attr]
    except SubmissionError as exc:
        return str(exc)


@st.composite
def label_files(draw: st.DrawFn) -> bytes:
    n = draw(st.sampled_from([11] + [12] * 6 + [13]))
    ids = draw(st.permutations(list(range(n))))
    labels = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    rows = [f"{i},{v}" for i, v in zip(ids, labels, strict=True)]
    if draw(st.integers(0, 2)) == 0:  # a typical mistake or variation, now and then
        k = draw(st.integers(0, n - 1))
        rows[k] = draw(
            st.sampled_from(
                [
                    f"{ids[0]},1",
                    f"{ids[k]},4",
                    f"0{ids[k]},1",
                    f"{ids[k]},x",
                    f"{ids[k]}, 1",
                    "",
                    f"{ids[k]},1,2",
                    "-1,2",
                ]
            )
        )
    newline = draw(st.sampled_from(["\n"] * 4 + ["\r\n"]))
    text = draw(st.sampled_from(["id,label"] * 4 + ["ID,Label", "id,label "])) + newline
    text += newline.join(rows) + draw(st.sampled_from([newline] * 4 + ["", newline * 2]))
    return draw(st.sampled_from([b""] * 4 + [b"\xef\xbb\xbf"])) + text.encode()


@settings(max_examples=300, deadline=None)
@given(raw=label_files())
def test_fast_path_agrees_with_the_line_reader(raw: bytes) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _fast(raw) == _slow(raw, monkeypatch)


def test_fast_path_takes_the_plain_form() -> None:
    y = np.arange(12) % 4
    raw = ("id,label\n" + "".join(f"{i},{v}\n" for i, v in enumerate(y))).encode()
    fast = submission._plain_labels(raw, SPEC)
    assert fast is not None and fast.tolist() == y.tolist()


def test_fast_path_declines_huge_ids_instead_of_overflowing() -> None:
    raw = b"id,label\n" + b"".join(b"%d,1\n" % i for i in range(11)) + b"99999999999999999999,1\n"
    assert submission._plain_labels(raw, SPEC) is None
    with pytest.raises(SubmissionError):
        parse_submission(raw, SPEC)
