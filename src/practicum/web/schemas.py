"""The JSON the API speaks, as pydantic models: they are the OpenAPI schema clients read."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class Problem(BaseModel):
    detail: str


class RateLimited(Problem):
    resets_at: datetime


class SubmitResult(BaseModel):
    submission_id: int
    public_score: float
    """After any late penalty: the score the submission ranks with."""
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


class LeaderboardEntry(BaseModel):
    rank: int
    student: str
    score: float
    entries: int
    submitted_at: datetime


class Leaderboard(BaseModel):
    homework: str
    phase: Literal["public", "private"]
    metric: str
    higher_is_better: bool
    cutoff: datetime | None
    rows: list[LeaderboardEntry]


class Me(BaseModel):
    name: str
    role: str


class MySubmission(BaseModel):
    id: int
    created_at: datetime
    filename: str
    status: str
    public_score: float
    private_score: float | None
    """Only after the deadline."""
    late_note: str | None
    picked: bool


class Spec(BaseModel):
    """What a submission must look like, so that a notebook can check before uploading."""

    kind: str
    n_items: int
    n_classes: int | None
    image_shape: list[int] | None
    max_bytes: int


class StaffSubmission(BaseModel):
    id: int
    homework: str
    student: str
    created_at: datetime
    filename: str
    status: str
    public_score: float
    private_score: float
    full_score: float
    late_note: str | None
    picked: bool
