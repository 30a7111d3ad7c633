"""Publishing a homework: public files for students, hidden answers for the scorer, one row.

`shared_dir/<hw>/` gets x_train, y_train, x_test (arrays, or for captioning zips of photos and
CSVs of captions) and a README (read-only for everyone);
`private_dir/<hw>/` gets y_test and the public/private split (owner only); the database gets
the homework's scoring fields. Both folders are built beside their targets and renamed into
place inside the database transaction, so a publish that fails at any step leaves the
previous state as it was, files and row alike.

What the arrays are made of, from a catalog data set or staff's own files, is decided in
`homework_data`; everything here works the same for both.

Once drawn, a split stays: republishing reuses it, and a new draw (`force=True`) is refused
as soon as anyone has submitted, because their scores were computed on the old one.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import textwrap
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, func, select

from practicum.course import Course, Homework
from practicum.grading.metrics import signature
from practicum.grading.split import make_split, new_seed, split_digest
from practicum.grading.submission import (
    SubmissionSpec,
    format_size,
    parse_predictions,
    to_file_bytes,
    upload_cap,
)
from practicum.service.answers import (
    PRIVATE_DIR_MODE,
    Answer,
    AnswerCorrupt,
    NotPublished,
    read_answer,
    spec_for,
    write_answer,
)
from practicum.service.homework_data import (
    HomeworkArrays,
    PublicFile,
    PublishError,
    homework_arrays,
    policy_games,
)
from practicum.settings.service import ServiceConfig
from practicum.store import Homework as HomeworkRow
from practicum.store import StoreError, Submission, record_homework, session_scope

PUBLIC_FILE_MODE = 0o444
PUBLIC_DIR_MODE = 0o755
README = "README.md"
_STAGING, _OLD = "staging", "old"

__all__ = ["HomeworkArrays", "PublishError", "PublishResult", "publish", "readme"]


@dataclass(frozen=True)
class PublishResult:
    homework_id: str
    public_dir: Path
    private_dir: Path
    shapes: dict[str, tuple[int, ...]]
    """Shape of each public array, by file stem."""
    files: tuple[str, ...]
    """The public files that are not arrays (captioning: zips of photos, CSVs of captions)."""
    n_items: int
    public_count: int
    split_digest: str
    kept_split: bool
    """True when the split published before was kept (a republish)."""


def publish(
    config: ServiceConfig, engine: Engine, homework_id: str, *, now: datetime, force: bool = False
) -> PublishResult:
    """Publish (or republish) one homework of the course; see the module docstring."""
    if now.tzinfo is None:
        raise ValueError(f"now={now.isoformat()} is naive; pass a timezone-aware datetime")
    course = config.course()
    homework = _course_homework(course, homework_id)
    shared, private = _check_dirs(config)
    _check_hidden_source(homework, shared)
    policy = homework.submission == "policy"
    arrays = None if policy else homework_arrays(homework)
    with _lock(private / ".publish.lock"):
        _remove_leftovers(homework_id, shared, private)
        arrays = arrays or policy_games(homework, _published_seeds(private / homework_id, force))
        seed, mask, kept = _split_for(engine, private / homework_id, homework, arrays, force)
        spec = spec_for(homework, arrays.y_test, max_bytes=config.max_upload_bytes)
        staged_private = _stage(private, homework_id, PRIVATE_DIR_MODE)
        staged_public = _stage(shared, homework_id, PUBLIC_DIR_MODE)
        try:
            record = write_answer(
                staged_private,
                arrays.y_test,
                mask,
                seed=seed,
                public_fraction=homework.public_fraction,
                published_at=now,
            )
            _write_public(staged_public, course, homework, arrays, spec)
            _commit(engine, homework, spec, mask, record.seed, now, staged_private, staged_public)
        finally:
            for folder in (staged_private, staged_public):
                shutil.rmtree(folder, ignore_errors=True)
    return PublishResult(
        homework_id=homework_id,
        public_dir=shared / homework_id,
        private_dir=private / homework_id,
        shapes={name: tuple(a.shape) for name, a in arrays.public.items()},
        files=tuple(arrays.files),
        n_items=len(arrays.y_test),
        public_count=int(mask.sum()),
        split_digest=record.digest,
        kept_split=kept,
    )


def _course_homework(course: Course, homework_id: str) -> Homework:
    try:
        return course.homework[homework_id]
    except KeyError:
        have = ", ".join(sorted(course.homework)) or "none"
        raise PublishError(
            f"course {course.id} has no homework {homework_id!r} (it has: {have})"
        ) from None


def _check_dirs(config: ServiceConfig) -> tuple[Path, Path]:
    """Hidden labels inside the students' folder would be readable by all of them."""
    shared, private = config.shared_dir.resolve(), config.private_dir.resolve()
    if shared == private or shared in private.parents or private in shared.parents:
        raise PublishError(
            f"private folder {private} and shared folder {shared} overlap; hidden labels "
            "must live outside what students read (set PRACTICUM_PRIVATE_DIR elsewhere)"
        )
    shared.mkdir(parents=True, exist_ok=True, mode=PUBLIC_DIR_MODE)
    private.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    return shared, private


