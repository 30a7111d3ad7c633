"""The notebook server of one student on one machine: a local process in its own home.

Isolated (the hub runs as root, the default on a course's box): the server runs as the
student's own system user inside a bubblewrap sandbox (see hub.isolation), with the
profile's memory and CPU limits. Shared (no root: a laptop, one trusting user):
SimpleLocalProcessSpawner semantics, every server as the hub's own OS user. HOME is
<state>/homes/<user> either way. On Kubernetes, KubeSpawner takes over with the same
profiles.

The profile comes from user_options["profile"] (the spawn form, or the REST body that the
dashboard and the GPU queue send). GPU placement is not decided here: the pre-spawn hook
asks Practicum and puts the assigned device into CUDA_VISIBLE_DEVICES; a server that was
given none sees no GPU at all, so a GPU is never shared by accident; isolated, the
sandbox holds only that GPU's device node, so no variable can reach another.
"""

from __future__ import annotations

import asyncio
import html
import shlex
from collections.abc import Mapping
from pathlib import Path
from subprocess import Popen
from typing import Any

from jupyterhub.spawner import SimpleLocalProcessSpawner
from jupyterhub.utils import random_port
from traitlets import Bool, Dict, List, Unicode, default

from practicum import settings as practicum_settings
from practicum.compute.profiles import Profile
from practicum.course import demo_course, load_course
from practicum.coursework import withheld
from practicum.hub.home import seed_home
from practicum.hub.isolation import ServerPaths, server_sandbox
from practicum.hub.spawn_hook import SpawnRefused
from practicum.sandbox import bwrap, limits
from practicum.sandbox.users import ensure_user, give_home, system_user_name

GPU_ENV = "PRACTICUM_GPU"
"""The machine's number of the server's GPU (inside the sandbox CUDA numbers it 0)."""


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

    profiles = Dict(help="Profile name -> practicum.compute.profiles.Profile.").tag(config=True)
    default_profile = Unicode("cpu", help="Profile of a start without options.").tag(config=True)
    practicum_url = Unicode(help="The course service, for practicum.submit().").tag(config=True)
    notebooks_dir = Unicode(help="Exercise notebooks copied into new homes.").tag(config=True)
    homework_dir = Unicode(help="Published homework, linked as ~/homework.").tag(config=True)
    data_dir = Unicode(help="The shared data cache (PRACTICUM_DATA), not one per home.").tag(
        config=True
    )
    isolated = Bool(False, help="One system user and a sandbox per student.").tag(config=True)
    user_prefix = Unicode("practicum-", help="System user = prefix + hub name.").tag(config=True)
    gpu_device_dir = Unicode("/dev", help="Where the /dev/nvidia<N> nodes are.").tag(config=True)
    hidden_dirs = List(Unicode(), help="Folders no sandbox shows (the hub's state).").tag(
        config=True
    )
    course_file = Unicode(help="course.toml; empty: the demo course.").tag(config=True)
    withheld_dir = Unicode(
        help="Where the stubs of unreleased homework references are written; empty: none "
        "is withheld."
    ).tag(config=True)

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

    @property
    def system_user(self) -> str:
        return system_user_name(self.user_prefix, self.user.name)

    def get_env(self) -> dict[str, str]:
        env: dict[str, str] = super().get_env()
        if self.practicum_url:
            env["PRACTICUM_URL"] = self.practicum_url
        if self.data_dir:
            env["PRACTICUM_DATA"] = self.data_dir
        env["PRACTICUM_PROFILE"] = self.profile.name
        # Set by the pre-spawn hook when Practicum assigned a GPU; otherwise no GPU at all.
        env.setdefault("CUDA_VISIBLE_DEVICES", "")
        if self.isolated:
            env["USER"] = env["LOGNAME"] = self.system_user
            gpu = env["CUDA_VISIBLE_DEVICES"]
            if gpu:
                env[GPU_ENV] = gpu
                env["CUDA_VISIBLE_DEVICES"] = "0"  # the only device node in the sandbox
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
        if not self.isolated:
            return await super().start()
        return await self._start_isolated()

    async def _start_isolated(self) -> Any:
        """LocalProcessSpawner.start, with the sandbox in front of the command."""
        home = Path(self.home_dir)
        user = await asyncio.to_thread(ensure_user, self.system_user, home)
        await asyncio.to_thread(give_home, home, user)
        wanted = limits.Limits(self.mem_limit or None, self.cpu_limit or None)
        placement = await asyncio.to_thread(limits.place, user.name, wanted)
        self.log.info("%s: %s", self.user.name, placement.describe(wanted))
        if self.port == 0:  # type: ignore[has-type]
            self.port = random_port()
        env = self.get_env()
        command = bwrap.command(
            server_sandbox(user, self._paths(), env.get(GPU_ENV)),
            [*self.cmd, *self.get_args()],
            bwrap=bwrap.find_bwrap(),
            setpriv=bwrap.find_setpriv(),
        )
        self.log.info("Spawning %s", shlex.join(command))
        # preexec: the server and all it starts join the student's cgroup before exec
        self.proc = Popen(command, env=env, preexec_fn=placement.join, start_new_session=True)
        self.pid = self.proc.pid
        return (self.ip or "127.0.0.1", self.port)

    def _paths(self) -> ServerPaths:
        return ServerPaths(
            home=Path(self.home_dir),
            homework=Path(self.homework_dir) if self.homework_dir else None,
            data_cache=Path(self.data_dir) if self.data_dir else practicum_settings.data_home(),
            system_data=practicum_settings.system_data_dirs(),
            hidden=tuple(Path(p) for p in self.hidden_dirs),
            device_dir=Path(self.gpu_device_dir),
            withheld=self._withheld(),
        )

    def _withheld(self) -> tuple[withheld.Cover, ...]:
        """The references this server must not see, as of now (read at every start: a
        course's release dates pass while the hub runs)."""
        if not self.withheld_dir:
            return ()
        course = load_course(Path(self.course_file)) if self.course_file else demo_course()
        held = withheld.withheld_lessons(course)
        if held:
            self.log.info("%s: references withheld for lessons %s", self.user.name, sorted(held))
        return withheld.covers(held, Path(self.withheld_dir))
