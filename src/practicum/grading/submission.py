"""Reading and checking homework submissions: uploaded bytes are hostile until proven otherwise.

Four formats, one per kind of homework output:

- labels: CSV `id,label`, one row per test item, ids 0..n-1 in any order, each exactly once,
  integer labels in 0..n_classes-1.
- regression: CSV `id,value`, the same rules, values finite floats (NaN and inf refused).
- tokens: plain UTF-8 text, exactly n lines, line i the output for test item i; tokens are
  separated by whitespace, and runs of whitespace collapse to one space (BLEU splits on it
  anyway, so the stored form is canonical); an empty line is an empty output.
- images: a `.npy` array of shape (N, H*W[*C]) or (N, H, W[, C]) of real numbers, or a CSV
  of N rows of H*W[*C] values without header. Pixel values are in 0..1 (what `ToTensor()`
  and a sigmoid give) and are kept as float32. A `.npy` (or array) of dtype uint8 is 8-bit
  data whatever its values, so it is read as value / 255; any other dtype, integers
  included, and every CSV, must hold values in 0..1: 0..255 in a float or int64 array is
  refused, not guessed at (an image that happens to be all 0s and 1s would read either way).

CSV and text files may start with a UTF-8 BOM and end lines with CRLF; the last newline is
optional; CSV headers are matched ignoring case, and fields may be double-quoted (R does). Every refusal is a `SubmissionError` naming the first problem in file order.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from practicum.grading.label_csv import HEADER as LABELS_HEADER
from practicum.grading.policy_sandbox import MAX_POLICY_BYTES

Kind = Literal["labels", "regression", "tokens", "images", "policy"]
KINDS: tuple[Kind, ...] = ("labels", "regression", "tokens", "images", "policy")
"""A "policy" is a file the service plays, not predictions: `policy_sandbox` checks it,
and nothing here parses it."""
NPY_MAGIC = b"\x93NUMPY"
_REAL_KINDS = "biuf"  # bool, signed, unsigned, float: the dtypes a prediction can be
_SHOWN = 30  # characters of a bad value quoted back; an upload must not flood the message


class SubmissionError(ValueError):
    """A submission the homework cannot accept; the message names the first problem."""


@dataclass(frozen=True)
class SubmissionSpec:
    """What a homework expects; `image_shape` is (H, W) or (H, W, C), pixels in 0..1 (or
    uint8 0..255, read as value / 255)."""

    kind: Kind
    n_items: int
    n_classes: int | None = None
    image_shape: tuple[int, ...] | None = None
    max_bytes: int = 50 * 2**20

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.n_items < 1:
            raise ValueError(f"n_items must be at least 1, got {self.n_items}")
        if self.kind == "labels" and (self.n_classes is None or self.n_classes < 1):
            raise ValueError(f"labels need n_classes >= 1, got {self.n_classes}")
        if self.kind == "images" and (
            self.image_shape is None
            or len(self.image_shape) not in (2, 3)
            or min(self.image_shape) < 1
        ):
            raise ValueError(f"images need image_shape (H, W) or (H, W, C), got {self.image_shape}")
        if self.max_bytes < 1:
            raise ValueError(f"max_bytes must be positive, got {self.max_bytes}")

    @property
    def image_size(self) -> int:
        """Values per image, the row length of a flat image array or CSV."""
        return math.prod(self.image_shape or ())


@dataclass(frozen=True, eq=False)
class Parsed:
    """A valid submission in id order: `values` for numeric kinds, `sentences` for tokens."""

    kind: Kind
    values: np.ndarray | None = None  # int64 labels, float64 regression, float32 images
    sentences: list[str] | None = None

    def __len__(self) -> int:
        return len(self.sentences) if self.sentences is not None else len(self.array())

    def array(self) -> np.ndarray:
        """`values`, for code that knows the kind is numeric."""
        if self.values is None:
            raise ValueError(f"a {self.kind} submission holds no values")
        return self.values


# ---------------------------------------------------------------------------------------------
# Uploaded files


def parse_submission(
    raw: bytes, spec: SubmissionSpec, *, filename: str = "submission.csv"
) -> Parsed:
    """Check an upload against the homework and return it in id order, or raise SubmissionError."""
    if spec.kind == "policy":
        raise ValueError("a policy is a file to play (policy_sandbox.check_file), not predictions")
    if len(raw) > spec.max_bytes:  # before anything else looks at the bytes
        raise SubmissionError(too_big_message(len(raw), spec.max_bytes))
    is_npy = raw.startswith(NPY_MAGIC) or filename.lower().endswith(".npy")
    if is_npy and spec.kind != "images":
        raise SubmissionError(f"found a .npy file; this homework takes {_expected_format(spec)}")
    if is_npy:
        return parse_predictions(_load_npy(raw), spec)
    if spec.kind == "labels" and (fast := _plain_labels(raw, spec)) is not None:
        return Parsed("labels", values=fast)
    text = _decode(raw).removeprefix("\ufeff")
    if spec.kind == "tokens" and text:  # blank lines are empty outputs, not an empty file
        return Parsed("tokens", sentences=_read_lines(text, spec.n_items))
    if not text.strip():
        raise SubmissionError("file is empty")
    lines = _lines(text.rstrip())  # blank lines at the end of a CSV are harmless
    if spec.kind == "images":
        return Parsed("images", values=_read_image_rows(lines, spec))
    return Parsed(spec.kind, values=_read_id_csv(lines, spec))


_PLAIN_CSV = re.compile(rb"(?:\d{1,9},\d{1,9}\n)*")


def _plain_labels(raw: bytes, spec: SubmissionSpec) -> np.ndarray | None:
    """The shape nearly every upload has (`id,label`, then `digits,digits` lines, each id
    once, labels in range), read in one vectorised pass; None sends anything else, errors
    included, to the line-by-line reader and its messages. Under load, line-by-line
    parsing was most of a submission's time (BENCHMARKS.md)."""
    head, _, body = raw.partition(b"\n")
    n, classes = spec.n_items, spec.n_classes or 0
    if head.strip(b"\r") != b"id,label" or b"\r" in body or not _PLAIN_CSV.fullmatch(body):
        return None
    if body.count(b"\n") != n:
        return None
    pairs = np.fromstring(body.replace(b"\n", b",").decode("ascii"), dtype=np.int64, sep=",")
    ids, labels = pairs[0::2], pairs[1::2]
    if pairs.size != 2 * n or n == 0:
        return None
    if ids.max() >= n or labels.max() >= classes or np.bincount(ids, minlength=n).max() != 1:
        return None
    values = np.empty(n, np.int64)
    values[ids] = labels
    return values


