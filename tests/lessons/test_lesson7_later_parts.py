"""Lesson 7, Sections 3 and 4: Double DQN's target, GAE, PPO's clipped loss and the sum tree
give the numbers computed by hand; the checks of Section 4's exercises accept right
versions and name each usual mistake; PPO's loop takes the student's GAE and loss; the
pictures and the GIF are made."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from practicum.coursework import exercise
from practicum.lessons.lesson7 import atari, dqn, ppo
from practicum.lessons.lesson7 import checks_atari as checks
from practicum.lessons.lesson7 import plots_atari as draw
from practicum.lessons.lesson7.prioritized import PrioritizedIndex, SumTree

# --- the references on hand-computed cases -------------------------------------------------


def test_double_dqn_target_by_hand() -> None:
    """Online picks actions 1, 2, 0, 1; the target network values them 1, -1, -1, 1."""
    y = dqn.double_dqn_target(**checks.double_dqn_case())
    assert torch.allclose(y, torch.tensor([1.9, -0.9, -0.4, -1.0]))
    assert not y.requires_grad
    plain = dqn.dqn_target(
        checks.table_net(torch.tensor(checks.TARGET)),
        torch.tensor(checks.REWARDS),
        torch.eye(3)[checks.NEXT_STATES],
        torch.tensor(checks.DONES),
        checks.GAMMA,
    )
    assert torch.allclose(plain, torch.tensor([4.6, 1.8, 3.2, -1.0]))


def test_gae_by_hand() -> None:
    case = checks.gae_case()
    advantages, returns = ppo.gae(**case)
    expected = torch.tensor([[2.12, 0.46816], [1.0, 0.428], [3.3, 0.4]])
    assert torch.allclose(advantages, expected, atol=1e-5)
    assert torch.allclose(returns, expected + case["values"], atol=1e-5)


@pytest.mark.parametrize("lam", [0.0, 1.0])
def test_gae_at_lambda_zero_and_one(lam: float) -> None:
    """lambda 0: the one-step TD error; lambda 1: the discounted return minus the value."""
    rewards = torch.tensor([[0.0], [0.0], [1.0]])
    values = torch.tensor([[0.5], [0.2], [0.3]])
    advantages, _ = ppo.gae(rewards, values, torch.zeros(3, 1), torch.tensor([0.4]), 0.5, lam)
    if lam == 0.0:
        expected = [0.0 + 0.5 * 0.2 - 0.5, 0.0 + 0.5 * 0.3 - 0.2, 1.0 + 0.5 * 0.4 - 0.3]
    else:
        expected = [0.25 * 1.0 + 0.125 * 0.4 - 0.5, 0.5 + 0.25 * 0.4 - 0.2, 1.0 + 0.2 - 0.3]
    assert torch.allclose(advantages[:, 0], torch.tensor(expected), atol=1e-6)


def test_clipped_loss_by_hand() -> None:
    """Terms 1.2, 0.5, -1.1, -0.8, -2.6, 1.8: the loss is -mean = 1/6; the clipped samples
    (the first and the fourth) give no gradient, the others -A r / 6."""
    case = checks.clipped_case()
    loss = ppo.clipped_loss(**case)
    assert math.isclose(loss.item(), 1 / 6, rel_tol=1e-5)
    (grad,) = torch.autograd.grad(loss, case["new_logp"])
    expected = torch.tensor([0.0, -0.5, 1.1, 0.0, 2.6, -1.8]) / 6
    assert torch.allclose(grad, expected, atol=1e-6)


def test_clipped_loss_at_ratio_one_is_minus_the_mean_advantage() -> None:
    logp = torch.tensor([-0.3, -1.2, -2.0])
    advantages = torch.tensor([1.0, -3.0, 0.5])
    loss = ppo.clipped_loss(logp, logp.clone(), advantages, clip=0.1)
    assert math.isclose(loss.item(), 0.5, rel_tol=1e-6)


def test_the_sum_tree_finds_leaves_by_mass() -> None:
    tree = SumTree(5)
    assert tree.capacity == 8
    tree.set(np.arange(4), np.array([1.0, 2.0, 3.0, 4.0]))
    assert tree.total == 10.0
    assert tree.find(np.array([0.5, 1.0, 2.9, 3.0, 5.99, 6.0, 9.9])).tolist() == [
        0,
        1,
        1,
        2,
        2,
        3,
        3,
    ]
    tree.set(np.array([1]), np.array([0.0]))
    assert tree.total == 8.0 and tree.find(np.array([1.5])).tolist() == [2]


def test_prioritized_sampling_and_weights() -> None:
    """Priorities 1, 1, 2, 4 (alpha 1): P = 1/8, 1/8, 1/4, 1/2; beta 1 weights (4 P)^-1
    divided by the largest, 1, 1, 0.5, 0.25 (the quiz's q4)."""
    index = PrioritizedIndex(4, alpha=1.0, eps=0.0)
    for row in range(4):
        index.added(row)
    index.update(np.arange(4), np.array([1.0, -1.0, 2.0, 4.0]))
    rng = np.random.default_rng(0)
    counts = np.zeros(4)
    for _ in range(2_000):
        rows, weights = index.sample(4, beta=1.0, rng=rng)
        np.add.at(counts, rows, 1)
        wanted = np.array([1.0, 1.0, 0.5, 0.25])[rows]
        assert np.allclose(weights, wanted)
    assert np.allclose(counts / counts.sum(), [0.125, 0.125, 0.25, 0.5], atol=0.01)


# --- the Double DQN check -----------------------------------------------------------------


def _pick_and_value(picker: str, valuer: str, no_grad: bool = True, done: bool = True) -> Any:
    def target(
        online_net: Any, target_net: Any, rewards: Any, next_obs: Any, dones: Any, gamma: float
    ) -> Any:
        nets = {"online": online_net, "target": target_net}
        with torch.set_grad_enabled(not no_grad):
            pick = nets[picker](next_obs).argmax(dim=1, keepdim=True)
            value = nets[valuer](next_obs).gather(1, pick).squeeze(1)
        alive = 1.0 - dones if done else 1.0
        return rewards + gamma * alive * value

    return target


def _column(
    online_net: Any, target_net: Any, rewards: Any, next_obs: Any, dones: Any, gamma: float
) -> Any:
    with torch.no_grad():
        pick = online_net(next_obs).argmax(dim=1, keepdim=True)
        value = target_net(next_obs).gather(1, pick)
    return rewards + gamma * (1.0 - dones) * value


def _detached(
    online_net: Any, target_net: Any, rewards: Any, next_obs: Any, dones: Any, gamma: float
) -> Any:
    pick = online_net(next_obs).argmax(dim=1)
    value = target_net(next_obs)[torch.arange(len(pick)), pick]
    return (rewards + gamma * (1.0 - dones) * value).detach()


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (_pick_and_value("target", "target"), "the target network both picks and values"),
        (_pick_and_value("online", "online"), "the online network both picks and values"),
        (_pick_and_value("target", "online"), "the roles are swapped"),
        (_pick_and_value("online", "target", done=False), "multiply the next value by (1 - dones)"),
        (_pick_and_value("online", "target", no_grad=False), "carries gradients into the networks"),
        (_column, "(squeeze the gathered column)"),
    ],
)
def test_the_double_dqn_check_names_the_mistake(wrong: Any, says: str) -> None:
    with pytest.raises(AssertionError, match=re.escape(says)):
        checks.check_double_dqn_target(wrong, dqn.double_dqn_target)


