from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select, text
from store_helpers import NOON

from practicum.store import (
    ApiToken,
    InvalidName,
    User,
    UserExists,
    create_token,
    create_user,
    revoke_token,
    session_scope,
    tokens_for,
    user_for_token,
    verify_password,
)


def test_passwords_are_stored_as_argon2_hashes_and_checked(engine: Engine) -> None:
    with session_scope(engine) as session:
        create_user(session, "ann", "student", "correct horse", now=NOON)
    with session_scope(engine) as session:
        stored = session.scalar(text("SELECT password_hash FROM users WHERE name = 'ann'"))
        assert stored.startswith("$argon2id$") and "correct horse" not in stored
        user = verify_password(session, "ann", "correct horse")
        assert user is not None and user.name == "ann" and user.created_at == NOON
        assert verify_password(session, "ann", "wrong") is None
        assert verify_password(session, "nobody", "correct horse") is None


def test_hub_only_users_have_no_password_to_guess(engine: Engine) -> None:
    with session_scope(engine) as session:
        user = create_user(session, "gh-user", "student")
        assert user.password_hash is None and user.admitted
        assert verify_password(session, "gh-user", "") is None


def test_weak_old_hashes_are_upgraded_on_login(engine: Engine) -> None:
    with session_scope(engine) as session:
        user = create_user(session, "ann", "student")
        user.password_hash = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash("pw")
    with session_scope(engine) as session:
        assert verify_password(session, "ann", "pw") is not None
    with session_scope(engine) as session:
        upgraded = session.scalar(select(User.password_hash).where(User.name == "ann"))
    assert upgraded is not None and not PasswordHasher().check_needs_rehash(upgraded)


@pytest.mark.parametrize("name", ["a", "Ann", "-ann", "ann smith", "a" * 40, "änn", "ann/.."])
def test_bad_user_names_are_refused(engine: Engine, name: str) -> None:
    with session_scope(engine) as session, pytest.raises(InvalidName, match="user name"):
        create_user(session, name, "student")


def test_duplicate_names_and_unknown_roles_are_refused(engine: Engine) -> None:
    with session_scope(engine) as session:
        create_user(session, "ann.b_2-x", "staff")
    with session_scope(engine) as session, pytest.raises(UserExists, match=r"'ann\.b_2-x' already"):
        create_user(session, "ann.b_2-x", "student")
    with session_scope(engine) as session, pytest.raises(ValueError, match="role must be"):
        create_user(session, "carl", "admin")


def test_tokens_are_shown_once_stored_hashed_and_identify_their_user(engine: Engine) -> None:
    with session_scope(engine) as session:
        ann = create_user(session, "ann", "student")
        token = create_token(session, ann, "notebook", now=NOON)
        other = create_token(session, create_user(session, "bob", "student"), "cli", now=NOON)
    assert token.startswith("pk_") and len(token) > 40 and token != other
    with session_scope(engine) as session:
        stored = session.scalars(select(ApiToken.token_hash)).all()
        assert hashlib.sha256(token.encode()).hexdigest() in stored
        assert all(token not in h and other not in h for h in stored)
        used_at = NOON + timedelta(hours=1)
        owner = user_for_token(session, token, now=used_at)
        assert owner is not None and owner.name == "ann"
        assert tokens_for(session, owner)[0].last_used_at == used_at
        assert user_for_token(session, token + "x") is None
        assert user_for_token(session, token.removeprefix("pk_")) is None


def test_revoked_tokens_stop_working_and_only_the_owner_can_revoke(engine: Engine) -> None:
    with session_scope(engine) as session:
        ann = create_user(session, "ann", "student")
        bob = create_user(session, "bob", "student")
        token = create_token(session, ann, "notebook")
        token_id = tokens_for(session, ann)[0].id
        assert not revoke_token(session, bob, token_id)
        assert user_for_token(session, token) is not None
        assert revoke_token(session, ann, token_id, now=NOON)
        assert not revoke_token(session, ann, token_id)
    with session_scope(engine) as session:
        assert user_for_token(session, token) is None
        assert tokens_for(session, ann)[0].revoked_at == NOON
