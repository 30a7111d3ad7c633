"""The JSON the API speaks, as pydantic models: they are the OpenAPI schema clients read.

Answers are read off the service's objects and the store's rows by attribute
(`Model.model_validate(row)`), so a route hands the object over instead of copying its
fields; where a JSON name differs from the attribute, the field says where it comes from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AliasPath, BaseModel, ConfigDict, Field

from practicum.store import EXERCISE_ID


class FromAttributes(BaseModel):
    """An answer validated from an object's attributes (also from its own field names, as
    FastAPI re-validates what a route returns)."""

    model_config = ConfigDict(from_attributes=True, validate_by_name=True)


class Problem(BaseModel):
    detail: str


class RateLimited(Problem):
    resets_at: datetime


class SubmitResult(FromAttributes):
    submission_id: int
    public_score: float | None
    """After any late penalty: the score the submission ranks with; null while the status
    is "queued" (a policy whose games are played later: see its submissions)."""
    rank: int | None
    """Place on the leaderboard as it is shown now; None if not on it (late, not refreshed)."""
    n_ranked: int
    """Students on the leaderboard now."""
    remaining_today: int
    resets_at: datetime
    timezone: str
    """The course's time zone (IANA name), for showing resets_at as students live it."""
    status: str
    late_note: str | None
    signature: str | None = None
    """How the score was computed, where the metric's name does not say: sacrebleu's
    signature for BLEU, None otherwise."""


class LeaderboardEntry(FromAttributes):
    rank: int
    student: str
    score: float
    entries: int
    submitted_at: datetime


class Leaderboard(FromAttributes):
    homework: str = Field(validation_alias="homework_id")
    phase: Literal["public", "private"]
    metric: str
    higher_is_better: bool
    signature: str | None = None
    """sacrebleu's signature for BLEU, None for other metrics."""
    cutoff: datetime | None
    rows: list[LeaderboardEntry]


class Me(FromAttributes):
    name: str
    role: str


class MySubmission(FromAttributes):
    id: int
    created_at: datetime
    filename: str
    status: str
    """scored, late_unranked; for a policy also queued (its games not played yet) or failed
    (`message` says why): neither has scores."""
    public_score: float | None
    private_score: float | None
    """Only after the deadline."""
    late_note: str | None
    message: str | None
    picked: bool


class Spec(FromAttributes):
    """What a submission must look like, so that a notebook can check before uploading."""

    kind: str
    n_items: int
    n_classes: int | None
    image_shape: list[int] | None
    max_bytes: int


class StaffSubmission(FromAttributes):
    id: int
    homework: str = Field(validation_alias="homework_id")
    student: str = Field(validation_alias=AliasPath("user", "name"))
    created_at: datetime
    filename: str
    status: str
    public_score: float | None
    private_score: float | None
    full_score: float | None
    late_note: str | None
    message: str | None
    picked: bool


class ExerciseReportIn(BaseModel):
    """What a notebook sends after an exercise check (`POST /api/exercises`).

    Strict: JSON types must match exactly ("1" is not a lesson, "yes" not a boolean), and
    unknown fields are refused, so nothing the schema did not check reaches the database.
    """

    model_config = ConfigDict(strict=True, extra="forbid")

    lesson: int = Field(ge=1, le=99, description="The lesson's number in the course.")
    exercise: str = Field(
        min_length=1,
        max_length=64,
        pattern=f"^{EXERCISE_ID}$",
        description="The exercise's id in its notebook: a-z, 0-9, '_', '-', '.'.",
    )
    done: bool
    """The check passed."""
    used_reference: bool
    """The notebook went on with the reference version."""


class ExerciseRecorded(BaseModel):
    recorded: bool = True
