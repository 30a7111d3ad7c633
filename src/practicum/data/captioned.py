"""Captioned photos, one reader for every source: Flickr8k and MS-COCO captions.

`captioned_images("flickr8k", "train")` gives the photos of a split with their captions;
images stay encoded (JPEG/PNG bytes) until asked for, decoded one at a time with Pillow,
so a split of thousands of photos costs its file size in memory, not its pixels::

    photos = captioned_images("flickr8k", "train")
    rest, val = photos.carve(0.1, seed=0)          # a validation split, by image
    x = rest.images(224)                           # uint8 (N, 224, 224, 3)
    rest.captions[0]                               # the five captions of photo 0

Captions are given as written in the source, surrounding white space stripped.
"""

from __future__ import annotations

import io
import os
import warnings
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from practicum import settings
from practicum.data import cache, manage
from practicum.data.catalog import get
from practicum.data.errors import DataError
from practicum.data.formats.coco import is_plain_file_name
from practicum.data.formats.flickr8k import (
    IMAGE_SUFFIXES,
    MAX_IMAGE_BYTES,
    check_image_bytes,
)
from practicum.data.formats.source import Origin, read_file

MAX_PIXELS = 50_000_000
"""Decoded pixels allowed in one image; more is refused as a likely decompression bomb."""
CAPTIONED_SETS = ("flickr8k", "coco-captions")


@dataclass(frozen=True, eq=False)
class CaptionedImages:
    """Photos (kept encoded) with their captions; index i is one photo."""

    file_names: list[str]
    captions: list[list[str]]
    """Per image, as written in the source (surrounding white space stripped)."""
    _read: Callable[[int], bytes]
    """Encoded bytes of image i."""

    def __post_init__(self) -> None:
        if len(self.file_names) != len(self.captions):
            raise ValueError(
                f"{len(self.file_names)} file names but {len(self.captions)} caption lists"
            )

    def __len__(self) -> int:
        return len(self.file_names)

    def __repr__(self) -> str:
        n = sum(len(c) for c in self.captions)
        return f"CaptionedImages({len(self)} images, {n} captions)"

    def image_bytes(self, i: int) -> bytes:
        """The encoded file of image i (JPEG or PNG), as it was imported."""
        return self._read(self._index(i))

    def image(self, i: int, size: int | None = None) -> np.ndarray:
        """Image i as uint8 (H, W, 3) RGB; with `size`, resized (bicubic) so that its short
        side is `size`, then centre-cropped to (size, size, 3)."""
        i = self._index(i)
        return decode_image(self._read(i), self.file_names[i], size)

    def images(
        self, size: int, indices: Sequence[int] | None = None, progress: bool = False
    ) -> np.ndarray:
        """uint8 (N, size, size, 3): every image (or those of `indices`), each resized and
        centre-cropped as `image(i, size)` does."""
        chosen = range(len(self)) if indices is None else [self._index(i) for i in indices]
        out = np.empty((len(chosen), size, size, 3), dtype=np.uint8)
        for k, i in enumerate(_track(chosen, f"decoding {len(chosen):,} images", progress)):
            out[k] = decode_image(self._read(i), self.file_names[i], size)
        return out

    def select(self, indices: Sequence[int]) -> CaptionedImages:
        """The images at `indices`, in that order."""
        chosen = [self._index(i) for i in indices]
        return CaptionedImages(
            [self.file_names[i] for i in chosen],
            [list(self.captions[i]) for i in chosen],
            _Subset.of(self._read, chosen),
        )

    def carve(self, fraction: float, seed: int) -> tuple[CaptionedImages, CaptionedImages]:
        """(rest, held_out): `fraction` of the images (all captions of an image go together)
        drawn at random with `seed`, reproducibly; both keep the original order. With two
        or more images each part gets at least one."""
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"fraction must be between 0 and 1, got {fraction}")
        n = len(self)
        k = round(fraction * n)
        if n >= 2:
            k = min(max(k, 1), n - 1)
        order = np.random.default_rng(seed).permutation(n)
        held = sorted(int(i) for i in order[:k])
        rest = sorted(int(i) for i in order[k:])
        return self.select(rest), self.select(held)

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> CaptionedImages:
        """From a flickr8k split as `practicum.data.load` returns it (file_name,
        image_bytes, image_offsets, caption, caption_image)."""
        names = [str(n) for n in arrays["file_name"]]
        offsets = np.asarray(arrays["image_offsets"], dtype=np.int64)
        blob = arrays["image_bytes"]
        if len(offsets) != len(names) + 1:
            raise DataError(f"{len(names)} file names but {len(offsets)} image offsets")
        captions = _grouped(arrays["caption"], arrays["caption_image"], len(names))
        return cls(names, captions, lambda i: blob[offsets[i] : offsets[i + 1]].tobytes())

    def join(self, other: CaptionedImages) -> CaptionedImages:
        """These images followed by `other`'s (e.g. Flickr8k's train and dev)."""
        n, first, second = len(self), self._read, other._read
        return CaptionedImages(
            self.file_names + other.file_names,
            [list(c) for c in self.captions + other.captions],
            lambda i: first(i) if i < n else second(i - n),
        )

    def _index(self, i: int) -> int:
        return range(len(self))[i]  # IndexError when out of range; negative from the end


