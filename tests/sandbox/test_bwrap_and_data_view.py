"""The sandbox's command line and what data it shows, checked as plain data; the
integration test (tests/hub/test_hub_isolation.py) runs real sandboxes."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from practicum.hub.isolation import IsolationError, resolve
from practicum.sandbox.bwrap import Sandbox, command, python_paths
from practicum.sandbox.data_view import data_view
from practicum.sandbox.devices import gpu_device_binds
from practicum.settings.hub import HubSettings, IsolationSettings


def pairs(args: list[str], option: str) -> list[str]:
    return [args[i + 1] for i, arg in enumerate(args) if arg == option]


def test_the_command_masks_then_binds_then_drops_to_the_student(tmp_path: Path) -> None:
    state, home = tmp_path / "state", tmp_path / "state" / "homes" / "alice"
    shared = tmp_path / "state" / "service" / "shared"
    dev = tmp_path / "dev"
    dev.mkdir()
    (dev / "nvidia0").write_text("")
    sandbox = Sandbox(
        uid=1234,
        gid=1235,
        workdir=home,
        writable=(home,),
        read_only=(shared,),
        masked=(state,),
        devices=tuple(gpu_device_binds(dev, "0")),
    )
    args = command(sandbox, ["jupyterhub-singleuser", "--port=9"], bwrap="bwrap", setpriv="sp")
    assert args[0] == "bwrap" and args[-2:] == ["jupyterhub-singleuser", "--port=9"]
    position = {arg: i for i, arg in enumerate(args)}
    assert position[str(state)] < position[str(shared)] < position[str(home)]
    assert pairs(args, "--bind") == [str(home)] and pairs(args, "--ro-bind")[-1] == str(shared)
    assert pairs(args, "--dev-bind") == [str(dev / "nvidia0")]
    for flag in ("--unshare-pid", "--die-with-parent", "--new-session"):
        assert flag in args
    handover = args[args.index("sp") :]
    assert handover[1:3] == ["--reuid=1234", "--regid=1235"]
    assert "--no-new-privs" in handover and "--bounding-set=-all" in handover
    # parents made 0755 before the binds, or the student could not reach their home
    made = pairs(args, "--dir")
    assert str(state / "homes") in made and str(tmp_path) in made
    assert all(args[i - 2 : i] == ["--perms", "0755"] for i, a in enumerate(args) if a == "--dir")


def test_python_paths_skip_usr_and_folders_inside_others(tmp_path: Path) -> None:
    inner = tmp_path / "venv" / "lib"
    inner.mkdir(parents=True)
    found = python_paths(["", str(tmp_path / "venv"), str(inner), "/usr/lib/python3", "/nope"])
    assert tmp_path / "venv" in found and inner not in found
    assert not any(str(p).startswith("/usr/") for p in found)
    assert Path(sys.prefix).resolve() in found or Path(sys.prefix).resolve().is_relative_to("/usr")


def test_the_data_view_shows_every_split_but_the_hidden_test_split(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for split in ("train", "test"):
        (cache / "fashion-mnist" / split).mkdir(parents=True)
        np.save(cache / "fashion-mnist" / split / "y.npy", np.zeros(3))
    system = tmp_path / "datasets"
    (system / "fashion-mnist").mkdir(parents=True)
    for name in ("train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (system / "fashion-mnist" / name).write_bytes(b"")
    view = data_view(cache, (system,))
    assert view.masked == (cache, system)
    assert cache / "fashion-mnist" / "train" in view.read_only
    assert system / "fashion-mnist" / "train-labels-idx1-ubyte.gz" in view.read_only
    assert not any("test" in p.parts or p.name.startswith("t10k") for p in view.read_only)


def test_isolation_is_the_default_as_root_and_refused_without_it() -> None:
    settings = HubSettings()
    assert resolve(settings, euid=1000) == "shared"
    off = replace(settings, isolation=IsolationSettings(mode="off"))
    assert resolve(off, euid=0) == "shared"
    forced = replace(settings, isolation=IsolationSettings(mode="users"))
    with pytest.raises(IsolationError, match="needs root"):
        resolve(forced, euid=1000)
