"""Two students on one real hub, as root (as CI runs and as a course's box does): each
server runs as its own system user inside a sandbox. Code in alice's kernel tries what a
hostile student would (the hidden labels, the database, the secrets, bob's home and
process, other processes, a GPU, the unreleased homework reference) and fails, while
practicum.submit() still scores. A staff member's token captured from alice's server is
refused by Practicum.
"""

from __future__ import annotations

import base64
import json
import os
import pwd
import py_compile
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from live_hub import LiveHub, labels_course_toml, live_hub, log_in, proxy_or_skip
from remote_kernel import run_in_kernel
from tiny_homework import publish_images

from practicum.coursework import withheld
from practicum.grading.split import make_split
from practicum.sandbox.bwrap import SandboxError, find_bwrap
from practicum.settings.hub import service_config

proxy_or_skip()
if os.geteuid() != 0:  # pragma: no cover - CI and the course's box run as root
    pytest.skip("isolation needs root (CI runs as root)", allow_module_level=True)
try:
    find_bwrap()
except SandboxError as exc:  # pragma: no cover
    pytest.skip(str(exc), allow_module_level=True)

HW, N_ITEMS = "lesson1-iso", 20
Y_TEST = np.arange(N_ITEMS) % 10
MASK = make_split(N_ITEMS, 0.5, seed=3)
GPU = "2"
MEM = 2 * 2**30

PROFILES = f"""
[profiles.cpu]
display_name = "CPU"
cpu_limit = 1.5
mem_limit = "{MEM // 2**30}G"
[profiles.gpu]
display_name = "GPU"
gpu = true
"""


# What alice's kernel runs: every path is tried, and the errno (or "read") is reported.
PROBE = """
import errno, glob, json, os
def attempt(path):
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            open(path, 'rb').read(1)
        return 'read'
    except OSError as exc:
        return errno.errorcode[exc.errno]
procs = []
for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
        status = open(f'/proc/{pid}/status').read()
        cmd = open(f'/proc/{pid}/cmdline', 'rb').read().replace(b'\\0', b' ').decode()
    except OSError:
        continue
    uid = int(next(l for l in status.splitlines() if l.startswith('Uid:')).split()[1])
    procs.append([int(pid), uid, cmd])
print(json.dumps({'tried': {p: attempt(p) for p in PATHS}, 'uid': os.getuid(),
                  'procs': procs, 'gpus': sorted(glob.glob('/dev/nvidia*'))}))
"""

# What alice's kernel runs about the homework references: lesson 1's is due in 30 days, so
# the course withholds it; the rest of the lesson and the registry still import.
WITHHELD_PROBE = """
import importlib, json, pathlib
out = {}
try:
    importlib.import_module('practicum.lessons.lesson1.reference')
    out['import'] = 'imported'
except ImportError as exc:
    out['import'] = type(exc).__name__ + ': ' + str(exc)
from practicum.lessons.lesson1 import mlp
from practicum.coursework import registry
out['mlp'] = hasattr(mlp, 'MLP') and 1 in registry.HOMEWORK
folder = pathlib.Path(mlp.__file__).parent
out['source'] = (folder / 'reference.py').read_text()
out['cache'] = sorted(p.name for p in (folder / '__pycache__').iterdir())
print(json.dumps(out))
"""


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveHub]:
    cache = Path(os.environ["PRACTICUM_DATA"])
    for split in ("train", "test"):  # a cached data set: its test split holds the labels
        (cache / "fashion-mnist" / split).mkdir(parents=True)
        np.save(cache / "fashion-mnist" / split / "y.npy", Y_TEST)
    with live_hub(
        tmp_path,
        monkeypatch,
        users={"alice": True, "bob": True},
        staff=("teacher",),
        course_toml=labels_course_toml(HW),
        gpus=(GPU,),
        extra_toml=PROFILES,
    ) as running:
        publish_images(service_config(running.settings), HW, Y_TEST, MASK)
        yield running


def own_token(hub: LiveHub, user: str) -> str:
    """An API token the student makes for themselves on the hub (as the token page does)."""
    browser = log_in(hub.url, user)
    xsrf = browser.cookies.get("_xsrf", path="/hub/")
    answer = browser.post(
        f"/hub/api/users/{user}/tokens",
        json={"note": "test", "expires_in": 600},
        headers={"X-XSRFToken": xsrf or ""},
    )
    assert answer.status_code == 201, answer.text[:500]
    token: str = answer.json()["token"]
    return token


