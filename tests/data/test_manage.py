"""Import, status, load and verify over files written in the exact official formats."""

import gzip
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from practicum import data, settings
from practicum.data import synthetic
from practicum.data.errors import ChecksumError, DataError, FormatError, NotCachedError
from practicum.data.hashing import sha256_gunzipped


def test_mnist_like_files_are_refused_as_official_then_accepted_unverified(tmp_path: Path) -> None:
    folder = synthetic.write_mnist_like(tmp_path / "mnist", n_train=50, n_test=20)
    with pytest.raises(ChecksumError, match=r"train-images-idx3-ubyte\.gz: sha256 mismatch"):
        data.import_files("mnist", [folder])
    assert data.import_files("mnist", [folder], verify=False) == ["test", "train"]
    train = data.load("mnist", "train")
    assert train["x"].shape == (50, 28, 28) and train["x"].dtype == np.uint8
    assert train["y"].dtype == np.int64 and set(np.unique(train["y"])) <= set(range(10))
    states = {s.split: (s.state, s.items) for s in data.status("mnist")}
    assert states == {"train": ("cached (unverified)", 50), "test": ("cached (unverified)", 20)}


def test_a_regzipped_official_copy_imports_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = synthetic.write_mnist_like(tmp_path / "mnist", n_train=30, n_test=10)
    mnist = data.get("mnist")
    files = tuple(  # the catalog as if these files' content were the official one
        replace(f, content_sha256=sha256_gunzipped(folder / f.name)) for f in mnist.files
    )
    monkeypatch.setitem(data.CATALOG, "mnist", replace(mnist, files=files))
    for path in folder.iterdir():  # compressed again by another tool: other bytes
        path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes()), 1, mtime=7))
    assert data.import_files("mnist", [folder]) == ["test", "train"]
    assert {s.state for s in data.status("mnist")} == {"cached"}
    labels = folder / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(labels.read_bytes()))
    raw[-1] = (raw[-1] + 1) % 10  # one label changed: not the official content any more
    labels.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(ChecksumError, match=r"t10k-labels-idx1-ubyte\.gz: sha256 mismatch"):
        data.import_files("mnist", [folder])


