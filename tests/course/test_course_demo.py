"""The shipped demo course loads and describes the original course's schedule."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from practicum.course import FINAL_REPORT, completion, demo_course, demo_course_toml
from practicum.data.catalog import CATALOG

TOKYO = ZoneInfo("Asia/Tokyo")


def test_demo_course_has_seven_weekly_lessons_from_november_2026() -> None:
    course = demo_course()
    assert course.timezone.key == "Asia/Tokyo"
    assert [lesson.number for lesson in course.lessons] == [1, 2, 3, 4, 5, 6, 7]
    first = datetime(2026, 11, 2, 10, 0, tzinfo=TOKYO)
    assert [lesson.opens for lesson in course.lessons] == [
        first + timedelta(weeks=week) for week in range(7)
    ]
    topics = ["MNIST", "CIFAR-10", "time series", "English to Japanese", "captioning", "GAN"]
    for lesson, topic in zip(course.lessons, [*topics, "Breakout"], strict=True):
        assert topic in lesson.title
    credits = [lesson.credits for lesson in course.lessons]
    assert credits[:3] == [40, 40, 40]
    assert all(60 <= c <= 80 for c in credits[3:])


def test_demo_homework_is_lesson_one_fashion_mnist() -> None:
    course = demo_course()
    assert list(course.homework) == ["lesson1-fashion-mnist"]
    hw = course.homework["lesson1-fashion-mnist"]
    assert (hw.lesson, hw.dataset, hw.metric, hw.target) == (1, "fashion-mnist", "accuracy", 0.90)
    assert (hw.submission, hw.n_classes) == ("labels", 10)
    assert (hw.public_fraction, hw.daily_limit, hw.final_picks) == (0.3, 5, 2)
    assert hw.opens == course.lessons[0].opens
    # a demo stays usable for months: open from the first lesson until the end of March
    assert hw.deadline == datetime(2027, 3, 31, 23, 59, tzinfo=TOKYO)
    assert hw.dataset in CATALOG
    assert 'practicum.submit("lesson1-fashion-mnist"' in hw.task


def test_demo_completion_needs_the_homework_and_the_report() -> None:
    course = demo_course()
    assert course.completion.required_homework == ("lesson1-fashion-mnist",)
    assert course.completion.report_required
    status = completion(course, {"lesson1-fashion-mnist": 0.91}, report_accepted=False)
    assert status.missing == [FINAL_REPORT]


def test_demo_toml_says_lessons_two_and_four_join_the_rule_later() -> None:
    comments = [line for line in demo_course_toml().splitlines() if line.startswith("#")]
    assert any("Lessons 2 and 4 homework join" in line for line in comments)
