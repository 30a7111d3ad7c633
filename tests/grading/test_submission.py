import io
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from practicum.grading.label_csv import write_label_csv
from practicum.grading.submission import (
    NPY_MAGIC,
    Parsed,
    SubmissionError,
    SubmissionSpec,
    parse_predictions,
    parse_submission,
    to_file_bytes,
)

LABELS = SubmissionSpec("labels", n_items=5, n_classes=10)
REGRESSION = SubmissionSpec("regression", n_items=3)
TOKENS = SubmissionSpec("tokens", n_items=3)
IMAGES = SubmissionSpec("images", n_items=2, image_shape=(2, 3))
SPECS = [LABELS, REGRESSION, TOKENS, IMAGES]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def lines(*rows: str) -> bytes:
    return "".join(f"{r}\n" for r in rows).encode()


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def refused(raw: bytes, spec: SubmissionSpec, filename: str = "submission.csv") -> str:
    with pytest.raises(SubmissionError) as e:
        parse_submission(raw, spec, filename=filename)
    return str(e.value)


# --- labels and regression CSV -----------------------------------------------------------------


def test_labels_in_any_order_come_back_in_id_order() -> None:
    parsed = parse_submission(lines("id,label", "3,7", "0,1", "4,9", "1,0", "2,2"), LABELS)
    assert parsed.kind == "labels"
    assert parsed.values is not None and parsed.values.dtype == np.int64
    assert parsed.values.tolist() == [1, 0, 2, 7, 9]


@pytest.mark.parametrize(
    "raw",
    [
        b"\xef\xbb\xbfid,label\r\n0,1\r\n1,0\r\n2,2\r\n3,7\r\n4,9\r\n",  # BOM + CRLF (Excel)
        b"id,label\n0,1\n1,0\n2,2\n3,7\n4,9",  # no final newline
        b"id,label\n0,1\n1,0\n2,2\n3,7\n4,9\n\n\r\n",  # blank lines at the end
        b'"id","label"\n"0",1\n1,"0"\n2, 2\n3,7\n4,9\n',  # R-style quoting, stray space
    ],
)
def test_common_csv_dialects_are_accepted(raw: bytes) -> None:
    assert parse_submission(raw, LABELS).array().tolist() == [1, 0, 2, 7, 9]


def test_the_file_label_csv_writes_is_accepted(tmp_path: Path) -> None:
    labels = np.array([4, 4, 0, 9, 1], np.int64)
    raw = write_label_csv(tmp_path / "submission.csv", labels).read_bytes()
    assert np.array_equal(parse_submission(raw, LABELS).array(), labels)


HEADER = "id,label"
FIVE = ["0,1", "1,1", "2,1", "3,1", "4,1"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (lines("ID,Label,x", *FIVE), "header must be 'id,label', found 'ID,Label,x'"),
        (lines("0,1", *FIVE[1:]), "header must be 'id,label', found '0,1'"),
        (
            lines(HEADER, "0,1", "1,1", "2,1", "2,1", "4,1"),
            "line 5: id 2 appears twice (first at line 4)",
        ),
        (lines(HEADER, *FIVE, "5,1"), "line 7: expected 5 rows, found more"),
        (lines(HEADER, *FIVE[:2]), "expected 5 rows, found 2; missing ids: 2, 3, 4 (3 in all)"),
        (lines(HEADER), "expected 5 rows, found 0; missing ids: 0, 1, 2, 3, 4 (5 in all)"),
        (lines(HEADER, "0,1", "5,1"), "line 3, column id: 5 is out of range 0..4"),
        (lines(HEADER, "-1,1"), "line 2, column id: -1 is out of range 0..4"),
        (lines(HEADER, "x,1"), "line 2, column id: 'x' is not an integer"),
        (lines(HEADER, "0,1", "1,1", "2,12"), "line 4, column label: 12 is out of range 0..9"),
        (lines(HEADER, "0,-1"), "line 2, column label: -1 is out of range 0..9"),
        (lines(HEADER, "0,1.5"), "line 2, column label: '1.5' is not an integer"),
        (lines(HEADER, "0,"), "line 2, column label: '' is not an integer"),
        (lines(HEADER, "0,1,2"), "line 2: expected 2 columns (id,label), found 3"),
        (lines(HEADER, "0,1", "", "1,1"), "line 3: empty line"),
        (lines(HEADER, "0," + "9" * 40), f"line 2, column label: {'9' * 30}… is out of range 0..9"),
        (
            lines(HEADER, "0," + "9" * 5000),
            f"line 2, column label: '{'9' * 30}…' is not an integer",
        ),
    ],
)
def test_label_csv_errors_name_the_first_problem(raw: bytes, message: str) -> None:
    assert refused(raw, LABELS) == message