@pytest.mark.parametrize(
    "right", [_pick_and_value("online", "target"), _detached, dqn.double_dqn_target]
)
def test_the_double_dqn_check_accepts_the_right_ones(right: Any) -> None:
    checks.check_double_dqn_target(right, dqn.double_dqn_target)


# --- the GAE check ------------------------------------------------------------------------


def _gae(
    *,
    lam_used: bool = True,
    reset: bool = True,
    cut: bool = True,
    last: bool = True,
    plus: bool = True,
) -> Any:
    def gae(
        rewards: Any, values: Any, dones: Any, last_value: Any, gamma: float, lam: float
    ) -> Any:
        out = []
        running = torch.zeros_like(last_value)
        following = last_value if last else torch.zeros_like(last_value)
        for t in range(len(rewards) - 1, -1, -1):
            alive = 1.0 - dones[t]
            delta = rewards[t] + gamma * following * (alive if cut else 1.0) - values[t]
            running = (
                delta + gamma * (lam if lam_used else 1.0) * (alive if reset else 1.0) * running
            )
            out.insert(0, running)
            following = values[t]
        advantages = torch.stack(out)
        return advantages, advantages + values if plus else advantages

    return gae


def _gae_only_advantages(
    rewards: Any, values: Any, dones: Any, last_value: Any, gamma: float, lam: float
) -> Any:
    return ppo.gae(rewards, values, dones, last_value, gamma, lam)[0]


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (_gae(reset=False), "the running advantage goes on through a done"),
        (_gae(lam_used=False), "lambda is missing"),
        (_gae(cut=False), "the step that ends a game bootstraps from the next value"),
        (_gae(cut=False, reset=False), "the dones are ignored"),
        (_gae(last=False), "does not bootstrap from last_value"),
        (_gae(plus=False), "the returns equal the advantages"),
        (_gae_only_advantages, "return two tensors: (advantages, returns)"),
    ],
)
def test_the_gae_check_names_the_mistake(wrong: Any, says: str) -> None:
    with pytest.raises(AssertionError, match=re.escape(says)):
        checks.check_gae(wrong, ppo.gae)


