"""Storage for the homework service: users, tokens, homework, submissions and their files.

Plain functions over a SQLAlchemy `Session` (`accounts`, `ops`), a content-addressed
file store (`files`), and engine/session/migration helpers (`db`). No web code here.
"""

from practicum.store.accounts import (
    create_token,
    create_user,
    revoke_token,
    set_password,
    tokens_for,
    user_for_token,
    verify_password,
)
from practicum.store.db import default_url, make_engine, session_scope, upgrade
from practicum.store.errors import (
    BlobCorrupt,
    BlobMissing,
    DailyLimitReached,
    InvalidDigest,
    InvalidName,
    PickError,
    StoreError,
    UnknownHomework,
    UserExists,
)
from practicum.store.files import FileStore
from practicum.store.models import ApiToken, Homework, StoredFile, Submission, User
from practicum.store.ops import (
    GradebookRow,
    LeaderboardRow,
    gc_blobs,
    gradebook_rows,
    record_homework,
    record_submission,
    scores_for_leaderboard,
    set_picks,
    submissions_for,
)

__all__ = [
    "ApiToken",
    "BlobCorrupt",
    "BlobMissing",
    "DailyLimitReached",
    "FileStore",
    "GradebookRow",
    "Homework",
    "InvalidDigest",
    "InvalidName",
    "LeaderboardRow",
    "PickError",
    "StoreError",
    "StoredFile",
    "Submission",
    "UnknownHomework",
    "User",
    "UserExists",
    "create_token",
    "create_user",
    "default_url",
    "gc_blobs",
    "gradebook_rows",
    "make_engine",
    "record_homework",
    "record_submission",
    "revoke_token",
    "scores_for_leaderboard",
    "session_scope",
    "set_password",
    "set_picks",
    "submissions_for",
    "tokens_for",
    "upgrade",
    "user_for_token",
    "verify_password",
]
