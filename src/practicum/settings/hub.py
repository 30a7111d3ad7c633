"""practicum.toml: how the hub runs (addresses, login, server profiles, GPUs, metering).

Every key has an embedded default, so `practicum up` works without any file. A file is
read strictly, like course.toml: an unknown or mistyped key is refused with its key path
and the reason, because a misspelt optional key would otherwise be ignored in silence.

    [hub]         ip, port, public_url, state, course, notebooks,
                  hub_port, proxy_api_port, service_port
    [auth]        kind ("local" | "github"), staff = [...]
    [auth.github] organizations, teams ("org:team"), client_id_env, client_secret_env
    [profiles.<name>]  display_name, description, gpu, idle_timeout_minutes, cpu_limit, mem_limit
    [gpus]        devices = ["0", "1"]  (default: the GPUs `nvidia-smi -L` lists),
                  device_dir ("/dev": where the /dev/nvidia<N> nodes are)
    [isolation]   mode ("auto" | "users" | "off"), user_prefix ("practicum-")
    [metering]    interval_seconds, slot_seconds

All state lives under one folder (`state`, default $PRACTICUM_HOME/hub): the hub's
database and secrets, the students' homes and the course service's own state.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from practicum import settings as practicum_settings
from practicum.compute import Compute
from practicum.compute.profiles import Profile
from practicum.course import Course
from practicum.course.checked_table import CheckedTable
from practicum.course.errors import CourseError
from practicum.sandbox.users import DEFAULT_PREFIX, check_prefix
from practicum.settings.service import ServiceConfig, load_config

CONFIG_ENV = "PRACTICUM_CONFIG"
"""Path of practicum.toml; the hub passes it on to the course service."""
SERVICE_NAME = "practicum"
AuthKind = Literal["local", "github"]
AUTH_KINDS: tuple[AuthKind, ...] = ("local", "github")
IsolationMode = Literal["auto", "users", "off"]
ISOLATION_MODES: tuple[IsolationMode, ...] = ("auto", "users", "off")

DEFAULT_PROFILES: dict[str, Profile] = {
    "cpu": Profile("cpu", "CPU server", gpu=False, idle_timeout_minutes=120),
    "gpu": Profile("gpu", "GPU server (one whole GPU)", gpu=True, idle_timeout_minutes=20),
}


@dataclass(frozen=True)
class GitHubSettings:
    organizations: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    """"org:team" entries, as oauthenticator's allowed_organizations takes them."""
    client_id_env: str = "GITHUB_CLIENT_ID"
    client_secret_env: str = "GITHUB_CLIENT_SECRET"


@dataclass(frozen=True)
class AuthSettings:
    kind: AuthKind = "local"
    staff: tuple[str, ...] = ()
    """User names that get the staff role in Practicum and admin rights on the hub."""
    github: GitHubSettings = field(default_factory=GitHubSettings)


@dataclass(frozen=True)
class MeteringSettings:
    interval_seconds: int = 60
    slot_seconds: int = 60
    """Servers are charged in prepaid slots of this length."""


@dataclass(frozen=True)
class IsolationSettings:
    mode: IsolationMode = "auto"
    """auto: a system user and a sandbox per student when the hub runs as root, else
    every server as the hub's own user; users: always isolate (refuse to start otherwise);
    off: never (one trusting user on a laptop)."""
    user_prefix: str = DEFAULT_PREFIX


@dataclass(frozen=True)
class HubSettings:
    ip: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    """Given in the file, else derived from ip and port (see `base_url`)."""
    state: Path = field(default_factory=lambda: practicum_settings.state_home() / "hub")
    course: Path | None = None
    """course.toml; None: the demo course."""
    notebooks: Path | None = None
    """Exercise notebooks copied into each new home; None: none."""
    hub_port: int = 8081
    proxy_api_port: int = 8001
    service_port: int = 8002
    auth: AuthSettings = field(default_factory=AuthSettings)
    profiles: Mapping[str, Profile] = field(default_factory=lambda: dict(DEFAULT_PROFILES))
    gpus: tuple[str, ...] = ()
    gpu_device_dir: Path = Path("/dev")
    """Where the GPUs' device nodes are (stand-in files in tests)."""
    isolation: IsolationSettings = field(default_factory=IsolationSettings)
    metering: MeteringSettings = field(default_factory=MeteringSettings)
    source: Path | None = None
    """The file these settings came from (None: embedded defaults)."""

    @property
    def base_url(self) -> str:
        """Where people (and notebook servers) reach the hub, without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.ip in ("", "0.0.0.0") else self.ip
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def service_url(self) -> str:
        """The course service through the proxy: what `practicum.submit()` talks to."""
        return f"{self.base_url}/services/{SERVICE_NAME}"

    @property
    def default_profile(self) -> Profile:
        """The profile of a start without options: the first CPU profile, else the first."""
        cpu = [p for p in self.profiles.values() if not p.gpu]
        return (cpu or list(self.profiles.values()))[0]

    def compute(self, course: Course) -> Compute:
        """The course's credit rates with these profiles and GPUs: what metering, spawn
        checks and dashboards decide with."""
        return Compute(course.credits, self.profiles, self.gpus)

    @property
    def homes(self) -> Path:
        return self.state / "homes"

    @property
    def service_state(self) -> Path:
        return self.state / "service"


def settings_path() -> Path | None:
    """$PRACTICUM_CONFIG, else ./practicum.toml when it exists, else None (defaults)."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    here = Path("practicum.toml")
    return here.resolve() if here.is_file() else None


