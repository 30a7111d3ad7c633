"""The course service as a JupyterHub service (`practicum serve --hub`).

The hub starts the service with its address and credentials in the environment (see
jupyterhub/services/service.py and services/auth.py): the service's own API token, the
hub's API URL, the path prefix the proxy forwards, and its OAuth client id. Everything the
hub-mode routes need from outside is gathered here in one `HubMode`, so tests give a fake
hub and a fake OAuth exchange instead of a running hub.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from tornado.web import HTTPError as TornadoHTTPError

from practicum.hub.types import HubApi
from practicum.settings.hub import SERVICE_NAME, HubSettings
from practicum.settings.hub_env import HubServiceEnv
from practicum.web.hub_users import HubUser, hub_user_from_model


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

    @classmethod
    def connect(cls, settings: HubSettings, hub: HubServiceEnv) -> HubMode:
        """The hub mode of a service the hub started (see settings.hub_service_env)."""
        from jupyterhub.services.auth import HubOAuth

        from practicum.hub.hub_client import RestHubApi

        login = HubOAuth(
            api_token=hub.api_token,
            api_url=hub.api_url,
            oauth_client_id=hub.client_id,
            oauth_redirect_uri=hub.oauth_callback,
            base_url=hub.prefix + "/",
            hub_host=hub.host,
            hub_prefix=hub.hub_root + "hub/",
            cache_max_age=60,
        )
        return cls(
            settings=settings,
            api=RestHubApi(hub.api_url, hub.api_token),
            login=login,
            api_token=hub.api_token,
            prefix=hub.prefix,
            hub_root=hub.host.rstrip("/") + hub.hub_root,
        )

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
