"""Flickr8k: photos with five captions each, in the official layout or in Kaggle's.

Official (Hodosh, Young, Hockenmaier 2013; mirrored as two zips):

- ``Flickr8k_Dataset.zip``: ``Flicker8k_Dataset/<name>.jpg`` (sic: "Flicker"), plus
  ``__MACOSX/`` resource-fork entries that carry no images;
- ``Flickr8k_text.zip``: ``Flickr8k.token.txt`` (``<name>.jpg#<k><TAB><caption>``, k = 0..4),
  the split lists ``Flickr_8k.{train,dev,test}Images.txt`` (one file name a line), and
  lemmatised/expert/crowd files that are not read here. The token file also captions an
  image that is not in the image zip (``2258277193_586949ec62.jpg.1``): captions of absent
  images are no error, they go to the "text" split.

Kaggle (adityajn105/flickr8k, ``archive.zip`` or unpacked): ``Images/<name>.jpg`` and
``captions.txt``, a CSV with the header ``image,caption`` (captions holding a comma are
quoted). More captions-only files in that CSV layout may be given as well.

Whatever the layout, the result is four splits of the same arrays (see `build_flickr8k_splits`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from practicum.data.errors import DataError, FormatError
from practicum.data.formats.safe_archive import iter_members
from practicum.data.formats.source import Origin, decode_utf8, read_file

TOKEN_FILE = "Flickr8k.token.txt"
SPLIT_LISTS = {
    "train": "Flickr_8k.trainImages.txt",
    "dev": "Flickr_8k.devImages.txt",
    "test": "Flickr_8k.testImages.txt",
}
IMAGE_SPLITS = ("train", "dev", "test")
CSV_HEADER = ("image", "caption")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
TEXT_SUFFIXES = (".txt", ".csv")
MAX_IMAGE_BYTES = 20 << 20
"""One encoded image; Flickr8k's largest is well under 1 MB."""
MAX_TEXT_BYTES = 256 << 20
MAX_FOLDER_DEPTH = 2
"""Folder levels searched below a given folder: <given>/[<one more>/]<Images>/<file>."""
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_PROGRESS_EVERY = 500
_HEAD_BYTES = 256

SPLIT_RULE = (
    "no official split lists: by file name, the first byte of sha256(file name as UTF-8) "
    "modulo 8: 0 -> test, 1 -> dev, otherwise train"
)

Progress = Callable[[int, int | None], None]
Seen = Callable[[Path], object]
Splits = dict[str, dict[str, np.ndarray]]


def carved_split(file_name: str) -> str:
    """The split of an image when no official split lists are given (about 3/4, 1/8, 1/8)."""
    bucket = hashlib.sha256(file_name.encode("utf-8")).digest()[0] % 8
    return "test" if bucket == 0 else "dev" if bucket == 1 else "train"


def check_image_bytes(data: bytes, origin: Origin) -> bytes:
    """The bytes of a JPEG or PNG file, or a FormatError naming the file."""
    if len(data) > MAX_IMAGE_BYTES:
        raise origin.error(f"{len(data):,} bytes is more than the limit of {MAX_IMAGE_BYTES:,}")
    if not data.startswith((JPEG_MAGIC, PNG_MAGIC)):
        raise origin.error(f"not a JPEG or PNG image (it starts with {data[:8]!r})")
    return data


def is_image_name(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES)