@pytest.mark.parametrize("right", [_gae(), ppo.gae])
def test_the_gae_check_accepts_the_right_ones(right: Any) -> None:
    checks.check_gae(right, ppo.gae)


# --- the clipped loss check ---------------------------------------------------------------


def _loss(
    *,
    ratio: str = "exp",
    pick: Any = torch.min,
    clip_product: bool = False,
    sign: float = -1.0,
    reduce: str = "mean",
    detach_clip: bool = False,
) -> Any:
    def loss(new_logp: Any, old_logp: Any, advantages: Any, clip: float) -> Any:
        r = {
            "exp": lambda: torch.exp(new_logp - old_logp),
            "difference": lambda: new_logp - old_logp,
            "divided": lambda: new_logp / old_logp,
        }[ratio]()
        if clip_product:
            clipped = torch.clamp(r * advantages, 1 - clip, 1 + clip)
        else:
            clipped = torch.clamp(r.detach() if detach_clip else r, 1 - clip, 1 + clip) * advantages
        terms = pick(r * advantages, clipped)
        total = {"mean": terms.mean, "sum": terms.sum, "none": lambda: terms}[reduce]()
        return sign * total

    return loss


def _where(new_logp: Any, old_logp: Any, advantages: Any, clip: float) -> Any:
    r = (new_logp - old_logp).exp()
    outside = torch.where(advantages > 0, r > 1 + clip, r < 1 - clip)
    terms = torch.where(
        outside, torch.clamp(r, 1 - clip, 1 + clip).detach() * advantages, r * advantages
    )
    return -terms.mean()


def _item(new_logp: Any, old_logp: Any, advantages: Any, clip: float) -> Any:
    return torch.tensor(ppo.clipped_loss(new_logp, old_logp, advantages, clip).item())


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (_loss(pick=torch.max), "PPO takes the min"),
        (_loss(clip_product=True), "the product ratio * advantage is clipped"),
        (_loss(sign=1.0), "the loss has the wrong sign"),
        (_loss(ratio="difference"), "the ratio is the difference of log-probabilities"),
        (_loss(ratio="divided"), "the ratio divides log-probabilities"),
        (_loss(reduce="sum"), "the loss sums over the samples"),
        (_loss(reduce="none"), "return one number, the mean over the samples"),
        (_loss(detach_clip=True), "the value is right but not the gradient"),
        (_item, "the loss carries no gradient to new_logp"),
    ],
)
def test_the_clipped_loss_check_names_the_mistake(wrong: Any, says: str) -> None:
    with pytest.raises(AssertionError, match=re.escape(says)):
        checks.check_clipped_loss(wrong, ppo.clipped_loss)