def decode_image(data: bytes, name: str, size: int | None = None) -> np.ndarray:
    """uint8 (H, W, 3) RGB pixels of a JPEG or PNG file; see `CaptionedImages.image`."""
    if size is not None and size < 1:
        raise ValueError(f"size must be positive, got {size}")
    bomb = DataError(f"{name}: more than {MAX_PIXELS:,} pixels (a decompression bomb?)")
    try:
        with warnings.catch_warnings():
            # Pillow's own warning comes at a larger size than ours, so it means a bomb too
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=("JPEG", "PNG")) as opened:
                width, height = opened.size
                if width * height > MAX_PIXELS:
                    raise DataError(
                        f"{name}: {width}x{height} pixels is more than the limit of "
                        f"{MAX_PIXELS:,} (a decompression bomb?)"
                    )
                rgb = opened.convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise bomb from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DataError(f"{name}: cannot decode the image ({exc})") from None
    if size is not None:
        rgb = ImageOps.fit(rgb, (size, size), method=Image.Resampling.BICUBIC)
    return np.asarray(rgb, dtype=np.uint8)


def captioned_images(name: str, split: str, *, home: Path | None = None) -> CaptionedImages:
    """The photos of a split of "flickr8k" (train, dev, test) or "coco-captions" (e.g.
    train2017), with their captions, from the cache (`practicum data import` first), in
    file name order. COCO's images are read from the image zip or folder given at import
    time; COCO images without a caption are left out."""
    if name not in CAPTIONED_SETS:
        raise DataError(
            f"{name} is not a data set of captioned photos; captioned_images reads "
            f"{', '.join(CAPTIONED_SETS)}"
        )
    found = _cached(name, split, home)
    if name == "flickr8k":
        return _flickr8k(found)
    return _coco(found)


def caption_text(
    name: str = "flickr8k", split: str = "text", *, home: Path | None = None
) -> list[str]:
    """The captions of a split, without images: flickr8k's "text" split holds those of
    the images that are not present (none of train, dev, test), for pretraining a caption
    language model."""
    if name not in CAPTIONED_SETS:
        raise DataError(f"{name} has no captions; caption_text reads {', '.join(CAPTIONED_SETS)}")
    found = _cached(name, split, home)
    return [str(c).strip() for c in _array(found, "caption")]


