"""UCR time-series text files: exact float32 round trips and row/column-precise errors."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from practicum.data.errors import FormatError
from practicum.data.formats.ucr import read_ucr, read_ucr_zip, write_ucr, write_ucr_zip

REAL = Path(__file__).resolve().parents[3] / "shared/data/ucr/ECG5000_TRAIN.txt"
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(
    x=hnp.arrays(
        np.float32,
        st.tuples(st.integers(1, 6), st.integers(1, 12)),
        elements=st.floats(width=32, allow_nan=False, allow_infinity=False),
    ),
    data=st.data(),
)
def test_round_trip_is_exact_for_float32(
    tmp_path: Path, x: np.ndarray, data: st.DataObject
) -> None:
    y = np.array(data.draw(st.lists(st.integers(-5, 50), min_size=len(x), max_size=len(x))))
    back = read_ucr(write_ucr(tmp_path / "X_TRAIN.txt", x, y))
    assert back["x"].dtype == np.float32 and back["y"].dtype == np.int64
    np.testing.assert_array_equal(back["x"], x)
    np.testing.assert_array_equal(back["y"], y)


def test_commas_tabs_exponents_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "X_TEST.txt"
    path.write_text("1.0000000e+00,-1.1e+00,2\n\n  2\t3.5   -0 \r\n")
    back = read_ucr(path)
    np.testing.assert_array_equal(back["x"], np.array([[-1.1, 2], [3.5, 0]], np.float32))
    np.testing.assert_array_equal(back["y"], [1, 2])


@pytest.mark.parametrize(
    ("text", "check"),
    [
        ("1 2 3\n2 4\n", "line 2 has 1 values after the label, line 1 has 2"),
        ("1 2 3\n\n2 4 x5\n", "line 3, column 3: 'x5' is not a number"),
        ("1 2 NaN\n", "line 1, column 3: nan is not a finite float32 value"),
        ("1 2 1e39\n", "line 1, column 3: 1e+39 is not a finite float32 value"),
        ("1.5 2 3\n", "line 1, column 1: class label 1.5 is not an integer"),
        ("3\n", "line 1: a label but no values"),
        ("", "no data rows (empty file)"),
        (" \n\n", "no data rows (empty file)"),
    ],
)
def test_bad_rows_are_named(tmp_path: Path, text: str, check: str) -> None:
    path = tmp_path / "ECG5000_TRAIN.txt"
    path.write_text(text)
    with pytest.raises(FormatError) as error:
        read_ucr(path)
    assert str(error.value) == f"ECG5000_TRAIN.txt: {check}"


def test_invalid_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"1 2\n1 \xff\n")
    with pytest.raises(FormatError, match=r"^a\.txt: line 2, byte 3: invalid UTF-8"):
        read_ucr(path)


def test_official_zip_round_trip_and_member_errors(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    train = (rng.normal(size=(5, 140)).astype(np.float32), np.arange(5) % 5 + 1)
    test = (rng.normal(size=(3, 140)).astype(np.float32), np.array([1, 2, 3]))
    path = write_ucr_zip(tmp_path / "ECG5000.zip", "ECG5000", train, test)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["ECG5000_TEST.txt", "ECG5000_TRAIN.txt"]
    splits = read_ucr_zip(path, "ECG5000")
    np.testing.assert_array_equal(splits["train"]["x"], train[0])
    np.testing.assert_array_equal(splits["test"]["y"], test[1])

    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as archive:
        archive.writestr("ECG5000/ECG5000_TRAIN.txt", "1 2\n")
        archive.writestr("ECG5000/ECG5000_TEST.txt", "1 2\n2 oops\n")
    with pytest.raises(FormatError) as error:
        read_ucr_zip(tmp_path / "bad.zip", "ECG5000")
    assert str(error.value) == (
        "bad.zip: ECG5000/ECG5000_TEST.txt: line 2, column 2: 'oops' is not a number"
    )
    with zipfile.ZipFile(tmp_path / "half.zip", "w") as archive:
        archive.writestr("ECG5000_TRAIN.txt", "1 2\n")
    with pytest.raises(FormatError, match=r"^half\.zip: missing ECG5000_TEST\.txt$"):
        read_ucr_zip(tmp_path / "half.zip", "ECG5000")


@FUZZ
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_format_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.txt"
    path.write_bytes(data)
    try:
        result = read_ucr(path)
    except FormatError as error:
        assert str(error).startswith("fuzz.txt: ")
    else:
        assert result["x"].dtype == np.float32 and len(result["x"]) == len(result["y"])


@FUZZ
@given(text=st.text(alphabet="0123456789.-+eE, \t\nnaif", max_size=200))
def test_number_like_text_raises_only_format_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.txt"
    path.write_text(text)
    try:
        result = read_ucr(path)
    except FormatError as error:
        assert str(error).startswith("fuzz.txt: ")
    else:
        assert np.isfinite(result["x"]).all()


@pytest.mark.skipif(not REAL.exists(), reason="the shared ECG5000_TRAIN.txt is not here")
def test_real_ecg5000_train_file() -> None:
    data = read_ucr(REAL)
    assert data["x"].shape == (500, 140) and data["x"].dtype == np.float32
    assert set(np.unique(data["y"])) == {1, 2, 3, 4, 5}
    np.testing.assert_allclose(data["x"].mean(axis=1), 0, atol=1e-3)  # z-normalised rows
