"""`practicum up` (the course on one machine) and `practicum credits list|grant`.

`up` prepares everything that must exist before JupyterHub starts (its config file, the
course database, a first staff account), then runs `jupyterhub` as a child in its own
process group and forwards Ctrl-C and SIGTERM to it exactly once, so the hub shuts its
proxy, services and notebook servers down cleanly.

The credit commands work on the course service's database inside the hub's state
folder (practicum.toml's [hub] state), the one the dashboard and the metering loop use.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from practicum import store
from practicum.atomic import write_text_atomic
from practicum.cli_state import course_config
from practicum.hub.credits import format_credits, parse_credits
from practicum.hub.isolation import NOT_ISOLATED, Isolation
from practicum.hub.isolation import resolve as resolve_isolation
from practicum.hub.jupyterhub_config import (
    config_file_text,
    find_proxy,
    service_config,
    venv_command,
)
from practicum.hub.settings import HubSettings, load_settings, settings_path
from practicum.owner_only import owner_only_dir
from practicum.store import credits as ledger

credits_app = typer.Typer(
    help="Credits for notebook servers: balances, history, grants.", no_args_is_help=True
)
console = Console(highlight=False)
err = Console(stderr=True, highlight=False)
T = TypeVar("T")

FIRST_STAFF = "staff"
PASSWORD_FILE = "staff_password"
CONFIG_FILE = "jupyterhub_config.py"
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="practicum.toml (default: $PRACTICUM_CONFIG, else ./practicum.toml, else defaults).",
    ),
]


def _run(action: Callable[[], T]) -> T:
    """Turn the errors users can fix into one red line and exit status 1."""
    try:
        return action()
    except (store.StoreError, ValueError, FileNotFoundError, OSError) as exc:
        err.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from None


# ---------------------------------------------------------------------------------------------
# practicum up


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


def up(
    config: ConfigOption = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Prepare (config, database, staff login); start nothing."),
    ] = False,
) -> None:
    """Run the course: JupyterHub, its proxy, and the course service as a hub service."""
    settings = _run(lambda: load_settings(config or settings_path()))
    prepared = _run(lambda: prepare(settings))
    busy = [] if dry_run else busy_ports(settings)
    if busy:
        where = settings.source or "practicum.toml"
        err.print(
            f"[red]error:[/red] in use: {', '.join(busy)}; "
            f"set other ports in {escape('[hub]')} of {where}",
            soft_wrap=True,
        )
        raise typer.Exit(1)
    console.print(f"Practicum on [bold]{settings.base_url}/[/bold]", soft_wrap=True)
    console.print(f"  staff login: {escape(prepared.staff_login)}", soft_wrap=True)
    console.print(f"  state:       {settings.state}", soft_wrap=True)
    console.print(
        "  staff tools: practicum users add NAME, practicum homework publish ID, "
        "practicum credits list (run beside the same practicum.toml)",
        soft_wrap=True,
    )
    if prepared.isolation == "users":
        console.print(
            "  isolation:   each student's server runs as their own system user in a sandbox"
        )
    else:
        console.print(f"[yellow]warning:[/yellow] {NOT_ISOLATED}", soft_wrap=True)
    if dry_run:
        console.print(f"  would run:   {' '.join(prepared.command)}", soft_wrap=True)
        return
    console.print("Starting JupyterHub (Ctrl-C stops it and every notebook server)...")
    status = run_hub(prepared.command, settings.state)
    raise typer.Exit(status if status >= 0 else 128 - status)


# ---------------------------------------------------------------------------------------------
# practicum credits


def _with_session(action: Callable[[Session], T], *, read_only: bool = False) -> T:
    def run() -> T:
        database_url = course_config().database_url
        store.upgrade(database_url)
        engine: Engine = store.make_engine(database_url)
        try:
            with store.session_scope(engine, read_only=read_only) as session:
                return action(session)
        finally:
            engine.dispose()

    return _run(run)


def _user(session: Session, name: str) -> store.User:
    user = session.scalar(select(store.User).where(store.User.name == name.lower()))
    if user is None:
        raise store.StoreError(f"no user {name!r} (see: practicum credits list)")
    return user


def _granting_staff(session: Session, name: str | None) -> store.User:
    if name is not None:
        return _user(session, name)
    staff = list(session.scalars(select(store.User).where(store.User.role == "staff")))
    if len(staff) != 1:
        names = ", ".join(u.name for u in staff) or "none"
        raise store.StoreError(f"say who grants with --by NAME (staff accounts: {names})")
    return staff[0]


@credits_app.command("list")
def credits_list(
    user: Annotated[
        str | None, typer.Option("--user", help="Show this user's history instead.")
    ] = None,
) -> None:
    """Every user's balance, or one user's history (newest first)."""

    def every_balance(session: Session) -> None:
        amounts = ledger.balances(session)
        table = Table("user", "role", "admitted", "balance")
        for person in session.scalars(select(store.User).order_by(store.User.name)):
            admitted = "yes" if person.admitted else "no"
            balance = format_credits(amounts.get(person.id, 0))
            table.add_row(person.name, person.role, admitted, balance)
        console.print(table)

    def one_history(session: Session) -> None:
        person = _user(session, user or "")
        table = Table("when", "kind", "credits", "by", "why")
        for entry in ledger.history(session, person):
            table.add_row(
                f"{entry.created_at:%Y-%m-%d %H:%M %Z}",
                entry.kind,
                format_credits(entry.amount_mc),
                entry.actor,
                entry.reason,
            )
        console.print(table)
        console.print(
            f"{person.name}: balance {format_credits(ledger.balance_mc(session, person))}"
        )

    _with_session(one_history if user else every_balance, read_only=True)


@credits_app.command("grant")
def credits_grant(
    student: Annotated[str, typer.Argument(help="Who receives the credits.")],
    amount: Annotated[str, typer.Argument(help="Credits; to take some back: -- -2.5")],
    reason: Annotated[str, typer.Option("--reason", help="Why (shown in their history).")],
    by: Annotated[
        str | None, typer.Option("--by", help="Staff member granting (default: the only one).")
    ] = None,
) -> None:
    """Give a student credits (recorded with who and why)."""

    def grant(session: Session) -> None:
        receiver = _user(session, student)
        giver = _granting_staff(session, by)
        amount_mc = parse_credits(amount)
        now = datetime.now(UTC)
        balance = ledger.staff_grant(session, giver, receiver, amount_mc, reason, now)
        console.print(
            f"{giver.name} granted {format_credits(amount_mc)} credits to {receiver.name}: "
            f"balance {format_credits(balance)}"
        )

    _with_session(grant)
