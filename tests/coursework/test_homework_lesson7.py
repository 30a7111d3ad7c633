"""`practicum lesson homework 7`: the reference trains PPO (a few updates in smoke mode),
writes the policy in the form the service takes, and plays it by the scored protocol."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from practicum.cli import app
from practicum.grading import policy_sandbox

runner = CliRunner()


def test_the_reference_writes_a_torchscript_policy_and_plays_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRACTICUM_SMOKE", "1")
    out = tmp_path / "policy.pt"
    result = runner.invoke(app, ["lesson", "homework", "7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert re.search(r"2 games by the service's protocol .*: mean [\d.]+", result.output)
    policy_sandbox.check_file(out)  # what the service checks first
    policy = torch.jit.load(str(out))
    logits = policy(torch.zeros(3, 4, 84, 84, dtype=torch.uint8))
    assert logits.shape == (3, 4) and torch.isfinite(logits).all()


def test_lesson_7_takes_no_test_inputs(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lesson", "homework", "7", "--x-test", str(tmp_path / "x.npy")])
    assert result.exit_code != 0 and "no test inputs" in result.output


def test_a_budget_too_small_for_the_evaluation_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["lesson", "homework", "7", "--budget-minutes", "3", "--out", str(tmp_path / "p.pt")]
    )
    assert result.exit_code != 0 and "needs a budget above 5 minutes" in result.output
