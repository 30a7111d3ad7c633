"""practicum.toml: embedded defaults, every key read, and one-line refusals with key paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from practicum.course import CourseError
from practicum.settings import hub as hub_settings
from practicum.settings.hub import DEFAULT_PROFILES, load_settings, settings_path

FULL = """\
[hub]
ip = "0.0.0.0"
port = 9000
state = "state"
course = "course.toml"
notebooks = "notebooks/build/exercise"
hub_port = 9081
proxy_api_port = 9001
service_port = 9002

[auth]
kind = "github"
staff = ["Alice", "bob"]

[auth.github]
organizations = ["dl-course"]
teams = ["dl-course:ta"]
client_id_env = "MY_ID"

[profiles.small]
display_name = "Small CPU"
cpu_limit = 2
mem_limit = "4G"

[profiles.a100]
gpu = true
description = "one A100"

[gpus]
devices = ["0", "3"]
device_dir = "fake-dev"

[isolation]
mode = "users"
user_prefix = "course-"

[metering]
interval_seconds = 30
slot_seconds = 120
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "practicum.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub_settings, "detect_gpus", lambda: ("0",))
    settings = load_settings(None)
    assert (settings.ip, settings.port, settings.base_url) == (
        "127.0.0.1",
        8000,
        "http://127.0.0.1:8000",
    )
    assert settings.state == Path(os.environ["PRACTICUM_HOME"]) / "hub"
    assert settings.profiles == DEFAULT_PROFILES
    assert (
        settings.profiles["gpu"].idle_timeout_minutes
        < settings.profiles["cpu"].idle_timeout_minutes
    )
    assert settings.default_profile.name == "cpu"
    assert settings.gpus == ("0",)
    assert (settings.metering.interval_seconds, settings.metering.slot_seconds) == (60, 60)
    assert settings.auth.kind == "local" and settings.source is None
    assert settings.service_url == "http://127.0.0.1:8000/services/practicum"


def test_every_key_is_read(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, FULL))
    assert settings.source == tmp_path / "practicum.toml"
    assert (settings.ip, settings.port, settings.hub_port) == ("0.0.0.0", 9000, 9081)
    assert (settings.proxy_api_port, settings.service_port) == (9001, 9002)
    # relative paths are read from the file's folder; a hub on all interfaces is reached locally
    assert settings.state == tmp_path / "state"
    assert settings.course == tmp_path / "course.toml"
    assert settings.notebooks == tmp_path / "notebooks/build/exercise"
    assert settings.base_url == "http://127.0.0.1:9000"
    assert settings.auth.kind == "github"
    assert settings.auth.staff == ("alice", "bob")  # hub user names are lowercase
    assert settings.auth.github.organizations == ("dl-course",)
    assert settings.auth.github.teams == ("dl-course:ta",)
    assert settings.auth.github.client_id_env == "MY_ID"
    assert settings.auth.github.client_secret_env == "GITHUB_CLIENT_SECRET"
    assert list(settings.profiles) == ["small", "a100"]  # the file replaces the defaults
    small, a100 = settings.profiles["small"], settings.profiles["a100"]
    assert (small.display_name, small.gpu, small.cpu_limit, small.mem_limit) == (
        "Small CPU",
        False,
        2.0,
        "4G",
    )
    assert (small.idle_timeout_minutes, a100.idle_timeout_minutes) == (120, 20)
    assert (a100.gpu, a100.description, a100.display_name) == (True, "one A100", "A100")
    assert settings.default_profile is small
    assert settings.gpus == ("0", "3")
    assert (settings.metering.interval_seconds, settings.metering.slot_seconds) == (30, 120)
    assert settings.gpu_device_dir == tmp_path / "fake-dev"
    assert (settings.isolation.mode, settings.isolation.user_prefix) == ("users", "course-")


def test_public_url_wins_for_links(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[hub]\npublic_url = "https://dl.example.org/"\n'))
    assert settings.service_url == "https://dl.example.org/services/practicum"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[hub]\nprot = 8000\n", "hub: unknown key 'prot' (did you mean 'port'?)"),
        ('[hub]\nport = "8000"\n', "hub.port: expected an integer, got string '8000'"),
        ("[hub]\nport = 70000\n", "hub.port: 70000 is not a TCP port (1-65535)"),
        ('[hub]\npublic_url = "dl.example.org"\n', "must start with http:// or https://"),
        ('[auth]\nkind = "ldap"\n', "auth.kind: 'ldap' is not one of local, github"),
        ('[auth]\nkind = "github"\n', "auth.github: missing (GitHub login needs organizations"),
        (
            '[auth]\nkind = "github"\n[auth.github]\nclient_id_env = "X"\n',
            "auth.github: list organizations or teams",
        ),
        (
            '[auth.github]\nteams = ["justateam"]\n',
            "auth.github.teams[0]: 'justateam' is not of the form 'org:team'",
        ),
        ("[profiles.cpu]\ngpu = 1\n", "profiles.cpu.gpu: expected true or false, got number 1"),
        ("[profiles.cpu]\nidle_timeout_minutes = 0\n", "idle_timeout_minutes: 0 is less than 1"),
        ("[profiles.CPU]\n", "'CPU' is not a profile name"),
        ("[profiles]\n", "profiles: empty"),
        ('[gpus]\ndevices = ["0", "0"]\n', "gpus.devices[1]: GPU '0' is listed twice"),
        ("[metering]\nslot_seconds = 0\n", "metering.slot_seconds: 0 is less than 1"),
        (
            '[isolation]\nmode = "chroot"\n',
            "isolation.mode: 'chroot' is not one of auto, users, off",
        ),
        (
            '[isolation]\nuser_prefix = "9-"\n',
            "isolation.user_prefix: '9-' is not a user-name prefix",
        ),
        ("[hub\n", "TOML syntax error"),
        ("[course]\n", "unknown key 'course'"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(CourseError) as caught:
        load_settings(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(CourseError, match="no such file"):
        load_settings(tmp_path / "nope.toml")


def test_settings_path_env_then_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRACTICUM_CONFIG", raising=False)
    assert settings_path() is None
    write(tmp_path, "")
    assert settings_path() == tmp_path / "practicum.toml"
    monkeypatch.setenv("PRACTICUM_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert settings_path() == tmp_path / "elsewhere.toml"


def test_gpus_detected_from_nvidia_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "nvidia-smi"
    fake.write_text(
        "#!/bin/sh\necho 'GPU 0: NVIDIA H200 (UUID: GPU-1)'\necho 'GPU 1: NVIDIA H200 (UUID: GPU-2)'\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert hub_settings.detect_gpus() == ("0", "1")
    fake.write_text("#!/bin/sh\nexit 9\n")
    assert hub_settings.detect_gpus() == ()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert hub_settings.detect_gpus() == ()