def server_pid(user: str) -> int:
    """The host pid of the user's jupyterhub-singleuser (inside the sandbox)."""
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            env = environ.read_bytes()
            cmdline = (environ.parent / "cmdline").read_bytes()
        except OSError:
            continue
        mine = f"JUPYTERHUB_USER={user}\0".encode() in env
        if mine and b"jupyterhub-singleuser" in cmdline and b"bwrap" not in cmdline:
            return int(environ.parent.name)
    raise AssertionError(f"no server process of {user}")


def probe(hub: LiveHub, user: str, token: str, paths: list[str]) -> dict[str, Any]:
    code = f"PATHS = {paths!r}\n{PROBE}"
    printed = run_in_kernel(f"{hub.url}/user/{user}", token, code)
    result: dict[str, Any] = json.loads(printed.strip().splitlines()[-1])
    return result


def captured_token(cookie: str) -> str:
    """The OAuth token inside a signed `jupyterhub-user-<name>` cookie (tornado's v2
    format: fields `len:value` joined by '|'); readable by the server that set it."""
    fields, rest = [], cookie.removeprefix("2|")
    while rest and ":" in rest.split("|", 1)[0]:
        length, rest = rest.split(":", 1)
        fields.append(rest[: int(length)])
        rest = rest[int(length) + 1 :]
    return base64.b64decode(fields[-1]).decode()


def test_each_server_is_its_own_user_in_a_sandbox_that_hides_what_is_not_theirs(
    hub: LiveHub,
) -> None:
    settings, config = hub.settings, service_config(hub.settings)
    tokens = {user: own_token(hub, user) for user in ("alice", "bob")}  # logs them in too
    reference = Path(withheld.PACKAGE, withheld.REFERENCE_MODULES[1])
    py_compile.compile(str(reference))  # as if staff had run `practicum lesson homework 1`
    mlp_cache = reference.parent / "__pycache__"
    with hub.api() as api:
        api.start_server("alice", "cpu")
        api.start_server("bob", "gpu")
    hub.wait_ready("alice")
    hub.wait_ready("bob")
    alice_pid, bob_pid = server_pid("alice"), server_pid("bob")
    uids = {
        name: int(re.findall(r"^Uid:\s+(\d+)", Path(f"/proc/{pid}/status").read_text(), re.M)[0])
        for name, pid in (("alice", alice_pid), ("bob", bob_pid))
    }
    assert 0 not in uids.values() and uids["alice"] != uids["bob"]
    assert pwd.getpwuid(uids["alice"]).pw_name.endswith("-alice")

    private = sorted(str(p) for p in config.private_dir.rglob("*") if p.is_file())
    assert any(p.endswith("y_test.npy") for p in private) and len(private) >= 2
    secrets = [
        settings.state / "jupyterhub_cookie_secret",
        settings.state / "proxy_auth_token",
        settings.state / "practicum_api_token",
        settings.state / "jupyterhub.sqlite",
        config.state / "secret_key",
        config.state / "practicum.db",
    ]
    assert all(path.is_file() for path in secrets)
    cache = Path(os.environ["PRACTICUM_DATA"]) / "fashion-mnist"
    hidden = [
        *private,
        *map(str, secrets),
        str(settings.homes / "bob"),
        f"/proc/{bob_pid}/environ",
        str(cache / "test" / "y.npy"),
    ]
    seen = [
        str(settings.homes / "alice"),
        str(config.shared_dir / HW / "x_test.npy"),
        str(cache / "train" / "y.npy"),
    ]
    alice = probe(hub, "alice", tokens["alice"], hidden + seen)
    for path in hidden:
        assert alice["tried"][path] in ("ENOENT", "EACCES"), (path, alice["tried"][path])
    for path in seen:
        assert alice["tried"][path] == "read", (path, alice["tried"][path])
    assert alice["uid"] == uids["alice"]
    others = [(pid, uid, cmd) for pid, uid, cmd in alice["procs"] if uid != uids["alice"]]
    # only the sandbox's own init (bwrap, pid 1) besides alice's processes: no hub, no bob
    assert [(pid, Path(cmd.split()[0]).name) for pid, _, cmd in others] == [(1, "bwrap")]
    assert not any("jupyterhub -f" in cmd or "bob" in cmd for _, _, cmd in alice["procs"])
    assert alice["gpus"] == []  # a CPU server: no GPU device node at all

    assert any(mlp_cache.glob("reference.*.pyc"))  # compiled on the machine, and yet:
    printed = run_in_kernel(f"{hub.url}/user/alice", tokens["alice"], WITHHELD_PROBE)
    held = json.loads(printed.strip().splitlines()[-1])
    assert held["import"].startswith("ReferenceWithheld: Lesson 1's homework reference is")
    assert "raise ReferenceWithheld" in held["source"] and "def solve" not in held["source"]
    assert held["cache"] == [] and held["mlp"] is True

    bob = probe(hub, "bob", tokens["bob"], [])
    assert bob["gpus"] == sorted([f"/dev/nvidia{GPU}", "/dev/nvidia-uvm", "/dev/nvidiactl"])

    # the CPU profile's limits, enforced by the kernel (cgroup v1 or v2 on this machine)
    group = f"practicum/{pwd.getpwuid(uids['alice']).pw_name}"
    v2 = Path("/sys/fs/cgroup") / group
    if v2.is_dir():
        assert v2.joinpath("memory.max").read_text().strip() == str(MEM)
        assert v2.joinpath("cpu.max").read_text().split()[0] == "150000"
        assert str(alice_pid) in v2.joinpath("cgroup.procs").read_text().split()
    else:
        memory = Path("/sys/fs/cgroup/memory") / group
        assert memory.joinpath("memory.limit_in_bytes").read_text().strip() == str(MEM)
        assert str(alice_pid) in memory.joinpath("cgroup.procs").read_text().split()
        cpu = Path("/sys/fs/cgroup/cpu") / group
        assert cpu.joinpath("cpu.cfs_quota_us").read_text().strip() == "150000"


