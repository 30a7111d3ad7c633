"""Staff's own homework files: each format read, hostile files refused, the four fitted
together, and every refusal naming the file, the line or column, and expected vs got."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from practicum.data import DataError, read_own_files
from practicum.data.errors import FormatError
from practicum.data.formats import read_npy, read_number_csv, write_idx, write_image_folder
from practicum.grading.label_csv import write_label_csv

RNG = np.random.default_rng(0)
CLASSES = ["ant", "bee", "cat"]


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _npy(path: Path, array: np.ndarray) -> Path:
    np.save(path, array, allow_pickle=False)
    return path


# ---------------------------------------------------------------------------------------------
# .npy


def test_npy_round_trips_numbers_and_text(tmp_path: Path) -> None:
    x = RNG.integers(0, 256, (5, 4, 4), dtype=np.uint8)
    assert np.array_equal(read_npy(_npy(tmp_path / "x.npy", x)), x)
    words = np.array(["a", "bc"])
    assert read_npy(_npy(tmp_path / "w.npy", words)).tolist() == ["a", "bc"]


def test_npy_holding_a_pickle_is_refused_before_loading(tmp_path: Path) -> None:
    class Boom:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("this must never run",))

    path = tmp_path / "y_test.npy"
    np.save(path, np.array([Boom()], dtype=object), allow_pickle=True)
    with pytest.raises(FormatError, match=r"^y_test\.npy: holds Python objects \(a pickle\)"):
        read_npy(path)
    path.write_bytes(pickle.dumps([1, 2, 3]))  # a bare pickle named .npy
    with pytest.raises(FormatError, match=r"^y_test\.npy: not a \.npy array"):
        read_npy(path)


def test_npy_whose_header_lies_about_its_size_is_refused(tmp_path: Path) -> None:
    path = _npy(tmp_path / "x.npy", np.zeros(1000, np.float64))
    path.write_bytes(path.read_bytes()[:-800])
    with pytest.raises(FormatError, match=r"header says shape \(1000,\) of float64 = 8,000 bytes"):
        read_npy(path)


def test_huge_npy_is_refused_by_its_size(tmp_path: Path) -> None:
    path = _npy(tmp_path / "x.npy", np.zeros(1000, np.float64))
    with pytest.raises(FormatError, match=r"bytes is more than the limit of 1,024$"):
        read_npy(path, max_bytes=1024)


def test_npy_of_structured_or_complex_values_is_refused(tmp_path: Path) -> None:
    path = _npy(tmp_path / "x.npy", np.zeros(3, [("a", "i4"), ("b", "f4")]))
    with pytest.raises(FormatError, match=r"expected numbers or text, got dtype"):
        read_npy(path)
    with pytest.raises(FormatError, match=r"got dtype complex128"):
        read_npy(_npy(tmp_path / "c.npy", np.zeros(3, complex)))


# ---------------------------------------------------------------------------------------------
# .csv


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3\n1\n2\n", [3, 1, 2]),
        ("label\n3\n1\n\n2\n", [3, 1, 2]),  # header and a blank line
        ("id,label\n0,3\n1,1\n2,2\n", [3, 1, 2]),  # as Kaggle and practicum write labels
        ("ID,Label\n1,3\n2,1\n3,2\n", [3, 1, 2]),  # ids from 1
        ("0.5\n-1e3\n2\n", [0.5, -1000.0, 2.0]),
    ],
)
def test_csv_vectors(tmp_path: Path, text: str, expected: list[float]) -> None:
    values = read_number_csv(_csv(tmp_path / "y.csv", text))
    assert values.tolist() == expected
    assert values.dtype == (np.int64 if all(isinstance(v, int) for v in expected) else np.float64)


def test_csv_matrix_with_and_without_header(tmp_path: Path) -> None:
    plain = read_number_csv(_csv(tmp_path / "x.csv", "1,2,3\n4,5,6\n"))
    assert plain.shape == (2, 3) and plain.dtype == np.int64
    named = read_number_csv(_csv(tmp_path / "n.csv", "a,b\n1.5,2\n3,4\n"))
    assert named.tolist() == [[1.5, 2.0], [3.0, 4.0]]


def test_label_csv_written_by_the_grader_reads_back(tmp_path: Path) -> None:
    labels = RNG.integers(0, 10, 50)
    assert np.array_equal(read_number_csv(write_label_csv(tmp_path / "y.csv", labels)), labels)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n1,2\n3,x\n", "x.csv: line 3, column 2 (b): expected a number, got 'x'"),
        ("1,2\n3,\n", "x.csv: line 2, column 2: expected a number, got ''"),
        ("1,2\n3,nan\n", "x.csv: line 2, column 2: expected a finite number, got 'nan'"),
        ("1,2\n3\n", "x.csv: line 2: expected 2 columns, got 1"),
        ("a,b\n1,2,3\n", "x.csv: line 2: expected 2 columns, got 3"),
        ("label\n", "x.csv: no rows of numbers"),
        ("", "x.csv: no rows of numbers"),
        ("id,label\n0,1\n2,1\n", "x.csv: line 3, column 1 (id): expected 1, got '2'"),
    ],
)
def test_bad_csv_names_line_column_expected_and_got(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(FormatError) as refused:
        read_number_csv(_csv(tmp_path / "x.csv", text))
    assert str(refused.value).startswith(message), str(refused.value)


def test_csv_that_is_not_utf8_or_too_big_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"1\n\xff\n")
    with pytest.raises(FormatError, match=r"line 2, byte 1: invalid UTF-8"):
        read_number_csv(path)
    with pytest.raises(FormatError, match=r"more than the limit of 2$"):
        read_number_csv(path, max_bytes=2)


# ---------------------------------------------------------------------------------------------
# the four files together


def _four(folder: Path, n_train: int = 6, n_test: int = 4) -> dict[str, Path]:
    folder.mkdir(exist_ok=True)
    return {
        "x_train": _npy(folder / "x_train.npy", RNG.random((n_train, 3))),
        "y_train": _csv(folder / "y_train.csv", "".join(f"{i % 3}\n" for i in range(n_train))),
        "x_test": write_idx(folder / "x-ubyte.gz", RNG.random((n_test, 3))),
        "y_test": write_idx(folder / "y-ubyte", np.arange(n_test, dtype=np.uint8) % 3),
    }


def test_four_files_in_four_formats(tmp_path: Path) -> None:
    arrays = read_own_files(**_four(tmp_path))
    assert {k: a.shape for k, a in arrays.items()} == {
        "x_train": (6, 3),
        "y_train": (6,),
        "x_test": (4, 3),
        "y_test": (4,),
    }


def test_mismatched_lengths_name_both_files(tmp_path: Path) -> None:
    paths = _four(tmp_path, n_test=4)
    paths["y_test"] = write_idx(tmp_path / "short-ubyte", np.zeros(3, np.uint8))
    with pytest.raises(DataError) as refused:
        read_own_files(**paths)
    assert str(refused.value) == (
        f"x_test = {paths['x_test']} has 4 items but y_test = {paths['y_test']} has 3; "
        "they must pair one for one"
    )


def test_train_and_test_items_must_share_a_shape(tmp_path: Path) -> None:
    paths = _four(tmp_path)
    paths["x_test"] = _npy(tmp_path / "x_test.npy", RNG.random((4, 5)))
    with pytest.raises(DataError, match=r"items have shape \(3,\) but x_test = .* have \(5,\)"):
        read_own_files(**paths)


@pytest.mark.parametrize(
    ("key", "name", "message"),
    [
        ("y_train", "y.txt", "unknown kind of file; expected a folder of class subfolders"),
        ("x_test", "gone.npy", "no such file or folder"),
    ],
)
def test_unknown_or_missing_files_name_key_and_path(
    tmp_path: Path, key: str, name: str, message: str
) -> None:
    paths = _four(tmp_path)
    paths[key] = tmp_path / name
    if name.endswith(".txt"):
        paths[key].write_text("1\n")
    with pytest.raises(DataError) as refused:
        read_own_files(**paths)
    assert str(refused.value).startswith(f"{key} = {paths[key]}: {message}")


def test_a_labels_file_with_two_columns_is_refused(tmp_path: Path) -> None:
    paths = _four(tmp_path)
    paths["y_train"] = _csv(tmp_path / "y2.csv", "1,2\n" * 6)
    with pytest.raises(DataError, match=r"y_train = .*: expected one value per item, got shape"):
        read_own_files(**paths)


def _images(folder: Path, labels: list[int], classes: list[str] = CLASSES) -> Path:
    x = RNG.integers(0, 256, (len(labels), 5, 5), dtype=np.uint8)
    return write_image_folder(folder, {"s": {"x": x, "y": np.array(labels)}}, classes, flat=True)


def test_image_folders_give_x_and_y_and_match_classes_by_name(tmp_path: Path) -> None:
    train = _images(tmp_path / "train", [0, 1, 2, 0, 1, 2])
    test = _images(tmp_path / "test", [0, 1, 0], ["ant", "cat"])  # no bees in the test set
    arrays = read_own_files(x_train=train, y_train=train, x_test=test, y_test=test)
    assert arrays["x_train"].shape == (6, 5, 5) and arrays["y_train"].tolist() == [0, 0, 1, 1, 2, 2]
    assert arrays["y_test"].tolist() == [0, 0, 2], "cat is class 2 of the train folder"


def test_image_folder_must_name_both_x_and_y_and_hold_no_unknown_class(tmp_path: Path) -> None:
    train = _images(tmp_path / "train", [0, 1, 2])
    labels = _csv(tmp_path / "y.csv", "0\n1\n2\n")
    with pytest.raises(DataError, match=r"an image folder gives both x and y, so name the same"):
        read_own_files(x_train=train, y_train=labels, x_test=train, y_test=train)
    odd = _images(tmp_path / "odd", [0, 1], ["ant", "wasp"])
    with pytest.raises(DataError, match=r"y_test = .*odd has classes wasp that y_train = "):
        read_own_files(x_train=train, y_train=train, x_test=odd, y_test=odd)


def test_image_folder_with_splits_asks_for_one_split(tmp_path: Path) -> None:
    x = RNG.integers(0, 256, (2, 5, 5), dtype=np.uint8)
    both = {"train": {"x": x, "y": np.array([0, 1])}, "test": {"x": x, "y": np.array([1, 0])}}
    tree = write_image_folder(tmp_path / "tree", both, CLASSES)
    with pytest.raises(DataError, match=r"holds the splits test, train; name one split's folder"):
        read_own_files(x_train=tree, y_train=tree, x_test=tree, y_test=tree)
