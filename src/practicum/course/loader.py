"""Reading course.toml into a `Course`, refusing anything wrong with its key path and reason.

Layout of the file (the shipped demo_course.toml is a complete example):

    [course]            id, title, timezone (IANA name, e.g. "Asia/Tokyo")
    [[lessons]]         number, title, opens, closes (optional), credits
    [homework.<id>]     lesson, title, dataset or files (exactly one), task, metric, target,
                        submission, n_classes, horizon (forecasts: the series' last values
                        to hide), source_lang and target_lang (translation: the parallel
                        corpus' arrays to translate from and into, e.g. "en" and "ja"),
                        games (submission "policy": whole games played, default 10),
                        public_fraction, daily_limit, opens, deadline, final_picks,
                        leaderboard_refresh, reference_release (when the reference
                        reaches the students' servers; default: when the homework
                        closes), and a late_policy table (mode, until, penalty_per_day)
    [credits]           gpu_rate_per_hour, cpu_rate_per_hour, warn_below (all optional)
    [submissions]       rate = { attempts, minutes }: uploads per student within any
                        `minutes`, refused ones too, over all homework (optional; default
                        20 in 10 minutes, on top of each homework's daily_limit)
    [completion]        required_homework, report_required

`dataset` names a catalog data set; `files = { x_train, y_train, x_test, y_test }` names
staff's own files instead (paths relative to course.toml's folder), read only when the
homework is published, so the service can load the course where those files are absent.
A policy homework (submission "policy") has neither: the service plays the games itself.

Date-times may be local (read in the course's time zone) or carry an offset. Array items
are counted from 0 in messages: `lessons[2]` is the third [[lessons]] block.
"""

from __future__ import annotations

import re
import tomllib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from practicum.course.checked_table import CheckedTable, did_you_mean
from practicum.course.errors import CourseError
from practicum.course.model import (
    DEFAULT_GAMES,
    LATE_MODES,
    METRIC_RANGE,
    METRICS,
    SUBMISSION_KINDS,
    SUBMISSIONS_FOR_METRIC,
    CompletionRules,
    Course,
    CreditPolicy,
    Homework,
    HomeworkFiles,
    LatePolicy,
    Lesson,
    Metric,
    RefreshPolicy,
    SubmissionRate,
)
from practicum.data.catalog import CATALOG

SLUG = re.compile(r"[a-z0-9-]+")
_TOML_ERROR = re.compile(r"(?P<what>.*) \(at (?P<where>line \d+, column \d+|end of document)\)")
_NO_SECONDS = re.compile(r"=\s*\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?!:)")
"""A date-time without seconds: valid in TOML 1.1, a syntax error for Python's TOML 1.0."""
MAX_RATE_MINUTES = 24 * 60


def load_course(path: Path) -> Course:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CourseError(str(path), "", "no such file") from None
    except OSError as exc:
        raise CourseError(str(path), "", f"cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CourseError(
            str(path), "", f"not UTF-8 text (bad byte at offset {exc.start})"
        ) from None
    return parse_course(text, source=str(path), base_dir=path.absolute().parent)


