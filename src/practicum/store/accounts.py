"""Users, passwords and API tokens.

Passwords are stored as argon2 hashes and tokens as sha256 hashes: a copy of the
database gives an attacker neither. Like `ops`, nothing here commits.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from practicum.store.db import fits_row_id
from practicum.store.errors import InvalidName, UserExists
from practicum.store.models import ROLES, ApiToken, User, utcnow

USER_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{1,38}")
TOKEN_PREFIX = "pk_"

_hasher = PasswordHasher()


def create_user(
    session: Session,
    name: str,
    role: str,
    password: str | None = None,
    *,
    now: datetime | None = None,
) -> User:
    """A new user; `password=None` for hub-only logins. `now` defaults to the current time."""
    if not USER_NAME.fullmatch(name):
        raise InvalidName(
            f"user name {name!r} must be 2-39 characters of a-z, 0-9, '_', '.', '-' "
            "and start with a letter or digit"
        )
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise UserExists(name)
    user = User(
        name=name,
        role=role,
        password_hash=None if password is None else _hasher.hash(password),
        created_at=now or utcnow(),
        admitted=True,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent create of the same name won the race
        raise UserExists(name) from exc
    return user


def set_password(session: Session, user: User, password: str | None) -> None:
    """A new password (or none) also ends every session of the user's."""
    user.password_hash = None if password is None else _hasher.hash(password)
    end_sessions(session, user)


def end_sessions(session: Session, user: User) -> None:
    """Every session cookie issued to `user` so far stops working (each carries the epoch)."""
    user.session_epoch = (user.session_epoch or 0) + 1
    session.flush()


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def verify_password(session: Session, name: str, password: str) -> User | None:
    """The user if the password matches, else None.

    Unknown names cost one argon2 check too, so response times do not reveal which
    names exist; a hash made with older parameters is upgraded on success.
    """
    user = session.scalar(select(User).where(User.name == name))
    stored = user.password_hash if user is not None else None
    try:
        _hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or stored is None:
        return None
    if _hasher.check_needs_rehash(stored):  # same password: sessions stay valid
        user.password_hash = _hasher.hash(password)
        session.flush()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, label: str, *, now: datetime | None = None) -> str:
    """A new API token for `user`. Only its hash is stored: show the returned text once."""
    if not label.strip() or len(label) > 100:
        raise ValueError(f"token label must be 1-100 characters; got {len(label)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id, label=label, token_hash=_token_hash(token), created_at=now or utcnow()
        )
    )
    session.flush()
    return token


def user_for_token(session: Session, token: str, *, now: datetime | None = None) -> User | None:
    """The owner of a live token (recording `now`, default the current time, as its last use)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return None
    row.last_used_at = now or utcnow()
    session.flush()
    return row.user


def tokens_for(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    )


def revoke_token(
    session: Session, user: User, token_id: int, *, now: datetime | None = None
) -> bool:
    """Revoke one of `user`'s tokens; False if it is not theirs or already revoked."""
    row = session.get(ApiToken, token_id) if fits_row_id(token_id) else None
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        return False
    row.revoked_at = now or utcnow()
    session.flush()
    return True
