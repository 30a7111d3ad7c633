"""The staff commands as staff meet them: fresh state works, tokens shown once, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner, Result

from practicum import data, store
from practicum.cli import app
from practicum.data import synthetic
from practicum.settings.service import load_config

runner = CliRunner()
HW = "lesson1-fashion-mnist"


@pytest.fixture(autouse=True)
def _state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PRACTICUM_COURSE", "PRACTICUM_DATABASE_URL", "PRACTICUM_SHARED_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("PRACTICUM_PRIVATE_DIR", raising=False)
    monkeypatch.setenv("PRACTICUM_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("PRACTICUM_SYSTEM_DATA", "")  # never the machine's real data sets


def invoke(*args: str, stdin: str | None = None) -> Result:
    return runner.invoke(app, list(args), input=stdin, env={"COLUMNS": "200"})


def _one_error_line(result: Result, fragment: str) -> None:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], lines


def _command_paths() -> list[list[str]]:
    root = get_command(app)
    return [
        [group, name]
        for group, sub in getattr(root, "commands", {}).items()
        for name in getattr(sub, "commands", {})
    ]


@pytest.mark.parametrize("path", _command_paths(), ids=" ".join)
def test_every_command_has_help(path: list[str]) -> None:
    result = invoke(*path, "--help")
    assert result.exit_code == 0 and "Usage" in result.output, result.output


def test_db_upgrade_on_a_fresh_state_is_repeatable(tmp_path: Path) -> None:
    for _ in range(2):
        result = invoke("db", "upgrade")
        assert result.exit_code == 0, result.output
        assert "database is up to date" in result.output
    assert (tmp_path / "state" / "practicum.db").is_file()


def test_users_add_with_password_stdin_then_list() -> None:
    result = invoke(
        "users", "add", "tara", "--role", "staff", "--password-stdin", stdin="Tr0ub4dor&3-s3cret\n"
    )
    assert result.exit_code == 0, result.output
    assert "created staff tara" in result.output and "Tr0ub4dor&3-s3cret" not in result.output
    assert invoke("users", "add", "ann", "--no-password").exit_code == 0
    engine = store.make_engine(load_config().database_url)
    with store.session_scope(engine) as session:
        assert store.verify_password(session, "tara", "Tr0ub4dor&3-s3cret") is not None
        assert store.verify_password(session, "tara", "Tr0ub4dor&3-s3cret\n") is None
    engine.dispose()
    listing = invoke("users", "list").output
    assert "tara" in listing and "staff" in listing and "ann" in listing and "hub only" in listing


def test_users_add_prompts_twice_with_hidden_input() -> None:
    result = invoke("users", "add", "bob", stdin="pw-one-Kettle-9z\npw-one-Kettle-9z\n")
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output and "pw-one-Kettle-9z" not in result.output


def test_users_add_errors_are_one_line() -> None:
    invoke("users", "add", "ann", "--no-password")
    _one_error_line(invoke("users", "add", "ann", "--no-password"), "user 'ann' already exists")
    _one_error_line(invoke("users", "add", "Bad Name", "--no-password"), "user name 'Bad Name'")
    _one_error_line(
        invoke("users", "add", "carl", "--password-stdin", stdin="\n"), "empty password"
    )
    assert invoke("users", "add", "dan", "--role", "admin").exit_code == 2  # click's usage error


def test_users_add_refuses_short_or_weak_passwords_with_the_reason() -> None:
    _one_error_line(
        invoke("users", "add", "carl", "--password-stdin", stdin="x\n"), "at least 10 characters"
    )
    _one_error_line(
        invoke("users", "add", "carl", "--password-stdin", stdin="password123\n"),
        "too easy to guess",
    )
    _one_error_line(  # the user's own name does not make a password strong
        invoke("users", "add", "carlosmith", "--password-stdin", stdin="carlosmith1\n"),
        "too easy to guess",
    )
    assert "carl" not in invoke("users", "list").output


def test_tokens_create_prints_the_token_once_and_it_works() -> None:
    invoke("users", "add", "ann", "--no-password")
    result = invoke("tokens", "create", "ann", "--label", "laptop")
    assert result.exit_code == 0, result.output
    tokens = [w for w in result.output.split() if w.startswith("pk_")]
    assert len(tokens) == 1 and "shown only once" in result.output
    engine = store.make_engine(load_config().database_url)
    with store.session_scope(engine) as session:
        user = store.user_for_token(session, tokens[0])
        assert user is not None and user.name == "ann"
    listing = invoke("tokens", "list", "ann").output
    assert "laptop" in listing and tokens[0] not in listing
    revoked = invoke("tokens", "revoke", "ann", "1")
    assert revoked.exit_code == 0 and "revoked token 1 of ann" in revoked.output
    with store.session_scope(engine) as session:
        assert store.user_for_token(session, tokens[0]) is None
    engine.dispose()
    _one_error_line(invoke("tokens", "revoke", "ann", "1"), "token 1 is not a live token of ann")
    _one_error_line(invoke("tokens", "create", "zed"), "no user 'zed'")


def test_publish_then_list_shows_published(tmp_path: Path) -> None:
    listing = invoke("homework", "list")
    assert listing.exit_code == 0 and "not published" in listing.output
    folder = synthetic.write_mnist_like(tmp_path / "raw", n_train=30, n_test=20)
    data.import_files("fashion-mnist", [folder], verify=False)
    result = invoke("homework", "publish", HW)
    assert result.exit_code == 0, result.output
    assert "x_train (30, 28, 28)" in result.output and "20 (6 public, 14 private)" in result.output
    assert "drew a new split" in result.output
    again = invoke("homework", "publish", HW)
    assert "kept the published split" in again.output
    listing = invoke("homework", "list")
    row = next(line for line in listing.output.splitlines() if HW in line)
    assert "published 20" in row and "not published" not in row


def test_publish_errors_are_one_line() -> None:
    _one_error_line(invoke("homework", "publish", "nope"), "has no homework 'nope'")
    _one_error_line(invoke("homework", "publish", HW), "fashion-mnist/train is not in the cache")