def parse_token_file(data: bytes, origin: Origin) -> dict[str, list[str]]:
    """Flickr8k.token.txt: {image: captions ordered by their #k}, images in order of
    first appearance. Every non-blank line must be ``<image>#<k><TAB><caption>``."""
    keyed: dict[str, dict[int, str]] = {}
    for number, raw in enumerate(decode_utf8(data, origin).split("\n"), 1):
        line = raw.removesuffix("\r")
        if not line.strip():
            continue
        key, tab, caption = line.partition("\t")
        name, hash_, k = key.strip().rpartition("#")
        if not tab or not hash_ or not name or not k.isdigit():
            raise origin.error(
                f"line {number}: expected '<image>.jpg#<n><TAB><caption>', got {line!r:.80}"
            )
        if not caption.strip():
            raise origin.error(f"line {number}: {name}#{k} has an empty caption")
        captions = keyed.setdefault(name, {})
        if int(k) in captions:
            raise origin.error(f"line {number}: {name}#{k} appears twice")
        captions[int(k)] = caption.strip()
    if not keyed:
        raise origin.error("no captions in it")
    return {name: [by_k[k] for k in sorted(by_k)] for name, by_k in keyed.items()}


def parse_captions_csv(data: bytes, origin: Origin) -> dict[str, list[str]]:
    """Kaggle's captions.txt: CSV with the header ``image,caption``; {image: captions in
    file order}."""
    text = decode_utf8(data, origin).removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out: dict[str, list[str]] = {}
    try:
        header = next(reader, None)
        if header is None or tuple(h.strip() for h in header) != CSV_HEADER:
            raise origin.error(f"line 1: expected the header 'image,caption', got {header}")
        for row in reader:
            if not row:
                continue  # a blank line
            if len(row) != 2:
                raise origin.error(
                    f"line {reader.line_num}: expected 2 fields (image,caption), got {len(row)}"
                    " (a caption with a comma must be in double quotes)"
                )
            name, caption = row[0].strip(), row[1].strip()
            if not name or not caption:
                raise origin.error(f"line {reader.line_num}: empty image name or caption")
            out.setdefault(name, []).append(caption)
    except csv.Error as exc:
        raise origin.error(f"line {reader.line_num}: malformed CSV ({exc})") from None
    if not out:
        raise origin.error("no captions in it (only the header)")
    return out


def parse_split_list(data: bytes, origin: Origin) -> list[str]:
    """Flickr_8k.<split>Images.txt: one image file name a line."""
    names: list[str] = []
    seen: set[str] = set()
    for number, raw in enumerate(decode_utf8(data, origin).split("\n"), 1):
        name = raw.strip()
        if not name:
            continue
        if len(name.split()) != 1:
            raise origin.error(f"line {number}: expected one file name, got {name!r:.80}")
        if name in seen:
            raise origin.error(f"line {number}: {name} is listed twice")
        seen.add(name)
        names.append(name)
    return names


def is_captions_csv(head: bytes) -> bool:
    """Whether a file starts with the ``image,caption`` header line."""
    first = head.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0].strip()
    return first.replace(b" ", b"") == b"image,caption"


@dataclass
class CaptionFile:
    label: str
    kind: str
    """"token" (Flickr8k.token.txt) or "csv" (image,caption)."""
    captions: dict[str, list[str]]


@dataclass
class SplitList:
    label: str
    names: list[str]


@dataclass
class Flickr8kFiles:
    """Everything found in the given files, before it is put into splits."""

    images: dict[str, bytes] = field(default_factory=dict)
    image_origins: dict[str, Origin] = field(default_factory=dict)
    caption_files: list[CaptionFile] = field(default_factory=list)
    split_lists: dict[str, SplitList] = field(default_factory=dict)
    image_folders: dict[str, list[int]] = field(default_factory=dict)
    """Folder (absolute path) -> [images, bytes] read from it, for the import record."""