def test_missing_ids_are_listed_up_to_ten() -> None:
    spec = SubmissionSpec("labels", n_items=20, n_classes=2)
    message = refused(lines(HEADER, *(f"{i},0" for i in range(17))), spec)
    assert message == "expected 20 rows, found 17; missing ids: 17, 18, 19 (3 in all)"
    message = refused(lines(HEADER, "0,0"), spec)
    assert message.endswith("missing ids: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 … (19 in all)")


def test_a_long_bad_value_is_quoted_short() -> None:
    message = refused(lines(HEADER, "0," + "z" * 10_000), LABELS)
    assert len(message) < 100 and "…" in message


def test_regression_values_are_float64_in_id_order() -> None:
    parsed = parse_submission(lines("id,value", "2,-1e-3", "0,2.5", "1,3"), REGRESSION)
    assert parsed.array().dtype == np.float64
    assert parsed.array().tolist() == [2.5, 3.0, -0.001]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "line 3, column value: 'abc' is not a number"),
        ("nan", "line 3, column value: 'nan' is not a finite number"),
        ("-Infinity", "line 3, column value: '-Infinity' is not a finite number"),
        ("1e999", "line 3, column value: '1e999' is not a finite number"),
    ],
)
def test_regression_refuses_non_finite_values(value: str, message: str) -> None:
    assert refused(lines("id,value", "0,1", f"1,{value}", "2,0"), REGRESSION) == message


# --- bytes before any format -------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS)
def test_non_utf8_names_byte_offset_and_line(spec: SubmissionSpec) -> None:
    raw = b"id,label\n0,1\n1,1\n\xff,1\n"
    assert refused(raw, spec) == "not UTF-8: invalid byte 0xff at offset 17 (line 4)"


@pytest.mark.parametrize("raw", [b"", b"\n\r\n  \n", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("spec", [LABELS, REGRESSION, IMAGES])
def test_empty_files_are_refused(raw: bytes, spec: SubmissionSpec) -> None:
    assert refused(raw, spec) == "file is empty"


def test_an_empty_token_file_is_refused_but_blank_lines_are_outputs() -> None:
    assert refused(b"\xef\xbb\xbf", TOKENS) == "file is empty"
    assert parse_submission(b"\n\r\n  \n", TOKENS).sentences == ["", "", ""]


def test_size_limit_is_checked_before_parsing() -> None:
    raw = b"\xff" + bytes(LABELS.max_bytes)  # parsing would stop at the invalid UTF-8 byte
    assert refused(raw, LABELS) == "file is 52428801 bytes; the limit is 52428800 bytes"
    small = SubmissionSpec("labels", n_items=5, n_classes=10, max_bytes=2**20)
    assert refused(bytes(3 * 2**20), small) == "file is 3 MB; the limit is 1 MB"
    images = SubmissionSpec("images", n_items=1, image_shape=(1, 1), max_bytes=2**20)
    message = refused(NPY_MAGIC + bytes(2**20), images, "x.npy")  # a bogus header, unread
    assert message == "file is 1048582 bytes; the limit is 1048576 bytes"


def test_exactly_max_bytes_is_allowed() -> None:
    raw = lines(HEADER, *FIVE)
    spec = SubmissionSpec("labels", n_items=5, n_classes=10, max_bytes=len(raw))
    assert len(parse_submission(raw, spec)) == 5


# --- tokens ------------------------------------------------------------------------------------


def test_token_lines_normalise_whitespace_and_keep_empty_outputs() -> None:
    raw = "\ufeff私 は  学生\tです\r\n\n the  cat \n".encode()
    assert parse_submission(raw, TOKENS, filename="out.txt").sentences == [
        "私 は 学生 です",
        "",
        "the cat",
    ]
    assert parse_submission(b"a\nb\nc", TOKENS).sentences == ["a", "b", "c"]
    assert parse_submission(b"\n\n\n", TOKENS).sentences == ["", "", ""]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"a\nb\nc\nd\n", "line 4: expected 3 lines, found more"),
        (b"a\nb\nc\n\n", "line 4: expected 3 lines, found more"),
        (b"a\nb\n", "expected 3 lines, found 2"),
    ],
)
def test_token_line_count_must_match(raw: bytes, message: str) -> None:
    assert refused(raw, TOKENS) == message


