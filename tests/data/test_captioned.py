"""CaptionedImages: one reader of captioned photos over Flickr8k and MS-COCO imports."""

from __future__ import annotations

import io
import json
import pickle
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from practicum import data, settings
from practicum.data import (
    CaptionedImages,
    DataError,
    NotCachedError,
    caption_text,
    captioned_images,
    read_image_folder,
    synthetic,
)
from practicum.data.captioned import decode_image

SHARED = Path(__file__).resolve().parents[3] / "shared/data"
COCO_MINI = SHARED / "coco-mini"


@pytest.fixture
def photos(tmp_path: Path) -> tuple[Path, CaptionedImages]:
    folder = synthetic.write_flickr8k_like(tmp_path / "k", 40, text_only=10)
    data.import_files("flickr8k", [folder])
    return folder, captioned_images("flickr8k", "train")


def png_claiming(width: int, height: int) -> bytes:
    """A PNG that claims a size but holds next to no pixel data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_flickr8k_photos_with_their_captions(photos: tuple[Path, CaptionedImages]) -> None:
    folder, train = photos
    assert len(train) == len(train.captions) > 20
    assert train.file_names == sorted(train.file_names)
    name = train.file_names[3]
    assert train.image_bytes(3) == (folder / "Images" / name).read_bytes()
    assert train.image_bytes(-1) == (folder / "Images" / train.file_names[-1]).read_bytes()
    assert len(train.captions[3]) == 5 and all(isinstance(c, str) for c in train.captions[3])
    pixels = train.image(3)
    with Image.open(folder / "Images" / name) as original:
        assert pixels.shape == (original.height, original.width, 3)
    assert pixels.dtype == np.uint8
    colour = train.captions[3][1].split()[1]  # "a red circle ."
    channel = {"red": 0, "green": 1, "blue": 2}[colour]
    centre = train.image(3, size=32)[8:24, 8:24].reshape(-1, 3).astype(int)
    assert centre.shape == (256, 3)
    strong = centre[:, channel] - centre.max(axis=1)
    assert (strong >= -10).mean() > 0.3  # the shape's colour is there
    batch = train.images(24, indices=[0, 3, 5])
    assert batch.shape == (3, 24, 24, 3) and batch.dtype == np.uint8
    np.testing.assert_array_equal(batch[1], train.image(3, 24))
    assert train.images(16).shape == (len(train), 16, 16, 3)
    with pytest.raises(IndexError):
        train.image(len(train))


def test_resize_keeps_the_centre_of_the_short_side() -> None:
    wide = np.zeros((40, 120, 3), np.uint8)
    wide[:, 40:80] = 255  # the middle third is white
    out = io.BytesIO()
    Image.fromarray(wide).save(out, format="PNG")
    square = decode_image(out.getvalue(), "wide.png", 20)
    assert square.shape == (20, 20, 3)
    assert square.min() > 200  # only the white centre is left


def test_select_and_carve_are_seeded_and_by_image(photos: tuple[Path, CaptionedImages]) -> None:
    _, train = photos
    rest, held = train.carve(0.25, seed=1)
    again_rest, again_held = train.carve(0.25, seed=1)
    assert held.file_names == again_held.file_names and rest.file_names == again_rest.file_names
    assert len(held) == round(0.25 * len(train)) and len(rest) + len(held) == len(train)
    assert not set(rest.file_names) & set(held.file_names)
    assert held.file_names == sorted(held.file_names)
    assert train.carve(0.25, seed=2)[1].file_names != held.file_names
    i = train.file_names.index(held.file_names[0])
    assert held.captions[0] == train.captions[i]
    assert held.image_bytes(0) == train.image_bytes(i)
    picked = rest.select([2, 0])
    assert picked.file_names == [rest.file_names[2], rest.file_names[0]]
    assert picked.image_bytes(0) == rest.image_bytes(2)
    tiny = train.select([0, 1])
    assert [len(part) for part in tiny.carve(0.01, seed=0)] == [1, 1]
    with pytest.raises(ValueError, match="between 0 and 1"):
        train.carve(1.0, seed=0)


def test_survives_pickling_for_worker_processes(photos: tuple[Path, CaptionedImages]) -> None:
    _, train = photos
    train.image_bytes(0)  # opens the memory map, which must not travel
    part = train.carve(0.5, seed=0)[1]
    back = pickle.loads(pickle.dumps(part))
    assert back.file_names == part.file_names
    assert back.image_bytes(1) == part.image_bytes(1)


def test_text_split_is_captions_only(photos: tuple[Path, CaptionedImages]) -> None:
    text = caption_text()
    assert len(text) == 50 and all(t == t.strip() for t in text)
    with pytest.raises(DataError, match=r"caption_text\('flickr8k', 'text'\)"):
        captioned_images("flickr8k", "text")
    assert len(caption_text("flickr8k", "dev")) == 5 * len(captioned_images("flickr8k", "dev"))


def test_decompression_bombs_and_broken_files_are_refused() -> None:
    with pytest.raises(DataError, match=r"^bomb\.png: 8000x7000 pixels is more than the limit"):
        decode_image(png_claiming(8_000, 7_000), "bomb.png")
    with pytest.raises(DataError, match=r"^huge\.png: more than 50,000,000 pixels"):
        decode_image(png_claiming(30_000, 30_000), "huge.png")  # Pillow's own limit first
    with pytest.raises(DataError, match=r"^x\.jpg: cannot decode the image"):
        decode_image(b"\xff\xd8\xff" + b"\0" * 50, "x.jpg")
    with pytest.raises(DataError, match="cannot decode"):
        decode_image(b"GIF89a" + b"\0" * 50, "x.gif")  # only JPEG and PNG are decoded


def test_unknown_and_missing_data_sets_say_what_to_do() -> None:
    with pytest.raises(DataError, match="mnist is not a data set of captioned photos"):
        captioned_images("mnist", "train")
    with pytest.raises(NotCachedError, match="practicum data fetch flickr8k"):
        captioned_images("flickr8k", "train")
    with pytest.raises(DataError, match="flickr8k has no split 'val'"):
        captioned_images("flickr8k", "val")


def test_read_image_folder(tmp_path: Path) -> None:
    folder = synthetic.write_flickr8k_like(tmp_path / "k", 5, text_only=0) / "Images"
    (folder / "notes.txt").write_text("not an image")
    (folder / "._resource_fork.jpg").write_bytes(b"\0\5\26\7")
    names, blobs = read_image_folder(folder)
    assert names == sorted(p.name for p in folder.glob("*.jpg") if not p.name.startswith("."))
    assert blobs[0] == (folder / names[0]).read_bytes()
    (folder / "fake.png").write_bytes(b"<html>")
    with pytest.raises(DataError, match=r"^fake\.png: not a JPEG or PNG image"):
        read_image_folder(folder)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match=r"no \.jpg, \.jpeg or \.png images"):
        read_image_folder(empty)


# MS-COCO -----------------------------------------------------------------------------


def test_coco_from_image_zips(tmp_path: Path) -> None:
    folder = synthetic.write_coco_like(tmp_path / "coco", 6, 4)
    data.import_files("coco-captions", [folder], verify=False)
    val = captioned_images("coco-captions", "val2014")
    assert len(val) == 4 and all(len(c) == 5 for c in val.captions)
    assert val.images(16).shape == (4, 16, 16, 3)
    assert val.file_names == sorted(val.file_names)
    assert all(c[0].split()[1] in val.captions[i][1] for i, c in enumerate(val.captions))
    back = pickle.loads(pickle.dumps(val.select([1])))
    assert back.image(0).shape == (48, 48, 3)


def test_coco_from_an_unpacked_folder_beside_the_annotations(tmp_path: Path) -> None:
    folder = synthetic.write_coco_like(tmp_path / "coco", 4, 3, unpacked=True)
    data.import_files("coco-captions", [folder / "annotations_trainval2014.zip"], verify=False)
    manifest = settings.data_home() / "coco-captions" / "train2014" / "manifest.json"
    dirs = json.loads(manifest.read_text())["meta"]["image_dirs"]
    assert dirs == {s: str((folder / s).resolve()) for s in ("train2014", "val2014")}
    train = captioned_images("coco-captions", "train2014")
    assert train.image_bytes(0) == (folder / "train2014" / train.file_names[0]).read_bytes()
    shutil.rmtree(folder / "val2014")
    with pytest.raises(DataError, match=r"imported from .*val2014, which is no longer there"):
        captioned_images("coco-captions", "val2014")


def test_coco_folder_missing_images_is_refused(tmp_path: Path) -> None:
    folder = synthetic.write_coco_like(tmp_path / "coco", 4, 3, unpacked=True)
    gone = sorted((folder / "val2014").iterdir())
    for path in gone[:2]:
        path.unlink()
    with pytest.raises(DataError) as error:
        data.import_files("coco-captions", [folder], verify=False)
    assert str(error.value) == (f"val2014: lacks 2 of the 3 captioned images, e.g. {gone[0].name}")


def test_coco_captions_without_images(tmp_path: Path) -> None:
    folder = synthetic.write_coco_like(tmp_path / "coco", 2, 2)
    data.import_files("coco-captions", [folder / "annotations_trainval2014.zip"], verify=False)
    with pytest.raises(DataError, match=r"imported without its images: .* val2014\.zip or"):
        captioned_images("coco-captions", "val2014")
    assert len(caption_text("coco-captions", "val2014")) == 10


def test_real_coco_mini_json_and_folder() -> None:
    if not COCO_MINI.is_dir():
        pytest.skip(f"the shared data is not here ({COCO_MINI})")
    files = [COCO_MINI / "captions_train2017.json", COCO_MINI / "train2017"]
    assert data.import_files("coco-captions", files) == ["train2017"]
    train = captioned_images("coco-captions", "train2017")
    assert len(train) == 80 and min(len(c) for c in train.captions) >= 5
    assert train.images(32, indices=range(0, 80, 10)).shape == (8, 32, 32, 3)
    data.import_files("coco-captions", [COCO_MINI])  # the folder beside is found
    assert captioned_images("coco-captions", "train2017").file_names == train.file_names