class _Collector:
    def __init__(self, seen: Seen | None, progress: Progress | None) -> None:
        self.files = Flickr8kFiles()
        self.seen = seen
        self.progress = progress

    # entry points --------------------------------------------------------------------

    def path(self, path: Path) -> None:
        if path.is_dir():
            self.folder(path, 0)
        elif path.is_file():
            if not self.file(path):
                raise FormatError(
                    path,
                    "not a Flickr8k file (expected Flickr8k_Dataset.zip, Flickr8k_text.zip, "
                    f"{TOKEN_FILE}, a split list, a CSV 'image,caption' file, an image or a "
                    "folder of these)",
                )
        else:
            raise DataError(f"{path}: no such file or folder")

    def folder(self, folder: Path, depth: int) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            raise FormatError(folder, f"cannot list: {exc.strerror}") from None
        for entry in entries:
            if _skipped(entry.name):
                continue
            if entry.is_dir():  # links are followed; the depth limit stops any loop
                if depth < MAX_FOLDER_DEPTH:
                    self.folder(Path(entry.path), depth + 1)
            elif entry.is_file():
                self.file(Path(entry.path))

    def file(self, path: Path) -> bool:
        """Read one file of the file system; False when it is nothing Flickr8k."""
        name = path.name
        lower = name.lower()
        if lower.endswith((".zip", *_TAR_SUFFIXES)):
            self._seen(path)
            self.archive(path)
            return True
        if is_image_name(name):
            data = read_file(path, MAX_IMAGE_BYTES)
            self.image(name, data, Origin(path))
            record = self.files.image_folders.setdefault(str(path.parent.resolve()), [0, 0])
            record[0] += 1
            record[1] += len(data)
            return True
        if lower.endswith(TEXT_SUFFIXES) and self.text(
            name, lambda: read_file(path, MAX_TEXT_BYTES), Origin(path), _head(path)
        ):
            self._seen(path)
            return True
        return False

    def archive(self, path: Path) -> None:
        for member in iter_members(path):
            parts = member.name.split("/")
            if any(_skipped(part) for part in parts):
                continue  # __MACOSX/ resource forks, ._ files, hidden files
            base = parts[-1]
            if is_image_name(base):
                if member.size > MAX_IMAGE_BYTES:
                    raise member.origin.error(
                        f"{member.size:,} bytes is more than the limit of {MAX_IMAGE_BYTES:,}"
                    )
                self.image(base, member.read(), member.origin)
            elif base.lower().endswith(TEXT_SUFFIXES):
                if member.size > MAX_TEXT_BYTES:
                    if base == TOKEN_FILE or base in SPLIT_LISTS.values():
                        raise member.origin.error(
                            f"{member.size:,} bytes is more than the limit of {MAX_TEXT_BYTES:,}"
                        )
                    continue  # too big to be captions: no file of Flickr8k's
                self.text(base, member.read, member.origin)

    # kinds of content ----------------------------------------------------------------

    def image(self, name: str, data: bytes, origin: Origin) -> None:
        check_image_bytes(data, origin)
        images = self.files.images
        if name in images:
            if images[name] != data:
                raise DataError(
                    f"{name}: two different images of this name "
                    f"({self.files.image_origins[name].label} and {origin.label})"
                )
            return
        images[name] = data
        self.files.image_origins[name] = origin
        if self.progress is not None and len(images) % _PROGRESS_EVERY == 0:
            self.progress(len(images), None)

    def text(
        self, name: str, read: Callable[[], bytes], origin: Origin, head: bytes | None = None
    ) -> bool:
        """Parse a token file, split list or captions CSV; False for other text files
        (`head`: the file's first bytes, when cheaper to get than the whole file)."""
        if name == TOKEN_FILE:
            found = CaptionFile(origin.label, "token", parse_token_file(read(), origin))
            self.files.caption_files.append(found)
            return True
        split = next((s for s, n in SPLIT_LISTS.items() if n == name), None)
        if split is not None:
            names = parse_split_list(read(), origin)
            known = self.files.split_lists.get(split)
            if known is not None and known.names != names:
                raise DataError(f"{name}: two different copies ({known.label} and {origin.label})")
            self.files.split_lists.setdefault(split, SplitList(origin.label, names))
            return True
        if name.endswith(".token.txt"):
            return False  # Flickr8k.lemma.token.txt: lemmatised captions, not read
        if head is not None and not is_captions_csv(head):
            return False
        data = read()
        if not is_captions_csv(data[:_HEAD_BYTES]):
            return False  # readme.txt, ExpertAnnotations.txt, CrowdFlowerAnnotations.txt
        found = CaptionFile(origin.label, "csv", parse_captions_csv(data, origin))
        self.files.caption_files.append(found)
        return True

    def _seen(self, path: Path) -> None:
        if self.seen is not None:
            self.seen(path)


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(_HEAD_BYTES)
    except OSError as exc:
        raise FormatError(path, f"cannot read: {exc.strerror}") from None


