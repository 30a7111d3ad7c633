"""deploy/kubernetes: the Helm values and manifests say the same thing as practicum.toml.

Nothing here needs a cluster. The files are parsed with PyYAML (a dependency of jupytext and
jupyter_events, so always installed with Practicum); the Python the hub runs from them (the
spawn check in hub.extraConfig, the culler's config file) is executed against a traitlets
Config, with a stand-in for the chart's z2jh module.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import sys
import types
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
import yaml
from traitlets.config import Config

from practicum.hub import home
from practicum.hub.spawn_hook import SpawnCheck
from practicum.settings.hub import HubSettings, load_settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy" / "kubernetes"
DOC = ROOT / "docs" / "deploy-kubernetes.md"
TOKEN = "token-from-the-hub-secret"


def _load(name: str) -> Any:
    return yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def values() -> Any:
    return _load("values.yaml")


@pytest.fixture(scope="module")
def manifests() -> dict[str, Any]:
    docs = yaml.safe_load_all((DEPLOY / "practicum.yaml").read_text(encoding="utf-8"))
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in docs if d}


@pytest.fixture(scope="module")
def toml_path(manifests: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "practicum.toml"
    path.write_text(manifests["ConfigMap/practicum-config"]["data"]["practicum.toml"])
    return path


@pytest.fixture(scope="module")
def settings(toml_path: Path) -> HubSettings:
    return load_settings(toml_path)


def _container(manifests: dict[str, Any]) -> dict[str, Any]:
    pod = manifests["Deployment/practicum"]["spec"]["template"]["spec"]
    return dict(pod["containers"][0])


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


def _profiles(values: Any) -> dict[str, dict[str, Any]]:
    return {p["slug"]: p for p in values["singleuser"]["profileList"]}


# --- profiles ---------------------------------------------------------------------------------


def test_profiles_are_the_ones_practicum_meters(values: Any, settings: HubSettings) -> None:
    profiles = _profiles(values)
    assert list(profiles) == list(settings.profiles)
    for slug, profile in profiles.items():
        assert profile["display_name"] == settings.profiles[slug].display_name
    defaults = [slug for slug, p in profiles.items() if p.get("default")]
    assert defaults == [settings.default_profile.name]


def test_gpu_profile_gets_one_whole_gpu_and_cpu_profile_none(
    values: Any, settings: HubSettings
) -> None:
    for slug, profile in _profiles(values).items():
        override = profile["kubespawner_override"]
        if settings.profiles[slug].gpu:
            assert int(override["extra_resource_limits"]["nvidia.com/gpu"]) == 1
            assert override["node_selector"]
            assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in (
                override["tolerations"]
            )
        else:
            assert "nvidia.com/gpu" not in json.dumps(override)
    assert any(p.gpu for p in settings.profiles.values())
    assert any(not p.gpu for p in settings.profiles.values())


# --- login ------------------------------------------------------------------------------------


def test_github_login_is_restricted_to_the_course_team(values: Any, settings: HubSettings) -> None:
    config = values["hub"]["config"]
    assert config["JupyterHub"]["authenticator_class"] == "github"
    github = config["GitHubOAuthenticator"]
    assert github["allowed_organizations"], "without it anyone on GitHub gets in"
    allowed = set(settings.auth.github.organizations) | set(settings.auth.github.teams)
    assert set(github["allowed_organizations"]) == allowed
    assert "read:org" in github["scope"]
    assert github["oauth_callback_url"].endswith("/hub/oauth_callback")
    assert set(config["Authenticator"]["admin_users"]) == set(settings.auth.staff)
    env = values["hub"]["extraEnv"]
    for name in ("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"):
        assert env[name]["valueFrom"]["secretKeyRef"]["name"] == "practicum-github"


# --- the Practicum service ----------------------------------------------------------------------


def test_hub_service_url_is_the_kubernetes_service(values: Any, manifests: dict[str, Any]) -> None:
    service = manifests["Service/practicum"]
    url = urlparse(values["hub"]["services"]["practicum"]["url"])
    port = service["spec"]["ports"][0]
    assert (url.hostname, url.port) == (service["metadata"]["name"], port["port"])
    container = _container(manifests)
    by_name = {p["name"]: p["containerPort"] for p in container["ports"]}
    listening = int(container["command"][container["command"].index("--port") + 1])
    assert by_name[port["targetPort"]] == listening
    assert "--hub" in container["command"]
    selector = service["spec"]["selector"].items()
    assert (
        selector
        <= manifests["Deployment/practicum"]["spec"]["template"]["metadata"]["labels"].items()
    )


def test_service_gets_what_a_hub_managed_service_would(
    values: Any, manifests: dict[str, Any]
) -> None:
    env = _env(_container(manifests))
    assert env["JUPYTERHUB_SERVICE_NAME"] == "practicum"
    assert env["JUPYTERHUB_SERVICE_PREFIX"] == "/services/practicum/"
    assert env["JUPYTERHUB_CLIENT_ID"] == "service-practicum"
    assert env["JUPYTERHUB_OAUTH_CALLBACK_URL"] == "/services/practicum/oauth_callback"
    token = env["JUPYTERHUB_API_TOKEN"]["secretKeyRef"]
    assert token == {"name": "hub", "key": "hub.services.practicum.apiToken"}
    assert urlparse(env["JUPYTERHUB_API_URL"]).hostname == "hub"
    role = values["hub"]["loadRoles"]["practicum"]
    assert role["services"] == ["practicum"]
    assert {"list:users", "read:servers", "servers"} <= set(role["scopes"])
    user_scopes = values["hub"]["loadRoles"]["user"]["scopes"]
    assert "self" in user_scopes and "access:services!service=practicum" in user_scopes


def test_two_replicas_share_one_postgresql(manifests: dict[str, Any]) -> None:
    deployment = manifests["Deployment/practicum"]
    assert deployment["spec"]["replicas"] == 2
    database = {"secretKeyRef": {"name": "practicum-db", "key": "url"}}
    assert _env(_container(manifests))["PRACTICUM_DATABASE_URL"] == database
    (migrate,) = deployment["spec"]["template"]["spec"]["initContainers"]
    assert migrate["command"] == ["practicum", "db", "upgrade"]
    assert _env(migrate)["PRACTICUM_DATABASE_URL"] == database
    claims = {
        v["persistentVolumeClaim"]["claimName"]
        for v in deployment["spec"]["template"]["spec"]["volumes"]
        if "persistentVolumeClaim" in v
    }
    for claim in claims:  # both replicas write them, maybe from different nodes
        assert manifests[f"PersistentVolumeClaim/{claim}"]["spec"]["accessModes"] == [
            "ReadWriteMany"
        ]


def test_hub_database_is_postgresql_without_a_password_in_the_url(values: Any) -> None:
    db = values["hub"]["db"]
    assert db["type"] == "postgres"
    url = urlparse(db["url"])
    assert url.scheme.startswith("postgresql") and url.password is None
    password = values["hub"]["extraEnv"]["PGPASSWORD"]["valueFrom"]["secretKeyRef"]
    assert password == {"name": "practicum-db", "key": "password"}
    bitnami = _load("postgresql-values.yaml")
    assert url.username == bitnami["auth"]["username"]
    assert bitnami["auth"]["existingSecret"] == password["name"]
    assert bitnami["auth"]["secretKeys"]["userPasswordKey"] == password["key"]
    scripts = "\n".join(bitnami["primary"]["initdb"]["scripts"].values())
    assert f"CREATE DATABASE {url.path.strip('/')} OWNER {url.username}" in scripts


# --- what students get ------------------------------------------------------------------------


def test_students_read_the_shared_data_and_never_the_private(
    values: Any, manifests: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = values["singleuser"]["storage"]
    (volume,) = storage["extraVolumes"]
    (mount,) = storage["extraVolumeMounts"]
    assert volume["persistentVolumeClaim"] == {"claimName": "practicum-shared", "readOnly": True}
    assert mount["readOnly"] is True and mount["name"] == volume["name"]
    container = _container(manifests)
    written = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    pod_volumes = manifests["Deployment/practicum"]["spec"]["template"]["spec"]["volumes"]
    shared = next(
        v["name"]
        for v in pod_volumes
        if v.get("persistentVolumeClaim") == {"claimName": "practicum-shared"}
    )
    assert _env(container)["PRACTICUM_SHARED_DIR"] == written[shared]
    assert "practicum-state" not in json.dumps(values["singleuser"])

    # The pod's postStart hook seeds the home from the image's notebooks and the mount.
    python, flag, code = values["singleuser"]["lifecycleHooks"]["postStart"]["exec"]["command"]
    assert (python, flag) == ("python", "-c")
    seeded: list[inspect.BoundArguments] = []
    signature = inspect.signature(home.seed_home)
    monkeypatch.setattr(home, "seed_home", lambda *a, **k: seeded.append(signature.bind(*a, **k)))
    exec(compile(code, "postStart", "exec"), {})
    (call,) = seeded
    copied = (DEPLOY / "images" / "singleuser.Dockerfile").read_text()
    notebooks = re.search(r"^COPY .*/exercise/ (\S+)$", copied, re.M)
    assert notebooks is not None
    assert call.arguments == {
        "home": Path.home(),
        "notebooks_dir": Path(notebooks.group(1)),
        "homework_dir": Path(mount["mountPath"]),
    }


def test_notebooks_reach_the_service_through_the_proxy(values: Any) -> None:
    url = urlparse(values["singleuser"]["extraEnv"]["PRACTICUM_URL"])
    assert url.path == "/services/practicum"
    https = values.get("proxy", {}).get("https", {})
    automatic = https.get("enabled") and https.get("type") == "letsencrypt"
    # With the chart's automatic HTTPS, proxy-public is Traefik (redirecting to https) and
    # the proxy itself is proxy-http on port 8000; without it, proxy-public is the proxy.
    assert (url.hostname, url.port) == (
        ("proxy-http", 8000) if automatic else ("proxy-public", None)
    )
    labels = values["singleuser"]["extraLabels"]
    assert labels["hub.jupyter.org/network-access-proxy-http"] == "true"


# --- the Python the hub runs --------------------------------------------------------------------


def _fake_z2jh(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("z2jh")

    def get_secret_value(key: str, default: str | None = None) -> str:
        assert key == "hub.services.practicum.apiToken"
        return TOKEN

    module.get_secret_value = get_secret_value  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "z2jh", module)


def _run_config(text: str, monkeypatch: pytest.MonkeyPatch, toml_path: Path) -> Config:
    monkeypatch.setenv("PRACTICUM_CONFIG", str(toml_path))
    c = Config()
    exec(compile(text, "values.yaml", "exec"), {"c": c})
    return c


class _Spawner:
    def __init__(self, profile: str) -> None:
        self.user = types.SimpleNamespace(name="ada")
        self.user_options = {"profile": profile}
        self.environment = {"PRACTICUM_URL": "http://proxy-http:8000/services/practicum"}


def test_spawn_check_asks_the_practicum_service(
    values: Any, manifests: dict[str, Any], toml_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_z2jh(monkeypatch)
    (text,) = values["hub"]["extraConfig"].values()
    hook = _run_config(text, monkeypatch, toml_path).KubeSpawner.pre_spawn_hook
    assert isinstance(hook, SpawnCheck)
    prefix = _env(_container(manifests))["JUPYTERHUB_SERVICE_PREFIX"]
    service_url = values["hub"]["services"]["practicum"]["url"]
    assert hook.url == f"{service_url}{prefix}hub/spawn-check"
    assert hook.default_profile == "cpu"

    asked: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        environment = {"CUDA_VISIBLE_DEVICES": "slot-2", "PRACTICUM_NOTE": "queued 3 min"}
        return httpx.Response(200, json={"allowed": True, "environment": environment})

    hook.transport = httpx.MockTransport(answer)
    spawner = _Spawner("gpu")
    asyncio.run(hook(spawner))
    (request,) = asked
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(request.content) == {"user": "ada", "profile": "gpu"}
    # The pod's GPU comes from the device plugin: a slot name must not hide it.
    assert spawner.environment == {
        "PRACTICUM_URL": "http://proxy-http:8000/services/practicum",
        "PRACTICUM_NOTE": "queued 3 min",
    }


def test_idle_culler_uses_each_profiles_timeout(
    values: Any, toml_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert values["cull"]["enabled"] is False
    culler = values["hub"]["services"]["idle-culler"]
    (config_file,) = values["hub"]["extraFiles"].values()
    assert f"--config={config_file['mountPath']}" in culler["command"]
    (config_mount,) = values["hub"]["extraVolumeMounts"]
    assert (
        culler["environment"]["PRACTICUM_CONFIG"] == f"{config_mount['mountPath']}/practicum.toml"
    )
    assert values["hub"]["loadRoles"]["idle-culler"]["services"] == ["idle-culler"]

    arbiter = _run_config(config_file["stringData"], monkeypatch, toml_path).IdleCuller[
        "cull_arbiter_hook"
    ]

    def culls(profile: str, idle_minutes: int) -> bool:
        server = {"user_options": {"profile": profile}}
        return bool(
            arbiter(inactive=timedelta(minutes=idle_minutes), inactive_limit=7200, server=server)
        )

    assert culls("gpu", 21) and not culls("gpu", 19)
    assert culls("cpu", 121) and not culls("cpu", 21)


# --- secrets ----------------------------------------------------------------------------------

SECRET_KEY = re.compile(r"(password|secret|token|credential|private.?key)", re.I)
NAMES_A_SECRET = {"existingSecret", "secretName", "adminPasswordKey", "userPasswordKey"}
PASSWORD_IN_URL = re.compile(r"://[^/@:\s]+:[^/@\s]+@")


def literal_secrets(node: Any, path: str = "") -> Iterator[str]:
    """Paths of values that look like secrets written inline (not references to Secrets)."""
    if isinstance(node, dict):
        if (
            isinstance(node.get("name"), str)
            and "value" in node
            and SECRET_KEY.search(node["name"])
        ):
            yield f"{path}.{node['name']}"
        for key, value in node.items():
            here = f"{path}.{key}"
            inline = isinstance(value, str | int) and str(key) not in NAMES_A_SECRET
            if inline and SECRET_KEY.search(str(key)):
                yield here
            yield from literal_secrets(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from literal_secrets(item, f"{path}[{index}]")
    elif isinstance(node, str) and PASSWORD_IN_URL.search(node):
        yield path


def test_the_secret_finder_finds_inline_secrets() -> None:
    planted = {
        "hub": {"db": {"password": "hunter2", "url": "postgresql://u:hunter2@db/x"}},
        "env": [{"name": "GITHUB_CLIENT_SECRET", "value": "abc"}],
        "auth": {"existingSecret": "practicum-db"},
        "ok": [{"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
    }
    assert sorted(literal_secrets(planted)) == [
        ".env[0].GITHUB_CLIENT_SECRET",
        ".hub.db.password",
        ".hub.db.url",
    ]


@pytest.mark.parametrize("name", ["values.yaml", "practicum.yaml", "postgresql-values.yaml"])
def test_no_secret_is_written_inline(name: str) -> None:
    for document in yaml.safe_load_all((DEPLOY / name).read_text(encoding="utf-8")):
        assert list(literal_secrets(document)) == []


# --- versions ---------------------------------------------------------------------------------


def test_hub_image_is_built_on_the_chart_version_the_guide_installs() -> None:
    dockerfile = (DEPLOY / "images" / "hub.Dockerfile").read_text()
    match = re.search(r"^ARG CHART_VERSION=(\S+)$", dockerfile, re.M)
    assert match is not None and match.group(1).startswith("4.")
    chart = re.compile(r"jupyterhub/jupyterhub[ \\\n]+--version (\S+)")
    installed = set(chart.findall(DOC.read_text(encoding="utf-8")))
    installed |= set(chart.findall((DEPLOY / "values.yaml").read_text()))
    assert installed == {match.group(1)}
