"""The notebook server of one student on one machine: a local process in its own home.

SimpleLocalProcessSpawner semantics: every server runs as the hub's own OS user, with
HOME under <state>/homes/<user>. That is the embedded, one-machine setup (the course's
own box, trusted students); on Kubernetes, KubeSpawner takes over with the same profiles.

The profile comes from user_options["profile"] (the spawn form, or the REST body that the
dashboard and the GPU queue send). GPU placement is not decided here: the pre-spawn hook
asks Practicum and puts the assigned device into CUDA_VISIBLE_DEVICES; a server that was
given none sees no GPU at all, so a GPU is never shared by accident.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Dict, Unicode, default

from practicum.hub.home import seed_home
from practicum.hub.spawn_hook import SpawnRefused
from practicum.hub.types import Profile


def options_form_html(profiles: Mapping[str, Profile], default_name: str) -> str:
    """Radio buttons, one per profile; the form posts `profile=<name>`."""
    rows = []
    for name, profile in profiles.items():
        checked = " checked" if name == default_name else ""
        note = f" <small>{html.escape(profile.description)}</small>" if profile.description else ""
        rows.append(
            f'<label class="form-check"><input class="form-check-input" type="radio" '
            f'name="profile" value="{html.escape(name)}"{checked}> '
            f"{html.escape(profile.display_name)}{note}</label>"
        )
    return "<fieldset><legend>Server</legend>\n" + "\n".join(rows) + "\n</fieldset>"


def profile_from_form(form_data: Mapping[str, list[str]], default_name: str) -> dict[str, str]:
    values = form_data.get("profile") or [default_name]
    return {"profile": values[0]}


def choose_profile(
    user_options: Mapping[str, Any] | None, profiles: Mapping[str, Profile], default_name: str
) -> Profile:
    """The requested profile; a 400 error naming the choices when it does not exist."""
    name = (user_options or {}).get("profile") or default_name
    profile = profiles.get(name) if isinstance(name, str) else None
    if profile is None:
        choices = ", ".join(profiles)
        raise SpawnRefused(f"There is no server profile {name!r}; choose one of {choices}.", 400)
    return profile


def _apply_profile(spawner: PracticumSpawner, user_options: Mapping[str, Any]) -> None:
    """Before the pre-spawn hook: an unknown profile is refused without asking Practicum."""
    profile = choose_profile(user_options, spawner.profiles, spawner.default_profile)
    spawner.cpu_limit = profile.cpu_limit
    spawner.mem_limit = profile.mem_limit


class PracticumSpawner(SimpleLocalProcessSpawner):  # type: ignore[misc]
    """Profiles, the course environment and a seeded home on top of the local spawner."""

    profiles = Dict(help="Profile name -> practicum.hub.types.Profile.").tag(config=True)
    default_profile = Unicode("cpu", help="Profile of a start without options.").tag(config=True)
    practicum_url = Unicode(help="The course service, for practicum.submit().").tag(config=True)
    notebooks_dir = Unicode(help="Exercise notebooks copied into new homes.").tag(config=True)
    homework_dir = Unicode(help="Published homework, linked as ~/homework.").tag(config=True)
    data_dir = Unicode(help="The shared data cache (PRACTICUM_DATA), not one per home.").tag(
        config=True
    )

    @default("options_form")
    def _options_form_default(self) -> str:
        if len(self.profiles) < 2:
            return ""  # nothing to choose: start at once
        return options_form_html(self.profiles, self.default_profile)

    @default("options_from_form")
    def _options_from_form_default(self) -> Any:
        return lambda form_data: profile_from_form(form_data, self.default_profile)

    @property
    def profile(self) -> Profile:
        return choose_profile(self.user_options, self.profiles, self.default_profile)

    def get_env(self) -> dict[str, str]:
        env: dict[str, str] = super().get_env()
        if self.practicum_url:
            env["PRACTICUM_URL"] = self.practicum_url
        if self.data_dir:
            env["PRACTICUM_DATA"] = self.data_dir
        env["PRACTICUM_PROFILE"] = self.profile.name
        # Set by the pre-spawn hook when Practicum assigned a GPU; otherwise no GPU at all.
        env.setdefault("CUDA_VISIBLE_DEVICES", "")
        return env

    @default("apply_user_options")
    def _apply_user_options_default(self) -> Any:
        return _apply_profile

    async def start(self) -> Any:
        report = seed_home(
            Path(self.home_dir),
            Path(self.notebooks_dir) if self.notebooks_dir else None,
            Path(self.homework_dir) if self.homework_dir else None,
        )
        if report.copied:
            self.log.info("%s: copied %d notebooks", self.user.name, len(report.copied))
        if report.note:
            self.log.warning("%s: %s", self.user.name, report.note)
        return await super().start()