def parse_course(text: str, source: str = "course.toml", base_dir: Path | None = None) -> Course:
    """`base_dir` anchors relative homework file paths (default: the folder of `source`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(exc, text, source) from None
    root = CheckedTable(data, "", source)
    root.only("course", "lessons", "homework", "credits", "submissions", "completion")
    info = root.need_table("course")
    info.only("id", "title", "timezone")
    tz = _timezone(info)
    course_id = _slug(info, "id", info.need("id", str))
    title = info.text("title")
    lessons = _lessons(root, tz)
    base = Path(source).parent if base_dir is None else base_dir
    homework = _all_homework(root, tz, lessons, base)
    return Course(
        id=course_id,
        title=title,
        timezone=tz,
        lessons=tuple(lessons[number] for number in sorted(lessons)),
        homework=homework,
        credits=_credits(root.table("credits")),
        completion=_completion(root.need_table("completion"), homework),
        submission_rate=_submission_rate(root.table("submissions")),
    )


def _syntax_error(exc: tomllib.TOMLDecodeError, text: str, source: str) -> CourseError:
    match = _TOML_ERROR.fullmatch(str(exc))
    if match is None:
        return CourseError(source, "", f"TOML syntax error: {exc}")
    reason = f"TOML syntax error: {match['what']}"
    line = re.match(r"line (\d+)", match["where"])
    if line and _NO_SECONDS.search(text.split("\n")[int(line[1]) - 1]):
        reason += "; TOML date-times need seconds, e.g. 2026-04-01T10:00:00"
    return CourseError(source, match["where"], reason)


def _timezone(info: CheckedTable) -> ZoneInfo:
    name = info.need("timezone", str)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Asia" is a folder
        hint = did_you_mean(name, available_timezones())
        info.fail("timezone", f"{name!r} is not an IANA time zone, e.g. Asia/Tokyo{hint}")


def _slug(table: CheckedTable, key: str, value: str) -> str:
    if not SLUG.fullmatch(value):
        table.fail(key, f"{value!r} is not a slug: use only a-z, 0-9 and '-' (it appears in URLs)")
    return value


def _lessons(root: CheckedTable, tz: ZoneInfo) -> dict[int, Lesson]:
    lessons: dict[int, Lesson] = {}
    for table in root.tables("lessons"):
        table.only("number", "title", "opens", "closes", "credits")
        number = table.integer("number", minimum=1)
        if number in lessons:
            table.fail("number", f"lesson {number} is listed twice")
        opens = table.need_when("opens", tz)
        closes = table.when("closes", tz)
        if closes is not None:
            _check_after(table, "closes", closes, opens, "its opens date")
        credits = table.need("credits", float)
        if credits < 0:
            table.fail("credits", f"{credits:g} is negative")
        lessons[number] = Lesson(number, table.text("title"), opens, closes, credits)
    if not lessons:
        root.missing("lessons", "add at least one [[lessons]] block")
    return lessons


def _all_homework(
    root: CheckedTable, tz: ZoneInfo, lessons: dict[int, Lesson], base: Path
) -> dict[str, Homework]:
    table = root.table("homework")
    if table is None:
        return {}
    homework = {}
    for hw_id in table.data:
        _slug(table, hw_id, hw_id)
        homework[hw_id] = _homework(table.need_table(hw_id), hw_id, tz, lessons, base)
    return homework


def _homework(
    table: CheckedTable, hw_id: str, tz: ZoneInfo, lessons: dict[int, Lesson], base: Path
) -> Homework:
    table.only(*(name for name in Homework.__dataclass_fields__ if name != "id"))
    lesson = table.integer("lesson", minimum=1)
    if lesson not in lessons:
        table.fail("lesson", f"lesson {lesson} does not exist")
    metric = table.choice("metric", METRICS)
    submission = table.choice("submission", SUBMISSION_KINDS)
    if submission not in SUBMISSIONS_FOR_METRIC[metric]:
        kinds = " or ".join(repr(kind) for kind in SUBMISSIONS_FOR_METRIC[metric])
        table.fail("submission", f"{metric} needs submission {kinds}, not {submission!r}")
    n_classes = table.get("n_classes", int)
    if submission == "labels":
        if n_classes is None:
            table.missing("n_classes", "required for submission 'labels'")
        if n_classes < 2:
            table.fail("n_classes", f"{n_classes}: a classification needs at least 2 classes")
    elif n_classes is not None:
        table.fail("n_classes", f"only for submission 'labels', not {submission!r}")
    horizon = table.get("horizon", int)
    if horizon is not None:
        if submission != "regression":
            table.fail("horizon", f"only for submission 'regression', not {submission!r}")
        if horizon < 1:
            table.fail("horizon", f"{horizon} is less than 1")
    games = _games(table, submission)
    dataset, files = (None, None) if submission == "policy" else _source(table, base)
    if horizon is not None and files is not None:
        table.fail("horizon", "only for a forecast on a catalog series (dataset), not with files")
    source_lang, target_lang = _languages(table, submission, files is not None)
    public_fraction = table.get("public_fraction", float, 0.3)
    if not 0 < public_fraction < 1:
        table.fail("public_fraction", f"{public_fraction:g} is not strictly between 0 and 1")
    opens = table.when("opens", tz) or lessons[lesson].opens
    deadline = table.need_when("deadline", tz)
    _check_after(table, "deadline", deadline, opens, "its opens date")
    return Homework(
        id=hw_id,
        lesson=lesson,
        title=table.text("title"),
        dataset=dataset,
        task=table.text("task"),
        metric=metric,
        target=_target(table, metric),
        submission=submission,
        n_classes=n_classes,
        public_fraction=public_fraction,
        daily_limit=table.integer("daily_limit", 5, minimum=1),
        opens=opens,
        deadline=deadline,
        final_picks=table.integer("final_picks", 2, minimum=0),
        late_policy=_late_policy(table.table("late_policy"), tz, deadline),
        leaderboard_refresh=_refresh(table),
        horizon=horizon,
        files=files,
        source_lang=source_lang,
        target_lang=target_lang,
        games=games,
        reference_release=table.when("reference_release", tz),
    )


def _games(table: CheckedTable, submission: str) -> int | None:
    """Games a policy plays: at least 2, so that the public and the private part both have
    one; a policy homework has no data set, so neither is accepted."""
    if submission != "policy":
        if "games" in table.data:
            table.fail("games", f"only for submission 'policy', not {submission!r}")
        return None
    for key in ("dataset", "files"):
        if key in table.data:
            table.fail(key, "a policy homework has no data: the service plays the games")
    return table.integer("games", DEFAULT_GAMES, minimum=2)


def _languages(
    table: CheckedTable, submission: str, own_files: bool
) -> tuple[str | None, str | None]:
    """(source_lang, target_lang): a translation's direction, both given or neither (the
    data set's usual direction); meaningless for any other homework, so refused there."""
    keys = ("source_lang", "target_lang")
    given = [key for key in keys if key in table.data]
    if not given:
        return None, None
    if submission != "tokens":
        table.fail(given[0], f"only for submission 'tokens' (translation), not {submission!r}")
    if own_files:
        table.fail(given[0], "only for a translation of a catalog parallel corpus (dataset)")
    if len(given) == 1:
        other = keys[1 - keys.index(given[0])]
        table.missing(other, f"give it with {given[0]} (or neither, for the usual direction)")
    source, target = (table.text(key) for key in keys)
    if source == target:
        table.fail("target_lang", f"{target!r} is the source_lang too")
    return source, target


