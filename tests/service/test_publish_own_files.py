"""A homework published from staff's own files (labels nobody else has), in each supported
format, through the same service function and CLI command as a catalog homework, then
scored; and the files that must be refused, refused with the file named."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine
from tiny_homework import labels_csv
from typer.testing import CliRunner

from practicum import store
from practicum.cli import app
from practicum.data.formats import write_idx, write_image_folder
from practicum.grading.label_csv import write_label_csv
from practicum.service import submissions
from practicum.service.answers import load_answer
from practicum.service.publish import PublishError, publish
from practicum.settings.service import ServiceConfig

HW = "lesson1-private"
N_TRAIN, N_TEST, N_CLASSES = 30, 20, 3
NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
CLASSES = ["circle", "square", "star"]


def course_toml(files: dict[str, str], submission: str = "labels") -> str:
    table = ", ".join(f'{key} = "{path}"' for key, path in files.items())
    scoring = (
        f'metric = "accuracy"\ntarget = 0.5\nsubmission = "labels"\nn_classes = {N_CLASSES}'
        if submission == "labels"
        else 'metric = "rmse"\nsubmission = "regression"'
    )
    return f"""
[course]
id = "private"
title = "Private labels"
timezone = "Asia/Tokyo"

[[lessons]]
number = 1
title = "Basics"
opens = 2026-12-01T10:00:00
credits = 10

[homework.{HW}]
lesson = 1
title = "Shapes nobody else has"
task = "Tell circles, squares and stars apart."
{scoring}
public_fraction = 0.4
deadline = 2026-12-20T23:59:00
files = {{ {table} }}

[completion]
required_homework = []
report_required = false
"""


@dataclass
class Made:
    """What a format writer left on disk and what publishing must make of it."""

    files: dict[str, str]
    """As course.toml says them: relative to its folder, y_test absolute (the secret)."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def _split(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 8, 8), dtype=np.uint8), rng.permutation(n) % N_CLASSES


TRAIN, TEST = _split(1, N_TRAIN), _split(2, N_TEST)


def _npy(course: Path, secret: Path) -> Made:
    for name, array in (("x_train", TRAIN[0]), ("y_train", TRAIN[1]), ("x_test", TEST[0])):
        np.save(course / "data" / f"{name}.npy", array)
    np.save(secret / "y_test.npy", TEST[1])
    files = {k: f"data/{k}.npy" for k in ("x_train", "y_train", "x_test")}
    return Made({**files, "y_test": str(secret / "y_test.npy")}, *TRAIN, *TEST)


def _csv(course: Path, secret: Path) -> Made:
    def matrix(name: str, x: np.ndarray) -> str:
        rows = (",".join(map(str, row)) for row in x.reshape(len(x), -1))
        (course / "data" / name).write_text("\n".join(rows) + "\n")
        return f"data/{name}"

    (course / "data" / "y_train.csv").write_text("label\n" + "\n".join(map(str, TRAIN[1])))
    write_label_csv(secret / "y_test.csv", TEST[1])  # id,label, as Kaggle writes it
    files = {
        "x_train": matrix("x_train.csv", TRAIN[0]),
        "y_train": "data/y_train.csv",
        "x_test": matrix("x_test.csv", TEST[0]),
        "y_test": str(secret / "y_test.csv"),
    }
    flat = [x.reshape(len(x), -1).astype(np.int64) for x in (TRAIN[0], TEST[0])]
    return Made(files, flat[0], TRAIN[1], flat[1], TEST[1])


def _idx(course: Path, secret: Path) -> Made:
    names = (
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
    )
    for name, array in zip(names, (TRAIN[0], TRAIN[1], TEST[0]), strict=True):
        write_idx(course / "data" / name, array.astype(np.uint8))
    write_idx(secret / "t10k-labels-idx1-ubyte.gz", TEST[1].astype(np.uint8))
    files = dict(zip(("x_train", "y_train", "x_test"), (f"data/{n}" for n in names), strict=True))
    return Made({**files, "y_test": str(secret / "t10k-labels-idx1-ubyte.gz")}, *TRAIN, *TEST)


def _images(course: Path, secret: Path) -> Made:
    """Class subfolders of PNGs; read back class by class, so that is the published order."""
    for folder, (x, y) in ((course / "data" / "train", TRAIN), (secret / "test", TEST)):
        write_image_folder(folder, {"all": {"x": x, "y": y}}, CLASSES, flat=True)
    order = [np.argsort(y, kind="stable") for _, y in (TRAIN, TEST)]
    files = {"x_train": "data/train", "y_train": "data/train"}
    files |= {"x_test": str(secret / "test"), "y_test": str(secret / "test")}
    return Made(files, TRAIN[0][order[0]], TRAIN[1][order[0]], TEST[0][order[1]], TEST[1][order[1]])