def test_submit_still_scores_and_a_captured_staff_token_is_refused(hub: LiveHub) -> None:
    token = own_token(hub, "alice")
    with hub.api() as api:
        api.start_server("alice", "cpu")
    hub.wait_ready("alice")
    code = (
        "import numpy as np, practicum\n"
        f"print('SCORE', practicum.submit({HW!r}, np.full({N_ITEMS}, 3)).public_score)"
    )
    printed = run_in_kernel(f"{hub.url}/user/alice", token, code)
    assert f"SCORE {float(np.mean(Y_TEST[MASK] == 3))}" in printed
    # the hidden split is not there to load, and the read-only cache cannot import it
    code = (
        "import practicum\ntry:\n    practicum.load('fashion-mnist', 'test')\n"
        "except practicum.data.DataError as exc:\n    print('REFUSED', exc)"
    )
    printed = run_in_kernel(f"{hub.url}/user/alice", token, code)
    assert "REFUSED fashion-mnist/test is not in the course's data cache" in printed, printed

    # staff open alice's server: the server (alice's code) holds their cookie
    teacher = log_in(hub.url, "teacher")
    consent = teacher.get("/user/alice/lab", follow_redirects=True)
    assert consent.status_code == 200 and "Authorize" in consent.text, consent.text[:300]
    form = {
        "_xsrf": re.findall(r'name="_xsrf" value="([^"]+)"', consent.text)[0],
        "scopes": re.findall(r'name="scopes" value="([^"]+)"', consent.text),
    }
    opened = teacher.post(str(consent.url), data=form, follow_redirects=True)
    assert opened.status_code == 200, opened.text[:300]
    cookie = teacher.cookies.get("jupyterhub-user-alice")
    assert cookie, dict(teacher.cookies)
    bearer = {"Authorization": f"Bearer {captured_token(cookie)}"}
    works_there = httpx.get(f"{hub.url}/user/alice/api/status", headers=bearer, timeout=10)
    assert works_there.status_code == 200  # a real, live token...
    for path in ("/api/me", "/api/staff/submissions"):  # ...that Practicum refuses
        replay = httpx.get(f"{hub.url}/services/practicum{path}", headers=bearer, timeout=10)
        assert replay.status_code == 403, (path, replay.status_code, replay.text[:200])
        assert "not for Practicum" in replay.text
