"""Class-per-folder image trees, as a folder, .tar, .tar.gz/.tgz or .zip.

Layouts: ``[<root>/]<split>/<class>/<image>`` with split names like train/test/val, or
``[<root>/]<class>/<image>`` (then everything is split "train"). Images are PNG or JPEG,
decoded in memory with Pillow restricted to those two decoders; see `safe_archive` for
how hostile archives are handled.
"""

from __future__ import annotations

import io
import tarfile
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from practicum.data.errors import FormatError
from practicum.data.formats.safe_archive import Limits, Member, count_files, iter_members
from practicum.data.formats.source import Origin, StrPath

Progress = Callable[[int, int | None], None]
Splits = dict[str, dict[str, np.ndarray]]

SPLIT_NAMES = ("train", "test", "val", "valid", "validation", "dev")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
MAX_TOTAL_PIXELS = 1 << 30
"""Decoded pixels allowed in one tree (3 GiB as RGB); CIFAR-10's train split is 51 million."""
_GRAY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "F"})
_PROGRESS_EVERY = 500


@dataclass(frozen=True)
class _Decoded:
    path: tuple[str, ...]
    """Path parts below the tree's root: [root, split,] class, file."""
    pixels: np.ndarray
    origin: Origin


def read_image_folder(
    path: StrPath,
    size: int | tuple[int, int] | None = None,
    progress: Progress | None = None,
    *,
    limits: Limits | None = None,
    max_total_pixels: int = MAX_TOTAL_PIXELS,
) -> tuple[Splits, list[str]]:
    """({split: {"x", "y"}}, class names). x is uint8 (N, H, W, 3), or (N, H, W) when every
    image is grayscale; y int64 indexes the sorted class names. All images must share one
    size unless `size` ((height, width), or one int for squares) says what to resize to.
    `progress(done, total)` is called as images are decoded (total is None for tars)."""
    path = Path(path)
    target = (size, size) if isinstance(size, int) else size
    total = count_files(path)
    decoded: list[_Decoded] = []
    budget = max_total_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        for member in iter_members(path, limits):
            if _ignored(member.name):
                continue
            if not member.name.lower().endswith(IMAGE_SUFFIXES):
                raise member.origin.error(
                    "not an image (expected .png, .jpg or .jpeg files in class folders)"
                )
            pixels = _decode(member, target, budget)
            budget -= pixels.shape[0] * pixels.shape[1]
            decoded.append(_Decoded(tuple(member.name.split("/")), pixels, member.origin))
            if progress is not None and len(decoded) % _PROGRESS_EVERY == 0:
                progress(len(decoded), total)
    if progress is not None:
        progress(len(decoded), len(decoded))
    if not decoded:
        raise FormatError(path, "no .png/.jpg/.jpeg images found")
    return _assemble(path, decoded)


def _ignored(name: str) -> bool:
    """Hidden files and macOS resource forks that archivers add."""
    return any(part.startswith(".") or part == "__MACOSX" for part in name.split("/"))


def _decode(member: Member, size: tuple[int, int] | None, budget: int) -> np.ndarray:
    try:
        with Image.open(io.BytesIO(member.read()), formats=["PNG", "JPEG"]) as image:
            width, height = image.size
            if width * height > budget:
                raise member.origin.error(
                    f"{width}x{height} pixels exceed what is left of the decoded-pixel budget"
                )
            image.load()
            mode = "L" if image.mode in _GRAY_MODES else "RGB"
            converted = image if image.mode == mode else image.convert(mode)
            if size is not None and (height, width) != size:
                converted = converted.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            return np.asarray(converted, dtype=np.uint8)
    except FormatError:
        raise
    except Exception as exc:  # Pillow raises many types for hostile or truncated images
        raise member.origin.error(f"not a readable PNG/JPEG image: {exc}") from None


