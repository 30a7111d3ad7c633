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
    assert list(course.homework) == [
        "lesson1-fashion-mnist",
        "lesson2-cifar10",
        "lesson3-ecg5000",
        "lesson3-airline-forecast",
        "lesson4-enja",
        "lesson5-captions",
        "lesson6-cgan",
        "lesson7-breakout",
    ]
    hw = course.homework["lesson1-fashion-mnist"]
    assert (hw.lesson, hw.dataset, hw.metric, hw.target) == (1, "fashion-mnist", "accuracy", 0.90)
    assert (hw.submission, hw.n_classes) == ("labels", 10)
    assert (hw.public_fraction, hw.daily_limit, hw.final_picks) == (0.3, 5, 2)
    assert hw.opens == course.lessons[0].opens
    # a demo stays usable for months: open from the first lesson until the end of March
    assert hw.deadline == datetime(2027, 3, 31, 23, 59, tzinfo=TOKYO)
    assert hw.dataset in CATALOG
    assert 'practicum.submit("lesson1-fashion-mnist"' in hw.task


def test_demo_lesson_two_is_cifar10_at_the_reference_target() -> None:
    course = demo_course()
    hw = course.homework["lesson2-cifar10"]
    assert (hw.lesson, hw.dataset, hw.metric, hw.target) == (2, "cifar10", "accuracy", 0.90)
    assert (hw.submission, hw.n_classes, hw.opens) == ("labels", 10, course.lessons[1].opens)
    assert 'practicum.submit("lesson2-cifar10"' in hw.task


def test_demo_lesson_three_has_a_classification_and_a_forecast() -> None:
    course = demo_course()
    ecg, airline = course.homework["lesson3-ecg5000"], course.homework["lesson3-airline-forecast"]
    assert (ecg.lesson, ecg.dataset, ecg.metric, ecg.target) == (3, "ecg5000", "accuracy", 0.95)
    assert (ecg.submission, ecg.n_classes, ecg.horizon) == ("labels", 5, None)
    assert (airline.lesson, airline.dataset) == (3, "airline-passengers")
    assert (airline.metric, airline.target, airline.higher_is_better) == ("rmse", 25.0, False)
    assert (airline.submission, airline.n_classes, airline.horizon) == ("regression", None, 12)
    for hw in (ecg, airline):
        assert hw.opens == course.lessons[2].opens
        assert hw.deadline == datetime(2027, 3, 31, 23, 59, tzinfo=TOKYO)
        assert f'practicum.submit("{hw.id}"' in hw.task


def test_demo_lesson_four_is_translation_scored_by_bleu() -> None:
    course = demo_course()
    hw = course.homework["lesson4-enja"]
    assert (hw.lesson, hw.dataset, hw.metric, hw.target) == (4, "small-parallel-enja", "bleu", 25)
    assert (hw.submission, hw.n_classes, hw.horizon) == ("tokens", None, None)
    assert (hw.source_lang, hw.target_lang, hw.higher_is_better) == ("en", "ja", True)
    assert (hw.public_fraction, hw.daily_limit, hw.final_picks) == (0.3, 5, 2)
    assert hw.opens == course.lessons[3].opens
    assert hw.deadline == datetime(2027, 3, 31, 23, 59, tzinfo=TOKYO)
    for words in ('practicum.submit("lesson4-enja"', "500 lines", 'tokenize="none"', "**25**"):
        assert words in hw.task, words


def test_demo_lesson_five_is_captioning_scored_by_caption_bleu() -> None:
    course = demo_course()
    hw = course.homework["lesson5-captions"]
    assert (hw.lesson, hw.dataset, hw.metric, hw.submission) == (
        5,
        "flickr8k",
        "caption_bleu",
        "tokens",
    )
    assert (hw.target, hw.higher_is_better, hw.n_classes) == (9.5, True, None)
    assert (hw.public_fraction, hw.daily_limit, hw.final_picks) == (0.3, 5, 2)
    assert hw.opens == course.lessons[4].opens
    assert hw.deadline == datetime(2027, 3, 31, 23, 59, tzinfo=TOKYO)
    for words in ('practicum.submit("lesson5-captions", captions)', "x_test.zip", "**9.5**"):
        assert words in hw.task, words
    assert hw.id not in course.completion.required_homework  # the original required 2 and 4


def test_demo_lesson_six_is_conditional_generation_scored_by_class_frechet() -> None:
    course = demo_course()
    hw = course.homework["lesson6-cgan"]
    assert (hw.lesson, hw.dataset, hw.metric, hw.submission) == (
        6,
        "fashion-mnist",
        "class_frechet",
        "images",
    )
    assert (hw.higher_is_better, hw.n_classes, hw.target) == (False, None, 70.0)
    assert (hw.public_fraction, hw.daily_limit, hw.final_picks) == (0.3, 5, 2)
    assert hw.late_policy.mode == "refuse"
    assert hw.opens == course.lessons[5].opens
    assert hw.deadline == datetime(2027, 3, 31, 23, 59, tzinfo=TOKYO)
    for words in (
        'practicum.submit("lesson6-cgan", images)',
        "100 of each class in class order",
        "(1000, 28, 28), uint8 (0..255) or floats in 0..1",
        "class-conditional Fréchet distance",
        "copies of training images",
        "**70**",
    ):
        assert words in hw.task, words
    assert hw.id not in course.completion.required_homework


def test_demo_lesson_seven_plays_submitted_breakout_policies() -> None:
    course = demo_course()
    hw = course.homework["lesson7-breakout"]
    assert (hw.lesson, hw.dataset, hw.files, hw.metric, hw.submission) == (
        7,
        None,
        None,
        "mean_return",
        "policy",
    )
    assert (hw.higher_is_better, hw.target, hw.games) == (True, 31.8, 10)  # DQN paper's human
    assert (hw.public_fraction, hw.daily_limit, hw.final_picks) == (0.3, 3, 2)
    assert hw.opens == course.lessons[6].opens
    for words in (
        'torch.jit.save(torch.jit.script(policy), "policy.pt")',
        "(N, 4, 84, 84)",
        "(N, 4)",
        "at most 50 MB",
        "10 whole games",
        "sticky actions",
        "108,000 frames",
        "sandbox",
        "**31.8**",
        "Mnih et al. 2015",
    ):
        assert words in hw.task, words
    assert hw.id not in course.completion.required_homework


def test_demo_completion_needs_the_homework_and_the_report() -> None:
    course = demo_course()
    required = ("lesson1-fashion-mnist", "lesson2-cifar10", "lesson4-enja")
    assert course.completion.required_homework == required
    assert course.completion.report_required
    scores = {"lesson1-fashion-mnist": 0.91, "lesson2-cifar10": 0.89, "lesson4-enja": 14.9}
    status = completion(course, scores, report_accepted=False)
    assert status.missing == ["lesson2-cifar10", "lesson4-enja", FINAL_REPORT]
    passed = completion(
        course, {**scores, "lesson2-cifar10": 0.9, "lesson4-enja": 25.0}, report_accepted=True
    )
    assert passed.missing == []


def test_demo_toml_says_the_original_course_required_lessons_two_and_four() -> None:
    comments = [line for line in demo_course_toml().splitlines() if line.startswith("#")]
    assert not any("joins" in line for line in comments)
    assert any("requires the lesson 2 and lesson 4 homework" in line for line in comments)
