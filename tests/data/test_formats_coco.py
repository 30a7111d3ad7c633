"""MS-COCO captions JSON, the annotations zip and the image zips."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from practicum.data.errors import FormatError
from practicum.data.formats.coco import (
    coco_document,
    index_image_zip,
    read_coco_captions,
    write_coco_annotations_zip,
    write_coco_captions,
    write_image_zip,
)


def captions(split: str = "train2014", first_id: int = 9) -> dict[str, np.ndarray]:
    ids = np.array([first_id, first_id + 16], np.int64)
    return {
        "image_id": ids,
        "file_name": np.array([f"COCO_{split}_{i:012d}.jpg" for i in ids]),
        "width": np.array([640, 500], np.int32),
        "height": np.array([480, 375], np.int32),
        "caption_id": np.array([48, 67, 126], np.int64),
        "caption_image_id": ids[[0, 0, 1]],
        "caption": np.array(["A cat on a mat.", "Ein Käfer ", "二匹の犬"]),
    }


def assert_same(read: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> None:
    assert set(read) == set(expected)
    for key, value in expected.items():
        assert read[key].dtype == value.dtype, key
        np.testing.assert_array_equal(read[key], value)


def test_json_round_trip_in_the_official_structure(tmp_path: Path) -> None:
    path = write_coco_captions(tmp_path / "captions_val2014.json", captions("val2014"))
    document = json.loads(path.read_text())
    assert set(document) == {"info", "images", "licenses", "annotations"}
    assert set(document["images"][0]) >= {"id", "file_name", "width", "height", "license"}
    assert set(document["annotations"][0]) == {"id", "image_id", "caption"}
    assert_same(read_coco_captions(path)["val2014"], captions("val2014"))


def test_official_annotations_zip_reads_only_captions(tmp_path: Path) -> None:
    splits = {"train2017": captions("train2017"), "val2017": captions("val2017", 100)}
    path = write_coco_annotations_zip(tmp_path / "annotations_trainval2017.zip", splits, 2017)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert "annotations/captions_train2017.json" in names
    assert "annotations/instances_train2017.json" in names  # present, and skipped
    read = read_coco_captions(path)
    assert set(read) == {"train2017", "val2017"}
    assert_same(read["val2017"], captions("val2017", 100))


def write_document(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "captions_train2014.json"
    path.write_text(json.dumps(document))
    return path


def test_caption_of_an_unknown_image_is_refused(tmp_path: Path) -> None:
    document = coco_document(captions())
    document["annotations"][2]["image_id"] = 404
    with pytest.raises(FormatError) as error:
        read_coco_captions(write_document(tmp_path, document))
    assert str(error.value) == (
        "captions_train2014.json: annotations[2] (id 126): image_id 404 is not among the images"
    )


@pytest.mark.parametrize(
    ("mangle", "check"),
    [
        (lambda d: d.pop("images"), "missing the list 'images'"),
        (lambda d: d["images"][1].pop("file_name"), "images[1].file_name: expected str, missing"),
        (lambda d: d["images"][0].update(id="9"), "images[0].id: expected int, str '9'"),
        (lambda d: d["images"][0].update(width=0), "images[0].width: 0 is not a plausible size"),
        (lambda d: d["images"][1].update(id=9), "images[1]: id 9 appears twice"),
        (lambda d: d["annotations"].append(7), "annotations[3] is not a JSON object"),
        (
            lambda d: d["annotations"][0].update(caption=None),
            "annotations[0].caption: expected str",
        ),
        (
            lambda d: d["annotations"][0].update(id=True),
            "annotations[0].id: expected int, bool True",
        ),
    ],
)
def test_malformed_structure_is_named(
    tmp_path: Path, mangle: Callable[[dict[str, Any]], object], check: str
) -> None:
    document = coco_document(captions())
    mangle(document)
    with pytest.raises(FormatError) as error:
        read_coco_captions(write_document(tmp_path, document))
    assert str(error.value).startswith(f"captions_train2014.json: {check}")


def test_invalid_json_and_wrong_top_level(tmp_path: Path) -> None:
    path = tmp_path / "captions_train2014.json"
    path.write_text('{"images": [\n  {"id": 1,}\n]}')
    with pytest.raises(
        FormatError, match=r"^captions_train2014\.json: invalid JSON at line 2, column"
    ):
        read_coco_captions(path)
    with pytest.raises(FormatError, match="expected a JSON object with 'images' and 'annotations'"):
        read_coco_captions(write_document(tmp_path, [1, 2]))


def test_zip_without_captions_is_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "annotations_trainval2014.zip", "w") as archive:
        archive.writestr("annotations/instances_train2014.json", "{}")
    with pytest.raises(FormatError, match=r"no annotations/captions_<split>\.json inside"):
        read_coco_captions(tmp_path / "annotations_trainval2014.zip")


def test_image_zip_index_lists_members_without_extracting(tmp_path: Path) -> None:
    files = captions()["file_name"]
    pixels = np.zeros((6, 8, 3), np.uint8)
    path = write_image_zip(tmp_path / "train2014.zip", "train2014", {f: pixels for f in files})
    index = index_image_zip(path)
    assert sorted(index) == [f"train2014/{f}" for f in files]
    with zipfile.ZipFile(path) as archive:
        assert index[f"train2014/{files[0]}"] == archive.getinfo(f"train2014/{files[0]}").file_size
    assert list(tmp_path.iterdir()) == [path]


def test_image_zip_with_a_climbing_member_is_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "val2014.zip", "w") as archive:
        archive.writestr("val2014/../../evil.jpg", b"x")
    with pytest.raises(FormatError, match=r"^val2014\.zip: unsafe member path"):
        index_image_zip(tmp_path / "val2014.zip")
