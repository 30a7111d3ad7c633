"""Class-per-folder image trees in folders and archives, read without trusting them."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from practicum.data.errors import FormatError
from practicum.data.formats.image_folder import read_image_folder, write_image_folder
from practicum.data.formats.safe_archive import Limits

CLASSES = ["cat", "dog", "frog"]


def colour(n: int, seed: int = 0, side: int = 8) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x": rng.integers(0, 256, (n, side, side, 3), dtype=np.uint8),
        "y": np.arange(n) % len(CLASSES),
    }


def png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def tar_with(path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tar.addfile(member)
            else:
                info = tarfile.TarInfo(member[0])
                info.size = len(member[1])
                tar.addfile(info, io.BytesIO(member[1]))
    return path


def in_label_order(split: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Images as the writer numbered them: files sort by class, then by name."""
    order = np.argsort(split["y"], kind="stable")
    return split["x"][order], split["y"][order]


@pytest.mark.parametrize("name", ["tree", "tree.zip", "tree.tar", "tree.tar.gz", "tree.tgz"])
def test_round_trip_every_container(tmp_path: Path, name: str) -> None:
    splits = {"train": colour(9, 0), "test": colour(4, 1)}
    path = write_image_folder(tmp_path / name, splits, CLASSES)
    read, classes = read_image_folder(path)
    assert classes == CLASSES
    assert set(read) == {"train", "test"}
    for split, arrays in splits.items():
        x, y = in_label_order(arrays)
        assert read[split]["x"].dtype == np.uint8 and read[split]["y"].dtype == np.int64
        np.testing.assert_array_equal(read[split]["x"], x)  # PNG is lossless
        np.testing.assert_array_equal(read[split]["y"], y)


def test_flat_tree_under_a_root_folder_is_one_train_split(tmp_path: Path) -> None:
    path = write_image_folder(
        tmp_path / "flat.zip", {"all": colour(6)}, CLASSES, flat=True, root="photos"
    )
    read, classes = read_image_folder(path)
    assert list(read) == ["train"] and classes == CLASSES
    np.testing.assert_array_equal(read["train"]["x"], in_label_order(colour(6))[0])


def test_grayscale_stays_two_dimensional_and_mixed_becomes_rgb(tmp_path: Path) -> None:
    gray = np.arange(64, dtype=np.uint8).reshape(8, 8)
    folder = tmp_path / "gray"
    for name, pixels in (("a/0.png", gray), ("b/0.png", gray[::-1])):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(png(pixels))
    read, _ = read_image_folder(folder)
    assert read["train"]["x"].shape == (2, 8, 8)
    (folder / "b/1.png").write_bytes(png(np.zeros((8, 8, 3), np.uint8)))
    read, _ = read_image_folder(folder)
    assert read["train"]["x"].shape == (3, 8, 8, 3)
    np.testing.assert_array_equal(read["train"]["x"][0], np.stack([gray] * 3, axis=2))


def test_sizes_must_agree_unless_resizing(tmp_path: Path) -> None:
    path = tar_with(
        tmp_path / "sizes.tar.gz",
        [
            ("train/cat/0.png", png(np.zeros((8, 8, 3), np.uint8))),
            ("train/dog/0.png", png(np.zeros((6, 10, 3), np.uint8))),
        ],
    )
    with pytest.raises(FormatError) as error:
        read_image_folder(path)
    assert str(error.value) == (
        "sizes.tar.gz: train/dog/0.png: image is 10x6, but train/cat/0.png is 8x8;"
        " pass size= to resize all images"
    )
    read, _ = read_image_folder(path, size=(4, 5))
    assert read["train"]["x"].shape == (2, 4, 5, 3)


def test_jpeg_trees_decode_close_to_the_original(tmp_path: Path) -> None:
    smooth = np.full((1, 16, 16, 3), 120, np.uint8)
    path = write_image_folder(
        tmp_path / "j.tar.gz", {"train": {"x": smooth, "y": np.array([1])}}, CLASSES, fmt="jpg"
    )
    read, _ = read_image_folder(path)
    assert np.abs(read["train"]["x"].astype(int) - 120).max() <= 2


def test_non_image_member_is_named(tmp_path: Path) -> None:
    path = tar_with(
        tmp_path / "t.tar.gz",
        [("train/cat/0.png", png(np.zeros((4, 4, 3), np.uint8))), ("train/cat/notes.txt", b"hi")],
    )
    with pytest.raises(FormatError, match=r"^t\.tar\.gz: train/cat/notes\.txt: not an image"):
        read_image_folder(path)


def test_undecodable_image_is_named(tmp_path: Path) -> None:
    broken = png(np.zeros((16, 16, 3), np.uint8))[:-30]
    path = tar_with(tmp_path / "t.tar.gz", [("train/cat/0.png", broken)])
    with pytest.raises(
        FormatError, match=r"^t\.tar\.gz: train/cat/0\.png: not a readable PNG/JPEG"
    ):
        read_image_folder(path)


def test_other_decoders_are_never_tried(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="BMP")
    path = tar_with(tmp_path / "t.tar.gz", [("train/cat/0.png", out.getvalue())])
    with pytest.raises(FormatError, match="not a readable PNG/JPEG image"):
        read_image_folder(path)


@pytest.mark.parametrize("name", ["../../evil.png", "/etc/evil.png", "train/../../evil.png"])
def test_path_traversal_members_are_refused(tmp_path: Path, name: str) -> None:
    image = png(np.zeros((4, 4, 3), np.uint8))
    for path in (
        tar_with(tmp_path / "t.tar.gz", [(name, image)]),
        _zip_with(tmp_path / "t.zip", name, image),
    ):
        with pytest.raises(FormatError) as error:
            read_image_folder(path)
        assert str(error.value).startswith(f"{path.name}: unsafe member path {name!r}")
    assert not (tmp_path.parent.parent / "evil.png").exists()


