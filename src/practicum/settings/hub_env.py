"""What JupyterHub tells the course service it manages, through its environment.

The hub starts a managed service with its address and credentials (see
jupyterhub/services/service.py): the service's own API token, the hub's API URL, the path
prefix the proxy forwards, its OAuth client id. Read here once, like every other setting.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

REQUIRED_ENV = (
    "JUPYTERHUB_API_TOKEN",
    "JUPYTERHUB_API_URL",
    "JUPYTERHUB_SERVICE_PREFIX",
    "JUPYTERHUB_CLIENT_ID",
)
"""Set by JupyterHub for a managed service with a URL (`practicum up` configures one)."""


class HubServiceError(ValueError):
    """The service was asked to run under the hub, but is not (a variable is missing)."""


@dataclass(frozen=True)
class HubServiceEnv:
    api_token: str
    api_url: str
    """The hub's REST API, without a trailing slash."""
    prefix: str
    """Where the proxy forwards to the service, e.g. "/services/practicum"."""
    client_id: str
    oauth_callback: str
    host: str
    """The hub's origin when it is set (JUPYTERHUB_HOST), else ""."""
    hub_root: str
    """The hub's base path, ending in "/"."""


def clean_prefix(prefix: str) -> str:
    """'/services/practicum/' -> '/services/practicum'; '' or '/' -> ''."""
    stripped = prefix.strip().rstrip("/")
    if stripped and not stripped.startswith("/"):
        raise ValueError(f"path prefix {prefix!r} must start with '/'")
    return stripped


def root(base_url: str) -> str:
    """'/', '/course', 'course/' -> '/', '/course/', '/course/'."""
    inner = base_url.strip("/")
    return f"/{inner}/" if inner else "/"


def hub_service_env(env: Mapping[str, str] | None = None) -> HubServiceEnv:
    """The hub's word on this service; a clear error outside a hub."""
    env = os.environ if env is None else env
    missing = [name for name in REQUIRED_ENV if not env.get(name)]
    if missing:
        raise HubServiceError(
            f"{', '.join(missing)} not set: `practicum serve --hub` runs as a JupyterHub "
            "service (`practicum up` starts it); for development use `practicum serve "
            "--standalone`"
        )
    prefix = clean_prefix(env["JUPYTERHUB_SERVICE_PREFIX"])
    return HubServiceEnv(
        api_token=env["JUPYTERHUB_API_TOKEN"],
        api_url=env["JUPYTERHUB_API_URL"].rstrip("/"),
        prefix=prefix,
        client_id=env["JUPYTERHUB_CLIENT_ID"],
        oauth_callback=env.get("JUPYTERHUB_OAUTH_CALLBACK_URL") or f"{prefix}/oauth_callback",
        host=env.get("JUPYTERHUB_HOST", ""),
        hub_root=root(env.get("JUPYTERHUB_BASE_URL", "/")),
    )
