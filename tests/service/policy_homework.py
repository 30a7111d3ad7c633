"""A course with one policy homework (Lesson 7's kind: a TorchScript file the service plays),
published for real, and the worker run as the separate process it is in production. Shared
by the service and web tests (imported by name)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import tiny_homework
import torch
from sqlalchemy import Engine
from torch import nn

from practicum import store
from practicum.grading import policy_sandbox
from practicum.service.answers import load_answer
from practicum.service.publish import publish
from practicum.settings.service import ServiceConfig

HW = "breakout"
GAMES = 3
"""The protocol plays 10; 3 keep the tests short (a random game is ~200 steps) and still
split into 1 public and 2 private games."""
NOW = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)

COURSE_TOML = f"""
[course]
id = "rl"
title = "Reinforcement learning"
timezone = "UTC"

[[lessons]]
number = 1
title = "Atari Breakout"
opens = 2026-12-14T10:00:00
credits = 10

[homework.{HW}]
lesson = 1
title = "Play Atari Breakout"
metric = "mean_return"
target = 31.8
submission = "policy"
games = {GAMES}
public_fraction = 0.3
daily_limit = 3
final_picks = 2
deadline = 2027-03-31T23:59:00
task = "Submit a TorchScript policy."

[completion]
required_homework = ["{HW}"]
report_required = false
"""

needs_sandbox = policy_sandbox.sandbox_available()

sys.path.insert(0, str(Path(__file__).parents[1] / "grading"))
from test_policy_sandbox import Hang, Uniform  # noqa: E402 - the sandbox tests' policies

__all__ = ["Hang", "Uniform"]


def scripted(module: nn.Module, path: Path) -> bytes:
    torch.jit.save(torch.jit.script(module), str(path))
    return path.read_bytes()


def make_config(root: Path) -> ServiceConfig:
    return tiny_homework.make_config(root, course_toml=COURSE_TOML)


def publish_policy_homework(config: ServiceConfig, engine: Engine) -> np.ndarray:
    """Publish the homework as staff do; its hidden game seeds."""
    publish(config, engine, HW, now=NOW - timedelta(days=2))
    return load_answer(config, HW).y_test


def worker_environment(config: ServiceConfig, wall_seconds: float) -> dict[str, str]:
    """What makes `practicum` work on the config's state."""
    return {
        "PRACTICUM_STATE": str(config.state),
        "PRACTICUM_COURSE": str(config.course_path),
        "PRACTICUM_DATABASE_URL": config.database_url,
        "PRACTICUM_SHARED_DIR": str(config.shared_dir),
        "PRACTICUM_PRIVATE_DIR": str(config.private_dir),
        "PRACTICUM_POLICY_WALL_SECONDS": str(wall_seconds),
    }


def run_worker(config: ServiceConfig, *, wall_seconds: float) -> subprocess.Popen[str]:
    """`practicum homework play-queue --once` on the config's state, as its own process."""
    env = {**os.environ, **worker_environment(config, wall_seconds)}
    return subprocess.Popen(
        [sys.executable, "-m", "practicum.cli", "homework", "play-queue", "--once"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish_worker(worker: subprocess.Popen[str], timeout: float) -> str:
    output, _ = worker.communicate(timeout=timeout)
    assert worker.returncode == 0, output
    return output


def rows(engine: Engine) -> list[store.Submission]:
    """The homework's submissions, oldest first, loaded and detached."""
    with store.session_scope(engine, read_only=True) as session:
        found = store.submissions_for(session, HW)
        session.expunge_all()
        return found
