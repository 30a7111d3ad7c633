"""Starting and supervising the hub of `practicum up`.

Before JupyterHub starts, everything it needs must exist (its config file, the course
database, a first staff account); then it runs as a child in its own process group, and
Ctrl-C or SIGTERM is forwarded to it exactly once, so the hub shuts its proxy, services
and notebook servers down cleanly.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from sqlalchemy import select
from sqlalchemy.orm import Session

from practicum import store
from practicum.atomic import write_text_atomic
from practicum.hub.isolation import Isolation
from practicum.hub.isolation import resolve as resolve_isolation
from practicum.hub.jupyterhub_config import (
    config_file_text,
    find_proxy,
    venv_command,
)
from practicum.owner_only import owner_only_dir
from practicum.settings.hub import HubSettings, service_config

FIRST_STAFF = "staff"
PASSWORD_FILE = "staff_password"
CONFIG_FILE = "jupyterhub_config.py"


@dataclass(frozen=True)
class Prepared:
    settings: HubSettings
    config_file: Path
    command: list[str]
    staff_login: str
    """What to tell the operator about logging in as staff."""
    isolation: Isolation


def prepare(settings: HubSettings) -> Prepared:
    """Everything before the hub starts; safe to repeat (nothing is recreated)."""
    find_proxy()  # fail now, with the fix, rather than in the hub's log
    isolation = resolve_isolation(settings)  # likewise: bubblewrap missing, root needed
    owner_only_dir(settings.state)
    config_file = write_text_atomic(settings.state / CONFIG_FILE, config_file_text(settings))
    database_url = service_config(settings).database_url
    store.upgrade(database_url)
    if settings.auth.kind == "github":
        staff = ", ".join(settings.auth.staff) or "nobody yet (list GitHub logins in [auth] staff)"
        login = f"staff: {staff} (log in with GitHub)"
    else:
        engine = store.make_engine(database_url)
        try:
            with store.session_scope(engine) as session:
                login = ensure_staff(session, settings.state / PASSWORD_FILE)
        finally:
            engine.dispose()
    command = [venv_command("jupyterhub"), "-f", str(config_file)]
    return Prepared(settings, config_file, command, login, isolation)


def ensure_staff(session: Session, password_file: Path) -> str:
    """Create the first staff account when there is no staff at all; say how to log in."""
    names = list(
        session.scalars(
            select(store.User.name).where(store.User.role == "staff").order_by(store.User.id)
        )
    )
    if not names:
        password = secrets.token_urlsafe(12)
        store.create_user(session, FIRST_STAFF, "staff", password)
        password_file.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(password_file, password + "\n")
        password_file.chmod(0o600)
        names = [FIRST_STAFF]
    if FIRST_STAFF in names and password_file.is_file():
        password = password_file.read_text(encoding="utf-8").strip()
        return f"{FIRST_STAFF} / {password}  (kept in {password_file})"
    return f"{', '.join(names)} (their own passwords)"


def busy_ports(settings: HubSettings) -> list[str]:
    """Which of the hub's ports something else already listens on."""
    wanted = {
        "port": (settings.ip or "0.0.0.0", settings.port),
        "hub_port": ("127.0.0.1", settings.hub_port),
        "proxy_api_port": ("127.0.0.1", settings.proxy_api_port),
        "service_port": ("127.0.0.1", settings.service_port),
    }
    busy = []
    for key, (host, port) in wanted.items():
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            # as servers do: a port left in TIME_WAIT by the last run is free to use
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                busy.append(f"{key} {port}")
    return busy


def run_hub(command: list[str], cwd: Path) -> int:
    """Run the hub in its own process group; forward Ctrl-C / SIGTERM once; its exit status."""
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")])
    children: list[subprocess.Popen[bytes]] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)

    # Handlers first: a handled signal starts at its default in the child, while an ignored
    # one (SIGINT under `nohup` or `cmd &` in a script) would stay ignored all the way down
    # to the hub's services, which then ignore the hub's request to stop.
    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        children.append(subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True))
        return children[0].wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