def _zip_with(path: Path, name: str, data: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo(name), data)
    return path


def test_links_and_devices_are_skipped(tmp_path: Path) -> None:
    link = tarfile.TarInfo("train/cat/1.png")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    device = tarfile.TarInfo("train/cat/2.png")
    device.type = tarfile.CHRTYPE
    path = tar_with(
        tmp_path / "t.tar.gz",
        [("train/cat/0.png", png(np.zeros((4, 4, 3), np.uint8))), link, device],
    )
    read, _ = read_image_folder(path)
    assert read["train"]["x"].shape == (1, 4, 4, 3)
    folder = write_image_folder(tmp_path / "tree", {"train": colour(3)}, CLASSES)
    (folder / "train/cat/9.png").symlink_to("/etc/passwd")
    read, _ = read_image_folder(folder)
    assert read["train"]["x"].shape == (3, 8, 8, 3)


def test_member_count_and_pixel_budget_are_capped(tmp_path: Path) -> None:
    path = write_image_folder(tmp_path / "t.tar.gz", {"train": colour(9)}, CLASSES)
    with pytest.raises(FormatError, match="more than 5 members; refusing to read on"):
        read_image_folder(path, limits=Limits(members=5))
    with pytest.raises(FormatError, match="exceed what is left of the decoded-pixel budget"):
        read_image_folder(path, max_total_pixels=8 * 8 * 4)
    with pytest.raises(FormatError, match="more than the limit of 10"):
        read_image_folder(path, limits=Limits(member_bytes=10))


def test_truncated_archive_is_refused(tmp_path: Path) -> None:
    path = write_image_folder(tmp_path / "t.tar.gz", {"train": colour(30)}, CLASSES)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])
    with pytest.raises(FormatError, match=r"^t\.tar\.gz: corrupt or truncated"):
        read_image_folder(path)


def test_hidden_files_are_ignored(tmp_path: Path) -> None:
    image = png(np.zeros((4, 4, 3), np.uint8))
    path = tar_with(
        tmp_path / "t.tar.gz",
        [
            ("train/cat/0.png", image),
            ("train/cat/.DS_Store", b"x"),
            ("__MACOSX/train/._0.png", b"x"),
        ],
    )
    read, _ = read_image_folder(path)
    assert read["train"]["x"].shape == (1, 4, 4, 3)


@pytest.mark.parametrize(
    ("names", "check"),
    [
        (["cat/0.png", "train/dog/0.png"], "mixed layout: cat/0.png and train/dog/0.png"),
        (["a/cat/0.png", "b/dog/0.png"], "cannot tell splits and classes from 'a/cat/0.png'"),
        (["0.png"], "cannot tell splits and classes from '0.png'"),
    ],
)
def test_unclear_layouts_are_refused(tmp_path: Path, names: list[str], check: str) -> None:
    image = png(np.zeros((4, 4, 3), np.uint8))
    path = tar_with(tmp_path / "t.tar.gz", [(name, image) for name in names])
    with pytest.raises(FormatError) as error:
        read_image_folder(path)
    assert str(error.value).startswith(f"t.tar.gz: {check}")


def test_empty_and_garbage_inputs_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"^empty\.tar\.gz: no \.png/\.jpg/\.jpeg images found"):
        read_image_folder(tar_with(tmp_path / "empty.tar.gz", []))
    (tmp_path / "junk.tar.gz").write_bytes(b"\x1f\x8bnot really gzip" * 10)
    with pytest.raises(FormatError, match=r"^junk\.tar\.gz: "):
        read_image_folder(tmp_path / "junk.tar.gz")
    with pytest.raises(FormatError, match=r"^missing\.zip: no such file or folder"):
        read_image_folder(tmp_path / "missing.zip")


def test_progress_reports_done_and_total(tmp_path: Path) -> None:
    calls: list[tuple[int, int | None]] = []
    path = write_image_folder(tmp_path / "t.zip", {"train": colour(7)}, CLASSES)
    read_image_folder(path, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (7, 7)


FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(data=st.binary(max_size=300), name=st.sampled_from(["f.tar.gz", "f.zip", "f.tar", "f"]))
def test_arbitrary_archive_bytes_raise_only_format_error(
    tmp_path: Path, data: bytes, name: str
) -> None:
    (tmp_path / name).write_bytes(data)
    with pytest.raises(FormatError, match=f"^{name}: "):
        read_image_folder(tmp_path / name)


@FUZZ
@given(
    image=st.binary(max_size=200), prefix=st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8"])
)
def test_arbitrary_image_bytes_raise_only_format_error(
    tmp_path: Path, image: bytes, prefix: bytes
) -> None:
    path = tar_with(tmp_path / "t.tar.gz", [("train/cat/0.png", prefix + image)])
    with pytest.raises(FormatError, match=r"^t\.tar\.gz: train/cat/0\.png: not a readable"):
        read_image_folder(path)


@FUZZ
@given(position=st.integers(0, 10**6), value=st.integers(0, 255))
def test_damaged_archives_raise_only_format_error(
    tmp_path: Path, position: int, value: int
) -> None:
    path = write_image_folder(tmp_path / "t.tar.gz", {"train": colour(6)}, CLASSES)
    data = bytearray(path.read_bytes())
    data[position % len(data)] = value
    path.write_bytes(bytes(data))
    try:
        read, _ = read_image_folder(path)
    except FormatError as error:
        assert str(error).startswith("t.tar.gz: ")
    else:
        assert read["train"]["x"].shape == (6, 8, 8, 3)  # the byte was set to its own value
