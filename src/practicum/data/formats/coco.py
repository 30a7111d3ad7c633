"""MS-COCO captions: annotations/captions_<split>.json (alone, or inside the official
annotations_trainval<year>.zip), and the images: the official zips (train2014.zip:
train2014/<file>.jpg) or the same folder unpacked (train2014/<file>.jpg).

A captions file is {"info", "licenses", "images": [{"id", "file_name", "width", "height",
...}], "annotations": [{"id", "image_id", "caption"}]}; every caption must point at an
image of the same file.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from practicum.data.errors import FormatError
from practicum.data.formats.safe_archive import iter_members
from practicum.data.formats.source import Origin, StrPath, decode_utf8, read_file

MAX_JSON_BYTES = 1 << 30
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
_CAPTIONS = re.compile(r"(?:.*/)?captions_([A-Za-z0-9]+)\.json")
_INT32_MAX = 2**31 - 1

Splits = dict[str, dict[str, np.ndarray]]


def read_coco_captions(path: StrPath) -> Splits:
    """{split: {"image_id" int64, "file_name" str, "width"/"height" int32 (one per image),
    "caption_id" int64, "caption_image_id" int64, "caption" str (one per caption)}}.
    The split is named by the file (captions_train2014.json: "train2014")."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        match = _CAPTIONS.fullmatch(path.name)
        split = match[1] if match else path.stem
        return {split: parse_captions(read_file(path, MAX_JSON_BYTES), Origin(path))}
    out: Splits = {}
    for member in iter_members(path):
        match = _CAPTIONS.fullmatch(member.name)
        if match:
            out[match[1]] = parse_captions(member.read(), member.origin)
    if not out:
        raise FormatError(path, "no annotations/captions_<split>.json inside")
    return out


def index_image_zip(path: StrPath) -> dict[str, int]:
    """Image members of an image zip (e.g. "train2014/COCO_train2014_000000000009.jpg")
    with their sizes in bytes, read from the zip's directory without extracting anything."""
    path = Path(path)
    return {
        member.name: member.size
        for member in iter_members(path)
        if member.name.lower().endswith(IMAGE_SUFFIXES)
    }


def is_plain_file_name(name: str) -> bool:
    """A file name that stays inside its folder: no separators, not "." or ".."."""
    return bool(name) and name not in (".", "..") and not any(c in name for c in "/\\\0")


def check_image_folder(folder: StrPath, file_names: Iterable[str]) -> Path:
    """Raise unless every named image is a file directly in `folder` (an image zip
    unpacked, e.g. train2017/); returns the folder's absolute path."""
    folder = Path(folder)
    try:
        present = {entry.name for entry in os.scandir(folder) if entry.is_file()}
    except OSError as exc:
        raise FormatError(folder, f"cannot list the folder: {exc.strerror}") from None
    names = [str(n) for n in file_names]
    unsafe = next((n for n in names if not is_plain_file_name(n)), None)
    if unsafe is not None:
        raise FormatError(folder, f"the captions name the image {unsafe!r}, not a plain file name")
    missing = [n for n in names if n not in present]
    if missing:
        raise FormatError(
            folder,
            f"lacks {len(missing):,} of the {len(names):,} captioned images, e.g. {missing[0]}",
        )
    return folder.resolve()