def _source(table: CheckedTable, base: Path) -> tuple[str | None, HomeworkFiles | None]:
    """(dataset, files): exactly one is given."""
    given = [key for key in ("dataset", "files") if key in table.data]
    if len(given) != 1:
        what = "both dataset and files given" if given else "missing dataset or files"
        table.fail(None, f"{what} (give exactly one)")
    if given == ["dataset"]:
        return _dataset(table), None
    files = table.need_table("files")
    names = HomeworkFiles.__dataclass_fields__
    files.only(*names)
    return None, HomeworkFiles(**{name: _path(files, name, base) for name in names})


def _path(table: CheckedTable, key: str, base: Path) -> Path:
    value = table.text(key)
    return base / Path(value).expanduser()


def _dataset(table: CheckedTable) -> str:
    name = table.need("dataset", str)
    if name not in CATALOG:
        hint = did_you_mean(name, CATALOG) or f" (have: {', '.join(CATALOG)})"
        table.fail("dataset", f"{name!r} is not in the data catalog{hint}")
    return name


def _target(table: CheckedTable, metric: Metric) -> float | None:
    target = table.get("target", float)
    low, high = METRIC_RANGE[metric]
    if target is not None and not low <= target <= high:
        span = f"{low:g} or more" if high == float("inf") else f"{low:g} to {high:g}"
        table.fail("target", f"{target:g} is not a possible {metric} score ({span})")
    return target