def _check_hidden_source(homework: Homework, shared: Path) -> None:
    """Own y_test inside the students' folder would be no secret, whatever publish does."""
    y_test = homework.files and homework.files.y_test.resolve()
    if y_test and (y_test == shared or shared in y_test.parents):
        raise PublishError(
            f"homework {homework.id}: files.y_test = {y_test} is inside the shared folder "
            f"{shared} that students read; keep hidden labels outside it"
        )


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    """One publish at a time: two would race on the folder swap."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PublishError(f"another publish is running (lock {path})") from None
        yield
    finally:
        os.close(fd)


def _remove_leftovers(homework_id: str, *parents: Path) -> None:
    """Folders a killed publish left behind (under the lock, none is in use)."""
    for parent in parents:
        for kind in (_STAGING, _OLD):
            for folder in parent.glob(f".{homework_id}.{kind}-*"):
                shutil.rmtree(folder, ignore_errors=True)


def _published_seeds(folder: Path, force: bool) -> np.ndarray | None:
    """A policy homework's game seeds as published, kept by a republish (scores already given
    were played on them); None: none yet, or a new draw asked for."""
    if force:
        return None
    try:
        return read_answer(folder, folder.name).y_test
    except (NotPublished, AnswerCorrupt):
        return None


def _split_for(
    engine: Engine, folder: Path, homework: Homework, arrays: HomeworkArrays, force: bool
) -> tuple[int, np.ndarray, bool]:
    """(seed, mask, kept): the published split if there is one, else a fresh draw."""
    n = len(arrays.y_test)
    redo = "publish it again with --force to draw a new split (only before any submission)"
    with session_scope(engine, read_only=True) as session:
        row = session.get(HomeworkRow, homework.id)
        recorded = (row.split_seed, row.split_digest, row.n_items) if row else None
        count = session.scalar(
            select(func.count())
            .select_from(Submission)
            .where(Submission.homework_id == homework.id)
        )
    if force:
        if count:
            raise PublishError(
                f"homework {homework.id} already has {count} submission(s); its split cannot "
                "change any more (publish the new version under a new id)"
            )
        seed = new_seed()
        return seed, make_split(n, homework.public_fraction, seed), False
    try:
        answer = read_answer(folder, homework.id)
    except NotPublished:
        if recorded is None:  # first publish
            seed = new_seed()
            return seed, make_split(n, homework.public_fraction, seed), False
        return _rebuild(homework, n, *recorded, redo=redo)
    except AnswerCorrupt as e:
        raise PublishError(f"{e}; {redo}") from None
    _check_unchanged(homework, answer, arrays, redo)
    return answer.record.seed, answer.public_mask, True


def _rebuild(
    homework: Homework, n: int, seed: int, digest: str, n_recorded: int, *, redo: str
) -> tuple[int, np.ndarray, bool]:
    """The private files are gone but the database remembers the seed: draw it again, and
    prove it is the same split by its digest (the split only: a policy's game seeds are
    drawn once and kept nowhere else)."""
    if homework.submission == "policy":
        raise PublishError(
            f"homework {homework.id}: its private files (the hidden game seeds) are missing "
            f"and cannot be rebuilt; {redo}"
        )
    mask = make_split(n, homework.public_fraction, seed)
    if n != n_recorded or split_digest(mask) != digest:
        raise PublishError(
            f"homework {homework.id}: its private files are missing and the recorded split "
            f"({n_recorded} items, digest {digest[:12]}…) cannot be rebuilt from the data; {redo}"
        )
    return seed, mask, True


def _check_unchanged(homework: Homework, answer: Answer, arrays: HomeworkArrays, redo: str) -> None:
    """Keeping a split is only meaningful over the same hidden answers."""
    record = answer.record
    where = f"homework {homework.id}"
    if len(arrays.y_test) != record.n_items:
        raise PublishError(
            f"{where}: the test set now has {len(arrays.y_test)} items; the published split "
            f"has {record.n_items}; {redo}"
        )
    if homework.public_fraction != record.public_fraction:
        raise PublishError(
            f"{where}: public_fraction is now {homework.public_fraction}; the published split "
            f"uses {record.public_fraction}; {redo}"
        )
    if (
        not np.array_equal(arrays.y_test, answer.y_test)
        or arrays.y_test.dtype != answer.y_test.dtype
    ):
        source = homework.dataset or (homework.files and homework.files.y_test)
        raise PublishError(f"{where}: the test labels of {source} changed; {redo}")


def _stage(parent: Path, homework_id: str, mode: int) -> Path:
    folder = Path(tempfile.mkdtemp(dir=parent, prefix=f".{homework_id}.{_STAGING}-"))
    folder.chmod(mode)
    return folder


def _write_public(
    folder: Path,
    course: Course,
    homework: Homework,
    arrays: HomeworkArrays,
    spec: SubmissionSpec,
) -> None:
    """Flushed to disk before the folder is renamed in: a crash must not publish empty files."""
    text = readme(course, homework, arrays, spec).encode()
    for name, content in {**public_files(arrays), README: text}.items():
        with open(folder / name, "wb") as handle:
            if isinstance(content, bytes):
                handle.write(content)
            elif isinstance(content, PublicFile):
                content.write(handle)
            else:
                np.save(handle, content, allow_pickle=False)
            handle.flush()
            os.fsync(handle.fileno())
        (folder / name).chmod(PUBLIC_FILE_MODE)


PublicContent = np.ndarray | bytes | PublicFile


def public_files(arrays: HomeworkArrays) -> dict[str, PublicContent]:
    """File name -> content students get: every array as .npy, each list of sentences
    (a 1-D string array) also as UTF-8 text, one a line, the form translators work in, and
    the files made as they are (captioning: zips of photos, CSVs of captions)."""
    files: dict[str, PublicContent] = {}
    for stem, array in arrays.public.items():
        files[f"{stem}.npy"] = array
        lines = _as_lines(array)
        if lines is not None:
            files[f"{stem}.txt"] = lines
    return {**files, **arrays.files}


def _as_lines(array: np.ndarray) -> bytes | None:
    """None unless 1-D text whose items hold no line break (lines must pair with items)."""
    if array.ndim != 1 or array.dtype.kind != "U":
        return None
    items = [str(item) for item in array]
    if any("\n" in item or "\r" in item for item in items):
        return None
    return "".join(f"{item}\n" for item in items).encode("utf-8")


def _commit(
    engine: Engine,
    homework: Homework,
    spec: SubmissionSpec,
    mask: np.ndarray,
    seed: int,
    now: datetime,
    staged_private: Path,
    staged_public: Path,
) -> None:
    """Record the row and swap both folders in, inside one transaction: if the commit fails,
    the folders go back; if a swap fails, the row is rolled back."""
    private, public = staged_private.parent / homework.id, staged_public.parent / homework.id
    swapped: list[tuple[Path, Path | None]] = []
    try:
        with session_scope(engine) as session:
            try:
                record_homework(
                    session,
                    homework_id=homework.id,
                    published_at=now,
                    metric=homework.metric,
                    higher_is_better=homework.higher_is_better,
                    submission_kind=homework.submission,
                    n_items=spec.n_items,
                    split_seed=seed,
                    split_digest=split_digest(mask),
                    public_count=int(mask.sum()),
                    private_path=private,
                    public_dir=public,
                )
            except StoreError as e:
                raise PublishError(str(e)) from None
            swapped.append((private, _swap_in(staged_private, private)))
            swapped.append((public, _swap_in(staged_public, public)))
    except BaseException:
        for target, backup in reversed(swapped):
            _restore(target, backup)
        raise
    for _, backup in swapped:
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)


def _swap_in(staged: Path, target: Path) -> Path | None:
    """Rename `staged` to `target`; the previous target, if any, is kept as the backup."""
    backup = None
    if target.exists():
        backup = target.with_name(f".{target.name}.{_OLD}-{uuid.uuid4().hex[:8]}")
        os.replace(target, backup)
    try:
        os.replace(staged, target)
    except BaseException:
        if backup is not None:
            os.replace(backup, target)
        raise
    return backup


def _restore(target: Path, backup: Path | None) -> None:
    shutil.rmtree(target, ignore_errors=True)
    if backup is not None:
        os.replace(backup, target)


# ---------------------------------------------------------------------------------------------
# The README students read first


def readme(course: Course, homework: Homework, arrays: HomeworkArrays, spec: SubmissionSpec) -> str:
    """Everything a student needs without opening the website: task, files, format, rules."""
    tz = course.timezone
    deadline = homework.deadline.astimezone(tz)
    direction = "higher" if homework.higher_is_better else "lower"
    computed = signature(homework.metric)
    how = f"; sacrebleu signature `{computed}`" if computed else ""
    target = (
        f"reach **{homework.target:g}** on the private leaderboard to pass"
        if homework.target is not None
        else "practice only: no target to reach"
    )
    picks = (
        f"Before the deadline, pick up to {homework.final_picks} submission(s) to count on the "
        "private leaderboard."
        if homework.final_picks
        else "Your best private score counts; there is nothing to pick."
    )
    share = homework.public_fraction
    notes = (
        f"\n\n{textwrap.fill(arrays.notes, width=90, break_on_hyphens=False)}"
        if arrays.notes
        else ""
    )
    policy = spec.kind == "policy"
    items = "games" if policy else "test items"
    return f"""# {homework.title}

