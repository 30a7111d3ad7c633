"""The service's tables as typed SQLAlchemy 2 models.

The Alembic migrations under `migrations/versions` must create exactly this schema;
a test compares the two, so a change here needs a new migration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

Role = Literal["student", "staff"]
ROLES: tuple[Role, ...] = ("student", "staff")
SubmissionStatus = Literal["scored", "late_unranked", "queued", "failed"]
SUBMISSION_STATUSES: tuple[SubmissionStatus, ...] = ("scored", "late_unranked", "queued", "failed")
"""queued: a policy waiting for the worker to play its games; failed: a policy whose games
could not be played (`message` says why). Both have no scores."""
SCORED_STATUSES: tuple[SubmissionStatus, ...] = ("scored", "late_unranked")
CreditKind = Literal["grant", "charge", "refund", "adjust"]
CREDIT_KINDS: tuple[CreditKind, ...] = ("grant", "charge", "refund", "adjust")

# Named constraints let later migrations drop or alter them, also on SQLite (batch mode).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def check_aware(value: datetime, what: str = "datetime") -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} {value.isoformat()} is naive; pass a timezone-aware datetime")
    return value


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite keeps no zone, so values are normalised to UTC on the way in (which also keeps
    its text comparisons in time order) and marked UTC on the way out. Naive datetimes
    are refused: guessing their zone is how daily limits drift by hours.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return check_aware(value).astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(39), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    # None for users who only ever log in through the hub (GitHub).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    admitted: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Written into every session cookie; raising it ends every copy of every cookie.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, name={self.name!r}, role={self.role!r})"


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    # sha256 of the token: a leaked database does not leak usable tokens.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")


class Homework(Base):
    __tablename__ = "homework"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    published_at: Mapped[datetime]
    metric: Mapped[str] = mapped_column(String(32))
    # Which way "best" points, for gradebook and leaderboard (accuracy up, RMSE down).
    higher_is_better: Mapped[bool] = mapped_column(Boolean)
    submission_kind: Mapped[str] = mapped_column(String(32))
    n_items: Mapped[int] = mapped_column(Integer)
    split_seed: Mapped[int] = mapped_column(BigInteger)
    split_digest: Mapped[str] = mapped_column(String(64))
    public_count: Mapped[int] = mapped_column(Integer)
    private_path: Mapped[str] = mapped_column(Text)
    public_dir: Mapped[str] = mapped_column(Text)


class StoredFile(Base):
    __tablename__ = "stored_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        CheckConstraint(_one_of("status", SUBMISSION_STATUSES), name="status"),
        Index("ix_submissions_homework_user_created", "homework_id", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    homework_id: Mapped[str] = mapped_column(ForeignKey("homework.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    file_sha256: Mapped[str] = mapped_column(ForeignKey("stored_files.sha256"))
    filename: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    # None while queued or after failing (a policy not played yet, or that could not be)
    public_score: Mapped[float | None] = mapped_column(Float)
    private_score: Mapped[float | None] = mapped_column(Float)
    full_score: Mapped[float | None] = mapped_column(Float)
    late_note: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)
    """Why a policy failed, for the student."""
    picked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    user: Mapped[User] = relationship()
    homework: Mapped[Homework] = relationship()

    def __repr__(self) -> str:
        return (
            f"Submission(id={self.id!r}, homework={self.homework_id!r}, "
            f"user_id={self.user_id!r}, public={self.public_score!r})"
        )


class CreditEntry(Base):
    """One line of the append-only credit ledger; a balance is the sum of a user's lines."""

    __tablename__ = "credit_entries"
    __table_args__ = (
        CheckConstraint(_one_of("kind", CREDIT_KINDS), name="kind"),
        # Covers the balance sums (user_id, SUM(amount_mc)) without touching the table.
        Index("ix_credit_entries_user_amount", "user_id", "amount_mc"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))
    amount_mc: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    # Set on entries that must happen once (a lesson grant, a charged slot).
    key: Mapped[str | None] = mapped_column(String(200), unique=True)

    def __repr__(self) -> str:
        return (
            f"CreditEntry(id={self.id!r}, user_id={self.user_id!r}, kind={self.kind!r}, "
            f"amount_mc={self.amount_mc!r})"
        )


class MeteredRun(Base):
    """How far one run of a notebook server has been paid: the meter resumes from here."""

    __tablename__ = "metered_runs"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    profile: Mapped[str] = mapped_column(String(64))
    started: Mapped[datetime]
    next_slot: Mapped[int] = mapped_column(Integer)
    last_seen: Mapped[datetime]


class GpuQueueEntry(Base):
    """A student waiting for a GPU; one place per student."""

    __tablename__ = "gpu_queue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    profile: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime]


class GpuAssignment(Base):
    """A GPU given to a student: each GPU to one student, each student at most one GPU."""

    __tablename__ = "gpu_assignments"

    gpu: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    assigned_at: Mapped[datetime]
    # When Practicum last asked the hub to start the server; the spawn grace counts from it.
    start_requested_at: Mapped[datetime | None]


class Lease(Base):
    """A named lock with an expiry, e.g. the one metering loop among several replicas."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]


class ExerciseResult(Base):
    """How one student's exercise of a lesson notebook went, as their notebook reported it.

    `done`: the student's own code passed at least once; it stays true. `used_reference`:
    the latest report ran on the reference version. See `store.exercises.record_exercise`.
    """

    __tablename__ = "exercise_results"
    __table_args__ = (
        UniqueConstraint("user_id", "lesson", "exercise"),
        CheckConstraint("lesson BETWEEN 1 AND 99", name="lesson"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    lesson: Mapped[int] = mapped_column(Integer)
    exercise: Mapped[str] = mapped_column(String(64))
    done: Mapped[bool] = mapped_column(Boolean)
    used_reference: Mapped[bool] = mapped_column(Boolean)
    first_done_at: Mapped[datetime | None]
    """When the student's own code first passed; None while it never has."""
    updated_at: Mapped[datetime]
    """When the latest report came."""

    def __repr__(self) -> str:
        return (
            f"ExerciseResult(user_id={self.user_id!r}, lesson={self.lesson!r}, "
            f"exercise={self.exercise!r}, done={self.done!r})"
        )


class LoginFailure(Base):
    """A wrong password, counted against the account name and the client's address."""

    __tablename__ = "login_failures"
    __table_args__ = (
        CheckConstraint(_one_of("scope", ("account", "address")), name="scope"),
        Index("ix_login_failures_scope_key_at", "scope", "key", "failed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(100))
    failed_at: Mapped[datetime]


class LoginLock(Base):
    """An account name or address refused until `locked_until`; `strikes` lock-outs so far."""

    __tablename__ = "login_locks"
    __table_args__ = (CheckConstraint(_one_of("scope", ("account", "address")), name="scope"),)

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    locked_until: Mapped[datetime]
    strikes: Mapped[int] = mapped_column(Integer)


class SubmissionAttempt(Base):
    """An upload a student sent, taken or refused: the rate limit counts these, because a
    refused file costs the service reading and parsing as much as a valid one."""

    __tablename__ = "submission_attempts"
    __table_args__ = (Index("ix_submission_attempts_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    homework_id: Mapped[str] = mapped_column(String(64))
    """As the upload named it, which may be no homework at all (kept for operators)."""
    at: Mapped[datetime]