def _assemble(path: Path, decoded: list[_Decoded]) -> tuple[Splits, list[str]]:
    depths = {len(d.path) for d in decoded}
    if len(depths) > 1:
        shallow = min(decoded, key=lambda d: len(d.path))
        deep = max(decoded, key=lambda d: len(d.path))
        raise FormatError(path, f"mixed layout: {'/'.join(shallow.path)} and {'/'.join(deep.path)}")
    split_of, class_of = _layout(path, decoded)
    classes = sorted({class_of(d.path) for d in decoded})
    index = {name: i for i, name in enumerate(classes)}
    grouped: dict[str, list[_Decoded]] = {}
    for d in sorted(decoded, key=lambda d: (class_of(d.path), d.path)):
        grouped.setdefault(split_of(d.path), []).append(d)
    _check_sizes(decoded)
    splits = {
        split: {
            "x": _stack(items),
            "y": np.array([index[class_of(d.path)] for d in items], dtype=np.int64),
        }
        for split, items in sorted(grouped.items())
    }
    return splits, classes


Picker = Callable[[tuple[str, ...]], str]


def _layout(path: Path, decoded: list[_Decoded]) -> tuple[Picker, Picker]:
    """Which path part is the split and which the class, from the tree's depth."""
    depth = len(decoded[0].path)
    firsts = {d.path[0] for d in decoded}
    seconds = {d.path[1] for d in decoded} if depth > 2 else set()
    if depth == 2:
        return (lambda _: "train"), (lambda p: p[0])
    if depth == 3 and firsts <= set(SPLIT_NAMES):
        return (lambda p: p[0]), (lambda p: p[1])
    if depth == 3 and len(firsts) == 1:
        return (lambda _: "train"), (lambda p: p[1])
    if depth == 4 and len(firsts) == 1 and seconds <= set(SPLIT_NAMES):
        return (lambda p: p[1]), (lambda p: p[2])
    example = "/".join(decoded[0].path)
    raise FormatError(
        path,
        f"cannot tell splits and classes from {example!r}: expected [<root>/]<split>/<class>/"
        f"<image> with split one of {', '.join(SPLIT_NAMES)}, or [<root>/]<class>/<image>",
    )


def _check_sizes(decoded: list[_Decoded]) -> None:
    first = decoded[0]
    for d in decoded:
        if d.pixels.shape[:2] != first.pixels.shape[:2]:
            got, want = d.pixels.shape[:2], first.pixels.shape[:2]
            raise d.origin.error(
                f"image is {got[1]}x{got[0]}, but {'/'.join(first.path)} is {want[1]}x{want[0]};"
                " pass size= to resize all images"
            )


def _stack(items: list[_Decoded]) -> np.ndarray:
    if all(d.pixels.ndim == 2 for d in items):
        return np.stack([d.pixels for d in items])
    return np.stack([_rgb(d.pixels) for d in items])


def _rgb(pixels: np.ndarray) -> np.ndarray:
    return np.repeat(pixels[:, :, None], 3, axis=2) if pixels.ndim == 2 else pixels


def write_image_folder(
    path: StrPath,
    splits: Mapping[str, Mapping[str, np.ndarray]],
    classes: Sequence[str],
    fmt: str = "png",
    *,
    flat: bool = False,
    root: str = "",
) -> Path:
    """Write `<split>/<class>/<nnnn>.<fmt>` (or `<class>/<nnnn>.<fmt>` when `flat`, for a
    single split) under an optional `root` folder, as a folder, .zip, .tar or .tar.gz."""
    path = Path(path)
    if flat and len(splits) != 1:
        raise ValueError("a flat tree holds exactly one split")
    files = []
    for split, arrays in splits.items():
        for i, (image, label) in enumerate(zip(arrays["x"], arrays["y"], strict=True)):
            parts = [root, "" if flat else split, classes[int(label)], f"{i:04d}.{fmt}"]
            files.append(("/".join(p for p in parts if p), _encode(image, fmt)))
    _write_tree(path, files)
    return path


def _encode(image: np.ndarray, fmt: str) -> bytes:
    out = io.BytesIO()
    kind = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG"}[fmt.lower()]
    Image.fromarray(image).save(out, format=kind, **({"quality": 95} if kind == "JPEG" else {}))
    return out.getvalue()


def _write_tree(path: Path, files: Iterable[tuple[str, bytes]]) -> None:
    name = path.name.lower()
    if name.endswith(".zip"):
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for member, data in files:
                archive.writestr(member, data)
    elif name.endswith((".tar", ".tar.gz", ".tgz")):
        with tarfile.open(path, "w" if name.endswith(".tar") else "w:gz") as archive:
            for member, data in files:
                info = tarfile.TarInfo(member)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    else:
        for member, data in files:
            target = path / PurePosixPath(member)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
