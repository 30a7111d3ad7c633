"""Where the service keeps its state, from PRACTICUM_* variables, with one-folder defaults.

Layout under the state folder (default: $PRACTICUM_HOME/service):
    practicum.db        SQLite database (PRACTICUM_DATABASE_URL for PostgreSQL)
    blobs/              submitted files, content-addressed
    private/<hw>/       hidden y_test and the public/private split: never served
    shared/<hw>/        public homework files (x_train, y_train, x_test, README): students read these
    secret_key          signs session cookies and CSRF tokens (created on first start)
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from practicum import settings
from practicum.atomic import write_text_atomic
from practicum.course import Course, demo_course, load_course
from practicum.owner_only import owner_only_dir


@dataclass(frozen=True)
class ServiceConfig:
    state: Path
    database_url: str
    shared_dir: Path
    private_dir: Path
    blob_dir: Path
    course_path: Path | None
    """None: the demo course that ships with Practicum."""
    max_upload_bytes: int = 50 * 2**20
    policy_wall_seconds: float = 900.0
    """How long the worker lets a submitted policy play all its games."""
    policy_memory_bytes: int = 3 * 2**30
    """Memory a policy's sandbox may use (a cgroup limit)."""
    policy_parallel: int = 1
    """Policies the worker plays at once, each on one CPU core."""

    def course(self) -> Course:
        return load_course(self.course_path) if self.course_path else demo_course()

    def prepare_state(self) -> None:
        """The state folder and its private parts, owner-only (0700). The shared homework
        folder inside stays readable: students' sandboxes bind it on its own."""
        owner_only_dir(self.state)
        for folder in (self.blob_dir, self.private_dir):
            owner_only_dir(folder)

    def secret_key(self) -> str:
        """A per-installation secret, created once with owner-only permissions."""
        path = self.state / "secret_key"
        if not path.exists():
            owner_only_dir(self.state)
            write_text_atomic(path, secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip()


def load_config(environ: Mapping[str, str] | None = None) -> ServiceConfig:
    """The config from `environ` (default: this process's environment); passing another
    process's environment tells what that process will read without touching os.environ."""
    environ = os.environ if environ is None else environ
    env = environ.get
    state = Path(env("PRACTICUM_STATE") or settings.state_home(environ) / "service").expanduser()
    course = env("PRACTICUM_COURSE")
    return ServiceConfig(
        state=state,
        database_url=env("PRACTICUM_DATABASE_URL") or f"sqlite:///{state / 'practicum.db'}",
        shared_dir=Path(env("PRACTICUM_SHARED_DIR") or state / "shared").expanduser(),
        private_dir=Path(env("PRACTICUM_PRIVATE_DIR") or state / "private").expanduser(),
        blob_dir=state / "blobs",
        course_path=Path(course).expanduser() if course else None,
        max_upload_bytes=int(env("PRACTICUM_MAX_UPLOAD_MB") or 50) * 2**20,
        policy_wall_seconds=float(env("PRACTICUM_POLICY_WALL_SECONDS") or 900),
        policy_memory_bytes=int(env("PRACTICUM_POLICY_MEMORY_MB") or 3072) * 2**20,
        policy_parallel=max(1, int(env("PRACTICUM_POLICY_PARALLEL") or 1)),
    )