def test_truncated_idx_is_refused_with_one_line(tmp_path: Path) -> None:
    folder = synthetic.write_mnist_like(tmp_path / "m", n_train=30, n_test=10)
    images = folder / "t10k-images-idx3-ubyte.gz"
    raw = gzip.decompress(images.read_bytes())
    images.write_bytes(gzip.compress(raw[: len(raw) // 2]))
    with pytest.raises(FormatError) as info:
        data.import_files("mnist", [folder], verify=False)
    message = str(info.value)
    assert message.startswith("t10k-images-idx3-ubyte.gz:") and "\n" not in message
    assert data.status("mnist")[1].state == "missing"  # nothing half-imported for test


def test_images_and_labels_must_agree(tmp_path: Path) -> None:
    from practicum.data.formats import write_idx

    folder = synthetic.write_mnist_like(tmp_path / "m", n_train=30, n_test=10)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.zeros(9, np.uint8))
    with pytest.raises(DataError, match=r"has 10 items but t10k-labels-idx1-ubyte\.gz has 9"):
        data.import_files("mnist", [folder], verify=False)


def test_system_copy_is_found_without_being_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = tmp_path / "share"
    synthetic.write_mnist_like(system / "fashion-mnist", n_train=40, n_test=10)
    monkeypatch.setenv("PRACTICUM_SYSTEM_DATA", str(system))
    assert [s.state for s in data.status("fashion-mnist")] == ["on system", "on system"]
    # a system copy that is not the official one is still refused: load never trusts blindly
    with pytest.raises(ChecksumError):
        data.load("fashion-mnist", "train")


def test_missing_data_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRACTICUM_SYSTEM_DATA", str(tmp_path / "nothing"))
    with pytest.raises(NotCachedError) as info:
        data.load("mnist", "test")
    msg = str(info.value)
    assert "practicum data fetch mnist" in msg and "practicum data import mnist" in msg
    assert "t10k-images-idx3-ubyte.gz" in msg


def test_unknown_split_is_named() -> None:
    with pytest.raises(DataError, match="no split 'validation'; its splits: train, test"):
        data.load("mnist", "validation")


def test_cifar_python_archive(tmp_path: Path) -> None:
    archive = synthetic.write_cifar10_like(
        tmp_path / "cifar-10-python.tar.gz", n_train=50, n_test=10
    )
    with pytest.raises(ChecksumError):
        data.import_files("cifar10", [archive])
    assert data.import_files("cifar10", [archive], verify=False) == ["test", "train"]
    x = data.load("cifar10", "train")["x"]
    assert x.shape == (50, 32, 32, 3) and x.dtype == np.uint8


def test_cifar_jpeg_folder_archive_maps_class_names(tmp_path: Path) -> None:
    archive = synthetic.write_cifar10_jpeg_like(tmp_path / "cifar-jpeg.tar.gz", n_per_class=3)
    assert data.import_files("cifar10", [archive]) == ["train"]
    train = data.load("cifar10", "train")
    assert train["x"].shape == (30, 32, 32, 3)
    np.testing.assert_array_equal(np.bincount(train["y"]), [3] * 10)
    assert data.status("cifar10")[0].state == "cached (unverified)"


def test_image_folder_with_foreign_classes_is_refused(tmp_path: Path) -> None:
    from practicum.data.formats import write_image_folder

    x = np.zeros((2, 32, 32, 3), np.uint8)
    path = write_image_folder(
        tmp_path / "pets.zip", {"train": {"x": x, "y": np.array([0, 1])}}, ["cat", "wolf"]
    )
    with pytest.raises(DataError, match=r"unknown class folder\(s\) \['wolf'\]"):
        data.import_files("cifar10", [path])


def test_ecg_zip_labels_become_zero_based(tmp_path: Path) -> None:
    archive = synthetic.write_ecg_like(tmp_path / "ECG5000.zip", n_train=20, n_test=30)
    assert data.import_files("ecg5000", [archive]) == ["test", "train"]
    train = data.load("ecg5000", "train")
    assert train["x"].shape == (20, 140) and train["x"].dtype == np.float32
    assert train["y"].min() >= 0 and train["y"].max() <= 4


def test_airline_and_enja(tmp_path: Path) -> None:
    csv = synthetic.write_airline_like(tmp_path / "airline-passengers.csv")
    data.import_files("airline-passengers", [csv], verify=False)
    series = data.load("airline-passengers")
    assert series["passengers"].shape == (144,) and str(series["month"][0]) == "1949-01"
    folder = synthetic.write_enja_like(tmp_path / "enja", n_train=12, n_dev=3, n_test=4)
    assert data.import_files("small-parallel-enja", [folder], verify=False) == [
        "dev",
        "test",
        "train",
    ]
    dev = data.load("small-parallel-enja", "dev")
    assert dev["en"].shape == dev["ja"].shape == (3,) and dev["en"].dtype.kind == "U"


def test_coco_annotations_and_image_zips(tmp_path: Path) -> None:
    folder = synthetic.write_coco_like(tmp_path / "coco", n_train=6, n_val=4)
    splits = data.import_files("coco-captions", [folder], verify=False)
    assert splits == ["train2014", "val2014"]
    val = data.load("coco-captions", "val2014")
    assert len(val["image_id"]) == 4 and len(val["caption"]) == 20


def test_real_shared_airline_and_enja_verify_against_catalog() -> None:
    shared = Path(__file__).resolve().parents[3] / "shared" / "data"
    if not (shared / "airline").exists():
        pytest.skip("shared data not present")
    data.import_files("airline-passengers", [shared / "airline" / "airline-passengers.csv"])
    assert data.status("airline-passengers")[0].state == "cached"
    assert data.import_files("small-parallel-enja", [shared / "small_parallel_enja"]) == [
        "dev",
        "train",
    ]
    train = data.load("small-parallel-enja", "train")
    assert len(train["en"]) == len(train["ja"]) == 50_000


def test_verify_finds_a_tampered_cache(tmp_path: Path) -> None:
    folder = synthetic.write_mnist_like(tmp_path / "m", n_train=20, n_test=10)
    data.import_files("mnist", [folder], verify=False)
    assert data.verify("mnist") == []
    cached = settings.data_home() / "mnist" / "test" / "y.npy"
    np.save(cached, np.zeros(10, np.int64))
    assert data.verify("mnist") == ["mnist/test/y.npy: sha256 differs from the manifest (y)"]


def test_nothing_recognised_lists_what_is_expected(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match="expected the official files"):
        data.import_files("mnist", [tmp_path / "notes.txt"])
