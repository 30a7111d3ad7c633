"""Parallel sentence files and monthly CSV series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from practicum.data.errors import FormatError
from practicum.data.formats.csv_series import read_monthly_csv, write_monthly_csv
from practicum.data.formats.parallel_text import read_lines, read_parallel, write_lines

SHARED = Path(__file__).resolve().parents[3] / "shared/data"
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
HEADER = '"Month","Passengers"\n'

lines_strategy = st.lists(
    st.text(st.characters(blacklist_characters="\n\r\0", blacklist_categories=["Cs"]), max_size=20),
    max_size=20,
)


@FUZZ
@given(lines=lines_strategy)
def test_lines_round_trip_as_a_unicode_array(tmp_path: Path, lines: list[str]) -> None:
    back = read_lines(write_lines(tmp_path / "train.ja", lines))
    assert back.dtype.kind == "U"
    assert back.tolist() == lines


def test_last_line_without_newline_is_kept(tmp_path: Path) -> None:
    (tmp_path / "a.en").write_bytes(b"i see .\nyou see .")
    assert read_lines(tmp_path / "a.en").tolist() == ["i see .", "you see ."]


@pytest.mark.parametrize(
    ("data", "check"),
    [
        (b"ok\n\xe3\x81\x82\xe3\n", "line 2, byte 4: invalid UTF-8 (byte 0xe3)"),
        (b"ok\nbad\r\n", "line 2, byte 4: carriage return (\\r)"),
        (b"ok\nok\nb\0d\n", "line 3, byte 2: NUL byte"),
    ],
)
def test_bad_text_is_named_with_its_line(tmp_path: Path, data: bytes, check: str) -> None:
    (tmp_path / "train.ja").write_bytes(data)
    with pytest.raises(FormatError) as error:
        read_lines(tmp_path / "train.ja")
    assert str(error.value).startswith(f"train.ja: {check}")


def test_parallel_sides_must_have_equal_line_counts(tmp_path: Path) -> None:
    en = write_lines(tmp_path / "train.en", ["a ."] * 3)
    ja = write_lines(tmp_path / "train.ja", ["あ 。"] * 2)
    with pytest.raises(FormatError) as error:
        read_parallel(en, ja)
    assert str(error.value).startswith("train.ja: 2 lines, but train.en has 3")
    write_lines(ja, ["あ 。"] * 3)
    left, right = read_parallel(en, ja)
    assert left.tolist() == ["a ."] * 3 and right.tolist() == ["あ 。"] * 3


@FUZZ
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_format_error(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "f.en").write_bytes(data)
    try:
        lines = read_lines(tmp_path / "f.en")
    except FormatError as error:
        assert str(error).startswith("f.en: ")
    else:
        assert lines.dtype.kind == "U" and "\r" not in "".join(lines.tolist())


def months(n: int, start: int = 1949) -> list[str]:
    return [f"{start + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


def test_monthly_csv_round_trip(tmp_path: Path) -> None:
    values = np.array([112, 118.5, 0, 1e6], np.float32)
    back = read_monthly_csv(write_monthly_csv(tmp_path / "a.csv", months(4, 1959), values))
    assert back["month"].tolist() == ["1959-01", "1959-02", "1959-03", "1959-04"]
    assert back["month"].dtype.kind == "U" and back["passengers"].dtype == np.float32
    np.testing.assert_array_equal(back["passengers"], values)


@pytest.mark.parametrize(
    ("text", "check"),
    [
        ('"Month","Riders"\n"1949-01",1\n', "line 1: expected the header Month,Passengers"),
        (
            HEADER + '"1949-01",112\n"1949-03",1\n',
            "line 3, column 1 (Month): 1949-03 does not follow 1949-01",
        ),
        (
            HEADER + '"1949-01",1x2\n',
            "line 2, column 2 (Passengers): '1x2' is not a non-negative number",
        ),
        (
            HEADER + '"1949-01",-3\n',
            "line 2, column 2 (Passengers): '-3' is not a non-negative number",
        ),
        (HEADER + '"1949-01",nan\n', "line 2, column 2 (Passengers): 'nan' is not a non-negative"),
        (HEADER + '"49-01",1\n', "line 2, column 1 (Month): '49-01' is not YYYY-MM"),
        (HEADER + '"1949-01",1,2\n', "line 2: expected 2 columns, found 3"),
        (HEADER, "no data rows after the header"),
        ("", "line 1: expected the header Month,Passengers, found nothing"),
    ],
)
def test_bad_csv_rows_are_named(tmp_path: Path, text: str, check: str) -> None:
    (tmp_path / "airline-passengers.csv").write_text(text)
    with pytest.raises(FormatError) as error:
        read_monthly_csv(tmp_path / "airline-passengers.csv")
    assert str(error.value).startswith(f"airline-passengers.csv: {check}")


def test_year_boundary_is_consecutive(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(HEADER + '"1949-12",1\n"1950-01",2\n\n')
    assert read_monthly_csv(tmp_path / "a.csv")["month"].tolist() == ["1949-12", "1950-01"]


@pytest.mark.skipif(not (SHARED / "airline").exists(), reason="shared airline data not here")
def test_real_airline_file_and_byte_exact_writer(tmp_path: Path) -> None:
    real = SHARED / "airline/airline-passengers.csv"
    data = read_monthly_csv(real)
    assert len(data["month"]) == 144
    assert data["month"][0] == "1949-01" and data["month"][-1] == "1960-12"
    assert data["passengers"][0] == 112 and data["passengers"][-1] == 432
    copy = write_monthly_csv(tmp_path / "c.csv", data["month"], data["passengers"])
    assert copy.read_bytes() == real.read_bytes()


@pytest.mark.skipif(not (SHARED / "small_parallel_enja").exists(), reason="shared enja not here")
def test_real_parallel_corpus() -> None:
    folder = SHARED / "small_parallel_enja"
    en, ja = read_parallel(folder / "train.en", folder / "train.ja")
    assert len(en) == len(ja) == 50_000
    assert en.dtype.kind == ja.dtype.kind == "U"
    assert en[0] == en[0].lower() and " " in ja[0]
