"""configure(): the hub's whole configuration from practicum.toml, on a plain traitlets Config."""

from __future__ import annotations

import os
import stat
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from practicum.grading import policy_sandbox
from practicum.hub import jupyterhub_config as hub_config
from practicum.hub.culler import culler_config_text, make_arbiter
from practicum.hub.jupyterhub_config import HubConfigError, config_file_text, configure
from practicum.hub.spawn_hook import SpawnCheck
from practicum.settings.hub import DEFAULT_PROFILES, PASSED_THROUGH, HubSettings, load_settings

SETTINGS = """\
[hub]
port = 18000
hub_port = 18081
proxy_api_port = 18001
service_port = 18002
state = "state"
notebooks = "exercise"

[auth]
staff = ["alice"]

[gpus]
devices = ["0"]
"""


@pytest.fixture
def proxy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in proxy where scripts/setup.sh puts the real one (inside sys.prefix)."""
    prefix = tmp_path / "venv"
    chp = prefix / hub_config.PROXY_RELATIVE
    chp.parent.mkdir(parents=True)
    chp.write_text("#!/bin/sh\n")
    chp.chmod(0o755)
    monkeypatch.setattr(sys, "prefix", str(prefix))
    return chp


@pytest.fixture
def settings(tmp_path: Path, proxy: Path, monkeypatch: pytest.MonkeyPatch) -> HubSettings:
    for name in PASSED_THROUGH:
        if name not in ("PRACTICUM_HOME", "PRACTICUM_DATA"):
            monkeypatch.delenv(name, raising=False)
    path = tmp_path / "practicum.toml"
    path.write_text(SETTINGS)
    return load_settings(path)


def configured(settings: HubSettings) -> Any:
    c = Config()
    configure(c, settings)
    return c


def test_hub_addresses_and_state_in_one_folder(settings: HubSettings, proxy: Path) -> None:
    c = configured(settings)
    state = settings.state
    assert c.JupyterHub.bind_url == "http://127.0.0.1:18000/"
    assert c.JupyterHub.hub_bind_url == "http://127.0.0.1:18081"
    assert c.JupyterHub.db_url == f"sqlite:///{state / 'jupyterhub.sqlite'}"
    assert Path(c.JupyterHub.cookie_secret_file).parent == state
    assert Path(c.JupyterHub.pid_file).parent == state
    assert c.JupyterHub.default_url == "/services/practicum/"
    assert c.ConfigurableHTTPProxy.command == [str(proxy)]
    assert c.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:18001"
    assert Path(c.ConfigurableHTTPProxy.pid_file).parent == state
    assert stat.S_IMODE(state.stat().st_mode) == 0o700


def test_secrets_are_kept_and_stable(settings: HubSettings) -> None:
    first, second = configured(settings), configured(settings)
    token_file = settings.state / "practicum_api_token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    service = first.JupyterHub.services[0]
    assert service["api_token"] == token_file.read_text().strip() != ""
    assert second.JupyterHub.services[0]["api_token"] == service["api_token"]
    assert first.ConfigurableHTTPProxy.auth_token == second.ConfigurableHTTPProxy.auth_token
    assert first.ConfigurableHTTPProxy.auth_token != service["api_token"]


def test_local_login_checks_practicums_accounts(settings: HubSettings) -> None:
    c = configured(settings)
    assert c.JupyterHub.authenticator_class == (
        "practicum.hub.authenticator.PracticumAuthenticator"
    )
    db = settings.state / "service" / "practicum.db"
    assert c.PracticumAuthenticator.database_url == f"sqlite:///{db}"
    assert c.Authenticator.admin_users == {"alice"}


def test_github_login_needs_its_secrets(
    settings: HubSettings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "github.toml"
    path.write_text(SETTINGS + '\n[auth.github]\norganizations = ["dl"]\nteams = ["dl:ta"]\n')
    path.write_text(path.read_text().replace("[auth]\n", '[auth]\nkind = "github"\n'))
    github = load_settings(path)
    monkeypatch.delenv("GITHUB_CLIENT_ID", raising=False)
    monkeypatch.setenv("GITHUB_CLIENT_SECRET", "s3cret")
    with pytest.raises(HubConfigError, match="GitHub login needs GITHUB_CLIENT_ID set"):
        configured(github)
    monkeypatch.setenv("GITHUB_CLIENT_ID", "id-123")
    c = configured(github)
    assert c.JupyterHub.authenticator_class == "oauthenticator.github.GitHubOAuthenticator"
    assert (c.GitHubOAuthenticator.client_id, c.GitHubOAuthenticator.client_secret) == (
        "id-123",
        "s3cret",
    )
    assert c.GitHubOAuthenticator.allowed_organizations == {"dl", "dl:ta"}
    assert c.GitHubOAuthenticator.oauth_callback_url == "http://127.0.0.1:18000/hub/oauth_callback"
    assert c.Authenticator.admin_users == {"alice"}


def test_spawner_runs_the_venvs_server_in_homes_under_state(settings: HubSettings) -> None:
    c = configured(settings)
    assert c.JupyterHub.spawner_class == "practicum.hub.spawner.PracticumSpawner"
    (single_user,) = c.Spawner.cmd
    assert Path(single_user) == Path(sys.executable).parent / "jupyterhub-singleuser"
    assert c.Spawner.default_url == "/lab"
    assert "--LabApp.news_url=None" in c.Spawner.args  # no news prompt, no PyPI check
    # Jupyter refuses root unless told (containers often run as root); isolated servers
    # run as the student's own user
    isolated = c.PracticumSpawner.isolated
    assert isolated == (os.geteuid() == 0)
    assert ("--allow-root" in c.Spawner.args) == (os.geteuid() == 0 and not isolated)
    assert "access:services!service=practicum" in c.Spawner.server_token_scopes
    assert c.PracticumSpawner.hidden_dirs == [str(settings.state)]
    hub_db = settings.state / "jupyterhub.sqlite"
    assert c.JupyterHub.db_url == f"sqlite:///{hub_db}"
    assert stat.S_IMODE(hub_db.stat().st_mode) == 0o600  # every user's tokens are in there
    assert c.PracticumSpawner.home_dir_template == str(settings.state / "homes" / "{username}")
    assert c.PracticumSpawner.profiles == DEFAULT_PROFILES
    assert c.PracticumSpawner.default_profile == "cpu"
    assert c.PracticumSpawner.practicum_url == "http://127.0.0.1:18000/services/practicum"
    assert c.PracticumSpawner.notebooks_dir == str(settings.state.parent / "exercise")
    assert c.PracticumSpawner.homework_dir == str(settings.state / "service" / "shared")
    hook = c.Spawner.pre_spawn_hook
    assert isinstance(hook, SpawnCheck)
    assert hook.url == "http://127.0.0.1:18002/services/practicum/hub/spawn-check"
    assert hook.token == c.JupyterHub.services[0]["api_token"]


def test_practicum_runs_as_a_hub_service(settings: HubSettings) -> None:
    c = configured(settings)
    practicum, culler, *worker = c.JupyterHub.services
    assert practicum["name"] == "practicum"
    assert practicum["url"] == "http://127.0.0.1:18002"
    assert practicum["oauth_no_confirm"] is True
    command = practicum["command"]
    assert command[:5] == [sys.executable, "-m", "practicum.cli", "serve", "--hub"]
    assert command[command.index("--port") + 1] == "18002"
    env = practicum["environment"]
    assert env["PRACTICUM_STATE"] == str(settings.state / "service")
    assert env["PRACTICUM_CONFIG"] == str(settings.source)
    assert culler["name"] == "idle-culler"
    # the worker that plays submitted policies: its own process, only where the sandbox works
    assert len(worker) == int(policy_sandbox.sandbox_available())
    for service in worker:
        assert service["command"][1:] == ["-m", "practicum.cli", "homework", "play-queue"]
        assert service["environment"] == env and "url" not in service
    roles = {role["name"]: role for role in c.JupyterHub.load_roles}
    assert roles["practicum-service"]["services"] == ["practicum"]
    assert set(roles["practicum-service"]["scopes"]) == {
        "list:users",
        "read:users",
        "read:servers",
        "servers",
    }
    assert roles["idle-culler"]["services"] == ["idle-culler"]
    assert "delete:servers" in roles["idle-culler"]["scopes"]
    assert "admin:users" not in roles["idle-culler"]["scopes"]
    # every user may reach the dashboard (the hub's default user role may not)
    assert "access:services!service=practicum" in roles["user"]["scopes"]
    assert "self" in roles["user"]["scopes"]


def test_the_services_database_can_be_postgresql(
    settings: HubSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRACTICUM_DATABASE_URL", "postgresql://db/practicum")
    c = configured(settings)
    assert c.PracticumAuthenticator.database_url == "postgresql://db/practicum"
    env = c.JupyterHub.services[0]["environment"]
    assert env["PRACTICUM_DATABASE_URL"] == "postgresql://db/practicum"


def test_culler_uses_per_profile_timeouts(settings: HubSettings) -> None:
    c = configured(settings)
    command = c.JupyterHub.services[1]["command"]
    assert command[:3] == [sys.executable, "-m", "jupyterhub_idle_culler"]
    config_file = Path(next(arg for arg in command if arg.startswith("--config="))[9:])
    culler = Config()
    exec(config_file.read_text(), {"c": culler})
    arbiter = culler.IdleCuller.cull_arbiter_hook
    gpu = {"user_options": {"profile": "gpu"}}
    cpu = {"user_options": {"profile": "cpu"}}
    idle = timedelta(minutes=30)
    assert arbiter(inactive=idle, inactive_limit=1, server=gpu) is True
    assert arbiter(inactive=idle, inactive_limit=1, server=cpu) is False
    assert arbiter(inactive=timedelta(hours=2), inactive_limit=1, server=cpu) is True


def test_arbiter_falls_back_to_the_default_profile() -> None:
    arbiter = make_arbiter({"gpu": 600}, default_seconds=3600)
    idle = timedelta(minutes=20)
    assert arbiter(inactive=idle, inactive_limit=1, server={"user_options": {}}) is False
    assert arbiter(inactive=idle, inactive_limit=1, server={"user_options": None}) is False
    assert (
        arbiter(inactive=idle, inactive_limit=1, server={"user_options": {"profile": 3}}) is False
    )
    assert arbiter(inactive=timedelta(hours=1), inactive_limit=1, server={}) is True
    assert arbiter(inactive=None, inactive_limit=1, server={}) is False
    text = culler_config_text(DEFAULT_PROFILES, DEFAULT_PROFILES["cpu"])
    assert '"gpu": 1200' in text and "default_seconds=7200" in text


def test_missing_proxy_says_how_to_install_it(
    settings: HubSettings, proxy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    proxy.unlink()
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(
        HubConfigError, match=r"configurable-http-proxy not found .*scripts/setup\.sh"
    ):
        configured(settings)
    on_path = tmp_path / "bin" / "configurable-http-proxy"
    on_path.parent.mkdir()
    on_path.write_text("#!/bin/sh\n")
    on_path.chmod(0o755)
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert configured(settings).ConfigurableHTTPProxy.command == [str(on_path)]


def test_written_config_file_configures_the_same_hub(settings: HubSettings) -> None:
    c = Config()
    exec(config_file_text(settings), {"c": c})
    assert c.JupyterHub.services == configured(settings).JupyterHub.services
    assert c.JupyterHub.bind_url == "http://127.0.0.1:18000/"