def _late_policy(table: CheckedTable | None, tz: ZoneInfo, deadline: datetime) -> LatePolicy:
    if table is None:
        return LatePolicy()
    table.only("mode", "until", "penalty_per_day")
    mode = table.choice("mode", LATE_MODES, "refuse")
    until = table.when("until", tz)
    per_day = table.get("penalty_per_day", float)
    if mode == "penalty":
        if per_day is None:
            table.missing("penalty_per_day", "required for mode 'penalty'")
        if not 0 < per_day < 1:
            table.fail("penalty_per_day", f"{per_day:g} is not strictly between 0 and 1")
    elif per_day is not None:
        table.fail("penalty_per_day", f"only for mode 'penalty', not {mode!r}")
    if until is not None:
        if mode == "refuse":
            table.fail("until", "only for modes that accept late submissions, not 'refuse'")
        _check_after(table, "until", until, deadline, "the deadline")
    return LatePolicy(mode, until, per_day or 0.0)


def _refresh(table: CheckedTable) -> RefreshPolicy:
    try:
        return RefreshPolicy.parse(table.get("leaderboard_refresh", str, "instant"))
    except ValueError as exc:
        table.fail("leaderboard_refresh", str(exc))


def _check_after(
    table: CheckedTable, key: str, value: datetime, start: datetime, start_name: str
) -> None:
    if value < start:
        table.fail(key, f"before {start_name}")
    if value == start:
        table.fail(key, f"same as {start_name}; it must be later")


def _credits(table: CheckedTable | None) -> CreditPolicy:
    if table is None:
        return CreditPolicy()
    table.only(*CreditPolicy.__dataclass_fields__)
    defaults = CreditPolicy()
    values = {}
    for key in CreditPolicy.__dataclass_fields__:
        value = table.get(key, float, getattr(defaults, key))
        if value < 0:
            table.fail(key, f"{value:g} is negative")
        values[key] = value
    return CreditPolicy(**values)


def _submission_rate(table: CheckedTable | None) -> SubmissionRate:
    if table is None:
        return SubmissionRate()
    table.only("rate")
    rate = table.table("rate")
    if rate is None:
        return SubmissionRate()
    rate.only("attempts", "minutes")
    defaults = SubmissionRate()
    attempts = rate.integer("attempts", defaults.attempts, minimum=1)
    minutes = rate.integer("minutes", defaults.minutes, minimum=1)
    if minutes > MAX_RATE_MINUTES:
        rate.fail("minutes", f"{minutes} is more than a day; daily_limit counts whole days")
    return SubmissionRate(attempts, minutes)


def _completion(table: CheckedTable, homework: dict[str, Homework]) -> CompletionRules:
    table.only("required_homework", "report_required")
    required = table.need("required_homework", list)
    for index, hw_id in enumerate(required):
        if not isinstance(hw_id, str):
            table.fail("required_homework", f"expected a homework id, got {hw_id!r}", index)
        if hw_id not in homework:
            hint = did_you_mean(hw_id, homework)
            table.fail("required_homework", f"homework {hw_id!r} does not exist{hint}", index)
        if homework[hw_id].target is None:
            table.fail("required_homework", f"homework {hw_id!r} has no target to reach", index)
        if hw_id in required[:index]:
            table.fail("required_homework", f"homework {hw_id!r} is listed twice", index)
    return CompletionRules(tuple(required), table.need("report_required", bool))
