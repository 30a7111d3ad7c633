"""A homework gives either a catalog `dataset` or its own `files`, never both nor neither;
file paths are read relative to course.toml's folder and checked only when publishing."""

from __future__ import annotations

from pathlib import Path

import pytest
from course_helpers import BASE, Edit

from practicum.course import CourseError, HomeworkFiles, load_course

DATASET = 'dataset = "fashion-mnist"'
FILES = (
    'files = { x_train = "data/x_train.npy", y_train = "data/y_train.csv", '
    'x_test = "data/x_test.npy", y_test = "/srv/private/y_test.npy" }'
)


def test_files_are_read_relative_to_the_course_folder(tmp_path: Path) -> None:
    path = tmp_path / "course" / "course.toml"
    path.parent.mkdir()
    path.write_text(BASE.replace(DATASET, FILES), encoding="utf-8")
    hw1 = load_course(path).homework["hw1"]
    data = tmp_path / "course" / "data"
    assert hw1.dataset is None
    assert hw1.files == HomeworkFiles(
        x_train=data / "x_train.npy",
        y_train=data / "y_train.csv",
        x_test=data / "x_test.npy",
        y_test=Path("/srv/private/y_test.npy"),
    )
    assert load_course(path).homework["hw2"].files is None, "dataset homework has no files"


def test_a_files_table_may_be_written_as_its_own_section(parse_edited: Edit) -> None:
    section = "\n".join(
        f'{key} = "/d/{key}.npy"' for key in ("x_train", "y_train", "x_test", "y_test")
    )
    course = parse_edited(
        (DATASET, ""),
        ("[homework.hw2]", f"[homework.hw1.files]\n{section}\n\n[homework.hw2]"),
    )
    files = course.homework["hw1"].files
    assert files is not None and files.y_test == Path("/d/y_test.npy")


HW1 = "course.toml: homework.hw1"
REFUSED = {
    "both": (
        [(DATASET, f"{DATASET}\n{FILES}")],
        f"{HW1}: both dataset and files given (give exactly one)",
    ),
    "neither": ([(DATASET, "")], f"{HW1}: missing dataset or files (give exactly one)"),
    "unknown key": (
        [(DATASET, FILES.replace("y_test =", "y_tset ="))],
        f"{HW1}.files: unknown key 'y_tset' (did you mean 'y_test'?)",
    ),
    "missing key": (
        [(DATASET, FILES.replace(', y_test = "/srv/private/y_test.npy"', ""))],
        f"{HW1}.files.y_test: missing (required)",
    ),
    "empty path": (
        [(DATASET, FILES.replace('"data/x_test.npy"', '""'))],
        f"{HW1}.files.x_test: empty",
    ),
    "path not a string": (
        [(DATASET, FILES.replace('"data/x_test.npy"', "3"))],
        f"{HW1}.files.x_test: expected a string, got number 3",
    ),
    "files not a table": (
        [(DATASET, 'files = "data"')],
        f"{HW1}.files: expected a table, got string 'data'",
    ),
    "forecast horizon with files": (
        [
            ('dataset = "airline-passengers"', FILES),
            ('metric = "rmse"', 'metric = "rmse"\nhorizon = 12'),
        ],
        "course.toml: homework.hw2.horizon: only for a forecast on a catalog series (dataset),"
        " not with files",
    ),
}


@pytest.mark.parametrize(("edits", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_dataset_or_files_mistakes_are_refused_with_key_path(
    parse_edited: Edit, edits: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(CourseError) as err:
        parse_edited(*edits)
    assert str(err.value) == message


def test_files_are_not_opened_when_the_course_is_loaded(tmp_path: Path) -> None:
    """The web service loads course.toml where staff's private files may be absent; a missing
    file is refused by `homework publish` (tests/service/test_publish_own_files.py)."""
    path = tmp_path / "course.toml"
    path.write_text(BASE.replace(DATASET, FILES), encoding="utf-8")
    files = load_course(path).homework["hw1"].files
    assert files is not None and not files.x_train.exists()