FORMATS: dict[str, Callable[[Path, Path], Made]] = {
    "npy": _npy,
    "csv": _csv,
    "idx-gz": _idx,
    "image-folder": _images,
}


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the course lives (course.toml, data/) and, apart, the staff-only secret/."""
    for name in ("PRACTICUM_DATABASE_URL", "PRACTICUM_SHARED_DIR", "PRACTICUM_PRIVATE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PRACTICUM_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("PRACTICUM_COURSE", str(tmp_path / "course" / "course.toml"))
    monkeypatch.setenv("PRACTICUM_SYSTEM_DATA", "")
    (tmp_path / "course" / "data").mkdir(parents=True)
    (tmp_path / "secret").mkdir()
    return tmp_path


def make(root: Path, writer: Callable[[Path, Path], Made], submission: str = "labels") -> Made:
    made = writer(root / "course", root / "secret")
    (root / "course" / "course.toml").write_text(course_toml(made.files, submission))
    return made


def config_of(root: Path) -> ServiceConfig:
    state = root / "state"
    return ServiceConfig(
        state=state,
        database_url=f"sqlite:///{state / 'practicum.db'}",
        shared_dir=state / "shared",
        private_dir=state / "private",
        blob_dir=state / "blobs",
        course_path=root / "course" / "course.toml",
    )


@pytest.fixture
def engine(root: Path) -> Iterator[Engine]:
    url = config_of(root).database_url
    store.upgrade(url)
    engine = store.make_engine(url)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("fmt", FORMATS)
def test_own_files_are_published_and_scored(root: Path, engine: Engine, fmt: str) -> None:
    made = make(root, FORMATS[fmt])
    config = config_of(root)
    result = publish(config, engine, HW, now=NOW)
    shared = config.shared_dir / HW
    for name in ("x_train", "y_train", "x_test"):
        published = np.load(shared / f"{name}.npy")
        assert np.array_equal(published, getattr(made, name)), name
    assert np.load(shared / "y_train.npy").dtype == np.int64
    answer = load_answer(config, HW)
    assert answer.y_test.dtype == np.int64 and np.array_equal(answer.y_test, made.y_test)
    assert (result.n_items, result.public_count) == (N_TEST, 8)
    for path in shared.iterdir():
        assert made.y_test.tobytes() not in path.read_bytes(), path
    readme = (shared / "README.md").read_text()
    assert f"| `x_test.npy` | {made.x_test.shape} |" in readme and "id,label\n0,0\n1,1" in readme

    wrong = made.y_test.copy()
    wrong[np.flatnonzero(answer.public_mask)[:2]] += 1
    wrong %= N_CLASSES
    with store.session_scope(engine) as session:
        ann = store.create_user(session, "ann", "student")
        outcome = submissions.submit(
            submissions.SubmitContext(
                session, store.FileStore(config.blob_dir), config, config.course()
            ),
            submissions.SubmissionRequest(HW, ann, labels_csv(wrong), "submission.csv", NOW),
        )
    assert outcome.public_score == pytest.approx(6 / 8) and outcome.rank == 1


def test_own_regression_targets_are_published_as_floats(root: Path, engine: Engine) -> None:
    data, secret = root / "course" / "data", root / "secret"
    np.save(data / "x.npy", np.arange(12.0).reshape(6, 2))
    np.save(data / "y.npy", np.arange(4, dtype=np.int32))
    np.save(secret / "y.npy", np.array([1, 2, 3, 4], np.int32))
    files = {"x_train": "data/x.npy", "y_train": "data/y.npy", "x_test": "data/x.npy"}
    (root / "course" / "course.toml").write_text(
        course_toml({**files, "y_test": str(secret / "y.npy")}, "regression")
    )
    with pytest.raises(PublishError, match=r"x_train = .*x\.npy has 6 items but y_train = "):
        publish(config_of(root), engine, HW, now=NOW)
    np.save(data / "x.npy", np.arange(8.0).reshape(4, 2))
    publish(config_of(root), engine, HW, now=NOW)
    answer = load_answer(config_of(root), HW)
    assert answer.y_test.dtype == np.float64 and answer.y_test.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert "id,value" in (config_of(root).shared_dir / HW / "README.md").read_text()


# ---------------------------------------------------------------------------------------------
# the command staff run


def test_cli_publishes_own_files_and_republish_keeps_the_split(root: Path) -> None:
    make(root, _npy)
    runner = CliRunner()
    first = runner.invoke(app, ["homework", "publish", HW], env={"COLUMNS": "200"})
    assert first.exit_code == 0, first.output
    assert (
        f"x_train ({N_TRAIN}, 8, 8)" in first.output and "20 (8 public, 12 private)" in first.output
    )
    again = runner.invoke(app, ["homework", "publish", HW], env={"COLUMNS": "200"})
    assert again.exit_code == 0 and "kept the published split" in again.output
    listing = runner.invoke(app, ["homework", "list"], env={"COLUMNS": "200"})
    assert "published" in next(line for line in listing.output.splitlines() if HW in line)


def test_cli_refuses_a_pickle_in_one_line_naming_the_file(root: Path) -> None:
    made = make(root, _npy)
    np.save(made.files["y_test"], np.array([object()] * N_TEST), allow_pickle=True)
    result = CliRunner().invoke(app, ["homework", "publish", HW], env={"COLUMNS": "300"})
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [
        f"error: homework {HW}: files.y_test = {made.files['y_test']}: holds Python objects "
        "(a pickle), refused: it could run code when loaded; save a numeric array with "
        "np.save(path, array, allow_pickle=False)"
    ]
    assert not (root / "state" / "shared" / HW).exists()


# ---------------------------------------------------------------------------------------------
# refusals


def _refused(root: Path, engine: Engine) -> str:
    config = config_of(root)
    with pytest.raises(PublishError) as refused:
        publish(config, engine, HW, now=NOW)
    assert not (config.shared_dir / HW).exists() and not (config.private_dir / HW).exists()
    return str(refused.value)


def test_mismatched_test_lengths_name_both_files(root: Path, engine: Engine) -> None:
    made = make(root, _npy)
    np.save(made.files["y_test"], TEST[1][:-1])
    x_test = root / "course" / "data" / "x_test.npy"
    assert _refused(root, engine) == (
        f"homework {HW}: files.x_test = {x_test} has 20 items but y_test = "
        f"{made.files['y_test']} has 19; they must pair one for one"
    )


def test_a_missing_file_is_refused_with_its_key_and_path(root: Path, engine: Engine) -> None:
    make(root, _npy)
    (root / "course" / "data" / "y_train.npy").unlink()
    message = _refused(root, engine)
    assert message == (
        f"homework {HW}: files.y_train = {root / 'course' / 'data' / 'y_train.npy'}: "
        "no such file or folder"
    )


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (
            np.arange(N_TEST) % 4,
            r"y_test\.npy labels span 0\.\.3, but the course says n_classes = 3",
        ),
        (np.full(N_TEST, 0.5), r"y_test\.npy item 0: expected a class index 0\.\.2, got 0\.5"),
        (
            np.array([1.0, np.inf] * 10),
            r"y_test\.npy item 1: expected a class index 0\.\.2, got inf",
        ),
        (np.full(N_TEST, 1.0), None),  # whole floats are labels
    ],
)
def test_labels_are_checked_against_the_course(
    root: Path, engine: Engine, labels: np.ndarray, message: str | None
) -> None:
    made = make(root, _npy)
    np.save(made.files["y_test"], labels)
    if message is None:
        publish(config_of(root), engine, HW, now=NOW)
        assert load_answer(config_of(root), HW).y_test.tolist() == [1] * N_TEST
    else:
        with pytest.raises(PublishError, match=message):
            publish(config_of(root), engine, HW, now=NOW)


def test_hidden_labels_inside_the_shared_folder_are_refused(root: Path, engine: Engine) -> None:
    made = make(root, _npy)
    shared = config_of(root).shared_dir
    shared.mkdir(parents=True)
    leaked = shared / "y_test.npy"
    Path(made.files["y_test"]).rename(leaked)
    (root / "course" / "course.toml").write_text(course_toml({**made.files, "y_test": str(leaked)}))
    assert "is inside the shared folder" in _refused(root, engine)


def test_changed_own_labels_cannot_keep_the_published_split(root: Path, engine: Engine) -> None:
    made = make(root, _npy)
    publish(config_of(root), engine, HW, now=NOW)
    np.save(made.files["y_test"], (TEST[1] + 1) % N_CLASSES)
    with pytest.raises(PublishError, match=r"the test labels of .*y_test\.npy changed; .*--force"):
        publish(config_of(root), engine, HW, now=NOW)
    assert publish(config_of(root), engine, HW, now=NOW, force=True).n_items == N_TEST
