"""The hidden answers of a published homework: y_test and its fixed public/private split.

They live only in private storage (`private_dir/<hw>/`), next to `split.json`, which records
how the split was drawn and the digests that prove neither file changed since publishing:

    y_test.npy        the hidden targets, one per test item, in x_test order
    public_mask.npy   bool per test item, True = scored on the public leaderboard
    split.json        {seed, digest, public_fraction, n_items, published_at, y_test_sha256}

The writer and the reader sit together here so the format has one definition.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np

from practicum.course import Homework
from practicum.grading.split import split_digest
from practicum.grading.submission import SubmissionSpec, upload_cap
from practicum.settings.service import ServiceConfig
from practicum.store.ops import HOMEWORK_ID

Y_TEST = "y_test.npy"
PUBLIC_MASK = "public_mask.npy"
SPLIT_JSON = "split.json"
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


class NotPublished(LookupError):
    """The homework has no hidden answers yet: staff have not run `homework publish`."""

    def __init__(self, homework_id: str) -> None:
        super().__init__(
            f"homework {homework_id} is not published yet; "
            f"staff: practicum homework publish {homework_id}"
        )
        self.homework_id = homework_id


class AnswerCorrupt(RuntimeError):
    """The private files disagree with their record: scoring on them would be wrong, so no
    submission is scored until staff look (`practicum homework publish --force` redraws)."""


@dataclass(frozen=True, eq=False)
class SplitRecord:
    """What split.json holds. The seed is kept so the split can be rebuilt and checked."""

    seed: int
    digest: str
    public_fraction: float
    n_items: int
    published_at: str
    y_test_sha256: str


@dataclass(frozen=True, eq=False)
class Answer:
    y_test: np.ndarray
    public_mask: np.ndarray
    """bool, True = public; the private leaderboard scores the rest."""
    record: SplitRecord

    @property
    def public_count(self) -> int:
        return int(self.public_mask.sum())


def answer_dir(config: ServiceConfig, homework_id: str) -> Path:
    """The private folder of one homework; the id is checked so it cannot climb out."""
    if not HOMEWORK_ID.fullmatch(homework_id):
        raise NotPublished(homework_id)
    return config.private_dir / homework_id


def load_answer(config: ServiceConfig, homework_id: str) -> Answer:
    """The verified answers of a published homework, or NotPublished / AnswerCorrupt."""
    return read_answer(answer_dir(config, homework_id), homework_id)


def read_answer(folder: Path, homework_id: str) -> Answer:
    if not all((folder / name).is_file() for name in (Y_TEST, PUBLIC_MASK, SPLIT_JSON)):
        raise NotPublished(homework_id)
    record = _read_record(folder / SPLIT_JSON)
    y_test = _read_array(folder / Y_TEST)
    mask = _read_array(folder / PUBLIC_MASK)
    where = f"{folder}: homework {homework_id}"
    if mask.dtype != np.bool_ or mask.ndim != 1:
        raise AnswerCorrupt(
            f"{where}: {PUBLIC_MASK} is {mask.dtype}{mask.shape}, not a bool vector"
        )
    if split_digest(mask) != record.digest:
        raise AnswerCorrupt(
            f"{where}: {PUBLIC_MASK} does not match the digest in {SPLIT_JSON}; "
            "the public/private split was changed after publishing"
        )
    if _array_sha256(y_test) != record.y_test_sha256:
        raise AnswerCorrupt(
            f"{where}: {Y_TEST} does not match the digest in {SPLIT_JSON}; "
            "the hidden labels were changed after publishing"
        )
    if not len(y_test) == mask.size == record.n_items:
        raise AnswerCorrupt(
            f"{where}: {Y_TEST} has {len(y_test)} items, {PUBLIC_MASK} {mask.size}, "
            f"{SPLIT_JSON} says {record.n_items}"
        )
    return Answer(y_test=y_test, public_mask=mask, record=record)


def write_answer(
    folder: Path,
    y_test: np.ndarray,
    public_mask: np.ndarray,
    *,
    seed: int,
    public_fraction: float,
    published_at: datetime,
) -> SplitRecord:
    """Write the three private files (owner-only) into an existing, fresh folder."""
    record = SplitRecord(
        seed=seed,
        digest=split_digest(public_mask),
        public_fraction=public_fraction,
        n_items=len(y_test),
        published_at=published_at.isoformat(),
        y_test_sha256=_array_sha256(y_test),
    )
    for name, array in ((Y_TEST, y_test), (PUBLIC_MASK, public_mask)):
        with _private_file(folder / name) as handle:
            np.save(handle, array, allow_pickle=False)
    with _private_file(folder / SPLIT_JSON) as handle:
        handle.write((json.dumps(record.__dict__, indent=2) + "\n").encode())
    return record


def submission_spec(homework: Homework, answer: Answer, *, max_bytes: int) -> SubmissionSpec:
    """What a submission to this homework must look like; the web's spec route serves it so
    that `practicum.submit` can check predictions before uploading them.

    `max_bytes` is the service-wide limit; the spec's own is the homework's upload cap
    (`upload_cap`, never more), the one uploads are refused over, so that the spec and the
    413 agree."""
    spec = spec_for(homework, answer.y_test, max_bytes=max_bytes)
    return replace(spec, max_bytes=upload_cap(spec, max_bytes))


def spec_for(
    homework: Homework, y_test: np.ndarray, *, max_bytes: int = SubmissionSpec.max_bytes
) -> SubmissionSpec:
    image_shape = tuple(y_test.shape[1:]) if homework.submission == "images" else None
    return SubmissionSpec(
        kind=homework.submission,
        n_items=len(y_test),
        n_classes=homework.n_classes,
        image_shape=image_shape,
        max_bytes=max_bytes,
    )


@contextmanager
def _private_file(path: Path) -> Iterator[BinaryIO]:
    """A new file no other user can read, even for the instant a later chmod would leave."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


def _array_sha256(array: np.ndarray) -> str:
    """Over dtype, shape and bytes, so a reinterpreted array does not pass as the same."""
    contiguous = np.ascontiguousarray(array)
    head = f"{contiguous.dtype.str}:{contiguous.shape}:".encode()
    return hashlib.sha256(head + contiguous.tobytes()).hexdigest()


def _read_array(path: Path) -> np.ndarray:
    try:
        array: np.ndarray = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:  # object arrays refuse with ValueError
        raise AnswerCorrupt(f"{path}: unreadable ({str(e).splitlines()[0][:200]})") from None
    return array


def _read_record(path: Path) -> SplitRecord:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return SplitRecord(
            seed=int(raw["seed"]),
            digest=str(raw["digest"]),
            public_fraction=float(raw["public_fraction"]),
            n_items=int(raw["n_items"]),
            published_at=str(raw["published_at"]),
            y_test_sha256=str(raw["y_test_sha256"]),
        )
    except (OSError, ValueError, TypeError, KeyError) as e:
        detail = f"missing field {e}" if isinstance(e, KeyError) else str(e).splitlines()[0]
        raise AnswerCorrupt(f"{path}: unreadable split record ({detail[:200]})") from None
