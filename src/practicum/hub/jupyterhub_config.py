"""The whole JupyterHub configuration, derived from practicum.toml.

`practicum up` writes a three-line jupyterhub_config.py that calls `configure(c, settings)`,
so the hub's configuration is code that is tested like the rest, and the only file staff
edit is practicum.toml. Everything lands in the one state folder: the hub's database,
its cookie secret, the proxy's token, the course service's API token, the culler's
config, the students' homes and the course service's own state.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from pathlib import Path
from typing import Any

from practicum import settings as practicum_settings
from practicum.atomic import write_text_atomic
from practicum.grading import policy_sandbox
from practicum.hub.culler import culler_config_text, timeouts_seconds
from practicum.hub.isolation import Isolation, IsolationError
from practicum.hub.isolation import resolve as resolve_isolation
from practicum.hub.spawn_hook import SpawnCheck
from practicum.owner_only import owner_only_file
from practicum.settings.hub import (
    SERVICE_NAME,
    HubSettings,
    service_config,
    service_environment,
)

CULLER_NAME = "idle-culler"
WORKER_NAME = "policy-worker"
CULL_EVERY_SECONDS = 60
PROXY_RELATIVE = Path("proxy/node_modules/.bin/configurable-http-proxy")
"""Where scripts/setup.sh installs the proxy, inside the virtual environment."""
SERVICE_SCOPES = ["list:users", "read:users", "read:servers", "servers"]
"""The course service lists running servers (metering), starts queued ones, stops empty ones."""
SERVER_ROLE_SCOPES = ["users:activity!user", "access:servers!server"]
"""JupyterHub's default scopes of a server's token (its `server` role)."""
STAFF_SCOPES = ["access:servers", "read:users", "read:servers"]
CULLER_SCOPES = ["list:users", "read:users:activity", "read:servers", "delete:servers"]


class HubConfigError(ValueError):
    """The hub cannot be configured as asked; the message says what to do."""


def configure(c: Any, settings: HubSettings) -> None:
    """Fill a traitlets config `c` (the `c` of jupyterhub_config.py) from `settings`."""
    settings.state.mkdir(parents=True, exist_ok=True)
    settings.state.chmod(0o700)  # secrets and every student's home live below
    service_token = secret_file(settings.state / "practicum_api_token")
    _hub(c, settings)
    _proxy(c, settings)
    _authenticator(c, settings)
    try:
        isolation = resolve_isolation(settings)
    except IsolationError as exc:
        raise HubConfigError(str(exc)) from None
    _spawner(c, settings, service_token, isolation)
    _services(c, settings, service_token)


def service_direct_url(settings: HubSettings) -> str:
    """The course service on its own port, with its prefix (the hub asks it directly)."""
    return f"http://127.0.0.1:{settings.service_port}/services/{SERVICE_NAME}"


def secret_file(path: Path) -> str:
    """A random secret kept in `path` (owner-only), created on first use."""
    if not path.exists():
        write_text_atomic(path, secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def find_proxy() -> str:
    """configurable-http-proxy: next to this virtual environment, else on PATH."""
    beside = Path(sys.prefix) / PROXY_RELATIVE
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("configurable-http-proxy")
    if found:
        return found
    raise HubConfigError(
        f"configurable-http-proxy not found (looked in {beside} and on PATH): "
        "run scripts/setup.sh (it installs it with npm)"
    )


def venv_command(name: str) -> str:
    """A console script of this Python environment (the hub's own venv)."""
    path = Path(sys.executable).parent / name
    if not path.is_file():
        raise HubConfigError(f"{path} is missing: run scripts/setup.sh")
    return str(path)


def config_file_text(settings: HubSettings) -> str:
    """jupyterhub_config.py for `jupyterhub -f`: reads practicum.toml again at each start."""
    source = f"Path({str(settings.source)!r})" if settings.source else "None"
    return (
        "# Written by `practicum up`: edit practicum.toml instead.\n"
        "from pathlib import Path\n\n"
        "from practicum.hub.jupyterhub_config import configure\n"
        "from practicum.settings.hub import load_settings\n\n"
        f"configure(c, load_settings({source}))  # noqa: F821 (c: the hub's config)\n"
    )


def _hub(c: Any, settings: HubSettings) -> None:
    state = settings.state
    c.JupyterHub.bind_url = f"http://{settings.ip}:{settings.port}/"
    if settings.public_url:
        c.JupyterHub.public_url = settings.public_url
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{settings.hub_port}"
    # created owner-only before the hub opens it (an empty file is an empty SQLite database)
    c.JupyterHub.db_url = f"sqlite:///{owner_only_file(state / 'jupyterhub.sqlite')}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
    c.JupyterHub.default_url = f"/services/{SERVICE_NAME}/"  # the course dashboard


def _proxy(c: Any, settings: HubSettings) -> None:
    c.ConfigurableHTTPProxy.command = [find_proxy()]
    c.ConfigurableHTTPProxy.auth_token = secret_file(settings.state / "proxy_auth_token")
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings.proxy_api_port}"
    c.ConfigurableHTTPProxy.pid_file = str(settings.state / "proxy.pid")