# --- images ------------------------------------------------------------------------------------

PIXELS = np.linspace(0, 1, 12, dtype=np.float32).reshape(2, 2, 3)


@pytest.mark.parametrize(
    "array",
    [
        PIXELS,
        PIXELS.reshape(2, 6),
        np.asfortranarray(PIXELS),
        PIXELS.astype(">f8"),
        (PIXELS > 0.5),
    ],
)
def test_npy_images_in_either_shape_and_any_real_dtype(array: np.ndarray) -> None:
    parsed = parse_submission(npy(array), IMAGES, filename="pred.npy")
    assert parsed.array().dtype == np.float32 and parsed.array().shape == (2, 2, 3)
    assert np.allclose(parsed.array(), np.asarray(array, np.float32).reshape(2, 2, 3))


def test_uint8_npy_images_are_8_bit_pixels_read_as_value_over_255() -> None:
    eight_bit = np.array([0, 1, 2, 127, 254, 255] * 2, np.uint8).reshape(2, 2, 3)
    for raw, name in ((npy(eight_bit), "pred.npy"), (npy(eight_bit.reshape(2, 6)), "x.bin")):
        parsed = parse_submission(raw, IMAGES, filename=name)
        assert parsed.array().dtype == np.float32 and parsed.array().shape == (2, 2, 3)
        assert np.allclose(parsed.array(), eight_bit / 255.0)
    binary = (eight_bit > 1).astype(np.uint8)  # 0s and 1s: uint8 says 8-bit, so 1 is 1/255
    assert parse_submission(npy(binary), IMAGES, filename="p.npy").array().max() == np.float32(
        1 / 255
    )
    in_memory = parse_predictions(eight_bit, IMAGES)
    assert np.allclose(in_memory.array(), eight_bit / 255.0)
    content, filename = to_file_bytes(in_memory, IMAGES)  # what practicum.submit posts
    assert filename == "submission.npy"
    assert np.array_equal(parse_submission(content, IMAGES).array(), in_memory.array())


@pytest.mark.parametrize(
    "array",
    [
        np.full((2, 2, 3), 255, np.int64),
        np.full((2, 2, 3), 255, np.uint16),
        np.full((2, 2, 3), 255.0, np.float32),
        np.full((2, 2, 3), 1.5, np.float64),
    ],
)
def test_other_dtypes_beyond_0_to_1_are_refused_not_guessed_at(array: np.ndarray) -> None:
    message = refused(npy(array), IMAGES, "pred.npy")
    assert message.startswith("image 0: value ") and "is out of range 0..1" in message
    assert "uint8 0..255" in message


def test_npy_is_recognised_by_magic_whatever_the_name() -> None:
    assert np.array_equal(parse_submission(npy(PIXELS), IMAGES, filename="a.csv").array(), PIXELS)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            npy((PIXELS * 255).astype(np.int64)),
            "image 0: value 23 at pixel (0, 1) is out of range 0..1 (pixels are floats in 0..1 "
            "or uint8 0..255; divide other 8-bit values by 255)",
        ),
        (npy(PIXELS * 255), "image 0: value 23.1818 at pixel (0, 1) is out of range 0..1"),
        (npy(np.where(PIXELS > 0.9, np.nan, PIXELS)), "image 1: value nan at pixel (1, 1)"),
        (npy(PIXELS.reshape(2, 3, 2)), "expected shape (2, 2, 3) or (2, 6), found (2, 3, 2)"),
        (npy(PIXELS[:1]), "expected 2 predictions, found 1"),
        (npy(PIXELS.astype(np.complex64)), ".npy dtype complex64 is not a real number type"),
        (npy(np.array(["a", "b"])), ".npy dtype <U1 is not a real number type"),
        (npy(PIXELS)[:-4], ".npy header promises shape (2, 2, 3) of float32 (48 bytes), found 44"),
        (npy(PIXELS) + b"junk", "found 52 bytes of data"),
        (NPY_MAGIC, "not a readable .npy file"),
        (NPY_MAGIC + b"\x01\x00\x08\x00{'a': 1}", "not a readable .npy file"),
        (NPY_MAGIC + b"\x09\x00" + bytes(10), "not a readable .npy file: format version (9, 0)"),
        (b"0,1\n", "not a .npy file: it does not start with \\x93NUMPY"),
    ],
)
def test_bad_npy_files_are_refused(raw: bytes, message: str) -> None:
    assert message in refused(raw, IMAGES, "pred.npy")


