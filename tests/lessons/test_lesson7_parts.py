"""Lesson 7, Sections 1-2: the grid world and DQN code (`lesson7/gridworld.py`,
`lesson7/dqn.py`) does what the notebooks say, and every exercise check
(`lesson7/checks.py`) accepts the reference and right versions written differently, and
rejects each mistake it claims to catch, with its own sentence."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch
from torch.nn import functional as F

from practicum.coursework import exercise
from practicum.lessons.lesson7 import checks, dqn, gridworld, plots

pytestmark = pytest.mark.usefixtures("one_thread")


def rejects(check: Callable[..., None], wrong: Any, reference: Any, message: str) -> None:
    with pytest.raises(AssertionError, match=re.escape(message)):
        if reference is None:
            check(wrong)
        else:
            check(wrong, reference)


# --- gridworld.py ---------------------------------------------------------------------------


def test_value_iteration_finds_the_return_of_the_shortest_route() -> None:
    world, gamma = gridworld.GridWorld(), 0.95
    q_star = gridworld.value_iteration(world, gamma=gamma)
    route = sum(gamma**k * -0.1 for k in range(12)) + gamma**12 * 1.0
    assert q_star[world.start].max() == pytest.approx(route, abs=1e-8)
    path = gridworld.greedy_path(world, q_star)
    assert len(path) == 14 and path[-1] == world.goal
    assert all(world.cells.flat[s] != "C" for s in path)


def test_a_slippery_world_takes_the_long_way_round_the_cliff() -> None:
    world = gridworld.GridWorld(slip=0.2)
    path = gridworld.greedy_path(world, gridworld.value_iteration(world, gamma=0.95))
    bottom_row = {4 * world.shape[1] + c for c in range(world.shape[1])}
    assert path[-1] == world.goal and len(path) - 1 == 15
    assert not bottom_row & set(path)


def test_q_learning_runs_the_update_and_the_choice_it_is_given() -> None:
    world = gridworld.GridWorld()
    calls = {"update": 0, "choose": 0}

    def update(*args: Any) -> None:
        calls["update"] += 1
        gridworld.q_learning_update(*args)

    def choose(*args: Any) -> int:
        calls["choose"] += 1
        return gridworld.epsilon_greedy(*args)

    run = gridworld.q_learning(world, episodes=5, seed=3, update=update, choose=choose)
    assert calls["update"] == calls["choose"] == sum(run.lengths)
    plain = gridworld.q_learning(world, episodes=5, seed=3)
    assert np.array_equal(run.q, plain.q) and run.returns == plain.returns


def test_q_learning_finds_the_shortest_route() -> None:
    world = gridworld.GridWorld()
    run = gridworld.q_learning(world, episodes=300, seed=0)
    assert len(gridworld.greedy_path(world, run.q)) == 14
    assert np.mean(run.returns[-50:]) > np.mean(run.returns[:50])


# --- dqn.py ---------------------------------------------------------------------------------


def tiny_config(**changes: Any) -> dqn.DqnConfig:
    settings = {
        "steps": 60,
        "buffer": 40,
        "batch": 8,
        "learning_starts": 10,
        "target_every": 20,
        "epsilon_decay": 30,
        "hidden": 8,
    }
    return dqn.DqnConfig(**{**settings, **changes})


def test_train_dqn_runs_the_pieces_it_is_given() -> None:
    calls = {"buffer": 0, "epsilon": 0, "step": 0}

    def make_buffer(capacity: int, shape: tuple[int, ...]) -> dqn.ReplayBuffer:
        calls["buffer"] += 1
        return dqn.ReplayBuffer(capacity, shape)

    def epsilon(*args: Any) -> float:
        calls["epsilon"] += 1
        return dqn.epsilon_at(*args)

    def step(*args: Any) -> float:
        calls["step"] += 1
        return dqn.dqn_step(*args)

    env = gym.make("CartPole-v1")
    run = dqn.train_dqn(
        env, tiny_config(), make_buffer=make_buffer, epsilon_fn=epsilon, step_fn=step, log=None
    )
    assert calls == {"buffer": 1, "epsilon": 60, "step": 50}
    assert len(run.losses) == 50 and len(run.returns) == len(run.ends)
    plain = dqn.train_dqn(gym.make("CartPole-v1"), tiny_config(), log=None)
    assert plain.returns == run.returns and plain.losses == pytest.approx(run.losses)


def test_train_dqn_hands_double_dqn_its_target() -> None:
    seen = []

    def target(net: Any, target_net: Any, batch: dqn.Batch, gamma: float) -> torch.Tensor:
        seen.append(len(batch["rewards"]))
        return dqn.dqn_target(
            target_net, batch["rewards"], batch["next_obs"], batch["dones"], gamma
        )

    dqn.train_dqn(gym.make("CartPole-v1"), tiny_config(steps=20), target_fn=target, log=None)
    assert seen == [8] * 10
    double = dqn.train_dqn(gym.make("CartPole-v1"), tiny_config(double=True), log=None)
    assert len(double.losses) == 50


def test_train_dqn_keeps_the_first_best_validated_weights() -> None:
    scores, seen = iter([1.0, 3.0, 3.0]), []

    def validate(net: Any) -> float:
        seen.append({k: v.clone() for k, v in net.state_dict().items()})
        return next(scores)

    config = tiny_config(validate_every=20)
    run = dqn.train_dqn(gym.make("CartPole-v1"), config, validate=validate, log=None)
    assert run.validation == [(20, 1.0), (40, 3.0), (60, 3.0)] and run.best_step == 40
    assert run.best is not None
    assert all(torch.equal(run.best[k], seen[1][k]) for k in seen[1])
    assert not all(torch.equal(run.best[k], seen[2][k]) for k in seen[2])
    plain = dqn.train_dqn(gym.make("CartPole-v1"), config, log=None)
    assert plain.returns == run.returns and plain.best is None  # validating changes nothing


def test_a_time_limit_is_not_stored_as_the_end_of_an_episode() -> None:
    buffers = []

    def make_buffer(capacity: int, shape: tuple[int, ...]) -> dqn.ReplayBuffer:
        buffers.append(dqn.ReplayBuffer(capacity, shape))
        return buffers[-1]

    env = gym.make("CartPole-v1", max_episode_steps=5)  # too short for the pole to fall
    run = dqn.train_dqn(env, tiny_config(steps=30, buffer=30), make_buffer=make_buffer, log=None)
    assert run.ends == [5, 10, 15, 20, 25, 30] and run.returns == [5.0] * 6
    assert len(buffers[0]) == 30 and not buffers[0].dones.any()


def test_dqn_step_fits_q_to_the_targets_of_a_fixed_batch() -> None:
    net, target_net = checks.tiny_nets()
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    batch = checks.step_batches()[0]
    losses = [dqn.dqn_step(net, target_net, optimizer, batch, 0.9) for _ in range(200)]
    assert isinstance(losses[0], float) and losses[-1] < 0.1 * losses[0]
    assert all(p.grad is None for p in target_net.parameters())


def test_episode_returns_scores_a_policy_on_the_seeds_it_is_given() -> None:
    env = gym.make("CartPole-v1")
    left = dqn.episode_returns(env, lambda obs: 0, [1, 2, 3])
    assert left == dqn.episode_returns(env, lambda obs: 0, [1, 2, 3])
    assert all(5 <= r <= 15 for r in left)  # always pushing left drops the pole fast
    net, _ = checks.tiny_nets()
    act = dqn.greedy(net)
    obs = np.zeros(4, dtype=np.float32)
    assert act(obs) == int(net(torch.zeros(1, 4)).argmax())


# --- plots.py -------------------------------------------------------------------------------


def test_moving_average_uses_the_points_it_has_at_the_start() -> None:
    assert plots.moving_average([1, 2, 3, 4, 5], 2).tolist() == [1, 1.5, 2.5, 3.5, 4.5]
    assert plots.moving_average([4.0], 10).tolist() == [4.0]


def test_every_picture_is_drawn() -> None:
    from matplotlib.figure import Figure

    world = gridworld.GridWorld()
    q = gridworld.value_iteration(world)
    figures = [
        plots.draw_rl_loop(),
        plots.draw_world(world),
        plots.world_panels(world, {"a": (q, gridworld.greedy_path(world, q)), "b": (None, None)}),
        plots.discount_weights([0.9, 0.99]),
        plots.curves({"x": ([1, 2, 3], [0.0, 1.0, 2.0])}, window=2, xlabel="", ylabel="", title=""),
        plots.draw_ring(8, 11),
        plots.epsilon_schedule(lambda s: dqn.epsilon_at(s, 1.0, 0.1, 50), 100),
        plots.huber_and_squared(),
        plots.dqn_run([10, 30], [10.0, 20.0], [1.0, 0.5, 0.2], random_return=20.0),
        plots.returns_histogram({"a": [10.0, 20.0], "b": [500.0]}, title="t"),
    ]
    assert all(isinstance(f, Figure) for f in figures)
    assert len(figures[3].axes[0].lines) == 2


# --- the checks accept right versions -------------------------------------------------------


def q_update_other(
    q: Any, s: int, a: int, r: float, s2: int, over: bool, alpha: float, gamma: float
) -> None:
    future = 0.0 if over else np.max(q[s2, :])
    q[s][a] = (1 - alpha) * q[s][a] + alpha * (r + gamma * future)


def epsilon_greedy_other(q_row: Any, epsilon: float, rng: np.random.Generator) -> int:
    best = [a for a, v in enumerate(q_row) if v == max(q_row)]
    if rng.uniform() < epsilon:
        return int(rng.choice(len(q_row)))
    return best[int(rng.integers(len(best)))]


class ListBuffer:
    """A ring of tuples in a list: a right buffer that looks nothing like the reference."""

    def __init__(self, capacity: int, obs_shape: tuple[int, ...]) -> None:
        self.capacity, self.items, self.next = capacity, [], 0

    def __len__(self) -> int:
        return len(self.items)

    def add(self, obs: Any, action: int, reward: float, next_obs: Any, done: bool) -> None:
        item = (np.array(obs), action, reward, np.array(next_obs), float(done))
        if len(self.items) < self.capacity:
            self.items.append(item)
        else:
            self.items[self.next] = item
        self.next = (self.next + 1) % self.capacity

    def sample(self, batch: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        picked = [self.items[i] for i in rng.integers(0, len(self.items), batch)]
        obs, actions, rewards, next_obs, dones = zip(*picked, strict=True)
        return {
            "obs": torch.tensor(np.stack(obs), dtype=torch.float32),
            "actions": torch.tensor(actions, dtype=torch.int64),
            "rewards": torch.tensor(rewards, dtype=torch.float32),
            "next_obs": torch.tensor(np.stack(next_obs), dtype=torch.float32),
            "dones": torch.tensor(dones, dtype=torch.float32),
        }


def epsilon_at_other(step: int, start: float, end: float, decay_steps: int) -> float:
    return max(end, start - (start - end) * min(step, decay_steps) / decay_steps)


def dqn_target_other(target_net: Any, rewards: Any, next_obs: Any, dones: Any, gamma: float) -> Any:
    best = target_net(next_obs).detach().max(1)[0]
    return rewards + gamma * best * (1 - dones)


def dqn_step_other(
    net: Any, target_net: Any, optimizer: Any, batch: dqn.Batch, gamma: float
) -> float:
    y = dqn_target_other(target_net, batch["rewards"], batch["next_obs"], batch["dones"], gamma)
    q = net(batch["obs"])[torch.arange(len(y)), batch["actions"]]
    loss = F.huber_loss(q, y, delta=1.0)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return float(loss)


RIGHT: dict[str, tuple[Callable[..., None], Any, Any]] = {
    "q_learning_update": (
        checks.check_q_learning_update,
        gridworld.q_learning_update,
        q_update_other,
    ),
    "epsilon_greedy": (checks.check_epsilon_greedy, gridworld.epsilon_greedy, epsilon_greedy_other),
    "replay_buffer": (checks.check_replay_buffer, dqn.ReplayBuffer, ListBuffer),
    "epsilon_at": (checks.check_epsilon_at, dqn.epsilon_at, epsilon_at_other),
    "dqn_target": (checks.check_dqn_target, dqn.dqn_target, dqn_target_other),
    "dqn_step": (checks.check_dqn_step, dqn.dqn_step, dqn_step_other),
}
ONE_ARGUMENT = {"epsilon_greedy", "replay_buffer"}
"""Checks that test behaviour on their own, without the reference."""


@pytest.mark.parametrize("name", RIGHT)
def test_each_check_accepts_the_reference_and_a_right_version(name: str) -> None:
    check, reference, other = RIGHT[name]
    for candidate in (reference, other):
        if name in ONE_ARGUMENT:
            check(candidate)
        else:
            check(candidate, reference)
    assert exercise.find(7, name).resolve() is reference


def test_an_unsolved_exercise_falls_back_to_the_reference(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("PRACTICUM_HOME", str(tmp_path))
    monkeypatch.setenv("PRACTICUM_URL", "")

    def dqn_target(*args: Any) -> Any:
        raise NotImplementedError

    got = exercise.checked(
        dqn_target, lesson=7, exercise="dqn_target", check=checks.check_dqn_target
    )
    assert got is dqn.dqn_target
    assert "✗ dqn_target: not implemented yet" in capsys.readouterr().out
    got = exercise.checked(
        dqn_step_other, lesson=7, exercise="dqn_step", check=checks.check_dqn_step
    )
    assert got is dqn_step_other
    assert "Lesson 7: 1/" in exercise.summary_text(7)


# --- q_learning_update's mistakes -----------------------------------------------------------

Q = np.ndarray


def _q_rule(
    target: Callable[..., float], step: Callable[..., float] | None = None
) -> Callable[..., None]:
    """An update that writes step(old, alpha, target) into Q(s, a)."""

    def update(q: Q, s: int, a: int, r: float, s2: int, over: bool, alpha: float, g: float) -> None:
        y = target(q, s, a, r, s2, over, g)
        q[s, a] = step(q[s, a], alpha, y) if step else q[s, a] + alpha * (y - q[s, a])

    return update


def _right_target(q: Q, s: int, a: int, r: float, s2: int, over: bool, g: float) -> float:
    return r + (0.0 if over else g * q[s2].max())


def _new_table(q: Q, s: int, a: int, r: float, s2: int, over: bool, alpha: float, g: float) -> Q:
    fresh = q.copy()
    gridworld.q_learning_update(fresh, s, a, r, s2, over, alpha, g)
    return fresh


def _whole_row(q: Q, s: int, a: int, r: float, s2: int, over: bool, alpha: float, g: float) -> None:
    q[s] += alpha * (_right_target(q, s, a, r, s2, over, g) - q[s, a])


Q_MISTAKES: dict[str, tuple[Callable[..., Any], str]] = {
    "bootstraps at the end": (
        _q_rule(lambda q, s, a, r, s2, over, g: r + g * q[s2].max()),
        "when the episode is over there is no future",
    ),
    "bootstraps only at the end": (
        _q_rule(lambda q, s, a, r, s2, over, g: r + (g * q[s2].max() if over else 0.0)),
        "the future is counted only when the episode is over",
    ),
    "max over the states": (
        _q_rule(lambda q, s, a, r, s2, over, g: r + (0.0 if over else g * q[:, s2].max())),
        "the max is over the wrong axis",
    ),
    "Q(s', a)": (
        _q_rule(lambda q, s, a, r, s2, over, g: r + (0.0 if over else g * q[s2, a])),
        "it bootstraps from Q(s', a), the action just taken",
    ),
    "Q of the current state": (
        _q_rule(lambda q, s, a, r, s2, over, g: r + (0.0 if over else g * q[s].max())),
        "it bootstraps from the current state's values",
    ),
    "min": (
        _q_rule(lambda q, s, a, r, s2, over, g: r + (0.0 if over else g * q[s2].min())),
        "it takes the worst next action (min)",
    ),
    "sign": (
        _q_rule(_right_target, lambda old, alpha, y: old - alpha * (y - old)),
        "the TD error has the wrong sign",
    ),
    "alpha on the target": (
        _q_rule(_right_target, lambda old, alpha, y: alpha * y),
        "alpha is applied to the target only",
    ),
    "no subtraction": (
        _q_rule(_right_target, lambda old, alpha, y: old + alpha * y),
        "it adds alpha * target without subtracting Q(s, a)",
    ),
    "replaced": (
        _q_rule(_right_target, lambda old, alpha, y: y),
        "it replaces Q(s, a) by the target",
    ),
    "no gamma": (
        _q_rule(lambda q, s, a, r, s2, over, g: r + (0.0 if over else q[s2].max())),
        "gamma is missing",
    ),
    "gamma on the reward": (
        _q_rule(lambda q, s, a, r, s2, over, g: g * _right_target(q, s, a, r, s2, over, 1.0)),
        "gamma multiplies the reward too",
    ),
    "a new table": (_new_table, "q did not change: update the table in place"),
    "the whole row": (_whole_row, "only Q(state, action) may change"),
    "something else": (
        _q_rule(_right_target, lambda old, alpha, y: old + 2 * alpha * (y - old)),
        "from Q(0, 1) = 0.5 with reward -0.1, next state 2 (max Q 0.8), over=False, alpha 0.5, "
        "gamma 0.9, Q(0, 1) should become 0.56, not 0.62",
    ),
}


@pytest.mark.parametrize("mistake", Q_MISTAKES)
def test_the_q_learning_update_check_names_the_mistake(mistake: str) -> None:
    wrong, message = Q_MISTAKES[mistake]
    rejects(checks.check_q_learning_update, wrong, gridworld.q_learning_update, message)


# --- epsilon_greedy's mistakes --------------------------------------------------------------


def _explore_first(
    choose_best: Callable[[Q, np.random.Generator], int], explore_if: Callable[[float, float], bool]
) -> Callable[..., int]:
    def choose(q_row: Q, epsilon: float, rng: np.random.Generator) -> int:
        if explore_if(rng.random(), epsilon):
            return int(rng.integers(len(q_row)))
        return choose_best(q_row, rng)

    return choose


def _tie_at_random(q_row: Q, rng: np.random.Generator) -> int:
    return int(rng.choice(np.flatnonzero(q_row == q_row.max())))


def _others_only(q_row: Q, epsilon: float, rng: np.random.Generator) -> int:
    best = _tie_at_random(q_row, rng)
    if rng.random() < epsilon:
        return int(rng.choice([a for a in range(len(q_row)) if a != best]))
    return best


def _global_random(q_row: Q, epsilon: float, rng: np.random.Generator) -> int:
    if np.random.random() < epsilon:
        return int(np.random.randint(len(q_row)))
    return int(np.argmax(q_row))


EPSILON_GREEDY_MISTAKES: dict[str, tuple[Callable[..., Any], str]] = {
    "np.argmax": (
        _explore_first(lambda q_row, rng: int(np.argmax(q_row)), lambda u, e: u < e),
        "ties always go to action 0",
    ),
    "inverted": (
        _explore_first(_tie_at_random, lambda u, e: u > e),
        "with epsilon 0 it acts at random",
    ),
    "argmin": (
        _explore_first(lambda q_row, rng: int(np.argmin(q_row)), lambda u, e: u < e),
        "the lowest Q-value",
    ),
    "explores among the others": (_others_only, "when exploring it never picks the best action"),
    "np.random": (_global_random, "draw from the rng passed in"),
    "returns the value": (
        lambda q_row, epsilon, rng: float(q_row.max()),
        "return the action as an int, not 5.0",
    ),
    "explores half as often": (
        _explore_first(_tie_at_random, lambda u, e: u < e / 2),
        "with epsilon 0.2 and Q = [0.0, 5.0, 1.0, 2.0] the actions should be taken with "
        "frequencies [0.05, 0.85, 0.05, 0.05]",
    ),
}


@pytest.mark.parametrize("mistake", EPSILON_GREEDY_MISTAKES)
def test_the_epsilon_greedy_check_names_the_mistake(mistake: str) -> None:
    wrong, message = EPSILON_GREEDY_MISTAKES[mistake]
    rejects(checks.check_epsilon_greedy, wrong, None, message)


# --- the replay buffer's mistakes -----------------------------------------------------------


class NoWrap(dqn.ReplayBuffer):
    def add(self, obs: Any, action: int, reward: float, next_obs: Any, done: bool) -> None:
        i = self.position
        self.obs[i], self.actions[i], self.rewards[i] = obs, action, reward
        self.next_obs[i], self.dones[i] = next_obs, float(done)
        self.position += 1
        self.size += 1


class GrowsForever(dqn.ReplayBuffer):
    def add(self, *transition: Any) -> None:
        super().add(*transition)
        self.size = getattr(self, "added", 0) + 1
        self.added = self.size


class OverwritesNewest(dqn.ReplayBuffer):
    def add(self, *transition: Any) -> None:
        super().add(*transition)
        self.position = min(self.size, self.capacity - 1)


class FromTheWholeCapacity(dqn.ReplayBuffer):
    def sample(self, batch: int, rng: np.random.Generator) -> dqn.Batch:
        self.size, size = self.capacity, self.size
        try:
            return super().sample(batch, rng)
        finally:
            self.size = size


class RowsPerField(dqn.ReplayBuffer):
    def sample(self, batch: int, rng: np.random.Generator) -> dqn.Batch:
        names = ("obs", "actions", "rewards", "next_obs", "dones")
        return {
            n: torch.as_tensor(getattr(self, n)[rng.integers(0, self.size, batch)]) for n in names
        }


class BoolDones(dqn.ReplayBuffer):
    def sample(self, batch: int, rng: np.random.Generator) -> dqn.Batch:
        found = super().sample(batch, rng)
        return {**found, "dones": found["dones"].bool()}


class FloatActions(dqn.ReplayBuffer):
    def sample(self, batch: int, rng: np.random.Generator) -> dqn.Batch:
        found = super().sample(batch, rng)
        return {**found, "actions": found["actions"].float()}


class NumpyRandom(dqn.ReplayBuffer):
    def sample(self, batch: int, rng: np.random.Generator) -> dqn.Batch:
        return super().sample(batch, np.random.default_rng())


class NumpyArrays(dqn.ReplayBuffer):
    def sample(self, batch: int, rng: np.random.Generator) -> Any:
        return {k: v.numpy() for k, v in super().sample(batch, rng).items()}


class NewestTwice(dqn.ReplayBuffer):
    """Draws the newest transition half of the time: not uniform."""

    def sample(self, batch: int, rng: np.random.Generator) -> dqn.Batch:
        rows = rng.integers(0, self.size, batch)
        rows[::2] = (self.position - 1) % self.capacity
        names = ("obs", "actions", "rewards", "next_obs", "dones")
        return {n: torch.as_tensor(getattr(self, n)[rows]) for n in names}


BUFFER_MISTAKES: dict[str, tuple[type, str]] = {
    "no wrap": (NoWrap, "raised IndexError: when it is full, wrap around"),
    "grows forever": (GrowsForever, "len(buffer) is 7: it holds at most 5"),
    "overwrites the newest": (
        OverwritesNewest,
        "it holds [0, 1, 2, 3, 6]: each add overwrites the oldest",
    ),
    "whole capacity": (FromTheWholeCapacity, "it samples rows that were never filled"),
    "rows per field": (RowsPerField, "come from another transition than its obs"),
    "bool dones": (BoolDones, "dones has dtype torch.bool, expected torch.float32 (1 - dones"),
    "float actions": (FloatActions, "actions has dtype torch.float32, expected torch.int64"),
    "numpy random": (NumpyRandom, "the same seed gave different samples"),
    "numpy arrays": (NumpyArrays, "obs must be a torch tensor"),
    "not uniform": (NewestTwice, "sample uniformly over the stored rows"),
}


@pytest.mark.parametrize("mistake", BUFFER_MISTAKES)
def test_the_replay_buffer_check_names_the_mistake(mistake: str) -> None:
    wrong, message = BUFFER_MISTAKES[mistake]
    rejects(checks.check_replay_buffer, wrong, None, message)


# --- epsilon_at's mistakes ------------------------------------------------------------------

EPSILON_AT_MISTAKES: dict[str, tuple[Callable[..., Any], str]] = {
    "no floor": (
        lambda s, a, b, n: a + (b - a) * s / n,
        "it keeps falling after decay_steps",
    ),
    "backwards": (
        lambda s, a, b, n: b if s >= n else b + (a - b) * s / n,
        "it runs from end to start",
    ),
    "to zero": (lambda s, a, b, n: max(b, a * (1 - s / n)), "it falls to 0 instead of end"),
    "integer division": (
        lambda s, a, b, n: b if s >= n else a + (b - a) * (s // n),
        "step // decay_steps is 0 until the end",
    ),
    "exponential": (
        lambda s, a, b, n: b if s >= n else a * (b / a) ** (s / n),
        "it decays exponentially",
    ),
    "greedy probability": (
        lambda s, a, b, n: 1 - dqn.epsilon_at(s, a, b, n),
        "it returns 1 - epsilon",
    ),
    "a tuple": (lambda s, a, b, n: (dqn.epsilon_at(s, a, b, n),), "return epsilon as a number"),
    "off by a tenth": (
        lambda s, a, b, n: b if s >= n else a + (b - a) * s / (1.1 * n),
        "epsilon_at(250, start=1.0, end=0.05, decay_steps=1000) should be 0.7625",
    ),
}


@pytest.mark.parametrize("mistake", EPSILON_AT_MISTAKES)
def test_the_epsilon_at_check_names_the_mistake(mistake: str) -> None:
    wrong, message = EPSILON_AT_MISTAKES[mistake]
    rejects(checks.check_epsilon_at, wrong, dqn.epsilon_at, message)


# --- dqn_target's mistakes ------------------------------------------------------------------


def _target_rule(
    best: Callable[[torch.Tensor], torch.Tensor], combine: Callable[..., torch.Tensor] | None = None
) -> Callable[..., Any]:
    """A dqn_target that takes `best` of the next Q-values (no gradient) and combines."""

    def target(net: Any, rewards: Any, next_obs: Any, dones: Any, gamma: float) -> Any:
        with torch.no_grad():
            value = best(net(next_obs))
        if combine is not None:
            return combine(rewards, value, dones, gamma)
        return rewards + gamma * (1 - dones) * value

    return target


def _with_gradient(net: Any, rewards: Any, next_obs: Any, dones: Any, gamma: float) -> Any:
    return rewards + gamma * (1 - dones) * net(next_obs).max(dim=1).values


def _best(q: torch.Tensor) -> torch.Tensor:
    return q.max(dim=1).values


TARGET_MISTAKES: dict[str, tuple[Callable[..., Any], str]] = {
    "no (1 - done)": (
        _target_rule(_best, lambda r, v, d, g: r + g * v),
        "multiply the next value by (1 - dones)",
    ),
    "done the wrong way": (
        _target_rule(_best, lambda r, v, d, g: r + g * d * v),
        "(1 - dones) is the wrong way round",
    ),
    "max over the batch": (
        _target_rule(lambda q: q.max(dim=0).values),
        "the max is over the batch (dim=0)",
    ),
    "mean": (_target_rule(lambda q: q.mean(dim=1)), "it averages over the actions"),
    "min": (_target_rule(lambda q: q.min(dim=1).values), "it takes the worst action (min)"),
    "indices": (
        _target_rule(lambda q: q.max(dim=1).indices),
        "it uses the index of the best action",
    ),
    "no gamma": (_target_rule(_best, lambda r, v, d, g: r + (1 - d) * v), "gamma is missing"),
    "gamma on the reward": (
        _target_rule(_best, lambda r, v, d, g: g * (r + (1 - d) * v)),
        "gamma multiplies the reward too",
    ),
    "keepdim": (
        _target_rule(lambda q: q.max(dim=1, keepdim=True).values),
        "the targets have shape (4, 4), expected (4,)",
    ),
    "gradient": (_with_gradient, "the targets carry a gradient into the target network"),
    "numpy": (
        lambda *args: dqn.dqn_target(*args).numpy(),
        "return the targets as a torch tensor, not ndarray",
    ),
    "something else": (
        _target_rule(_best, lambda r, v, d, g: r + 0.5 * (1 - d) * v),
        "the targets are [3.7, 1.8, -1.45, 2.0], not [2.5, 1, -1.25, 2]",
    ),
}


@pytest.mark.parametrize("mistake", TARGET_MISTAKES)
def test_the_dqn_target_check_names_the_mistake(mistake: str) -> None:
    wrong, message = TARGET_MISTAKES[mistake]
    rejects(checks.check_dqn_target, wrong, dqn.dqn_target, message)


def test_the_hand_computed_targets_are_the_reference_targets() -> None:
    rewards, next_obs, dones = checks.target_inputs()
    y = dqn.dqn_target(checks.table_net(), rewards, next_obs, dones, checks.GAMMA)
    assert y.tolist() == pytest.approx(checks.TARGETS)


# --- dqn_step's mistakes --------------------------------------------------------------------


def _zero_grad_late(
    net: Any, target_net: Any, optimizer: Any, batch: dqn.Batch, gamma: float
) -> float:
    y = dqn.dqn_target(target_net, batch["rewards"], batch["next_obs"], batch["dones"], gamma)
    loss = F.smooth_l1_loss(net(batch["obs"]).gather(1, batch["actions"][:, None]).squeeze(1), y)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()


def _returns_tensor(*args: Any) -> Any:
    loss = checks._flawed_step("none")(*args)
    return torch.tensor(loss)


def _returns_after(
    net: Any, target_net: Any, optimizer: Any, batch: dqn.Batch, gamma: float
) -> float:
    checks._flawed_step("none")(net, target_net, optimizer, batch, gamma)
    y = dqn.dqn_target(target_net, batch["rewards"], batch["next_obs"], batch["dones"], gamma)
    q = net(batch["obs"]).gather(1, batch["actions"][:, None]).squeeze(1)
    return F.smooth_l1_loss(q, y).item()


def _two_steps(net: Any, target_net: Any, optimizer: Any, batch: dqn.Batch, gamma: float) -> float:
    loss = checks._flawed_step("none")(net, target_net, optimizer, batch, gamma)
    optimizer.step()
    return loss


STEP_MISTAKES: dict[str, tuple[Callable[..., Any], str]] = {
    **{
        flaw: (checks._flawed_step(flaw), message) for flaw, message in checks.STEP_MISTAKES.items()
    },
    "target with gradient": (
        checks._flawed_step("target_with_grad"),
        "gradients flow into the target network",
    ),
    "zero_grad after backward": (_zero_grad_late, "the weights did not change"),
    "a tensor": (_returns_tensor, "return the loss as a Python float (loss.item())"),
    "loss after the step": (_returns_after, "return loss.item() of the loss that was minimised"),
    "two steps": (_two_steps, "your weights differ from the reference's by up to"),
}


@pytest.mark.parametrize("mistake", STEP_MISTAKES)
def test_the_dqn_step_check_names_the_mistake(mistake: str) -> None:
    wrong, message = STEP_MISTAKES[mistake]
    rejects(checks.check_dqn_step, wrong, dqn.dqn_step, message)


def test_the_flawed_step_without_a_flaw_is_the_reference() -> None:
    checks.check_dqn_step(checks._flawed_step("none"), dqn.dqn_step)
