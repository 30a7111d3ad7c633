"""Policy homework for real (the tests run as root, as a course's scoring machine does):
publishing hides the games' seeds as labels are hidden; `submit` checks the file at once
and queues it; the worker, a process of its own, plays the queued policy in the sandbox on
those seeds and records the means of the public, private and all games."""

from __future__ import annotations

import stat
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from policy_homework import (
    GAMES,
    HW,
    NOW,
    Uniform,
    finish_worker,
    make_config,
    needs_sandbox,
    publish_policy_homework,
    rows,
    run_worker,
    scripted,
    worker_environment,
)
from sqlalchemy import Engine, select
from tiny_homework import count_stored
from typer.testing import CliRunner

from practicum import store
from practicum.cli import app, play_worker
from practicum.grading import policy_sandbox
from practicum.grading.submission import SubmissionError
from practicum.lessons.lesson7 import evaluation
from practicum.service import submissions
from practicum.service.answers import load_answer
from practicum.service.policy_queue import SandboxMissing, Worker, run
from practicum.settings.service import ServiceConfig


@dataclass
class Setup:
    config: ServiceConfig
    engine: Engine
    files: store.FileStore
    seeds: np.ndarray

    def submit(self, content: bytes, filename: str = "policy.pt") -> submissions.SubmitOutcome:
        with store.session_scope(self.engine) as session:
            user = session.scalar(select(store.User).where(store.User.name == "ann"))
            assert user is not None
            ctx = submissions.SubmitContext(session, self.files, self.config, self.config.course())
            return submissions.submit(
                ctx, submissions.SubmissionRequest(HW, user, content, filename, NOW)
            )

    def left_today(self) -> int:
        with store.session_scope(self.engine, read_only=True) as session:
            user = session.scalar(select(store.User).where(store.User.name == "ann"))
            course = self.config.course()
            assert user is not None
            return submissions.allowance(session, course, course.homework[HW], user, NOW).remaining


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    config = make_config(tmp_path)
    store.upgrade(config.database_url)
    engine = store.make_engine(config.database_url)
    try:
        seeds = publish_policy_homework(config, engine)
        with store.session_scope(engine) as session:
            store.create_user(session, "ann", "student")
        yield Setup(config, engine, store.FileStore(config.blob_dir), seeds)
    finally:
        engine.dispose()


def test_publishing_keeps_the_game_seeds_private_and_gives_students_only_a_readme(
    setup: Setup,
) -> None:
    config, seeds = setup.config, setup.seeds
    assert seeds.dtype == np.int64 and len(seeds) == GAMES
    assert np.array_equal(seeds, seeds[0] + np.arange(GAMES)), "one play seeds seed, seed + 1..."
    private = config.private_dir / HW
    for path in private.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    shared = config.shared_dir / HW
    assert [p.name for p in shared.iterdir()] == ["README.md"]
    readme = (shared / "README.md").read_text()
    assert 'torch.jit.save(torch.jit.script(policy), "policy.pt")' in readme
    assert f"plays {GAMES} whole games" in readme and "of the games" in readme
    assert not any(str(seed) in readme for seed in seeds)
    answer = load_answer(config, HW)
    assert answer.public_mask.tolist().count(True) == 1  # round(3 * 0.3)
    # a republish keeps the seeds: scores already given were played on them
    publish_policy_homework(config, setup.engine)
    assert np.array_equal(load_answer(config, HW).y_test, seeds)


def test_a_file_that_is_no_torchscript_or_too_large_is_refused_at_once(
    setup: Setup, tmp_path: Path
) -> None:
    weights = tmp_path / "weights.pt"
    torch.save(Uniform().state_dict() | {"w": torch.zeros(3)}, weights)
    big = tmp_path / "big.pt"
    with zipfile.ZipFile(big, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("policy/code/__torch__.py", "x = 1\n")
        archive.writestr("policy/data/0", np.random.default_rng(0).bytes(2**20 + 1))
    refused = {
        weights.read_bytes(): "this is a torch.save file",
        big.read_bytes(): "the policy file is 1.0 MiB; the limit is 1 MiB",
        b"id,label\n0,1\n": "not a TorchScript file",
    }
    for content, message in refused.items():
        with pytest.raises(SubmissionError, match=message):
            setup.submit(content)
        assert count_stored(setup.engine, setup.files) == (0, 0), "nothing left behind"
        assert setup.left_today() == 3, "a refusal does not count against the daily limit"


@pytest.mark.skipif(not needs_sandbox, reason="needs root and bubblewrap")
def test_a_queued_policy_is_played_by_the_worker_and_scored_with_the_games_means(
    setup: Setup, tmp_path: Path
) -> None:
    content = scripted(Uniform(), tmp_path / "policy.pt")
    outcome = setup.submit(content)
    assert (outcome.status, outcome.public_score, outcome.rank) == ("queued", None, None)
    assert outcome.remaining_today == 2, "a queued policy is a submission of the day"
    [queued] = rows(setup.engine)
    assert (queued.status, queued.public_score, queued.full_score) == ("queued", None, None)

    output = finish_worker(run_worker(setup.config, wall_seconds=300), timeout=400)
    assert "played 1 policy" in output

    [scored] = rows(setup.engine)
    # the same games, played here without the sandbox: what the scores must be made of
    games = evaluation.play(
        torch.jit.load(str(tmp_path / "policy.pt")),
        episodes=GAMES,
        seed=int(setup.seeds[0]),
        threads=1,
    )
    mask = load_answer(setup.config, HW).public_mask
    scores = np.asarray(games.scores)
    assert scored.status == "scored" and scored.message is None
    assert scored.public_score == pytest.approx(scores[mask].mean())
    assert scored.private_score == pytest.approx(scores[~mask].mean())
    assert scored.full_score == pytest.approx(scores.mean())
    worker = Worker(setup.config, setup.engine, setup.files, setup.config.course())
    assert run(worker, once=True) == 0, "a scored policy is not played again"


def test_without_the_sandbox_the_worker_refuses_to_play_and_says_why(
    setup: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where bubblewrap or root is missing nothing is played, not even outside the sandbox."""
    setup.submit(scripted(Uniform(), tmp_path / "policy.pt"))
    monkeypatch.setattr(policy_sandbox, "sandbox_available", lambda: False)
    worker = Worker(setup.config, setup.engine, setup.files, setup.config.course())
    with pytest.raises(SandboxMissing, match="played only in the sandbox, which needs root"):
        run(worker, once=True)
    assert [row.status for row in rows(setup.engine)] == ["queued"]
    answer = CliRunner().invoke(app, ["homework", "play-queue", "--once"], env={"COLUMNS": "300"})
    assert answer.exit_code == 1
    assert "played only in the sandbox, which needs root and bubblewrap" in answer.output


@pytest.mark.skipif(not needs_sandbox, reason="needs root and bubblewrap")
def test_the_worker_beside_serve_polls_until_asked_to_stop(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`practicum serve` starts it as a process of its own and stops it with SIGTERM, which
    the worker takes as "finish what is under way, then exit"."""
    for name, value in worker_environment(setup.config, 60).items():
        monkeypatch.setenv(name, value)
    worker = play_worker.start(stdout=subprocess.PIPE)
    assert worker is not None and worker.stdout is not None
    try:
        assert "playing queued policies until stopped" in worker.stdout.readline().decode()
        play_worker.stop(worker, grace=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, "stopped by its own choice, not killed"
    assert worker.stdout.read().decode().strip() == "played 0 policies"