def test_npy_header_with_negative_dimensions_is_refused() -> None:
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, -6), }".ljust(117) + "\n"
    raw = NPY_MAGIC + b"\x01\x00" + len(header).to_bytes(2, "little") + header.encode()
    assert "negative shape" in refused(raw + bytes(48), IMAGES, "pred.npy")


class _WritesAFile:
    """Unpickling this opens (creates) a file: the proof that a loader ran pickle."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (str(self.path), "w")


def test_pickled_npy_is_refused_without_unpickling(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.array([_WritesAFile(tmp_path / "pwned")], dtype=object), allow_pickle=True)
    raw = buffer.getvalue()
    message = refused(raw, IMAGES, "pred.npy")
    assert message == ".npy holds Python objects (pickled data), which are refused"
    assert "not a .npy file" in refused(
        pickle.dumps(_WritesAFile(tmp_path / "pwned")), IMAGES, "x.npy"
    )
    assert not (tmp_path / "pwned").exists()
    np.load(io.BytesIO(raw), allow_pickle=True)  # the control: a trusting loader runs it
    assert (tmp_path / "pwned").exists()


@pytest.mark.parametrize("spec", [LABELS, REGRESSION, TOKENS])
def test_npy_for_a_csv_homework_says_what_it_takes(spec: SubmissionSpec) -> None:
    assert "found a .npy file; this homework takes" in refused(npy(PIXELS), spec)


def test_image_csv_rows() -> None:
    raw = lines(*(",".join(f"{v:g}" for v in image.ravel()) for image in PIXELS))
    assert np.allclose(parse_submission(raw, IMAGES).array(), PIXELS)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            lines("a,b,c,d,e,f", "0,0,0,0,0,0"),
            "line 1, column 1: 'a' is not a number (image CSVs have no header)",
        ),
        (lines("0,0,0,0,0,0", "0,0,0,0,0"), "line 2: expected 6 values, found 5"),
        (lines("0,0,0,0,0,0", "0,255,0,0,0,0"), "line 2, column 2: 255 is out of range 0..1"),
        (lines("0,0,0,0,0,0", "0,0,0,0,0,nan"), "line 2, column 6: 'nan' is not a finite number"),
        (lines("0,0,0,0,0,0", "0,0,0,0,0,x"), "line 2, column 6: 'x' is not a number"),
        (lines("0,0,0,0,0,0"), "expected 2 rows, found 1"),
        (lines(*["0,0,0,0,0,0"] * 3), "line 3: expected 2 rows, found more"),
    ],
)
def test_image_csv_errors(raw: bytes, message: str) -> None:
    assert refused(raw, IMAGES) == message


# --- predictions in memory ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("obj", "spec", "message"),
    [
        (np.array([1.0, 2, 3, 4, 5]), LABELS, "labels must be integers, found float64"),
        (np.zeros((5, 10)), LABELS, "found (5, 10) (e.g. use probs.argmax(1))"),
        ([1, 2, 10, 3, 4], LABELS, "id 2: label 10 is out of range 0..9"),
        (
            np.array([1, 2, 2**63, 3, 4], np.uint64),
            LABELS,
            "id 2: label 9223372036854775808 is out of range",
        ),
        ([1, 2, 3, 4], LABELS, "expected 5 predictions, found 4"),
        (7, LABELS, "expected 5 predictions, found a scalar"),
        ([[1], [1, 2]], LABELS, "predictions are not an array"),
        (["a", "b", "c"], REGRESSION, "predictions must be real numbers, found dtype <U1"),
        ([0.5, np.nan, 1.0], REGRESSION, "id 1: nan is not a finite number"),
        ("one two three", TOKENS, "expected a list of 3 sentences, found str"),
        (["a", "b"], TOKENS, "expected 3 sentences, found 2"),
        (["a", 3, "c"], TOKENS, "item 1: expected a sentence or a list of tokens, found int"),
        (["a", "\ud800", "c"], TOKENS, "item 1: not encodable as UTF-8"),
        (PIXELS * 2, IMAGES, "image 1: value 1.09091 at pixel (0, 0) is out of range 0..1"),
    ],
)
def test_predictions_are_checked_like_uploads(
    obj: object, spec: SubmissionSpec, message: str
) -> None:
    with pytest.raises(SubmissionError, match=None) as e:
        parse_predictions(obj, spec)
    assert message in str(e.value)


def test_in_memory_shapes_that_are_accepted() -> None:
    assert parse_predictions(np.array([[0.5], [1], [2]]), REGRESSION).array().shape == (3,)
    tokens = parse_predictions([["the", "cat"], "a  b", ()], TOKENS)
    assert tokens.sentences == ["the cat", "a b", ""]
    assert parse_predictions(np.array([True, False] * 2 + [True]), LABELS).array().tolist() == [
        1,
        0,
        1,
        0,
        1,
    ]


# --- round trips and fuzzing -------------------------------------------------------------------


@st.composite
def label_cases(draw: st.DrawFn) -> tuple[SubmissionSpec, list[int]]:
    n, k = draw(st.integers(1, 40)), draw(st.integers(1, 12))
    return SubmissionSpec("labels", n, n_classes=k), draw(
        st.lists(st.integers(0, k - 1), min_size=n, max_size=n)
    )


@FUZZ
@given(label_cases())
def test_any_valid_labels_survive_a_round_trip(case: tuple[SubmissionSpec, list[int]]) -> None:
    spec, labels = case
    raw, name = to_file_bytes(parse_predictions(labels, spec), spec)
    assert name == "submission.csv"
    assert parse_submission(raw, spec, filename=name).array().tolist() == labels


@FUZZ
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=40))
def test_any_finite_values_survive_a_round_trip_exactly(values: list[float]) -> None:
    spec = SubmissionSpec("regression", len(values))
    raw, name = to_file_bytes(parse_predictions(values, spec), spec)
    assert parse_submission(raw, spec, filename=name).array().tolist() == values


@FUZZ
@given(st.lists(st.text(max_size=20), min_size=1, max_size=10))
def test_any_sentences_survive_a_round_trip_normalised(sentences: list[str]) -> None:
    spec = SubmissionSpec("tokens", len(sentences))
    parsed = parse_predictions(sentences, spec)
    raw, name = to_file_bytes(parsed, spec)
    assert name == "submission.txt"
    assert parse_submission(raw, spec, filename=name).sentences == parsed.sentences
    assert parsed.sentences == [" ".join(s.split()) for s in sentences]


def test_images_round_trip_through_npy() -> None:
    raw, name = to_file_bytes(parse_predictions(PIXELS.reshape(2, 6), IMAGES), IMAGES)
    assert name == "submission.npy" and raw.startswith(NPY_MAGIC)
    assert np.array_equal(parse_submission(raw, IMAGES, filename=name).array(), PIXELS)


def test_to_file_bytes_checks_kind_and_content() -> None:
    with pytest.raises(ValueError, match="a labels submission for a regression homework"):
        to_file_bytes(Parsed("labels", values=np.zeros(3, np.int64)), REGRESSION)
    with pytest.raises(SubmissionError, match="out of range"):
        to_file_bytes(Parsed("labels", values=np.full(5, 99)), LABELS)


def _parses_or_refuses(raw: bytes, spec: SubmissionSpec, filename: str) -> None:
    try:
        parsed = parse_submission(raw, spec, filename=filename)
    except SubmissionError:
        return
    assert len(parsed) == spec.n_items


CSVISH = st.text(alphabet='0123456789,.-+eEnai \r\n\ufeffdlbv"', max_size=80)


@FUZZ
@given(
    raw=st.one_of(
        st.binary(max_size=200),
        st.binary(max_size=200).map(lambda b: NPY_MAGIC + b),
        st.binary(max_size=120).map(lambda b: npy(PIXELS)[:10] + b),
        CSVISH.map(str.encode),
        CSVISH.map(lambda s: ("id,label\n" + s).encode()),
        CSVISH.map(lambda s: ("id,value\n" + s).encode()),
    ),
    spec=st.sampled_from(SPECS),
    filename=st.sampled_from(["submission.csv", "pred.npy", "out.txt"]),
)
def test_any_bytes_parse_or_raise_submission_error(
    raw: bytes, spec: SubmissionSpec, filename: str
) -> None:
    _parses_or_refuses(raw, spec, filename)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "labels", "n_items": 5}, "labels need n_classes"),
        ({"kind": "images", "n_items": 5, "image_shape": (28,)}, "images need image_shape"),
        ({"kind": "audio", "n_items": 5}, "kind must be one of"),
        ({"kind": "tokens", "n_items": 0}, "n_items must be at least 1"),
    ],
)
def test_spec_refuses_impossible_homeworks(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SubmissionSpec(**kwargs)  # type: ignore[arg-type]
