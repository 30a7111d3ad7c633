"""Lesson 7, Section 1: a grid world small enough to solve by hand and by tabular Q-learning.

The agent walks a grid (up, right, down, left); walls block, a cliff sends it back to the
start with a penalty, the goal ends the episode. Every step costs a little, so the
shortest safe path is the best. Small enough that the optimal values come from value
iteration in a blink, to check what Q-learning found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))
"""Up, right, down, left as (row, column) steps."""
ACTION_NAMES = ("up", "right", "down", "left")

LAYOUT = (
    "S...#....",
    ".##.#.##.",
    ".#.....#.",
    ".#.###.#G",
    "...CCC...",
)
"""S start, G goal, # wall, C cliff (back to start, -10), . floor."""


@dataclass(frozen=True)
class GridWorld:
    layout: tuple[str, ...] = LAYOUT
    step_reward: float = -0.1
    goal_reward: float = 1.0
    cliff_reward: float = -10.0
    slip: float = 0.0
    """Probability that a move goes a random direction instead (a stochastic world)."""
    cells: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cells", np.array([list(row) for row in self.layout]))

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.cells.shape[0]), int(self.cells.shape[1])

    @property
    def n_states(self) -> int:
        return self.shape[0] * self.shape[1]

    @property
    def n_actions(self) -> int:
        return len(MOVES)

    def find(self, mark: str) -> int:
        rows, cols = np.nonzero(self.cells == mark)
        return int(rows[0] * self.shape[1] + cols[0])

    @property
    def start(self) -> int:
        return self.find("S")

    @property
    def goal(self) -> int:
        return self.find("G")

    def outcome(self, state: int, action: int) -> tuple[int, float, bool]:
        """(next state, reward, episode over) of a move that goes where it is meant to."""
        height, width = self.shape
        row, col = divmod(state, width)
        d_row, d_col = MOVES[action]
        r, c = row + d_row, col + d_col
        if not (0 <= r < height and 0 <= c < width) or self.cells[r, c] == "#":
            r, c = row, col
        cell = self.cells[r, c]
        if cell == "C":
            return self.start, self.cliff_reward, False
        if cell == "G":
            return r * width + c, self.goal_reward, True
        return r * width + c, self.step_reward, False

    def step(self, state: int, action: int, rng: np.random.Generator) -> tuple[int, float, bool]:
        if self.slip and rng.random() < self.slip:
            action = int(rng.integers(self.n_actions))
        return self.outcome(state, action)


def value_iteration(world: GridWorld, gamma: float = 0.95, tol: float = 1e-10) -> np.ndarray:
    """The optimal Q (n_states, n_actions), by Bellman optimality backups to convergence."""
    q = np.zeros((world.n_states, world.n_actions))
    table = [[world.outcome(s, a) for a in range(world.n_actions)] for s in range(world.n_states)]
    while True:
        v = q.max(axis=1)
        expected = np.zeros_like(q)
        for s in range(world.n_states):
            for a in range(world.n_actions):
                sure = _backup(table[s][a], v, gamma)
                if world.slip:
                    noise = np.mean(
                        [_backup(table[s][b], v, gamma) for b in range(world.n_actions)]
                    )
                    expected[s, a] = (1 - world.slip) * sure + world.slip * noise
                else:
                    expected[s, a] = sure
        if np.abs(expected - q).max() < tol:
            return expected
        q = expected


def _backup(outcome: tuple[int, float, bool], v: np.ndarray, gamma: float) -> float:
    next_state, reward, over = outcome
    return reward + (0.0 if over else gamma * float(v[next_state]))


def q_learning_update(
    q: np.ndarray,
    state: int,
    action: int,
    reward: float,
    next_state: int,
    over: bool,
    alpha: float,
    gamma: float,
) -> None:
    """Q(s, a) += alpha * (r + gamma * max_a' Q(s', a') - Q(s, a)); no bootstrap at the end."""
    target = reward + (0.0 if over else gamma * q[next_state].max())
    q[state, action] += alpha * (target - q[state, action])


def epsilon_greedy(q_row: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    """A random action with probability epsilon, else a best one (ties broken at random)."""
    if rng.random() < epsilon:
        return int(rng.integers(len(q_row)))
    best = np.flatnonzero(q_row == q_row.max())
    return int(rng.choice(best))


Update = Callable[[np.ndarray, int, int, float, int, bool, float, float], None]
Choose = Callable[[np.ndarray, float, np.random.Generator], int]


@dataclass
class QLearningRun:
    q: np.ndarray
    returns: list[float]
    lengths: list[int]


def q_learning(
    world: GridWorld,
    *,
    episodes: int = 500,
    alpha: float = 0.5,
    gamma: float = 0.95,
    epsilon: float = 0.1,
    max_steps: int = 200,
    seed: int = 0,
    update: Update | None = None,
    choose: Choose | None = None,
) -> QLearningRun:
    """Tabular Q-learning with epsilon-greedy exploration; `update` and `choose` (the
    epsilon-greedy choice) may be a student's."""
    update = update or q_learning_update
    choose = choose or epsilon_greedy
    rng = np.random.default_rng(seed)
    q = np.zeros((world.n_states, world.n_actions))
    returns: list[float] = []
    lengths: list[int] = []
    for _ in range(episodes):
        state, total, steps = world.start, 0.0, 0
        for steps in range(1, max_steps + 1):  # noqa: B007 (the episode's length, after it)
            action = choose(q[state], epsilon, rng)
            next_state, reward, over = world.step(state, action, rng)
            update(q, state, action, reward, next_state, over, alpha, gamma)
            total += reward
            state = next_state
            if over:
                break
        returns.append(total)
        lengths.append(steps)
    return QLearningRun(q, returns, lengths)


def greedy_path(world: GridWorld, q: np.ndarray, max_steps: int = 100) -> list[int]:
    """The states the greedy policy visits from the start (stops at the goal or a loop)."""
    state, path = world.start, [world.start]
    for _ in range(max_steps):
        state, _, over = world.outcome(state, int(q[state].argmax()))
        path.append(state)
        if over or path.count(state) > 1:
            break
    return path
