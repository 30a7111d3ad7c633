"""Errors the storage layer raises on purpose, each with a message a person can act on.

They share one base class so that the web layer can turn any of them into a clean
4xx answer without catching database driver exceptions.
"""

from __future__ import annotations

from datetime import datetime


class StoreError(Exception):
    """A request the store refused; the message says why."""


class InvalidName(StoreError, ValueError):
    """A user name or homework id that does not fit the allowed pattern."""


class UserExists(StoreError):
    def __init__(self, name: str) -> None:
        super().__init__(f"user {name!r} already exists")
        self.name = name


class UnknownHomework(StoreError, LookupError):
    def __init__(self, homework_id: str) -> None:
        super().__init__(f"homework {homework_id!r} is not published")
        self.homework_id = homework_id


class DailyLimitReached(StoreError):
    """The user has used up today's submissions; `resets_at` says when they may go on."""

    def __init__(self, homework_id: str, limit: int, resets_at: datetime) -> None:
        super().__init__(
            f"daily limit of {limit} submission(s) for homework {homework_id!r} reached; "
            f"next submission possible at {resets_at.isoformat()}"
        )
        self.homework_id = homework_id
        self.limit = limit
        self.resets_at = resets_at


class PickError(StoreError, ValueError):
    """A set of final picks that breaks the rules (too many, not yours, not ranked)."""


class InvalidDigest(StoreError, ValueError):
    """A blob name that is not a sha256 hex digest; refusing it keeps paths inside the store."""


class BlobMissing(StoreError, FileNotFoundError):
    def __init__(self, digest: str) -> None:
        super().__init__(f"blob {digest} is not in the file store")
        self.digest = digest


class BlobCorrupt(StoreError):
    def __init__(self, digest: str, actual: str) -> None:
        super().__init__(f"blob {digest} is corrupt: its content hashes to {actual}")
        self.digest = digest