@pytest.mark.parametrize("right", [_loss(), _where, ppo.clipped_loss])
def test_the_clipped_loss_check_accepts_the_right_ones(right: Any) -> None:
    checks.check_clipped_loss(right, ppo.clipped_loss)


# --- through exercise.checked -------------------------------------------------------------


def test_the_exercises_are_registered_and_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PRACTICUM_HOME", str(tmp_path))
    monkeypatch.setenv("PRACTICUM_URL", "")
    ids = [e.id for e in exercise.lesson_exercises(7) if e.section == 4]
    assert ids == ["double_dqn_target", "gae", "clipped_loss"]
    right = _gae()
    assert exercise.checked(right, lesson=7, exercise="gae", check=checks.check_gae) is right
    wrong = _loss(pick=torch.max)
    got = exercise.checked(
        wrong, lesson=7, exercise="clipped_loss", check=checks.check_clipped_loss, name="mine"
    )
    assert got is ppo.clipped_loss

    def calls_the_reference(*args: Any) -> Any:
        return dqn.double_dqn_target(*args)

    got = exercise.checked(
        calls_the_reference,
        lesson=7,
        exercise="double_dqn_target",
        check=checks.check_double_dqn_target,
    )
    assert got is dqn.double_dqn_target
    printed = capsys.readouterr().out
    assert "✓ gae is correct" in printed
    assert "✗ mine: wrong: the objective takes the max" in printed
    assert "it calls the reference version instead" in printed


# --- PPO's loop with the student's pieces, the pictures ----------------------------------


def test_train_ppo_uses_the_given_gae_and_loss() -> None:
    calls = {"gae": 0, "loss": 0}

    def my_gae(*args: Any) -> Any:
        calls["gae"] += 1
        return ppo.gae(*args)

    def my_loss(*args: Any) -> Any:
        calls["loss"] += 1
        return ppo.clipped_loss(*args)

    config = ppo.PpoConfig(n_envs=2, n_steps=4, epochs=2, minibatches=2)
    run = ppo.train_ppo(
        config=config,
        seconds=120,
        max_updates=1,
        log=None,
        progress=False,
        gae_fn=my_gae,
        loss_fn=my_loss,
    )
    assert calls == {"gae": 1, "loss": 4}
    assert run.frames == 4 * 2 * 4 and len(run.history) == 1


def test_the_pictures_are_drawn() -> None:
    frame = np.random.default_rng(0).integers(0, 256, (210, 160, 3), dtype=np.uint8)
    small = draw.grey_84(frame)
    assert small.shape == (84, 84) and small.dtype == np.uint8
    figures = [
        draw.draw_frames([frame, small], ["colour", "grey"]),
        draw.draw_overestimation([1, 2], [0.0, 0.56], [0.0, 0.01], 1.0),
        draw.draw_priorities(np.array([1.0, 2.0]), np.array([0.3, 0.7]), np.array([1 / 3, 2 / 3])),
        draw.draw_clipped_objective(0.2),
        draw.draw_scores([(100, 1.0), (200, 3.0), (300, 2.0)], window=2),
        draw.draw_scores([]),
    ]
    assert all(len(figure.axes) >= 1 for figure in figures)


def test_a_gif_of_an_episode(tmp_path: Path) -> None:
    from PIL import Image

    def uniform(frames: torch.Tensor) -> torch.Tensor:
        return torch.zeros(len(frames), 4)

    frames, score = draw.episode_frames(uniform, seed=0, setting=atari.EVALUATION, max_steps=6)
    assert frames.shape == (7, 84, 84) and frames.dtype == np.uint8 and score >= 0
    path = draw.save_gif(frames, tmp_path / "a" / "game.gif", zoom=2)
    with Image.open(path) as gif:
        assert gif.size == (168, 168) and gif.n_frames >= 1
    with pytest.raises(ValueError, match="grey frames"):
        draw.save_gif(np.zeros((0, 84, 84), dtype=np.uint8), tmp_path / "b.gif")