def load_settings(path: Path | None = None) -> HubSettings:
    """Settings from `path`, or the embedded defaults when `path` is None."""
    if path is None:
        return HubSettings(gpus=detect_gpus())
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(source, "", "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CourseError(source, "", f"cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(source, "", f"TOML syntax error: {exc}") from None
    settings = parse_settings(data, source, base=path.resolve().parent)
    return replace(settings, source=path.resolve())


def parse_settings(data: Mapping[str, object], source: str, base: Path) -> HubSettings:
    """Relative paths in the file are read from `base` (the file's folder); `source` names
    the file in messages."""
    root = CheckedTable(data, "", source)
    root.only("hub", "auth", "profiles", "gpus", "metering", "isolation")
    hub = root.table("hub") or CheckedTable({}, "hub", source)
    hub.only(
        "ip",
        "port",
        "public_url",
        "state",
        "course",
        "notebooks",
        "hub_port",
        "proxy_api_port",
        "service_port",
    )
    defaults = HubSettings
    public_url = hub.get("public_url", str, "")
    if public_url and not public_url.startswith(("http://", "https://")):
        hub.fail("public_url", f"{public_url!r} must start with http:// or https://")
    state = _path(hub, "state", base)
    return HubSettings(
        ip=hub.get("ip", str, defaults.ip),
        port=_port(hub, "port", defaults.port),
        public_url=public_url,
        state=state or practicum_settings.state_home() / "hub",
        course=_path(hub, "course", base),
        notebooks=_path(hub, "notebooks", base),
        hub_port=_port(hub, "hub_port", defaults.hub_port),
        proxy_api_port=_port(hub, "proxy_api_port", defaults.proxy_api_port),
        service_port=_port(hub, "service_port", defaults.service_port),
        auth=_auth(root.table("auth")),
        profiles=_profiles(root.table("profiles")),
        gpus=_gpus(root.table("gpus")),
        gpu_device_dir=_device_dir(root.table("gpus"), base),
        isolation=_isolation(root.table("isolation")),
        metering=_metering(root.table("metering")),
    )


def _port(table: CheckedTable, key: str, default: int) -> int:
    port = table.integer(key, default, minimum=1)
    if port > 65535:
        table.fail(key, f"{port} is not a TCP port (1-65535)")
    return port


def _path(table: CheckedTable, key: str, base: Path) -> Path | None:
    value = table.get(key, str)
    if value is None:
        return None
    if not value.strip():
        table.fail(key, "empty")
    return base / Path(value).expanduser()


def _names(table: CheckedTable, key: str) -> tuple[str, ...]:
    items = table.get(key, list, [])
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            table.fail(key, f"expected a non-empty string, got {item!r}", index)
    return tuple(items)


def _auth(table: CheckedTable | None) -> AuthSettings:
    if table is None:
        return AuthSettings()
    table.only("kind", "staff", "github")
    kind = table.choice("kind", AUTH_KINDS, "local")
    staff = tuple(name.lower() for name in _names(table, "staff"))
    github = table.table("github")
    if github is None:
        if kind == "github":
            table.missing("github", "GitHub login needs organizations or teams to admit")
        return AuthSettings(kind, staff)
    github.only("organizations", "teams", "client_id_env", "client_secret_env")
    teams = _names(github, "teams")
    for index, team in enumerate(teams):
        if team.count(":") != 1 or team.startswith(":") or team.endswith(":"):
            github.fail("teams", f"{team!r} is not of the form 'org:team'", index)
    settings = GitHubSettings(
        organizations=_names(github, "organizations"),
        teams=teams,
        client_id_env=github.get("client_id_env", str, GitHubSettings.client_id_env),
        client_secret_env=github.get("client_secret_env", str, GitHubSettings.client_secret_env),
    )
    if kind == "github" and not settings.organizations and not settings.teams:
        github.fail(None, "list organizations or teams: without them anyone on GitHub gets in")
    return AuthSettings(kind, staff, settings)


def _profiles(table: CheckedTable | None) -> dict[str, Profile]:
    """A [profiles] table replaces the defaults: it says exactly what students may start."""
    if table is None:
        return dict(DEFAULT_PROFILES)
    profiles = {}
    for name in table.data:
        if not name or not all(c.isalnum() or c in "-_" for c in name) or name != name.lower():
            table.fail(name, f"{name!r} is not a profile name: use a-z, 0-9, '-' and '_'")
        one = table.need_table(name)
        one.only(
            "display_name", "description", "gpu", "idle_timeout_minutes", "cpu_limit", "mem_limit"
        )
        gpu = one.get("gpu", bool, False)
        cpu_limit = one.get("cpu_limit", float)
        if cpu_limit is not None and cpu_limit <= 0:
            one.fail("cpu_limit", f"{cpu_limit:g} is not a positive number of CPUs")
        profiles[name] = Profile(
            name=name,
            display_name=one.get("display_name", str, name.upper()),
            gpu=gpu,
            idle_timeout_minutes=one.integer("idle_timeout_minutes", 20 if gpu else 120, minimum=1),
            cpu_limit=cpu_limit,
            mem_limit=one.get("mem_limit", str),
            description=one.get("description", str, ""),
        )
    if not profiles:
        table.fail(None, "empty: list at least one profile, e.g. [profiles.cpu]")
    return profiles


def _gpus(table: CheckedTable | None) -> tuple[str, ...]:
    if table is None:
        return detect_gpus()
    table.only("devices", "device_dir")
    devices = _names(table, "devices")
    for index, device in enumerate(devices):
        if device in devices[:index]:
            table.fail("devices", f"GPU {device!r} is listed twice", index)
    return devices


def _device_dir(table: CheckedTable | None, base: Path) -> Path:
    return (_path(table, "device_dir", base) if table else None) or Path("/dev")


def _isolation(table: CheckedTable | None) -> IsolationSettings:
    if table is None:
        return IsolationSettings()
    table.only("mode", "user_prefix")
    prefix = table.get("user_prefix", str, DEFAULT_PREFIX)
    try:
        check_prefix(prefix)
    except ValueError as exc:
        table.fail("user_prefix", str(exc))
    return IsolationSettings(table.choice("mode", ISOLATION_MODES, "auto"), prefix)


def _metering(table: CheckedTable | None) -> MeteringSettings:
    if table is None:
        return MeteringSettings()
    table.only("interval_seconds", "slot_seconds")
    return MeteringSettings(
        interval_seconds=table.integer("interval_seconds", 60, minimum=1),
        slot_seconds=table.integer("slot_seconds", 60, minimum=1),
    )


def detect_gpus() -> tuple[str, ...]:
    """GPU indices from `nvidia-smi -L` ("0", "1", ...); none when it is absent or fails."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return ()
    try:
        listing = subprocess.run(
            [exe, "-L"], capture_output=True, text=True, timeout=10, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    count = sum(1 for line in listing.splitlines() if line.startswith("GPU "))
    return tuple(str(i) for i in range(count))


PASSED_THROUGH = (
    "PRACTICUM_DATABASE_URL",
    "PRACTICUM_SHARED_DIR",
    "PRACTICUM_PRIVATE_DIR",
    "PRACTICUM_MAX_UPLOAD_MB",
    "PRACTICUM_POLICY_WALL_SECONDS",
    "PRACTICUM_POLICY_MEMORY_MB",
    "PRACTICUM_POLICY_PARALLEL",
    "PRACTICUM_COURSE",
    "PRACTICUM_DATA",
    "PRACTICUM_SYSTEM_DATA",
    "PRACTICUM_HOME",
)
"""Variables of the hub's environment the course service keeps (hub services get only
what they are given)."""


def service_environment(settings: HubSettings) -> dict[str, str]:
    """The course service's environment: its state inside the hub's, the same course."""
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    env["PRACTICUM_STATE"] = str(settings.service_state)
    if settings.course is not None:
        env["PRACTICUM_COURSE"] = str(settings.course)
    if settings.source is not None:
        env[CONFIG_ENV] = str(settings.source)
    return env


def service_config(settings: HubSettings) -> ServiceConfig:
    """The course service's paths (database, shared homework) exactly as it will see them."""
    return load_config({**os.environ, **service_environment(settings)})