def parse_captions(data: bytes, origin: Origin) -> dict[str, np.ndarray]:
    try:
        document = json.loads(decode_utf8(data, origin))
    except json.JSONDecodeError as exc:
        raise origin.error(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(document, dict):
        raise origin.error("expected a JSON object with 'images' and 'annotations'")
    check = _Checker(origin)
    images = check.records(document, "images")
    annotations = check.records(document, "annotations")
    image_ids = [check.field(image, "id", int, "images", i) for i, image in enumerate(images)]
    known: set[int] = set()
    for i, image_id in enumerate(image_ids):
        if image_id in known:
            raise origin.error(f"images[{i}]: id {image_id} appears twice")
        known.add(image_id)
    arrays = {
        "image_id": np.array(image_ids, dtype=np.int64),
        "file_name": _strings(
            check.field(image, "file_name", str, "images", i) for i, image in enumerate(images)
        ),
        "width": check.sizes(images, "width"),
        "height": check.sizes(images, "height"),
        "caption_id": np.array(
            [check.field(a, "id", int, "annotations", i) for i, a in enumerate(annotations)],
            dtype=np.int64,
        ),
        "caption": _strings(
            check.field(a, "caption", str, "annotations", i) for i, a in enumerate(annotations)
        ),
    }
    caption_image_ids = []
    for i, annotation in enumerate(annotations):
        image_id = check.field(annotation, "image_id", int, "annotations", i)
        if image_id not in known:
            raise origin.error(
                f"annotations[{i}] (id {annotation['id']}): image_id {image_id} is not among"
                " the images"
            )
        caption_image_ids.append(image_id)
    arrays["caption_image_id"] = np.array(caption_image_ids, dtype=np.int64)
    return arrays


def _strings(values: Any) -> np.ndarray:
    return np.array(list(values), dtype=str)


class _Checker:
    """Structure checks that name the record and key that is wrong."""

    def __init__(self, origin: Origin) -> None:
        self.origin = origin

    def records(self, document: dict[str, Any], key: str) -> list[dict[str, Any]]:
        records = document.get(key)
        if not isinstance(records, list):
            raise self.origin.error(f"missing the list {key!r}")
        for i, record in enumerate(records):
            if not isinstance(record, dict):
                raise self.origin.error(f"{key}[{i}] is not a JSON object")
        return records

    def field(self, record: dict[str, Any], key: str, kind: type, where: str, i: int) -> Any:
        value = record.get(key)
        if type(value) is not kind:  # bool is an int subclass; a JSON true is no id
            found = "missing" if value is None else f"{type(value).__name__} {value!r:.40}"
            raise self.origin.error(f"{where}[{i}].{key}: expected {kind.__name__}, {found}")
        return value

    def sizes(self, images: list[dict[str, Any]], key: str) -> np.ndarray:
        values = [self.field(image, key, int, "images", i) for i, image in enumerate(images)]
        bad = next((i for i, v in enumerate(values) if not 0 < v <= _INT32_MAX), None)
        if bad is not None:
            raise self.origin.error(f"images[{bad}].{key}: {values[bad]} is not a plausible size")
        return np.array(values, dtype=np.int32)


def coco_document(arrays: Mapping[str, np.ndarray], year: int = 2014) -> dict[str, Any]:
    """The official structure of a captions file holding these arrays (as read back)."""
    return {
        "info": {
            "description": f"This is stable 1.0 version of the {year} MS COCO dataset.",
            "url": "http://mscoco.org",
            "version": "1.0",
            "year": year,
            "contributor": "Microsoft COCO group",
            "date_created": "2015-01-27 09:11:52.357475",
        },
        "images": [
            {
                "license": 1,
                "url": f"http://farm1.staticflickr.com/1/{int(i)}.jpg",
                "file_name": str(name),
                "id": int(i),
                "width": int(w),
                "date_captured": "2013-11-14 16:28:13",
                "height": int(h),
            }
            for i, name, w, h in zip(
                arrays["image_id"],
                arrays["file_name"],
                arrays["width"],
                arrays["height"],
                strict=True,
            )
        ],
        "licenses": [
            {
                "url": "http://creativecommons.org/licenses/by-nc-sa/2.0/",
                "id": 1,
                "name": "Attribution-NonCommercial-ShareAlike License",
            }
        ],
        "annotations": [
            {"image_id": int(image_id), "id": int(i), "caption": str(caption)}
            for image_id, i, caption in zip(
                arrays["caption_image_id"], arrays["caption_id"], arrays["caption"], strict=True
            )
        ],
    }


def write_coco_captions(path: StrPath, arrays: Mapping[str, np.ndarray], year: int = 2014) -> Path:
    """captions_<split>.json holding these arrays, in the official structure."""
    path = Path(path)
    path.write_text(json.dumps(coco_document(arrays, year)), encoding="utf-8")
    return path


def write_coco_annotations_zip(
    path: StrPath, splits: Mapping[str, Mapping[str, np.ndarray]], year: int = 2014
) -> Path:
    """annotations_trainval<year>.zip: annotations/captions_<split>.json per split, plus
    (empty) instances_<split>.json files that readers must skip, as in the real one."""
    path = Path(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for split, arrays in splits.items():
            empty: dict[str, list[Any]] = {"images": [], "annotations": [], "categories": []}
            archive.writestr(f"annotations/instances_{split}.json", json.dumps(empty))
            archive.writestr(
                f"annotations/captions_{split}.json", json.dumps(coco_document(arrays, year))
            )
    return path


def write_image_zip(path: StrPath, folder: str, images: Mapping[str, np.ndarray]) -> Path:
    """<folder>.zip holding <folder>/<file_name> JPEGs (RGB uint8 arrays), like train2014.zip."""
    path = Path(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{folder}/", b"")
        for file_name, pixels in images.items():
            out = io.BytesIO()
            Image.fromarray(pixels).save(out, format="JPEG", quality=90)
            archive.writestr(f"{folder}/{file_name}", out.getvalue())
    return path
