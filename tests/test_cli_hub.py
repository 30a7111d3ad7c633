"""`practicum up` (prepared, not started) and `practicum credits` as staff meet them."""

from __future__ import annotations

import os
import signal
import socket
import stat
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from practicum import store
from practicum.cli import app
from practicum.hub import jupyterhub_config
from practicum.hub.supervise import busy_ports, run_hub
from practicum.settings.hub import PASSED_THROUGH, load_settings

runner = CliRunner()


@pytest.fixture
def toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """practicum.toml with its state in tmp, and a stand-in proxy inside sys.prefix."""
    chp = tmp_path / "venv" / jupyterhub_config.PROXY_RELATIVE
    chp.parent.mkdir(parents=True)
    chp.write_text("#!/bin/sh\n")
    chp.chmod(0o755)
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    for name in PASSED_THROUGH:
        if name not in ("PRACTICUM_HOME", "PRACTICUM_DATA"):
            monkeypatch.delenv(name, raising=False)
    path = tmp_path / "practicum.toml"
    path.write_text('[hub]\nstate = "hubstate"\nport = 18000\n[gpus]\ndevices = []\n')
    monkeypatch.setenv("PRACTICUM_CONFIG", str(path))
    return path


def invoke(*args: str) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def one_error_line(result: Result, fragment: str) -> None:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], lines


def database_url(toml: Path) -> str:
    return f"sqlite:///{toml.parent / 'hubstate' / 'service' / 'practicum.db'}"


def test_up_prepares_config_database_and_first_staff_login(toml: Path) -> None:
    result = invoke("up", "--dry-run")
    assert result.exit_code == 0, result.output
    state = toml.parent / "hubstate"
    password_file = state / "staff_password"
    password = password_file.read_text().strip()
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert "Practicum on http://127.0.0.1:18000/" in result.output
    assert f"staff login: staff / {password}" in result.output
    assert "staff tools: practicum users add NAME" in result.output
    config_file = state / "jupyterhub_config.py"
    assert f"load_settings(Path({str(toml)!r}))" in config_file.read_text()
    assert f"would run:   {Path(sys.executable).parent / 'jupyterhub'} -f {config_file}" in (
        result.output
    )
    engine = store.make_engine(database_url(toml))
    with store.session_scope(engine) as session:
        staff = store.verify_password(session, "staff", password)
        assert staff is not None and staff.role == "staff"
    engine.dispose()

    listed = invoke("users", "list")  # staff tools reach the hub's database unprompted
    assert listed.exit_code == 0 and "staff" in listed.output, listed.output

    again = invoke("up", "--dry-run")  # nothing is recreated
    assert again.exit_code == 0 and f"staff / {password}" in again.output
    assert password_file.read_text().strip() == password


