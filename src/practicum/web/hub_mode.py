"""The course service as a JupyterHub service (`practicum serve --hub`).

The hub starts the service with its address and credentials in the environment (see
jupyterhub/services/service.py and services/auth.py): the service's own API token, the
hub's API URL, the path prefix the proxy forwards, and its OAuth client id. Everything the
hub-mode routes need from outside is gathered here in one `HubMode`, so tests give a fake
hub and a fake OAuth exchange instead of a running hub.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from tornado.web import HTTPError as TornadoHTTPError

from practicum.hub.settings import SERVICE_NAME, HubSettings
from practicum.hub.types import HubApi
from practicum.web.hub_users import HubUser, hub_user_from_model
from practicum.web.prefix import clean_prefix


class HubLogin(Protocol):
    """What the service uses of `jupyterhub.services.auth.HubOAuth`: the OAuth exchange
    with the hub, and asking the hub who a token belongs to."""

    @property
    def login_url(self) -> str:
        """The hub's authorize URL with client_id, redirect_uri and response_type."""

    def generate_pkce_code_challenge(self) -> tuple[str, str, str]:
        """(code_verifier, code_challenge, code_challenge_method)."""

    def token_for_code(self, code: str, *, code_verifier: str | None, sync: bool) -> Any:
        """With sync=False: an awaitable of the access token for an OAuth code."""

    def user_for_token(self, token: str, use_cache: bool = ..., *, sync: bool) -> Any:
        """With sync=False: an awaitable of the hub's user model (None: unknown token)."""


class HubModeError(Exception):
    """The service cannot run under the hub as started (a missing variable, say)."""


class HubUnavailable(Exception):
    """The hub did not answer a question about a login or a token."""


ACCESS_SCOPE = f"access:services!service={SERVICE_NAME}"
"""The scope a hub token needs to act on Practicum (`access:services` grants it too)."""


class HubTokenNotForPracticum(Exception):
    """The hub knows the token, but it was issued for something else (e.g. a notebook
    server's OAuth cookie): it proves who someone is only where it was meant to be used."""


def grants_practicum_access(scopes: Iterable[str]) -> bool:
    """Whether a token's expanded scopes (the hub's user model "scopes") include access to
    Practicum, filtered or not; JupyterHub's own check, so its filter rules apply."""
    from jupyterhub.services.auth import check_scopes

    return bool(check_scopes({ACCESS_SCOPE}, set(scopes)))


REQUIRED_ENV = (
    "JUPYTERHUB_API_TOKEN",
    "JUPYTERHUB_API_URL",
    "JUPYTERHUB_SERVICE_PREFIX",
    "JUPYTERHUB_CLIENT_ID",
)
"""Set by JupyterHub for a managed service with a URL (`practicum up` configures one)."""


@dataclass(frozen=True)
class HubMode:
    settings: HubSettings
    api: HubApi
    login: HubLogin
    api_token: str
    """The service's own hub token: the hub proves it is the hub with it (spawn check)."""
    prefix: str
    """Where the proxy forwards to the service, e.g. "/services/practicum"."""
    hub_root: str = "/"
    """The hub's base URL as browsers reach it (origin optional), ending in "/"."""
    metering: bool = True
    """Run the metering loop in the app's lifespan (off in tests that tick by hand)."""

    def lab_url(self, user: str) -> str:
        return f"{self.hub_root}user/{quote(user, safe='')}/lab"

    def hub_url(self, page: str) -> str:
        """A page of the hub itself, e.g. "logout" -> /hub/logout."""
        return f"{self.hub_root}hub/{page}"

    async def token_owner(self, token: str) -> HubUser | None:
        """The person a hub token belongs to (HubOAuth caches the answer for a minute);
        None for unknown tokens and for tokens of services, this one's own included.

        Raises HubTokenNotForPracticum for a person's token without Practicum's access
        scope: any token the hub knows proves identity, but one captured from a notebook
        server (a staff member's cookie there, say) must not act here as its owner."""
        if hmac.compare_digest(token.encode(), self.api_token.encode()):
            return None
        try:
            model = await self.login.user_for_token(token, sync=False)
        except TornadoHTTPError as exc:
            raise HubUnavailable(
                f"JupyterHub could not check the token: {exc.log_message}"
            ) from None
        owner = hub_user_from_model(model)
        if owner is not None and not grants_practicum_access(model.get("scopes") or ()):
            raise HubTokenNotForPracticum(
                f"this hub token is not for Practicum: it lacks the {ACCESS_SCOPE} scope"
            )
        return owner


def _root(base_url: str) -> str:
    """'/', '/course', 'course/' -> '/', '/course/', '/course/'."""
    inner = base_url.strip("/")
    return f"/{inner}/" if inner else "/"


def hub_mode_from_env(settings: HubSettings, env: Mapping[str, str] | None = None) -> HubMode:
    """The hub mode the hub's environment describes; a clear error outside a hub."""
    from jupyterhub.services.auth import HubOAuth

    from practicum.hub.hub_client import RestHubApi

    env = os.environ if env is None else env
    missing = [name for name in REQUIRED_ENV if not env.get(name)]
    if missing:
        raise HubModeError(
            f"{', '.join(missing)} not set: `practicum serve --hub` runs as a JupyterHub "
            "service (`practicum up` starts it); for development use `practicum serve "
            "--standalone`"
        )
    token, api_url = env["JUPYTERHUB_API_TOKEN"], env["JUPYTERHUB_API_URL"].rstrip("/")
    prefix = clean_prefix(env["JUPYTERHUB_SERVICE_PREFIX"])
    host = env.get("JUPYTERHUB_HOST", "")
    hub_root = _root(env.get("JUPYTERHUB_BASE_URL", "/"))
    login = HubOAuth(
        api_token=token,
        api_url=api_url,
        oauth_client_id=env["JUPYTERHUB_CLIENT_ID"],
        oauth_redirect_uri=env.get("JUPYTERHUB_OAUTH_CALLBACK_URL") or f"{prefix}/oauth_callback",
        base_url=prefix + "/",
        hub_host=host,
        hub_prefix=hub_root + "hub/",
        cache_max_age=60,
    )
    return HubMode(
        settings=settings,
        api=RestHubApi(api_url, token),
        login=login,
        api_token=token,
        prefix=prefix,
        hub_root=host.rstrip("/") + hub_root,
    )
