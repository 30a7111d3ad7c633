"""Hub users as Practicum users: the hub vouches for who someone is (its login, its
tokens), and Practicum keeps its own row per person for roles, submissions and credits.

The hub already decided who may log in (GitHub organisation, team, or local accounts),
so a user the hub names is created here on first sight instead of being refused.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from practicum import store


@dataclass(frozen=True)
class HubUser:
    """Who the hub says a login or a token belongs to."""

    name: str
    admin: bool = False


class HubUserRefused(Exception):
    """The hub's user cannot be a Practicum user (e.g. a name Practicum cannot store)."""


def hub_user_from_model(model: Mapping[str, object] | None) -> HubUser | None:
    """The person behind a hub user model (GET /hub/api/user); None for services and for
    tokens the hub does not know: a service's token must never act as a student."""
    if not model or model.get("kind", "user") != "user":
        return None
    name = model.get("name")
    if not isinstance(name, str) or not name:
        return None
    return HubUser(name=name, admin=model.get("admin") is True)


def sign_in(session: Session, who: HubUser, staff: Collection[str], now: datetime) -> store.User:
    """The Practicum user of `who`, created on first sight.

    Names listed as staff in practicum.toml and hub admins get the staff role; it is never
    taken away here, since staff may also be made with `practicum users add --role staff`.
    """
    name = who.name.lower()
    should_be_staff = who.admin or name in staff
    user = session.scalar(select(store.User).where(store.User.name == name))
    if user is None:
        try:
            user = store.create_user(
                session, name, "staff" if should_be_staff else "student", now=now
            )
        except store.InvalidName as exc:
            raise HubUserRefused(
                f"the hub user {name!r} cannot use the course site: {exc}"
            ) from None
    elif should_be_staff and user.role != "staff":
        user.role = "staff"
        session.flush()
    return user