def test_up_with_existing_staff_creates_none(toml: Path) -> None:
    url = database_url(toml)
    store.upgrade(url)
    engine = store.make_engine(url)
    with store.session_scope(engine) as session:
        store.create_user(session, "prof", "staff", "pw-12345678")
    result = invoke("up", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "staff login: prof (their own passwords)" in result.output
    with store.session_scope(engine) as session:
        assert session.scalars(select(store.User.name)).all() == ["prof"]
    engine.dispose()
    assert not (toml.parent / "hubstate" / "staff_password").exists()


def test_up_with_github_names_the_staff(toml: Path) -> None:
    toml.write_text(
        toml.read_text()
        + '[auth]\nkind = "github"\nstaff = ["prof"]\n[auth.github]\norganizations = ["dl"]\n'
    )
    result = invoke("up", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "staff login: staff: prof (log in with GitHub)" in result.output


def test_up_errors_are_one_line(
    toml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml.write_text("[hub]\nprot = 1\n")
    one_error_line(invoke("up", "--dry-run"), "hub: unknown key 'prot' (did you mean 'port'?)")
    toml.write_text("")
    (tmp_path / "venv" / jupyterhub_config.PROXY_RELATIVE).unlink()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    one_error_line(invoke("up", "--dry-run"), "run scripts/setup.sh")


def test_busy_ports_are_named(toml: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        toml.write_text(f"[hub]\nstate = 'hubstate'\nport = {port}\nservice_port = {port}\n")
        assert busy_ports(load_settings(toml)) == [f"port {port}", f"service_port {port}"]
        one_error_line(invoke("up"), f"set other ports in [hub] of {toml}")


@pytest.mark.parametrize("parent_ignored_sigint", [False, True])
def test_ctrl_c_reaches_the_hub_once(tmp_path: Path, parent_ignored_sigint: bool) -> None:
    """The hub (here: a Python child with default handling) stops on one forwarded SIGINT,
    even when `practicum up` itself was started with SIGINT ignored (`cmd &` in a script)."""
    ready = tmp_path / "ready"
    child = f"import time\nopen({str(ready)!r}, 'w').close()\ntime.sleep(20)\n"

    def press_ctrl_c() -> None:
        deadline = time.monotonic() + 10
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    if parent_ignored_sigint:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        threading.Thread(target=press_ctrl_c, daemon=True).start()
        started = time.monotonic()
        status = run_hub([sys.executable, "-c", child], tmp_path)
        expected_handler = signal.SIG_IGN if parent_ignored_sigint else signal.default_int_handler
        assert signal.getsignal(signal.SIGINT) is expected_handler
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    assert status == -signal.SIGINT  # died of KeyboardInterrupt: it got exactly that signal
    assert time.monotonic() - started < 10


def _users(toml: Path, *people: tuple[str, str]) -> None:
    url = database_url(toml)
    store.upgrade(url)
    engine = store.make_engine(url)
    with store.session_scope(engine) as session:
        for name, role in people:
            store.create_user(session, name, role, None)
    engine.dispose()


def test_credits_grant_list_and_history(toml: Path) -> None:
    _users(toml, ("prof", "staff"), ("alice", "student"), ("bob", "student"))
    result = invoke("credits", "grant", "alice", "12.5", "--reason", "GPU-heavy project")
    assert result.exit_code == 0, result.output
    assert "prof granted 12.50 credits to alice: balance 12.50" in result.output
    taken = invoke(
        "credits", "grant", "--reason", "double grant", "--by", "prof", "Alice", "--", "-2.25"
    )
    assert "balance 10.25" in taken.output

    listing = invoke("credits", "list")
    assert listing.exit_code == 0, listing.output
    rows = {line.split()[1]: line.split() for line in listing.output.splitlines() if "│" in line}
    assert rows["alice"][-2] == "10.25" and rows["bob"][-2] == "0.00"

    history = invoke("credits", "list", "--user", "alice")
    assert history.exit_code == 0, history.output
    assert history.output.index("double grant") < history.output.index("GPU-heavy project")
    assert "adjust" in history.output and "prof" in history.output
    assert "alice: balance 10.25" in history.output


def test_credits_errors_are_one_line(toml: Path) -> None:
    _users(toml, ("prof", "staff"), ("ta", "staff"), ("alice", "student"))
    one_error_line(invoke("credits", "grant", "alice", "5", "--reason", "x"), "--by NAME")
    one_error_line(
        invoke("credits", "grant", "alice", "5", "--reason", "x", "--by", "alice"),
        "'alice' is not staff",
    )
    one_error_line(
        invoke("credits", "grant", "zed", "5", "--reason", "x", "--by", "prof"), "no user 'zed'"
    )
    one_error_line(
        invoke("credits", "grant", "alice", "0", "--reason", "x", "--by", "prof"), "zero"
    )
    one_error_line(  # the web form's typo guard holds here too
        invoke("credits", "grant", "alice", "1e9", "--reason", "x", "--by", "prof"), "limited to"
    )
    one_error_line(invoke("credits", "list", "--user", "zed"), "no user 'zed'")


def test_up_says_whether_servers_are_isolated(toml: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as laptop:  # one trusting user, no root
        laptop.setattr(os, "geteuid", lambda: 1000)
        result = invoke("up", "--dry-run")
        assert result.exit_code == 0, result.output
        warning = [line for line in result.output.splitlines() if "NOT isolated" in line]
        assert len(warning) == 1 and warning[0].startswith("warning: ")
        toml.write_text(toml.read_text() + '[isolation]\nmode = "users"\n')
        one_error_line(invoke("up", "--dry-run"), 'mode = "users" needs root')
    if os.geteuid() == 0:  # as CI runs: isolated by default
        toml.write_text(toml.read_text().replace('mode = "users"', 'mode = "auto"'))
        result = invoke("up", "--dry-run")
        assert "runs as their own system user in a sandbox" in result.output, result.output
        assert "NOT isolated" not in result.output and str(toml.parent) in result.output
