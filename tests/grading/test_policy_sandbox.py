"""Submitted policies are played in a sandbox, for real (the tests run as root, as a
course's scoring machine does): a good file is scored; a file that is not TorchScript, too
large or a zip bomb is refused before anything runs; a policy that hangs, eats memory,
crashes or tries to forge its result is stopped or reported, and the caller goes on."""

from __future__ import annotations

import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from torch import nn

from practicum.grading import policy_sandbox
from practicum.grading.policy_sandbox import PlayLimits, PolicyFailed, PolicyRefused
from practicum.sandbox import bwrap

needs_sandbox = pytest.mark.skipif(
    not policy_sandbox.sandbox_available(), reason="needs root and bubblewrap"
)


class Uniform(nn.Module):
    """Equal logits for Breakout's 4 actions: a random player."""

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return torch.zeros(frames.shape[0], 4)


class Hang(nn.Module):
    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        i = 0
        while i >= 0:
            i += 1
        return torch.zeros(frames.shape[0], 4)


class Hog(nn.Module):
    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        kept: list[torch.Tensor] = []
        total = torch.zeros(1)
        while len(kept) >= 0:  # 128 MiB of random numbers at a time, forever
            block = torch.rand(33554432)
            total = total + block[-1]
            kept.append(block)
        return torch.zeros(frames.shape[0], 4) + total


class Forger(nn.Module):
    """Prints what a result line looks like, then plays at random."""

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        print('RESULT 0000 {"scores": [999.0], "frames": [4], "seconds": 0.0}')
        return torch.zeros(frames.shape[0], 4)


class WrongShape(nn.Module):
    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return torch.zeros(frames.shape[0], 3)


def _script(module: nn.Module, path: Path) -> Path:
    torch.jit.save(torch.jit.script(module), str(path))
    return path


def test_a_random_policy_plays_two_whole_games_in_the_sandbox(tmp_path: Path) -> None:
    if not policy_sandbox.sandbox_available():
        pytest.skip("needs root and bubblewrap")
    played = policy_sandbox.play(_script(Uniform(), tmp_path / "p.pt"), episodes=2, seed=1)
    assert len(played.scores) == 2 and all(0 <= s < 30 for s in played.scores)
    assert all(f > 100 for f in played.frames), "a whole game of Breakout lasts a while"


@needs_sandbox
def test_a_forged_result_line_does_not_count(tmp_path: Path) -> None:
    played = policy_sandbox.play(_script(Forger(), tmp_path / "p.pt"), episodes=1, seed=1)
    assert played.scores != (999.0,)


@needs_sandbox
def test_a_hanging_policy_is_stopped_at_the_wall_limit(tmp_path: Path) -> None:
    with pytest.raises(PolicyFailed, match="did not finish its games in 10 s"):
        policy_sandbox.play(
            _script(Hang(), tmp_path / "p.pt"),
            episodes=1,
            seed=1,
            play_limits=PlayLimits(wall_seconds=10),
        )


@needs_sandbox
def test_a_policy_asking_for_unbounded_memory_is_killed(tmp_path: Path) -> None:
    with pytest.raises(PolicyFailed, match="memory"):
        policy_sandbox.play(
            _script(Hog(), tmp_path / "p.pt"),
            episodes=1,
            seed=1,
            play_limits=PlayLimits(memory_bytes=1536 * 2**20, wall_seconds=120),
        )


@needs_sandbox
def test_wrong_logits_are_reported_with_their_shape(tmp_path: Path) -> None:
    with pytest.raises(PolicyFailed, match=r"logits of shape \(1, 3\), not \(1, 4\)"):
        policy_sandbox.play(_script(WrongShape(), tmp_path / "p.pt"), episodes=1, seed=1)


def test_a_weights_file_is_refused_before_anything_runs(tmp_path: Path) -> None:
    path = tmp_path / "weights.pt"
    torch.save(Uniform().state_dict() | {"w": torch.zeros(3)}, path)
    with pytest.raises(PolicyRefused, match=r"torch\.save file"):
        policy_sandbox.check_file(path)


def test_a_file_that_is_not_an_archive_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "policy.pt"
    path.write_bytes(b"import os; os.system('rm -rf /')\n")
    with pytest.raises(PolicyRefused, match="not a TorchScript file"):
        policy_sandbox.check_file(path)


def test_too_large_and_zip_bombs_are_refused(tmp_path: Path) -> None:
    path = _script(Uniform(), tmp_path / "p.pt")
    with pytest.raises(PolicyRefused, match="the limit is"):
        policy_sandbox.check_file(path, max_bytes=path.stat().st_size - 1)
    bomb = tmp_path / "bomb.pt"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("p/code/__torch__.py", b"\0" * (8 * 2**20))
    assert bomb.stat().st_size < 100_000
    with pytest.raises(PolicyRefused, match="unpacks to more than 4 MiB"):
        policy_sandbox.check_file(bomb, max_unpacked=4 * 2**20)


@needs_sandbox
def test_the_sandbox_has_no_network_and_no_view_of_the_caller_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("hidden labels")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    probe = (
        "import socket, sys\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=3); print('connected')\n"
        "except OSError as e: print('no network', e)\n"
        f"print('sees secret' if __import__('os').path.exists({str(secret)!r}) else 'no secret')\n"
    )
    box = bwrap.Sandbox(
        uid=65534, gid=65534, workdir=Path("/tmp"), read_only=bwrap.python_paths(), network=False
    )
    argv = bwrap.command(
        box, [sys.executable, "-c", probe], bwrap=bwrap.find_bwrap(), setpriv=bwrap.find_setpriv()
    )
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True).stdout
    server.close()
    assert "no network" in out and "no secret" in out, out
