"""One unprivileged system user per student, named like The Littlest JupyterHub does.

File modes do not stop a process of the same user, so students must not share the hub's
user, nor each other's: `practicum-alice` owns alice's home and nothing else.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PREFIX = "practicum-"
MAX_NAME = 32
"""useradd's limit on Debian (and most Linux systems)."""
_ALLOWED = re.compile(r"[^a-z0-9_-]")
NOLOGIN = "/usr/sbin/nologin"


class UserError(RuntimeError):
    """A system user could not be created; the message says what to do."""


@dataclass(frozen=True)
class SystemUser:
    name: str
    uid: int
    gid: int


def check_prefix(prefix: str) -> str:
    """A prefix must start a valid user name and leave room for the student's."""
    if not re.fullmatch(r"[a-z_][a-z0-9_-]{0,15}", prefix):
        raise ValueError(
            f"{prefix!r} is not a user-name prefix: 1-16 of a-z, 0-9, '_', '-', "
            "not starting with a digit or '-'"
        )
    return prefix


def system_user_name(prefix: str, hub_name: str) -> str:
    """`prefix` + the hub name made safe; a short hash keeps two altered names apart
    (GitHub's 'Alice.B' and 'alice-b' must not share a user)."""
    cleaned = _ALLOWED.sub("-", hub_name.lower())
    name = prefix + cleaned
    if cleaned == hub_name and len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(hub_name.encode()).hexdigest()[:6]
    return f"{name[: MAX_NAME - len(digest) - 1]}-{digest}"


def lookup(name: str) -> SystemUser | None:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return SystemUser(entry.pw_name, entry.pw_uid, entry.pw_gid)


def ensure_user(name: str, home: Path) -> SystemUser:
    """The system user `name`, created on first use (a system account without login or
    password, with a group of its own); `home` is recorded as its home."""
    found = lookup(name)
    if found is not None:
        if found.uid == 0:
            raise UserError(f"{name} is root: refusing to run a student's server as root")
        return found
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    command = [useradd, "--system", "--user-group", "--no-create-home"]
    command += ["--home-dir", str(home), "--shell", NOLOGIN, "--comment", "Practicum student"]
    result = subprocess.run([*command, name], capture_output=True, text=True, check=False)
    found = lookup(name)  # another spawn may have created it at the same moment
    if found is None:
        raise UserError(f"could not create system user {name}: {result.stderr.strip()}")
    return found


def remove_user(name: str) -> None:
    """Delete the account (not its home: a student's files outlive the account)."""
    if lookup(name) is not None:
        userdel = shutil.which("userdel") or "/usr/sbin/userdel"
        subprocess.run([userdel, name], capture_output=True, check=False)


def give_home(home: Path, user: SystemUser) -> None:
    """Make `home` the user's alone (0700): what the hub copied in as root becomes theirs,
    and no other student can look in. Links are never followed: a link the student left
    must not hand them the file it points at."""
    home.mkdir(parents=True, exist_ok=True)
    for folder, dirs, files in os.walk(home):
        for name in [".", *dirs, *files]:
            path = os.path.join(folder, name)
            if os.lstat(path).st_uid != user.uid:
                os.chown(path, user.uid, user.gid, follow_symlinks=False)
    home.chmod(0o700)