def _skipped(name: str) -> bool:
    return name.startswith(".") or name == "__MACOSX"


def read_flickr8k_files(
    paths: Iterable[Path], *, seen: Seen | None = None, progress: Progress | None = None
) -> Flickr8kFiles:
    """Images, caption files and split lists in the given zips, tars, folders (searched
    two levels down) and loose files. `seen(path)` is called for each file of the file
    system read as a whole (archives and text files), e.g. to record its checksum."""
    collector = _Collector(seen, progress)
    for path in paths:
        collector.path(Path(path))
    if progress is not None:
        n = len(collector.files.images)
        progress(n, n)
    return collector.files


def _caption_order(found: CaptionFile) -> tuple[int, str]:
    rank = 0 if found.kind == "token" else 1 if found.label.endswith("captions.txt") else 2
    return rank, found.label


def build_flickr8k_splits(files: Flickr8kFiles) -> tuple[Splits, dict[str, Any]]:
    """{"train", "dev", "test", "text": arrays} and what to record about them.

    Arrays of each split: "file_name" str (n_images,) sorted; "image_bytes" uint8, the
    encoded files concatenated in file_name order; "image_offsets" int64 (n_images + 1,),
    image i is image_bytes[offsets[i]:offsets[i + 1]]; "caption" str (n_captions,),
    grouped by image in file_name order, each image's in source order; "caption_image"
    int64 (n_captions,) indexing file_name. "text" holds the captions of the images that
    have captions but no image file: its image_bytes is empty and its offsets zeros.

    Returns no splits when no caption file was found (nothing to import)."""
    if not files.caption_files:
        if files.images:
            raise DataError(
                f"flickr8k: {len(files.images)} images but no captions file "
                f"({TOKEN_FILE}, or captions.txt with the header 'image,caption')"
            )
        return {}, {}
    ordered = sorted(files.caption_files, key=_caption_order)
    captions: dict[str, list[str]] = {}
    differing = 0
    for found in ordered:
        for name, texts in found.captions.items():
            if name not in captions:
                captions[name] = texts
            elif captions[name] != texts:
                differing += 1
    present = set(files.images)
    captioned = sorted(n for n in present if n in captions)
    uncaptioned = sorted(present - set(captions))
    if present and not captioned:
        labels = ", ".join(f.label for f in ordered)
        raise DataError(
            f"flickr8k: none of the {len(present)} images has a caption in {labels}; "
            f"e.g. {uncaptioned[0]} (are these the matching files?)"
        )
    meta: dict[str, Any] = {
        "layout": "official (Flickr8k.token.txt)"
        if ordered[0].kind == "token"
        else "Kaggle (CSV image,caption)",
        "caption_files": [f.label for f in ordered],
        "uncaptioned_images": len(uncaptioned),
        "uncaptioned_note": "images without any caption are left out of every split",
    }
    if uncaptioned:
        meta["uncaptioned_examples"] = uncaptioned[:5]
    if differing:
        meta["captions_differing_between_files"] = differing
        meta["caption_precedence"] = "an image's captions come from the first file listed"
    members = _assign(files, captioned, meta)
    splits: Splits = {}
    for split in IMAGE_SPLITS:
        names = members[split]
        splits[split] = _image_split(names, files.images, captions)
    text_names = sorted(n for n in captions if n not in present)
    splits["text"] = _text_split(text_names, captions)
    meta["images"] = {split: len(members[split]) for split in IMAGE_SPLITS}
    meta["captions"] = {split: len(arrays["caption"]) for split, arrays in splits.items()}
    meta["text_images"] = len(text_names)
    meta["text_note"] = "captions of images that have no image file here; never of a present image"
    return splits, meta