def _expected_format(spec: SubmissionSpec) -> str:
    if spec.kind == "tokens":
        return f"a text file of {spec.n_items} lines"
    column = "label" if spec.kind == "labels" else "value"
    return f"a CSV with header 'id,{column}'"


def too_big_message(size: int, limit: int) -> str:
    def mb(n: int) -> str:
        return f"{n / 2**20:.1f}".removesuffix(".0") + " MB"

    if mb(size) == mb(limit):  # rounding would hide the difference
        return f"file is {size} bytes; the limit is {limit} bytes"
    return f"file is {mb(size)}; the limit is {mb(limit)}"


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise SubmissionError(
            f"not UTF-8: invalid byte 0x{raw[e.start]:02x} at offset {e.start} (line {line})"
        ) from None


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) lazily: a hostile file of newlines must not become a list of millions."""
    start, number = 0, 1
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        yield number, text[start:end].removesuffix("\r")
        start, number = end + 1, number + 1


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def _show(field: str) -> str:
    return repr(_cut(field))


def _unquote(field: str) -> str:
    """Writers such as R quote every field; the quotes carry nothing here."""
    field = field.strip()
    if len(field) >= 2 and field[0] == field[-1] == '"':
        return field[1:-1].strip()
    return field


def _integer(field: str, where: str) -> int:
    try:
        return int(field)
    except ValueError:
        raise SubmissionError(f"{where}: {_show(field)} is not an integer") from None


def _finite(field: str, where: str) -> float:
    try:
        value = float(field)
    except ValueError:
        raise SubmissionError(f"{where}: {_show(field)} is not a number") from None
    if not math.isfinite(value):
        raise SubmissionError(f"{where}: {_show(field)} is not a finite number")
    return value


def _in_range(value: float, low: int, high: int, where: str) -> float:
    if not low <= value <= high:
        shown = _cut(str(value)) if isinstance(value, int) else f"{value:g}"
        raise SubmissionError(f"{where}: {shown} is out of range {low}..{high}")
    return value


def _read_id_csv(lines: Iterator[tuple[int, str]], spec: SubmissionSpec) -> np.ndarray:
    n, column = spec.n_items, "label" if spec.kind == "labels" else "value"
    header = f"id,{column}"
    _, first = next(lines)
    if [_unquote(f).lower() for f in first.split(",", 2)] != header.split(","):
        raise SubmissionError(f"header must be {header!r}, found {_show(first)}")
    values = np.zeros(n, np.int64 if spec.kind == "labels" else np.float64)
    first_seen = np.zeros(n, np.int64)  # line where each id appeared; 0 = not yet
    rows = 0
    for number, line in lines:
        if rows == n:
            raise SubmissionError(f"line {number}: expected {n} rows, found more")
        if not line.strip():
            raise SubmissionError(f"line {number}: empty line")
        if line.count(",") != 1:  # counted, not split: a hostile line may hold millions
            raise SubmissionError(
                f"line {number}: expected 2 columns ({header}), found {line.count(',') + 1}"
            )
        fields = [_unquote(f) for f in line.split(",")]
        ident = _integer(fields[0], f"line {number}, column id")
        _in_range(ident, 0, n - 1, f"line {number}, column id")
        if first_seen[ident]:
            raise SubmissionError(
                f"line {number}: id {ident} appears twice (first at line {first_seen[ident]})"
            )
        first_seen[ident] = number
        where = f"line {number}, column {column}"
        if spec.kind == "labels":
            label = _integer(fields[1], where)
            _in_range(label, 0, (spec.n_classes or 0) - 1, where)
            values[ident] = label
        else:
            values[ident] = _finite(fields[1], where)
        rows += 1
    if rows < n:
        missing = np.flatnonzero(first_seen == 0)
        shown = ", ".join(str(i) for i in missing[:10]) + (" …" if len(missing) > 10 else "")
        raise SubmissionError(
            f"expected {n} rows, found {rows}; missing ids: {shown} ({len(missing)} in all)"
        )
    return values


def _read_lines(text: str, n: int) -> list[str]:
    sentences: list[str] = []
    for number, line in _lines(text):
        if len(sentences) == n:
            raise SubmissionError(f"line {number}: expected {n} lines, found more")
        sentences.append(" ".join(line.split()))
    if len(sentences) < n:
        raise SubmissionError(f"expected {n} lines, found {len(sentences)}")
    return sentences


def _read_image_rows(lines: Iterator[tuple[int, str]], spec: SubmissionSpec) -> np.ndarray:
    n, size = spec.n_items, spec.image_size
    images = np.zeros((n, size), np.float32)
    rows = 0
    for number, line in lines:
        if rows == n:
            raise SubmissionError(f"line {number}: expected {n} rows, found more")
        if line.count(",") != size - 1:
            found = line.count(",") + 1
            raise SubmissionError(f"line {number}: expected {size} values, found {found}")
        fields = line.split(",")
        try:
            images[rows] = _pixel_row(fields, number)
        except SubmissionError as e:
            hint = " (image CSVs have no header)" if number == 1 else ""
            raise SubmissionError(f"{e}{hint}") from None
        rows += 1
    if rows < n:
        raise SubmissionError(f"expected {n} rows, found {rows}")
    return images.reshape(n, *(spec.image_shape or ()))


def _pixel_row(fields: list[str], number: int) -> np.ndarray:
    """numpy converts a whole row at C speed; only a row with a bad value is read field by field,
    to name the first bad one."""
    try:
        row = np.array(fields, np.float64)
        if np.all((row >= 0) & (row <= 1)):  # NaN fails both comparisons
            return row
    except ValueError:
        pass
    where = "line {}, column {}".format
    return np.array(
        [
            _in_range(_finite(f, where(number, c)), 0, 1, where(number, c))
            for c, f in enumerate(fields, 1)
        ]
    )


def _load_npy(raw: bytes) -> np.ndarray:
    """Read a .npy without np.load: the header is checked before any data is touched, and
    object arrays (pickles, which run code when loaded) are refused, never unpickled."""
    if not raw.startswith(NPY_MAGIC):
        raise SubmissionError("not a .npy file: it does not start with \\x93NUMPY")
    stream = io.BytesIO(raw)
    readers = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }  # 3.0 only adds UTF-8 field names, i.e. structured dtypes, which are refused anyway
    try:
        version = np.lib.format.read_magic(stream)
        if version not in readers:
            raise ValueError(f"format version {version} is not supported")
        shape, fortran_order, dtype = readers[version](stream)
    except Exception as e:  # numpy's header parser raises many kinds on hostile input
        reason = (str(e).splitlines() or [type(e).__name__])[0]
        raise SubmissionError(f"not a readable .npy file: {reason[:200]}") from None
    if any(d < 0 for d in shape):
        raise SubmissionError(f"not a readable .npy file: negative shape {shape}")
    if dtype.hasobject:
        raise SubmissionError(".npy holds Python objects (pickled data), which are refused")
    if dtype.kind not in _REAL_KINDS:
        raise SubmissionError(f".npy dtype {dtype} is not a real number type")
    data = raw[stream.tell() :]
    promised = math.prod(shape) * dtype.itemsize
    if len(data) != promised:
        raise SubmissionError(
            f".npy header promises shape {shape} of {dtype} ({promised} bytes), "
            f"found {len(data)} bytes of data"
        )
    array = np.frombuffer(data, dtype)
    return array.reshape(shape, order="F" if fortran_order else "C")


# ---------------------------------------------------------------------------------------------
# Predictions in memory (a notebook checks before it uploads) and the canonical upload


def parse_predictions(obj: object, spec: SubmissionSpec) -> Parsed:
    """Check predictions held in memory (array, tensor, list of sentences) like an upload."""
    if spec.kind == "tokens":
        return Parsed("tokens", sentences=_sentences(obj, spec.n_items))
    array = _real_array(obj)
    n = spec.n_items
    if array.ndim == 0 or array.shape[0] != n:
        found = "a scalar" if array.ndim == 0 else str(array.shape[0])
        raise SubmissionError(f"expected {n} predictions, found {found}")
    if spec.kind == "images":
        return Parsed("images", values=_images(array, spec))
    if spec.kind == "regression":
        if array.shape not in ((n,), (n, 1)):
            raise SubmissionError(f"expected {n} values of shape ({n},), found {array.shape}")
        values = array.reshape(n).astype(np.float64)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise SubmissionError(f"id {bad[0]}: {values[bad[0]]} is not a finite number")
        return Parsed("regression", values=values)
    if array.ndim != 1:
        raise SubmissionError(
            f"expected {n} class ids of shape ({n},), found {array.shape} (e.g. use probs.argmax(1))"
        )
    if array.dtype.kind == "f":
        raise SubmissionError(f"labels must be integers, found {array.dtype}")
    high = (spec.n_classes or 0) - 1
    bad = np.flatnonzero((array < 0) | (array > high))  # before a cast could wrap them
    if bad.size:
        raise SubmissionError(f"id {bad[0]}: label {array[bad[0]]} is out of range 0..{high}")
    return Parsed("labels", values=array.astype(np.int64))


def _real_array(obj: object) -> np.ndarray:
    try:
        array = np.asarray(obj)  # a CUDA tensor or a ragged list says why it cannot
    except (ValueError, TypeError, RuntimeError) as e:
        raise SubmissionError(f"predictions are not an array: {str(e)[:200]}") from None
    if array.dtype.kind not in _REAL_KINDS:
        raise SubmissionError(f"predictions must be real numbers, found dtype {array.dtype}")
    return array


def _images(array: np.ndarray, spec: SubmissionSpec) -> np.ndarray:
    n, shape = spec.n_items, spec.image_shape or ()
    if array.shape not in ((n, *shape), (n, spec.image_size)):
        raise SubmissionError(
            f"expected shape {(n, *shape)} or {(n, spec.image_size)}, found {array.shape}"
        )
    if array.dtype == np.uint8:  # 8-bit pixels, the one dtype that says its own scale
        return array.reshape(n, *shape).astype(np.float32) / np.float32(255)
    images = array.reshape(n, *shape).astype(np.float32)
    bad = np.argwhere(~((images >= 0) & (images <= 1)))
    if bad.size:
        item, *pixel = (int(i) for i in bad[0])
        value = images[tuple(bad[0])]
        raise SubmissionError(
            f"image {item}: value {value:g} at pixel {tuple(pixel)} is out of range 0..1"
            " (pixels are floats in 0..1 or uint8 0..255; divide other 8-bit values by 255)"
        )
    return images


def _sentences(obj: object, n: int) -> list[str]:
    if isinstance(obj, str | bytes) or not isinstance(obj, Sequence | np.ndarray):
        raise SubmissionError(f"expected a list of {n} sentences, found {type(obj).__name__}")
    if len(obj) != n:
        raise SubmissionError(f"expected {n} sentences, found {len(obj)}")
    sentences = []
    for i, item in enumerate(obj):
        tokens = item.split() if isinstance(item, str) else item
        if not isinstance(tokens, Sequence) or not all(isinstance(t, str) for t in tokens):
            raise SubmissionError(
                f"item {i}: expected a sentence or a list of tokens, found {type(item).__name__}"
            )
        sentence = " ".join(" ".join(tokens).split())
        if not sentence.isascii():
            try:
                sentence.encode()
            except UnicodeEncodeError:
                raise SubmissionError(
                    f"item {i}: not encodable as UTF-8 (lone surrogate)"
                ) from None
        sentences.append(sentence)
    return sentences


def to_file_bytes(parsed: Parsed, spec: SubmissionSpec) -> tuple[bytes, str]:
    """The canonical upload for a submission: what `practicum.submit` posts."""
    if parsed.kind != spec.kind:
        raise ValueError(f"a {parsed.kind} submission for a {spec.kind} homework")
    checked = parse_predictions(
        parsed.sentences if parsed.kind == "tokens" else parsed.values, spec
    )
    if checked.sentences is not None:
        return "".join(f"{s}\n" for s in checked.sentences).encode(), "submission.txt"
    values = checked.array()
    if checked.kind == "images":
        buffer = io.BytesIO()
        np.save(buffer, values, allow_pickle=False)
        return buffer.getvalue(), "submission.npy"
    header, text = (
        (LABELS_HEADER, (str(int(v)) for v in values))
        if checked.kind == "labels"
        else ("id,value", (repr(float(v)) for v in values))  # repr round-trips exactly
    )
    rows = "".join(f"{i},{v}\n" for i, v in enumerate(text))
    return f"{header}\n{rows}".encode(), "submission.csv"


# ---------------------------------------------------------------------------------------------
# Upload size caps

CAP_SLACK_BYTES = 64 * 2**10
"""Room for a header, a BOM, CRLF line ends and a .npy header, on top of the rows."""
CAP_BYTES_PER_ROW = {"labels": 64, "regression": 128, "tokens": 4096}
"""Generous bytes per row: `12345678,"9"\\r\\n` is 15, `-1.2345678901234567e-05` is 23."""
CAP_BYTES_PER_PIXEL = 32
"""An image value as CSV text (`0.123456789012345678,`) or float64 in a .npy (8)."""


def upload_cap(spec: SubmissionSpec, limit: int) -> int:
    """The most bytes a valid file in `spec`'s format can plausibly need, never over `limit`
    (the service-wide cap): a file larger than this is refused before it is parsed."""
    if spec.kind == "policy":
        return min(limit, MAX_POLICY_BYTES)
    if spec.kind == "images":
        per_row = CAP_BYTES_PER_PIXEL * spec.image_size
    else:
        per_row = CAP_BYTES_PER_ROW[spec.kind]
    return min(limit, spec.n_items * per_row + CAP_SLACK_BYTES)


def format_size(n: int) -> str:
    """Bytes in the unit a person reads them in: 812 bytes, 70.3 KB, 40 MB."""
    if n < 2**10:
        return f"{n} bytes"
    if n < 2**20:
        return f"{n / 2**10:.1f}".removesuffix(".0") + " KB"
    return f"{n / 2**20:.1f}".removesuffix(".0") + " MB"
