"""course.toml is read exactly, and every mistake is refused with its key path and reason."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from course_helpers import BASE, Edit

from practicum.course import CourseError, load_course, parse_course
from practicum.course.model import LatePolicy, RefreshPolicy, SubmissionRate

HW1_DEADLINE = "deadline = 2026-12-29T23:59:00"


def test_base_course_is_read_with_defaults_and_explicit_values() -> None:
    course = parse_course(BASE)
    assert [lesson.number for lesson in course.lessons] == [1, 2, 3]
    hw1, hw2 = course.homework["hw1"], course.homework["hw2"]
    assert (hw1.public_fraction, hw1.daily_limit, hw1.final_picks) == (0.3, 5, 2)
    assert hw1.opens == course.lessons[0].opens, "homework opens with its lesson by default"
    assert hw1.late_policy == LatePolicy("refuse", None, 0.0)
    assert hw1.leaderboard_refresh == RefreshPolicy()
    assert str(hw2.leaderboard_refresh) == "daily 09:00"
    assert hw2.late_policy.mode == "penalty" and hw2.late_policy.penalty_per_day == 0.1
    assert course.credits.gpu_rate_per_hour == 2.0
    assert course.completion.required_homework == ("hw1", "hw2")


def test_the_submission_rate_is_20_in_10_minutes_unless_the_course_says(
    parse_edited: Edit,
) -> None:
    assert parse_course(BASE).submission_rate == SubmissionRate(20, 10)
    rate = "[submissions]\nrate = { attempts = 5, minutes = 2 }\n\n[completion]"
    course = parse_edited(("[completion]", rate))
    assert course.submission_rate == SubmissionRate(5, 2)
    assert course.submission_rate.window == timedelta(minutes=2)
    only_attempts = parse_edited(
        ("[completion]", "[submissions]\nrate = { attempts = 7 }\n[completion]")
    )
    assert only_attempts.submission_rate == SubmissionRate(7, 10)


def test_a_forecast_says_how_many_final_values_are_hidden(parse_edited: Edit) -> None:
    assert parse_course(BASE).homework["hw2"].horizon is None
    course = parse_edited(('metric = "rmse"', 'metric = "rmse"\nhorizon = 12'))
    assert course.homework["hw2"].horizon == 12


TRANSLATION = (
    ('dataset = "airline-passengers"', 'dataset = "small-parallel-enja"'),
    ('metric = "rmse"', 'metric = "bleu"'),
    ('submission = "regression"', 'submission = "tokens"'),
)
"""hw2 as a translation homework (BLEU on tokens), for the direction keys."""


def test_a_translation_names_its_direction_or_takes_the_usual_one(parse_edited: Edit) -> None:
    usual = parse_edited(*TRANSLATION).homework["hw2"]
    assert (usual.submission, usual.source_lang, usual.target_lang) == ("tokens", None, None)
    swapped = parse_edited(
        *TRANSLATION,
        ('submission = "tokens"', 'submission = "tokens"\nsource_lang = "ja"\ntarget_lang = "en"'),
    ).homework["hw2"]
    assert (swapped.source_lang, swapped.target_lang) == ("ja", "en")


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ('source_lang = "ja"', "hw2.target_lang: missing (give it with source_lang"),
        ('target_lang = "ja"', "hw2.source_lang: missing (give it with target_lang"),
        ('source_lang = "ja"\ntarget_lang = "ja"', "hw2.target_lang: 'ja' is the source_lang"),
        ('source_lang = ""\ntarget_lang = "ja"', "hw2.source_lang: empty"),
    ],
)
def test_a_half_or_circular_direction_is_refused(
    parse_edited: Edit, keys: str, message: str
) -> None:
    with pytest.raises(CourseError, match=re.escape(message)):
        parse_edited(*TRANSLATION, ('submission = "tokens"', f'submission = "tokens"\n{keys}'))


def test_a_direction_is_only_for_translation(parse_edited: Edit) -> None:
    with pytest.raises(CourseError) as err:
        parse_edited(('metric = "rmse"', 'metric = "rmse"\nsource_lang = "en"\ntarget_lang = "ja"'))
    assert str(err.value).endswith(
        "hw2.source_lang: only for submission 'tokens' (translation), not 'regression'"
    )


POLICY = (
    ('dataset = "airline-passengers"\n', ""),
    ('metric = "rmse"', 'metric = "mean_return"'),
    ('submission = "regression"', 'submission = "policy"'),
)
"""hw2 as a policy homework (Lesson 7: a file the service plays), which has no data set."""


def test_a_policy_homework_has_no_data_and_plays_ten_games_by_default(
    parse_edited: Edit,
) -> None:
    hw2 = parse_edited(*POLICY).homework["hw2"]
    assert (hw2.submission, hw2.metric, hw2.dataset, hw2.files) == (
        "policy",
        "mean_return",
        None,
        None,
    )
    assert hw2.games == 10 and hw2.higher_is_better
    assert parse_course(BASE).homework["hw1"].games is None
    three = parse_edited(*POLICY, ('submission = "policy"', 'submission = "policy"\ngames = 3'))
    assert three.homework["hw2"].games == 3


def test_lessons_are_sorted_by_number_whatever_the_file_order(parse_edited: Edit) -> None:
    course = parse_edited(("number = 1", "number = 4"), ("lesson = 1", "lesson = 2"))
    assert [lesson.number for lesson in course.lessons] == [2, 3, 4]


def test_local_date_times_are_read_in_the_course_time_zone() -> None:
    lesson = parse_course(BASE).lessons[0]
    assert lesson.opens.utcoffset() is not None
    assert lesson.opens.astimezone(UTC) == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "written", ["2026-12-01T01:00:00Z", "2026-12-01T03:00:00+02:00", "2026-12-01T10:00:00+09:00"]
)
def test_offset_date_times_keep_their_instant_shown_in_course_time(
    parse_edited: Edit, written: str
) -> None:
    opens = parse_edited(("opens = 2026-12-01T10:00:00", f"opens = {written}")).lessons[0].opens
    assert opens.astimezone(UTC) == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert (opens.hour, str(opens.tzinfo)) == (10, "Asia/Tokyo")


def test_a_local_time_that_a_dst_change_skips_is_refused(parse_edited: Edit) -> None:
    with pytest.raises(CourseError) as err:
        parse_edited(
            ('timezone = "Asia/Tokyo"', 'timezone = "Europe/Berlin"'),
            ("opens = 2026-12-08T10:00:00", "opens = 2027-03-28T02:30:00"),
        )
    assert str(err.value) == (
        "course.toml: lessons[1].opens: 2027-03-28T02:30:00 does not exist in Europe/Berlin"
        " (clocks skip it)"
    )


NOT_A_DATE_TIME = (
    "course.toml: lessons[2].opens: not a date-time (expected e.g. 2026-04-01T10:00:00)"
)
HW1 = "course.toml: homework.hw1"
HW2 = "course.toml: homework.hw2"

REFUSED = {
    "metric not a choice": (
        [('metric = "accuracy"', 'metric = "acuracy"')],
        f"{HW1}.metric: 'acuracy' is not one of accuracy, macro_f1, rmse, mae, bleu, caption_bleu, "
        "cider_d, class_frechet, class_consistency, mean_return",
    ),
    "opens a word": (
        [("opens = 2026-12-15T10:00:00", 'opens = "soon"')],
        f"{NOT_A_DATE_TIME}, got string 'soon'",
    ),
    "opens quoted": (
        [("opens = 2026-12-15T10:00:00", 'opens = "2026-12-15T10:00:00"')],
        f"{NOT_A_DATE_TIME}; write it without quotes",
    ),
    "opens a date alone": (
        [("opens = 2026-12-15T10:00:00", "opens = 2026-12-15")],
        f"{NOT_A_DATE_TIME}; 2026-12-15 is a date alone, add the time of day",
    ),
    "deadline before opens": (
        [("deadline = 2027-01-12T23:59:00", "deadline = 2026-12-10T00:00:00")],
        f"{HW2}.deadline: before its opens date",
    ),
    "deadline equal to opens": (
        [("deadline = 2027-01-12T23:59:00", "deadline = 2026-12-15T12:00:00")],
        f"{HW2}.deadline: same as its opens date; it must be later",
    ),
    "lesson closes before it opens": (
        [("closes = 2027-01-15T10:00:00", "closes = 2026-12-14T10:00:00")],
        "course.toml: lessons[2].closes: before its opens date",
    ),
    "lesson does not exist": (
        [("lesson = 3", "lesson = 9")],
        f"{HW2}.lesson: lesson 9 does not exist",
    ),
    "lesson listed twice": (
        [("number = 3", "number = 2")],
        "course.toml: lessons[2].number: lesson 2 is listed twice",
    ),
    "unknown top-level key": (
        [("[homework.hw1]", "[homwork.hw1]")],
        "course.toml: unknown key 'homwork' (did you mean 'homework'?)",
    ),
    "unknown homework key": (
        [('metric = "accuracy"', 'metirc = "accuracy"')],
        f"{HW1}: unknown key 'metirc' (did you mean 'metric'?)",
    ),
    "unknown key, nothing close": (
        [('title = "Test course"', 'title = "Test course"\ncolour = "red"')],
        "course.toml: course: unknown key 'colour' (expected one of id, title, timezone)",
    ),
    "unknown late policy key": (
        [("penalty_per_day = 0.1", "penalty_per_dya = 0.1")],
        f"{HW2}.late_policy: unknown key 'penalty_per_dya' (did you mean 'penalty_per_day'?)",
    ),
    "homework id not a slug": (
        [("[homework.hw1]", "[homework.Hw_1]")],
        "course.toml: homework.Hw_1: 'Hw_1' is not a slug: use only a-z, 0-9 and '-'"
        " (it appears in URLs)",
    ),
    "accuracy over tokens": (
        [('submission = "labels"', 'submission = "tokens"')],
        f"{HW1}.submission: accuracy needs submission 'labels', not 'tokens'",
    ),
    "bleu over regression": (
        [('metric = "rmse"', 'metric = "bleu"')],
        f"{HW2}.submission: bleu needs submission 'tokens', not 'regression'",
    ),
    "labels without n_classes": (
        [("n_classes = 10\n", "")],
        f"{HW1}.n_classes: missing (required for submission 'labels')",
    ),
    "one class": (
        [("n_classes = 10", "n_classes = 1")],
        f"{HW1}.n_classes: 1: a classification needs at least 2 classes",
    ),
    "n_classes for regression": (
        [('metric = "rmse"', 'metric = "rmse"\nn_classes = 3')],
        f"{HW2}.n_classes: only for submission 'labels', not 'regression'",
    ),
    "horizon for labels": (
        [("n_classes = 10", "n_classes = 10\nhorizon = 12")],
        f"{HW1}.horizon: only for submission 'regression', not 'labels'",
    ),
    "horizon zero": (
        [('metric = "rmse"', 'metric = "rmse"\nhorizon = 0')],
        f"{HW2}.horizon: 0 is less than 1",
    ),
    "horizon not an integer": (
        [('metric = "rmse"', 'metric = "rmse"\nhorizon = 1.5')],
        f"{HW2}.horizon: expected an integer, got number 1.5",
    ),
    "target in percent": (
        [("target = 0.9", "target = 90")],
        f"{HW1}.target: 90 is not a possible accuracy score (0 to 1)",
    ),
    "negative rmse target": (
        [("target = 30.0", "target = -1.0")],
        f"{HW2}.target: -1 is not a possible rmse score (0 or more)",
    ),
    "public fraction of one": (
        [('submission = "labels"', 'submission = "labels"\npublic_fraction = 1')],
        f"{HW1}.public_fraction: 1 is not strictly between 0 and 1",
    ),
    "daily limit zero": (
        [('submission = "labels"', 'submission = "labels"\ndaily_limit = 0')],
        f"{HW1}.daily_limit: 0 is less than 1",
    ),
    "boolean for an integer": (
        [('submission = "labels"', 'submission = "labels"\ndaily_limit = true')],
        f"{HW1}.daily_limit: expected an integer, got boolean true",
    ),
    "negative final picks": (
        [('submission = "labels"', 'submission = "labels"\nfinal_picks = -1')],
        f"{HW1}.final_picks: -1 is less than 0",
    ),
    "games for labels": (
        [("n_classes = 10", "n_classes = 10\ngames = 3")],
        f"{HW1}.games: only for submission 'policy', not 'labels'",
    ),
    "policy with a data set": (
        [*POLICY[1:]],
        f"{HW2}.dataset: a policy homework has no data: the service plays the games",
    ),
    "policy of one game": (
        [*POLICY, ('submission = "policy"', 'submission = "policy"\ngames = 1')],
        f"{HW2}.games: 1 is less than 2",
    ),
    "dataset typo": (
        [('dataset = "fashion-mnist"', 'dataset = "fasion-mnist"')],
        f"{HW1}.dataset: 'fasion-mnist' is not in the data catalog (did you mean 'fashion-mnist'?)",
    ),
    "time zone typo": (
        [('timezone = "Asia/Tokyo"', 'timezone = "Asia/Tokio"')],
        "course.toml: course.timezone: 'Asia/Tokio' is not an IANA time zone, e.g. Asia/Tokyo"
        " (did you mean 'Asia/Tokyo'?)",
    ),
    "refresh not understood": (
        [('leaderboard_refresh = "daily 09:00"', 'leaderboard_refresh = "daily 25:00"')],
        f"{HW2}.leaderboard_refresh: 'daily 25:00' is not 'instant' or 'daily HH:MM'"
        " (e.g. 'daily 09:00')",
    ),
    "penalty without a rate": (
        [("penalty_per_day = 0.1, ", "")],
        f"{HW2}.late_policy.penalty_per_day: missing (required for mode 'penalty')",
    ),
    "penalty rate of one": (
        [("penalty_per_day = 0.1", "penalty_per_day = 1.0")],
        f"{HW2}.late_policy.penalty_per_day: 1 is not strictly between 0 and 1",
    ),
    "rate without penalty": (
        [('mode = "penalty"', 'mode = "accept_unranked"')],
        f"{HW2}.late_policy.penalty_per_day: only for mode 'penalty', not 'accept_unranked'",
    ),
    "until before the deadline": (
        [("until = 2027-01-19T23:59:00", "until = 2027-01-10T23:59:00")],
        f"{HW2}.late_policy.until: before the deadline",
    ),
    "until while refusing": (
        [(HW1_DEADLINE, f"{HW1_DEADLINE}\nlate_policy = {{ until = 2027-01-01T00:00:00 }}")],
        f"{HW1}.late_policy.until: only for modes that accept late submissions, not 'refuse'",
    ),
    "submission rate of zero": (
        [("[completion]", "[submissions]\nrate = { attempts = 0 }\n\n[completion]")],
        "course.toml: submissions.rate.attempts: 0 is less than 1",
    ),
    "submission rate over a day": (
        [("[completion]", "[submissions]\nrate = { minutes = 1441 }\n\n[completion]")],
        "course.toml: submissions.rate.minutes: 1441 is more than a day; daily_limit counts"
        " whole days",
    ),
    "submission rate key typo": (
        [("[completion]", "[submissions]\nrate = { attempt = 5 }\n\n[completion]")],
        "course.toml: submissions.rate: unknown key 'attempt' (did you mean 'attempts'?)",
    ),
    "completion names missing homework": (
        [('required_homework = ["hw1", "hw2"]', 'required_homework = ["hw1", "hw3"]')],
        "course.toml: completion.required_homework[1]: homework 'hw3' does not exist"
        " (did you mean 'hw2'?)",
    ),
    "completion names homework without target": (
        [("target = 0.9\n", "")],
        "course.toml: completion.required_homework[0]: homework 'hw1' has no target to reach",
    ),
    "completion lists homework twice": (
        [('required_homework = ["hw1", "hw2"]', 'required_homework = ["hw1", "hw1"]')],
        "course.toml: completion.required_homework[1]: homework 'hw1' is listed twice",
    ),
    "completion missing": (
        [("[completion]", "[completions]")],
        "course.toml: unknown key 'completions' (did you mean 'completion'?)",
    ),
    "report flag missing": (
        [("report_required = true", "")],
        "course.toml: completion.report_required: missing (required)",
    ),
    "course table missing": (
        [('[course]\nid = "dl-test"\ntitle = "Test course"\ntimezone = "Asia/Tokyo"\n', "")],
        "course.toml: course: missing (add a [course] table)",
    ),
    "course keys outside their table": (
        [("[course]\n", "")],
        "course.toml: unknown key 'id' (expected one of course, lessons, homework, credits,"
        " submissions, completion)",
    ),
}


@pytest.mark.parametrize(("edits", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_mistakes_are_refused_with_key_path_and_reason(
    parse_edited: Edit, edits: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(CourseError) as err:
        parse_edited(*edits)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("lessons", "message"),
    [
        ("", "course.toml: lessons: missing (add at least one [[lessons]] block)"),
        ("lessons = [1]", "course.toml: lessons[0]: expected a table, got number 1"),
        ('lessons = "all"', "course.toml: lessons: expected an array, got string 'all'"),
    ],
)
def test_lessons_must_be_an_array_of_tables(lessons: str, message: str) -> None:
    course = BASE.split("[[lessons]]")[0]
    completion = "[completion]\nrequired_homework = []\nreport_required = false\n"
    with pytest.raises(CourseError) as err:
        parse_course(f"{lessons}\n{course}{completion}")
    assert str(err.value) == message


def test_a_time_zone_folder_is_not_a_time_zone(parse_edited: Edit) -> None:
    with pytest.raises(CourseError, match=r"^course.toml: course.timezone: 'Asia' is not an IANA"):
        parse_edited(('timezone = "Asia/Tokyo"', 'timezone = "Asia"'))


def test_toml_syntax_errors_name_their_line(parse_edited: Edit) -> None:
    line = BASE.split("\n").index("n_classes = 10") + 1
    with pytest.raises(CourseError) as err:
        parse_edited(("n_classes = 10", "n_classes = = 10"))
    assert (
        str(err.value) == f"course.toml: line {line}, column 13: TOML syntax error: Invalid value"
    )


def test_date_times_without_seconds_get_a_hint(parse_edited: Edit) -> None:
    with pytest.raises(CourseError, match=r"line 9, .*need seconds, e\.g\. 2026-04-01T10:00:00$"):
        parse_edited(("opens = 2026-12-01T10:00:00", "opens = 2026-12-01T10:00"))


def test_load_course_reads_a_file_and_names_it_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "course.toml"
    path.write_text(BASE, encoding="utf-8")
    assert load_course(path).id == "dl-test"
    path.write_text(BASE.replace("number = 2", "number = 'two'"), encoding="utf-8")
    with pytest.raises(CourseError) as err:
        load_course(path)
    assert str(err.value) == f"{path}: lessons[1].number: expected an integer, got string 'two'"


def test_load_course_refuses_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(CourseError, match=r"nope.toml: no such file$"):
        load_course(tmp_path / "nope.toml")
    path = tmp_path / "latin1.toml"
    path.write_bytes('title = "Übung"'.encode("latin-1"))
    with pytest.raises(CourseError, match=r"latin1.toml: not UTF-8 text \(bad byte at offset 9\)$"):
        load_course(path)
