"""The password policy: at least MIN_LENGTH characters and not guessable per zxcvbn."""

from __future__ import annotations

from zxcvbn import zxcvbn

MIN_LENGTH = 10
MIN_SCORE = 3
CHECKED_LENGTH = 200
"""zxcvbn slows down on very long input; longer passwords are judged by this prefix."""


class WeakPassword(ValueError):
    """A password the policy refuses; the message says why."""


def password_problem(password: str, user_name: str = "") -> str | None:
    """Why `password` is refused for `user_name`, or None if it is strong enough."""
    if len(password) < MIN_LENGTH:
        return f"the password must have at least {MIN_LENGTH} characters; it has {len(password)}"
    result = zxcvbn(password[:CHECKED_LENGTH], user_inputs=[user_name] if user_name else [])
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result.get("feedback") or {}
    reasons = [feedback.get("warning") or "", *(feedback.get("suggestions") or [])]
    why = " ".join(reason.strip() for reason in reasons if reason and reason.strip())
    return "the password is too easy to guess" + (f": {why}" if why else "")


def check_password(password: str, user_name: str = "") -> None:
    """Raise WeakPassword with the reason if the policy refuses `password`."""
    problem = password_problem(password, user_name)
    if problem is not None:
        raise WeakPassword(problem)