Homework `{homework.id}` of {course.title}, lesson {homework.lesson}.

{homework.task.strip()}

## Files

{POLICY_FILES if policy else _files_section(arrays, spec)}

## Submission

{_policy_format(spec) if policy else _predictions_format(homework, arrays, spec, notes)}

## Rules

* Metric: **{homework.metric}** ({direction} is better{how}); {target}.
* Deadline: **{deadline:%Y-%m-%d %H:%M %Z}** ({tz.key}).
* Up to {homework.daily_limit} submissions a day; the count resets at midnight {tz.key} time.
* The public leaderboard scores a fixed {share:.0%} of the {items}; the final ranking uses
  the other {1 - share:.0%}, hidden until the deadline.
* {picks}
"""


def _predictions_format(
    homework: Homework, arrays: HomeworkArrays, spec: SubmissionSpec, notes: str
) -> str:
    return f"""{_format_example(arrays, spec, homework.metric)}{notes}

From a notebook:

```python
import practicum
practicum.submit("{homework.id}", y_pred)
```

or upload the file on the homework page of the course site."""


POLICY_FILES = (
    "None: the service plays the games itself. Lesson 7's `atari.make` makes the same "
    "observations\non your own machine, and its `evaluation.play` plays the same protocol."
)


def _policy_format(spec: SubmissionSpec) -> str:
    """A TorchScript file, played in the service's sandbox."""
    return (
        "`policy.pt`: a TorchScript module, saved with\n"
        '`torch.jit.save(torch.jit.script(policy), "policy.pt")`, of at most '
        f"{format_size(upload_cap(spec, spec.max_bytes))}. It takes\nuint8 observations of shape (N, 4, 84, 84) "
        "and returns action logits of shape (N, 4);\neach action is drawn from "
        f"softmax(logits). The service plays {spec.n_items} whole games with it in a\n"
        "sandbox (one CPU core, no network, limits on time and memory). Upload it on the "
        "homework\npage of the course site: it is queued, and scored once its games are played."
    )