def _authenticator(c: Any, settings: HubSettings) -> None:
    auth = settings.auth
    c.Authenticator.admin_users = set(auth.staff)
    if auth.kind == "local":
        c.JupyterHub.authenticator_class = "practicum.hub.authenticator.PracticumAuthenticator"
        c.PracticumAuthenticator.database_url = service_config(settings).database_url
        return
    github = auth.github
    missing = [
        env for env in (github.client_id_env, github.client_secret_env) if not os.environ.get(env)
    ]
    if missing:
        raise HubConfigError(
            f"GitHub login needs {' and '.join(missing)} set: create an OAuth app on GitHub "
            f"with the callback URL {settings.base_url}/hub/oauth_callback"
        )
    c.JupyterHub.authenticator_class = "oauthenticator.github.GitHubOAuthenticator"
    c.GitHubOAuthenticator.client_id = os.environ[github.client_id_env]
    c.GitHubOAuthenticator.client_secret = os.environ[github.client_secret_env]
    c.GitHubOAuthenticator.oauth_callback_url = f"{settings.base_url}/hub/oauth_callback"
    c.GitHubOAuthenticator.allowed_organizations = set(github.organizations) | set(github.teams)
    c.GitHubOAuthenticator.scope = ["read:org"]  # membership of private orgs and teams


NO_UPDATE_CHECK = "jupyterlab.handlers.announcements.NeverCheckForUpdate"


def _spawner(c: Any, settings: HubSettings, service_token: str, isolation: Isolation) -> None:
    default = settings.default_profile.name
    c.JupyterHub.spawner_class = "practicum.hub.spawner.PracticumSpawner"
    c.Spawner.cmd = [venv_command("jupyterhub-singleuser")]
    c.Spawner.default_url = "/lab"
    # JupyterLab would fetch news and check PyPI for updates in every student's server:
    # neither is theirs to act on, and a course machine may have no internet
    args = ["--LabApp.news_url=None", f"--LabApp.check_for_updates_class={NO_UPDATE_CHECK}"]
    if isolation == "shared" and os.geteuid() == 0:  # Jupyter refuses root unless told
        args.append("--allow-root")
    c.Spawner.args = args
    c.Spawner.pre_spawn_hook = SpawnCheck(service_direct_url(settings), service_token, default)
    c.PracticumSpawner.home_dir_template = str(settings.homes / "{username}")
    c.PracticumSpawner.profiles = dict(settings.profiles)
    c.PracticumSpawner.default_profile = default
    c.PracticumSpawner.practicum_url = settings.service_url
    c.PracticumSpawner.notebooks_dir = str(settings.notebooks or "")
    service = service_config(settings)
    c.PracticumSpawner.homework_dir = str(service.shared_dir)
    c.PracticumSpawner.data_dir = str(practicum_settings.data_home())
    c.PracticumSpawner.isolated = isolation == "users"
    c.PracticumSpawner.user_prefix = settings.isolation.user_prefix
    c.PracticumSpawner.gpu_device_dir = str(settings.gpu_device_dir)
    c.PracticumSpawner.hidden_dirs = [str(settings.state)]
    c.PracticumSpawner.course_file = str(service.course_path or "")
    c.PracticumSpawner.withheld_dir = str(settings.state / "withheld")
    # The server's own token (what practicum.submit() sends) may act on this service; a
    # token that merely opens a server (a browser's cookie there) may not: see web.hub_mode
    c.Spawner.server_token_scopes = [*SERVER_ROLE_SCOPES, f"access:services!service={SERVICE_NAME}"]


def _policy_worker(settings: HubSettings) -> list[dict[str, Any]]:
    """The worker that plays queued policies, a process of its own beside the service; none
    where the sandbox cannot be entered (the hub restarts a service that exits at once)."""
    if not policy_sandbox.sandbox_available():
        return []
    return [
        {
            "name": WORKER_NAME,
            "command": [sys.executable, *("-m", "practicum.cli", "homework", "play-queue")],
            "environment": service_environment(settings),
            "cwd": str(settings.state),
            "display": False,
        }
    ]


def _services(c: Any, settings: HubSettings, service_token: str) -> None:
    culler_config = settings.state / "idle_culler_config.py"
    write_text_atomic(
        culler_config, culler_config_text(settings.profiles, settings.default_profile)
    )
    longest = max(timeouts_seconds(settings.profiles).values())
    c.JupyterHub.services = [
        {
            "name": SERVICE_NAME,
            "url": f"http://127.0.0.1:{settings.service_port}",
            "command": [
                sys.executable,
                *("-m", "practicum.cli", "serve", "--hub"),
                *("--host", "127.0.0.1", "--port", str(settings.service_port)),
            ],
            "api_token": service_token,
            "oauth_no_confirm": True,
            "environment": service_environment(settings),
            "cwd": str(settings.state),
        },
        {
            "name": CULLER_NAME,
            "command": [
                sys.executable,
                *("-m", "jupyterhub_idle_culler", f"--config={culler_config}"),
                f"--timeout={longest}",  # the arbiter applies each profile's own limit
                f"--cull-every={CULL_EVERY_SECONDS}",
            ],
            "display": False,
        },
        *_policy_worker(settings),
    ]
    c.JupyterHub.load_roles = [
        {"name": "practicum-service", "scopes": SERVICE_SCOPES, "services": [SERVICE_NAME]},
        {"name": "idle-culler", "scopes": CULLER_SCOPES, "services": [CULLER_NAME]},
        # the default user role reaches no service: without this every student's login to
        # the dashboard ends in the hub's 403 "no permission to access service practicum"
        {"name": "user", "scopes": ["self", f"access:services!service={SERVICE_NAME}"]},
    ]
    if settings.auth.staff:
        # staff may open a student's server to help; the cookie that leaves there cannot
        # act on Practicum (it lacks the service's access scope, see web.hub_mode)
        c.JupyterHub.load_roles.append(
            {"name": "staff-servers", "scopes": STAFF_SCOPES, "users": list(settings.auth.staff)}
        )