def read_image_folder(folder: Path | str) -> tuple[list[str], list[bytes]]:
    """(file names, encoded bytes) of the JPEG and PNG images directly in a folder, sorted
    by file name (e.g. a homework's test images). Hidden files are skipped; anything that
    is named like an image but is none is refused with its name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder")
    names = sorted(
        entry.name
        for entry in os.scandir(folder)
        if entry.is_file()
        and not entry.name.startswith(".")
        and entry.name.lower().endswith(IMAGE_SUFFIXES)
    )
    if not names:
        raise DataError(f"{folder}: no .jpg, .jpeg or .png images in it")
    blobs = []
    for file_name in names:
        path = folder / file_name
        blobs.append(check_image_bytes(read_file(path, MAX_IMAGE_BYTES), Origin(path)))
    return names, blobs


# where the bytes come from ---------------------------------------------------------


class _Subset:
    """Reads image i of a subset through the index it has in the full set."""

    def __init__(self, base: Callable[[int], bytes], indices: list[int]) -> None:
        self.base = base
        self.indices = indices

    @classmethod
    def of(cls, base: Callable[[int], bytes], indices: list[int]) -> _Subset:
        if isinstance(base, _Subset):  # a subset of a subset reads the full set directly
            return cls(base.base, [base.indices[i] for i in indices])
        return cls(base, indices)

    def __call__(self, i: int) -> bytes:
        return self.base(self.indices[i])


class _Reopened:
    """Holds an open file per process: reopened after a fork (DataLoader workers) and
    left out when pickled, so worker processes never share a file position."""

    def __init__(self) -> None:
        self._handle: Any = None
        self._pid = -1

    def _open(self) -> Any:
        raise NotImplementedError

    def handle(self) -> Any:
        if self._handle is None or self._pid != os.getpid():
            self._handle = self._open()
            self._pid = os.getpid()
        return self._handle

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_handle": None, "_pid": -1}


class _CachedBytes(_Reopened):
    """image_bytes.npy of a cached split, memory-mapped (read only)."""

    def __init__(self, path: Path, offsets: np.ndarray, opened: np.ndarray) -> None:
        super().__init__()
        self.path = path
        self.offsets = offsets
        # mapped now, so that a re-import (which replaces the file) cannot mix up offsets
        self._handle, self._pid = opened, os.getpid()

    def _open(self) -> Any:
        return np.load(self.path, mmap_mode="r", allow_pickle=False)

    def __call__(self, i: int) -> bytes:
        start, end = int(self.offsets[i]), int(self.offsets[i + 1])
        return bytes(self.handle()[start:end])


class _ZipImages(_Reopened):
    """Members <split>/<file name> of an official image zip (train2017.zip)."""

    def __init__(self, path: Path, members: list[str]) -> None:
        super().__init__()
        self.path = path
        self.members = members

    def _open(self) -> Any:
        try:
            return zipfile.ZipFile(self.path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise DataError(f"{self.path}: cannot open the image zip ({exc}); re-import") from None

    def __call__(self, i: int) -> bytes:
        member = self.members[i]
        archive: zipfile.ZipFile = self.handle()
        origin = Origin(self.path, member)
        try:
            info = archive.getinfo(member)
            if info.file_size > MAX_IMAGE_BYTES:
                raise origin.error(f"{info.file_size:,} bytes is more than the limit")
            data = archive.read(info)
        except (KeyError, OSError, zipfile.BadZipFile) as exc:
            raise origin.error(f"cannot read the image ({exc})") from None
        return check_image_bytes(data, origin)


class _FolderImages:
    """Files <folder>/<file name> of an unpacked image zip (train2017/)."""

    def __init__(self, folder: Path, names: list[str]) -> None:
        self.folder = folder
        self.names = names

    def __call__(self, i: int) -> bytes:
        path = self.folder / self.names[i]
        return check_image_bytes(read_file(path, MAX_IMAGE_BYTES), Origin(path))


# the cache ---------------------------------------------------------------------------


def _cached(name: str, split: str, home: Path | None) -> cache.CachedSplit:
    dataset = get(name)
    if split not in dataset.splits:
        raise DataError(f"{name} has no split {split!r}; its splits: {', '.join(dataset.splits)}")
    home = home or settings.data_home()
    found = cache.find_split(home, name, split)
    if found is None:
        manage.load(name, split, home=home)  # says how to get it (or fills it from the system)
        found = cache.find_split(home, name, split)
        if found is None:
            raise DataError(f"{name}/{split} is not in the cache ({home})")
    return found


def _array(found: cache.CachedSplit, key: str, mmap: bool = False) -> np.ndarray:
    """One array of a cached split, checked against its manifest."""
    info = found.manifest["arrays"].get(key)
    if info is None:
        raise DataError(
            f"{found.dataset}/{found.split}: the cache has no {key!r} array; re-import it"
        )
    path = found.path / info["file"]
    try:
        array: np.ndarray = np.load(
            path, mmap_mode="r" if mmap and info["shape"][0] else None, allow_pickle=False
        )
    except (OSError, ValueError) as exc:
        raise DataError(
            f"{found.dataset}/{found.split}: cached {path.name} is unreadable ({exc}); "
            f"run: practicum data verify {found.dataset}"
        ) from None
    if str(array.dtype) != info["dtype"] or list(array.shape) != info["shape"]:
        raise DataError(
            f"{found.dataset}/{found.split}: cached {path.name} is {array.dtype}"
            f"{list(array.shape)}, manifest says {info['dtype']}{info['shape']}; re-import it"
        )
    return array


def _grouped(captions: np.ndarray, owners: np.ndarray, n: int) -> list[list[str]]:
    out: list[list[str]] = [[] for _ in range(n)]
    for text, owner in zip(captions.tolist(), owners.tolist(), strict=True):
        out[owner].append(text.strip())
    return out


def _flickr8k(found: cache.CachedSplit) -> CaptionedImages:
    if found.split == "text":
        raise DataError(
            "flickr8k/text holds captions of images that are not present: read it with "
            "caption_text('flickr8k', 'text'); the images are in train, dev and test"
        )
    names = [str(n) for n in _array(found, "file_name")]
    offsets = _array(found, "image_offsets")
    owners = _array(found, "caption_image")
    if len(offsets) != len(names) + 1 or (
        owners.size and not 0 <= owners.min() <= owners.max() < len(names)
    ):
        raise DataError(f"flickr8k/{found.split}: the cached arrays disagree; re-import it")
    opened = _array(found, "image_bytes", mmap=True)
    blob = found.path / found.manifest["arrays"]["image_bytes"]["file"]
    captions = _grouped(_array(found, "caption"), owners, len(names))
    return CaptionedImages(names, captions, _CachedBytes(blob, offsets, opened))


def _coco(found: cache.CachedSplit) -> CaptionedImages:
    split = found.split
    ids = _array(found, "image_id")
    file_names = [str(n) for n in _array(found, "file_name")]
    position = {int(image_id): i for i, image_id in enumerate(ids)}
    per_image = _grouped(
        _array(found, "caption"),
        np.array([position[int(i)] for i in _array(found, "caption_image_id")], dtype=np.int64),
        len(file_names),
    )
    order = sorted((n, i) for i, n in enumerate(file_names) if per_image[i])
    names = [n for n, _ in order]
    captions = [per_image[i] for _, i in order]
    unsafe = next((n for n in names if not is_plain_file_name(n)), None)
    if unsafe is not None:
        raise DataError(f"coco-captions/{split}: image file name {unsafe!r} is not a plain name")
    meta = found.manifest.get("meta", {})
    folder = meta.get("image_dirs", {}).get(split)
    if folder is not None:
        if not Path(folder).is_dir():
            raise DataError(
                f"coco-captions/{split}: the images were imported from {folder}, which is no "
                "longer there; re-import the captions with the image folder or zip"
            )
        return CaptionedImages(names, captions, _FolderImages(Path(folder), names))
    archive = meta.get("image_zips", {}).get(split)
    if archive is not None:
        if not Path(archive).is_file():
            raise DataError(
                f"coco-captions/{split}: the images were imported from {archive}, which is no "
                "longer there; re-import the captions with the image zip or folder"
            )
        members = [f"{split}/{n}" for n in names]
        return CaptionedImages(names, captions, _ZipImages(Path(archive), members))
    raise DataError(
        f"coco-captions/{split} was imported without its images: import the captions "
        f"together with {split}.zip or the unpacked {split}/ folder "
        f"(practicum data import coco-captions captions_{split}.json {split}.zip)"
    )


def _track(items: Sequence[int], description: str, enabled: bool) -> Any:
    if not enabled:
        return items
    from rich.progress import track

    return track(items, description=description, transient=True)