def _assign(
    files: Flickr8kFiles, captioned: list[str], meta: dict[str, Any]
) -> dict[str, list[str]]:
    members: dict[str, list[str]] = {split: [] for split in IMAGE_SPLITS}
    lists = files.split_lists
    if not lists:
        for name in captioned:
            members[carved_split(name)].append(name)
        meta["split_rule"] = SPLIT_RULE
        return members
    absent = [SPLIT_LISTS[s] for s in IMAGE_SPLITS if s not in lists]
    if absent:
        raise DataError(
            f"flickr8k: {', '.join(absent)} missing; give all three official split lists "
            "(in Flickr8k_text.zip) or none"
        )
    listed: dict[str, str] = {}
    for split in IMAGE_SPLITS:
        for name in lists[split].names:
            if name in listed:
                raise DataError(
                    f"flickr8k: {name} is listed in both {lists[listed[name]].label} and "
                    f"{lists[split].label}"
                )
            listed[name] = split
    for name in captioned:
        if name in listed:
            members[listed[name]].append(name)
    meta["split_rule"] = "official lists " + ", ".join(lists[s].label for s in IMAGE_SPLITS)
    meta["listed_but_absent"] = sum(n not in files.images for n in listed)
    meta["unlisted_images"] = sum(n not in listed for n in captioned)
    meta["unlisted_note"] = "captioned images in no split list are left out of every split"
    return members


def _image_split(
    names: list[str], images: dict[str, bytes], captions: dict[str, list[str]]
) -> dict[str, np.ndarray]:
    sizes = np.array([len(images[n]) for n in names], dtype=np.int64)
    offsets = np.zeros(len(names) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    blob = np.empty(int(offsets[-1]), dtype=np.uint8)
    for i, name in enumerate(names):
        blob[offsets[i] : offsets[i + 1]] = np.frombuffer(images[name], dtype=np.uint8)
    caption, owner = _captions_of(names, captions)
    return {
        "file_name": _strings(names),
        "image_bytes": blob,
        "image_offsets": offsets,
        "caption": caption,
        "caption_image": owner,
    }


def _text_split(names: list[str], captions: dict[str, list[str]]) -> dict[str, np.ndarray]:
    caption, owner = _captions_of(names, captions)
    # "caption" first: the manifest's first array is what `practicum data list` counts
    return {
        "caption": caption,
        "caption_image": owner,
        "file_name": _strings(names),
        "image_bytes": np.zeros(0, dtype=np.uint8),
        "image_offsets": np.zeros(len(names) + 1, dtype=np.int64),
    }


def _captions_of(names: list[str], captions: dict[str, list[str]]) -> tuple[np.ndarray, np.ndarray]:
    texts = [text for name in names for text in captions[name]]
    owner = np.repeat(np.arange(len(names), dtype=np.int64), [len(captions[n]) for n in names])
    return _strings(texts), owner.astype(np.int64)


def _strings(values: list[str]) -> np.ndarray:
    return np.array(values, dtype=str) if values else np.zeros(0, dtype="<U1")


# writers, for look-alikes in tests ----------------------------------------------------


def token_file_text(captions: dict[str, list[str]]) -> str:
    """Flickr8k.token.txt content: ``<image>#<k>\\t<caption>`` lines, LF line ends."""
    return "".join(
        f"{name}#{k}\t{text}\n" for name, texts in captions.items() for k, text in enumerate(texts)
    )


def captions_csv_text(captions: dict[str, list[str]]) -> str:
    """Kaggle's captions.txt content: header ``image,caption``, CRLF line ends, captions
    holding a comma or a double quote in double quotes."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for name, texts in captions.items():
        for text in texts:
            writer.writerow((name, text))
    return out.getvalue()