def _files_section(arrays: HomeworkArrays, spec: SubmissionSpec) -> str:
    """The table of public files, and how to read them."""
    files = public_files(arrays)
    rows = "\n".join(f"| `{name}` | {_size_and_type(content)} |" for name, content in files.items())
    if arrays.test_images is not None:
        return _photo_files(arrays, rows)
    hidden = (
        "Real test images of the classes in `x_test` are hidden: the scorer reads each "
        "item's class from them."
        if spec.kind == "images"
        else "The answers for `x_test` are hidden: they score your submissions."
    )
    how = 'Load them with `numpy.load("x_train.npy")`'
    if any(name.endswith(".txt") for name in files):
        how += (
            ";\na `.txt` file holds the items of its `.npy`, one a line (UTF-8):\n"
            '`[line.rstrip("\\n") for line in open("x_test.txt", encoding="utf-8")]`'
        )
    return f"""| file | shape | dtype |
|---|---|---|
{rows}

{how}. {hidden}"""


def _photo_files(arrays: HomeworkArrays, rows: str) -> str:
    """Captioning: zips of photos and CSVs of their captions."""
    dev = (
        "\n`x_dev.zip` and `y_dev.csv` are the same for the dev photos: make your choices on them."
        if "x_dev.zip" in arrays.files
        else ""
    )
    return f"""| file | contents | format |
|---|---|---|
{rows}

`x_train.zip` holds the training photos under `x_train/` with their original file names, and
`y_train.csv` their captions, one row a caption (header `image,caption`; `csv.reader` or
`pandas.read_csv` undo the quotes around captions that hold a comma).{dev}
`{arrays.test_images}` holds the test photos, renamed by their position in the test set
(see the table), so that file-name order is test-item order. Their captions are hidden:
they score your submissions."""


