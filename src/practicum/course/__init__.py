"""The course model: lessons, homework, credits and completion, read from course.toml.

Pure data and pure functions: the web service, the hub hooks and the CLI read a course
through `load_course` and decide with `rules`, passing the current time in.
"""

from practicum.course.demo import demo_course, demo_course_toml
from practicum.course.errors import CourseError
from practicum.course.loader import load_course, parse_course
from practicum.course.model import (
    HIGHER_IS_BETTER,
    LATE_MODES,
    METRICS,
    SUBMISSION_KINDS,
    CompletionRules,
    Course,
    CreditPolicy,
    Homework,
    HomeworkFiles,
    LateMode,
    LatePolicy,
    Lesson,
    Metric,
    RefreshPolicy,
    SubmissionKind,
    SubmissionRate,
    higher_is_better,
)
from practicum.course.rules import (
    FINAL_REPORT,
    CompletionStatus,
    Late,
    apply_late_policy,
    completion,
    credits_granted,
    is_open,
    lateness,
    leaderboard_phase,
    open_lessons,
    public_cutoff,
    submissions_left_today,
    target_reached,
)

__all__ = [
    "FINAL_REPORT",
    "HIGHER_IS_BETTER",
    "LATE_MODES",
    "METRICS",
    "SUBMISSION_KINDS",
    "CompletionRules",
    "CompletionStatus",
    "Course",
    "CourseError",
    "CreditPolicy",
    "Homework",
    "HomeworkFiles",
    "Late",
    "LateMode",
    "LatePolicy",
    "Lesson",
    "Metric",
    "RefreshPolicy",
    "SubmissionKind",
    "SubmissionRate",
    "apply_late_policy",
    "completion",
    "credits_granted",
    "demo_course",
    "demo_course_toml",
    "higher_is_better",
    "is_open",
    "lateness",
    "leaderboard_phase",
    "load_course",
    "open_lessons",
    "parse_course",
    "public_cutoff",
    "submissions_left_today",
    "target_reached",
]
