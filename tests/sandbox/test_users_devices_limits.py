"""System user names, GPU device nodes and limits: the pure parts, and (as root, as CI
runs) the parts that act on the machine for real."""

from __future__ import annotations

import os
import pwd
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from practicum.sandbox import limits
from practicum.sandbox.devices import DeviceError, gpu_device_binds
from practicum.sandbox.users import (
    check_prefix,
    ensure_user,
    give_home,
    remove_user,
    system_user_name,
)

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (CI runs as root)")


def test_plain_hub_names_keep_their_name_and_altered_ones_stay_apart() -> None:
    assert system_user_name("practicum-", "alice") == "practicum-alice"
    dotted, dashed = (
        system_user_name("practicum-", "Alice.B"),
        system_user_name("practicum-", "alice-b"),
    )
    assert dashed == "practicum-alice-b" and dotted.startswith("practicum-alice-b-")
    assert dotted != dashed
    long = system_user_name("practicum-", "a" * 39)  # GitHub's longest login
    assert len(long) == 32 and long != system_user_name("practicum-", "a" * 38)
    assert all(c.isalnum() or c in "-_" for c in system_user_name("p-", "../../etc"))


@pytest.mark.parametrize("prefix", ["", "9x-", "-x", "Practicum-", "a" * 17, "x y"])
def test_a_prefix_that_cannot_start_a_user_name_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="not a user-name prefix"):
        check_prefix(prefix)


def stand_ins(folder: Path, names: list[str]) -> Path:
    folder.mkdir()
    for name in names:
        (folder / name).write_text("stand-in")
    return folder


def test_a_gpu_server_gets_its_node_and_the_control_nodes_a_cpu_server_none(
    tmp_path: Path,
) -> None:
    dev = stand_ins(tmp_path / "dev", ["nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm"])
    assert gpu_device_binds(dev, None) == [] and gpu_device_binds(dev, "") == []
    binds = gpu_device_binds(dev, "1")
    assert [(host.name, str(inside)) for host, inside in binds] == [
        ("nvidia1", "/dev/nvidia1"),
        ("nvidiactl", "/dev/nvidiactl"),
        ("nvidia-uvm", "/dev/nvidia-uvm"),
    ]
    assert all(host.parent == dev for host, _ in binds)


def test_a_gpu_without_a_node_or_with_an_odd_name_is_an_error(tmp_path: Path) -> None:
    dev = stand_ins(tmp_path / "dev", ["nvidia0"])
    with pytest.raises(DeviceError, match="nvidia3 does not exist"):
        gpu_device_binds(dev, "3")
    with pytest.raises(DeviceError, match="not a device number"):
        gpu_device_binds(dev, "../sda")


def test_cpu_max_is_quota_and_period() -> None:
    assert limits.cpu_max(1.5) == "150000 100000"
    assert limits.cpu_max(0.001) == "1000 100000"  # the kernel's smallest quota


def fake_cgroup_v2(root: Path) -> Path:
    root.mkdir()
    (root / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (root / "cgroup.subtree_control").write_text("")
    return root


def test_cgroup_v2_gets_memory_max_and_cpu_max(tmp_path: Path) -> None:
    root = fake_cgroup_v2(tmp_path / "cg")
    placed = limits.place("practicum-alice", limits.Limits(2**30, 1.5), root)
    group = root / "practicum" / "practicum-alice"
    assert placed.mechanism == "cgroup2"
    assert (group / "memory.max").read_text() == str(2**30)
    assert (group / "cpu.max").read_text() == "150000 100000"
    assert placed.procs_files == (group / "cgroup.procs",)
    assert "+memory" in (root / "practicum" / "cgroup.subtree_control").read_text()
    assert placed.describe(limits.Limits(2**30, 1.5)) == "limits enforced by cgroup2"


def test_cgroup_v1_gets_the_memory_and_cpu_controllers_limit_files(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    for controller in ("memory", "cpu"):
        (root / controller).mkdir(parents=True)
    placed = limits.place("practicum-bob", limits.Limits(None, 2.0), root)
    assert placed.mechanism == "cgroup1"
    memory, cpu = root / "memory/practicum/practicum-bob", root / "cpu/practicum/practicum-bob"
    assert (memory / "memory.limit_in_bytes").read_text() == "-1"
    assert (cpu / "cpu.cfs_quota_us").read_text() == "200000"
    assert placed.procs_files == (memory / "cgroup.procs", cpu / "cgroup.procs")


def test_without_cgroups_memory_falls_back_to_rlimit_and_says_cpu_is_not_capped(
    tmp_path: Path,
) -> None:
    placed = limits.place("x", limits.Limits(2**30, 1.0), tmp_path / "nothing")
    assert placed == limits.Placement("rlimit", rlimit_as=2**30)
    assert "CPU not limited" in placed.describe(limits.Limits(2**30, 1.0))
    assert limits.place("x", limits.Limits(), tmp_path).mechanism == "none"


ALLOCATE = "b = bytearray(400 * 2**20); b[::4096] = b'x' * len(b[::4096]); print('survived')"


@as_root
def test_the_kernel_kills_a_process_over_its_memory_limit() -> None:
    name = f"ptlim{secrets.token_hex(3)}"
    wanted = limits.Limits(mem_bytes=128 * 2**20)
    placed = limits.place(name, wanted)
    if placed.mechanism not in ("cgroup1", "cgroup2"):  # pragma: no cover - machine-dependent
        pytest.skip(f"no writable cgroup here ({placed.mechanism})")
    under = subprocess.run(
        [sys.executable, "-c", "print('fine')"], preexec_fn=placed.join, capture_output=True
    )
    assert under.returncode == 0 and b"fine" in under.stdout
    over = subprocess.run(
        [sys.executable, "-c", ALLOCATE], preexec_fn=placed.join, capture_output=True
    )
    assert over.returncode != 0 and b"survived" not in over.stdout
    free = subprocess.run([sys.executable, "-c", ALLOCATE], capture_output=True)
    assert free.returncode == 0, "outside the cgroup the same allocation works"


@as_root
def test_a_system_user_is_created_once_and_gets_its_home_alone(tmp_path: Path) -> None:
    name = f"pttest{secrets.token_hex(3)}"
    home = tmp_path / "homes" / "alice"
    (home / "notebooks").mkdir(parents=True)
    (home / "notebooks" / "a.ipynb").write_text("{}")
    outside = tmp_path / "root-only"
    outside.write_text("secret")
    (home / "trap").symlink_to(outside)  # a link the student left must not be followed
    try:
        user = ensure_user(name, home)
        assert ensure_user(name, home) == user
        entry = pwd.getpwnam(name)
        assert entry.pw_uid == user.uid and user.uid != 0 and entry.pw_dir == str(home)
        assert entry.pw_shell.endswith("nologin")
        give_home(home, user)
        assert (home.stat().st_mode & 0o777) == 0o700
        assert (home / "notebooks" / "a.ipynb").stat().st_uid == user.uid
        assert outside.stat().st_uid == 0
    finally:
        remove_user(name)
    with pytest.raises(KeyError):
        pwd.getpwnam(name)