def _size_and_type(content: PublicContent) -> str:
    if isinstance(content, PublicFile):
        return f"{content.contents} | {content.format}"
    if isinstance(content, bytes):
        lines = content.count(b"\n")
        return f"{lines} lines | UTF-8 text"
    return f"{tuple(content.shape)} | {content.dtype}"


SCORED_CAPTIONS = {
    "caption_bleu": "Scored by BLEU-4 over the whole test set against every human caption of "
    "each photo: sacrebleu's corpus BLEU, lowercased, with its standard tokenisation (13a, "
    "which splits punctuation off words); `nrefs:var` in its signature stands for all the "
    "captions a photo has.",
    "cider_d": "Scored by CIDEr-D (as the coco-caption toolkit computes it, 0 to 10) against "
    "every human caption of each photo, lowercased, punctuation dropped.",
}
"""How a caption metric scores, for the README; its name alone says little to a student."""


def _format_example(arrays: HomeworkArrays, spec: SubmissionSpec, metric: str) -> str:
    content, filename = to_file_bytes(parse_predictions(arrays.example, spec), spec)
    if filename.endswith(".npy"):
        return _images_format(spec, filename)
    lines = content.decode().splitlines()
    shown = "\n".join(lines[:4] + (["..."] if len(lines) > 4 else []))
    if arrays.test_images is not None:
        return _caption_format(arrays.test_images, spec.n_items, filename, shown, metric)
    if spec.kind == "tokens":
        n = spec.n_items
        return (
            f"`{filename}`: UTF-8 text of exactly {n} lines, line *i* the output for line *i*\n"
            "of `x_test.txt`, tokens separated by spaces as in `y_train.txt` (an empty line is\n"
            f"an empty output). In a notebook, `y_pred` is a list of {n} sentences: strings of\n"
            "space-separated tokens, or lists of tokens. For example (sentences made up):"
            f"\n\n```\n{shown}\n```"
        )
    return (
        f"`{filename}`, {spec.n_items} predictions in `x_test` order "
        f"(values made up):\n\n```\n{shown}\n```"
    )


def _images_format(spec: SubmissionSpec, filename: str) -> str:
    """One image an item, as a .npy of 8-bit or 0..1 pixels (or a CSV of 0..1 pixels)."""
    n, shape = spec.n_items, spec.image_shape or ()
    return (
        f"`{filename}`: one image per item of `x_test`, in order, as an array of shape\n"
        f"`{(n, *shape)}` (or `{(n, spec.image_size)}`): uint8 pixels 0..255, or floats in "
        "0..1\n(what a sigmoid gives; 0..255 floats are refused), saved with `numpy.save`. "
        f"Or a CSV\nwithout header of {n} rows of {spec.image_size} values in 0..1. In a "
        "notebook, `y_pred` is that\narray."
    )


def _caption_format(test_images: str, n: int, filename: str, shown: str, metric: str) -> str:
    """One caption a line, for the photos of the test zip in file-name order."""
    case = (
        "lowercased or not: scoring lowercases them and the references"
        if metric in SCORED_CAPTIONS
        else "in the case you mean: it counts"
    )
    text = textwrap.fill(
        f"`{filename}`: UTF-8 text of exactly {n} lines, line *i* the caption of the *i*-th "
        f"photo of `{test_images}` in file-name order. Write plain sentences, {case}. An "
        f"empty line is an empty caption. In a notebook, `y_pred` is a list of {n} strings. "
        "For example (captions made up):",
        width=90,
    )
    scored = (
        f"\n\n{textwrap.fill(SCORED_CAPTIONS[metric], width=90)}"
        if metric in SCORED_CAPTIONS
        else ""
    )
    return f"{text}\n\n```\n{shown}\n```{scored}"
