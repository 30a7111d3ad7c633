"""Lesson 7: the checks of Sections 1-2's exercises, each able to name the mistake students make.

A check takes the student's function (or class) and the reference (which
`exercise.checked` finds by the exercise's id and hands over), runs both on small inputs
built here, worked out by hand in the comments, and raises AssertionError with one
sentence when they disagree. Where a usual mistake explains the difference (bootstrapping
from the end of an episode, the max over the wrong axis, the TD error's sign, ties always
broken to action 0, a ring that never wraps, a missing `zero_grad`, the squared error for
the Huber loss...), the check recomputes that mistake on the same inputs and names it.

The notebooks (`lesson7/section1_concepts.py`, `lesson7/section2_implementation.py`) and
`tests/lessons/test_lesson7_parts.py` use these same functions.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from practicum.lessons.lesson7.dqn import Batch, QNetwork

Function = Callable[..., Any]


def _close(got: float, expected: float, tol: float = 1e-6) -> bool:
    return math.isclose(got, expected, rel_tol=tol, abs_tol=tol)


def _all_close(got: Sequence[float], expected: Sequence[float], tol: float = 1e-6) -> bool:
    return len(got) == len(expected) and all(
        _close(g, e, tol) for g, e in zip(got, expected, strict=True)
    )


def _named(got: Sequence[float], mistakes: Mapping[str, Sequence[float]]) -> str | None:
    """The message of the first mistake that gives exactly what the student's version gave."""
    return next((message for message, wrong in mistakes.items() if _all_close(got, wrong)), None)


def _shown(values: Sequence[float] | np.ndarray) -> str:
    return "[" + ", ".join(f"{float(v):.4g}" for v in values) + "]"


# ---------------------------------------------------------------------------------------
# q_learning_update (Section 1)
# ---------------------------------------------------------------------------------------

Q_TABLE = np.array(
    [
        [0.2, 0.5, -0.3, 0.0],
        [1.0, -1.0, 0.4, 0.6],
        [0.8, 0.1, -0.2, 0.3],
        [0.0, 0.9, 2.0, -0.5],
    ]
)
"""Q of 4 states x 4 actions (as many actions as states, so a max over the wrong axis
still runs and can be named)."""

Q_CASES = (
    # (state, action, reward, next state, over, alpha, gamma)
    (0, 1, -0.1, 2, False, 0.5, 0.9),  # 0.5 + 0.5 * (-0.1 + 0.9 * 0.8 - 0.5) = 0.56
    (3, 2, 1.0, 1, True, 0.5, 0.9),  # the goal: 2.0 + 0.5 * (1.0 - 2.0) = 1.5
    (1, 0, -10.0, 0, False, 0.1, 0.95),  # the cliff: 1.0 + 0.1 * (-10 + 0.95 * 0.5 - 1.0)
)

Q_MISTAKES = (
    "it bootstraps from the state after the last move: when the episode is over there is no "
    "future, so the target is the reward alone",
    "the future is counted only when the episode is over: add gamma * max Q(s', a') when it "
    "goes on, and not at the end",
    "the max is over the wrong axis: take the best action's value in the next state, "
    "q[next_state].max(), not a max over the states",
    "it bootstraps from Q(s', a), the action just taken: Q-learning uses the best action of "
    "the next state, max over a' of Q(s', a')",
    "it bootstraps from the current state's values: the target uses the next state's, "
    "max over a' of Q(next_state, a')",
    "it takes the worst next action (min): the target uses the best one, the max",
    "the TD error has the wrong sign: move Q(s, a) towards the target, "
    "Q(s, a) += alpha * (target - Q(s, a))",
    "alpha is applied to the target only: Q(s, a) += alpha * (target - Q(s, a)), the step "
    "times the whole TD error",
    "it adds alpha * target without subtracting Q(s, a): the step is alpha times the TD "
    "error, target - Q(s, a)",
    "it replaces Q(s, a) by the target: move only a step alpha towards it",
    "gamma is missing: the next state's value is discounted, gamma * max Q(s', a')",
    "gamma multiplies the reward too: only the future is discounted, r + gamma * max Q(s', a')",
)


def _q_mistakes(q: np.ndarray) -> dict[str, list[float]]:
    """Message of Q_MISTAKES -> the new Q(s, a) that mistake gives on each of Q_CASES."""
    found: dict[str, list[float]] = {message: [] for message in Q_MISTAKES}
    for s, a, r, s2, over, alpha, gamma in Q_CASES:
        old, go_on = q[s, a], 0.0 if over else gamma
        target = r + go_on * q[s2].max()

        def towards(wrong_target: float, old: float = old, alpha: float = alpha) -> float:
            return float(old + alpha * (wrong_target - old))

        values = (
            towards(r + gamma * q[s2].max()),
            towards(r + (gamma * q[s2].max() if over else 0.0)),
            towards(r + go_on * q[:, s2].max()),
            towards(r + go_on * q[s2, a]),
            towards(r + go_on * q[s].max()),
            towards(r + go_on * q[s2].min()),
            old - alpha * (target - old),
            alpha * target,
            old + alpha * target,
            target,
            towards(r + (0.0 if over else q[s2].max())),
            towards(gamma * (r + (0.0 if over else q[s2].max()))),
        )
        for message, value in zip(Q_MISTAKES, values, strict=True):
            found[message].append(float(value))
    return found


def check_q_learning_update(candidate: Function, reference: Function) -> None:
    got, expected = [], []
    for case in Q_CASES:
        state, action = case[0], case[1]
        q = Q_TABLE.copy()
        candidate(q, *case)
        if np.array_equal(q, Q_TABLE):
            raise AssertionError(
                "q did not change: update the table in place (q[state, action] += ...), "
                "the function returns nothing"
            )
        changed = np.argwhere(q != Q_TABLE).tolist()
        if changed and changed != [[state, action]]:
            raise AssertionError(
                f"it changed the entries {changed} for a move from state {state} with action "
                f"{action}: only Q(state, action) may change"
            )
        got.append(float(q[state, action]))
        table = Q_TABLE.copy()
        reference(table, *case)
        expected.append(float(table[state, action]))
    if _all_close(got, expected):
        return
    message = _named(got, _q_mistakes(Q_TABLE))
    if message:
        raise AssertionError(message)
    wrong = next(i for i in range(len(got)) if not _close(got[i], expected[i]))
    state, action, reward, next_state, over, alpha, gamma = Q_CASES[wrong]
    raise AssertionError(
        f"from Q({state}, {action}) = {Q_TABLE[state, action]} with reward {reward}, next "
        f"state {next_state} (max Q {Q_TABLE[next_state].max()}), over={over}, alpha {alpha}, "
        f"gamma {gamma}, Q({state}, {action}) should become {expected[wrong]:.4g}, not "
        f"{got[wrong]:.4g}"
    )


# ---------------------------------------------------------------------------------------
# epsilon_greedy (Section 1)
# ---------------------------------------------------------------------------------------

DRAWS = 4000
"""Choices the check draws per setting; a frequency is trusted to within FREQUENCY_TOL."""
FREQUENCY_TOL = 0.03
Q_ROW = np.array([0.0, 5.0, 1.0, 2.0])
"""Action 1 is the best."""


def _frequencies(candidate: Function, q_row: np.ndarray, epsilon: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    counts = np.zeros(len(q_row))
    for _ in range(DRAWS):
        action = candidate(q_row.copy(), epsilon, rng)
        if isinstance(action, bool) or not isinstance(action, int | np.integer):
            raise AssertionError(f"return the action as an int, not {action!r}")
        if not 0 <= action < len(q_row):
            raise AssertionError(
                f"it returned action {action}; the actions are 0 to {len(q_row) - 1}"
            )
        counts[action] += 1
    return counts / DRAWS


def _near(got: np.ndarray, wanted: Sequence[float]) -> bool:
    return bool(np.all(np.abs(got - np.asarray(wanted)) <= FREQUENCY_TOL))


def check_epsilon_greedy(candidate: Function) -> None:
    first, again = np.random.default_rng(1), np.random.default_rng(1)
    if [candidate(Q_ROW.copy(), 0.5, first) for _ in range(40)] != [
        candidate(Q_ROW.copy(), 0.5, again) for _ in range(40)
    ]:
        raise AssertionError(
            "the same seed gave different choices: draw from the rng passed in (rng.random(), "
            "rng.integers(...)), not np.random or random, so a run can be repeated"
        )
    greedy = _frequencies(candidate, Q_ROW, 0.0, seed=2)
    if _near(greedy, [0.25] * 4):
        raise AssertionError(
            "with epsilon 0 it acts at random: epsilon is the probability of a random action, "
            "so explore when rng.random() < epsilon and act greedily otherwise"
        )
    if greedy[0] == 1.0:
        raise AssertionError("it takes the action of the lowest Q-value: take the highest (argmax)")
    if greedy[1] != 1.0:
        raise AssertionError(
            f"with epsilon 0 and Q = {Q_ROW.tolist()} it must always take action 1"
        )
    ties = _frequencies(candidate, np.zeros(4), 0.0, seed=3)
    if ties[0] == 1.0:
        raise AssertionError(
            "ties always go to action 0 (np.argmax returns the first best): in a fresh table "
            "of zeros the agent always tries up first, and where steps cost nothing it never "
            "tries anything else; pick at random among the best actions"
        )
    if not _near(ties, [0.25] * 4):
        raise AssertionError(
            f"with Q all equal and epsilon 0 each action should be picked 1/4 of the time, "
            f"got {_shown(ties)}: break ties at random among all the best actions"
        )
    wanted = [0.05, 0.85, 0.05, 0.05]  # 1 - epsilon + epsilon / 4 for the best
    mixed = _frequencies(candidate, Q_ROW, 0.2, seed=4)
    if _near(mixed, wanted):
        return
    if _near(mixed, [0.2 + 0.8 / 4 if a == 1 else 0.8 / 4 for a in range(4)]):
        raise AssertionError(
            "epsilon is applied the wrong way round: with probability epsilon take a random "
            "action, with probability 1 - epsilon the best"
        )
    if _near(mixed, [0.2 / 3, 0.8, 0.2 / 3, 0.2 / 3]):
        raise AssertionError(
            "when exploring it never picks the best action: draw from all the actions "
            "(rng.integers(n)), so the best is taken with probability 1 - epsilon + epsilon / n"
        )
    raise AssertionError(
        f"with epsilon 0.2 and Q = {Q_ROW.tolist()} the actions should be taken with "
        f"frequencies {_shown(wanted)}, got {_shown(mixed)}"
    )


# ---------------------------------------------------------------------------------------
# ReplayBuffer (Section 2)
# ---------------------------------------------------------------------------------------

CAPACITY, OBS = 5, 3
FIELDS = {
    "obs": ((OBS,), torch.float32),
    "actions": ((), torch.int64),
    "rewards": ((), torch.float32),
    "next_obs": ((OBS,), torch.float32),
    "dones": ((), torch.float32),
}
DTYPE_WHY = {
    "actions": "gather needs int64 indices",
    "dones": "1 - dones needs numbers, not booleans",
}


def transition(i: int) -> tuple[np.ndarray, int, float, np.ndarray, bool]:
    """The i-th transition the check adds; every field says which transition it came from."""
    obs = np.array([i, 10 + i, 20 + i], dtype=np.float32)
    return obs, i % 2, 1.5 * i, obs + 100, i % 3 == 0


def _filled(make: Function, count: int) -> Any:
    buffer = make(CAPACITY, (OBS,))
    for i in range(count):
        try:
            buffer.add(*transition(i))
        except IndexError:
            raise AssertionError(
                f"adding transition {i + 1} into a buffer of {CAPACITY} raised IndexError: when "
                "it is full, wrap around to overwrite the oldest, position = (position + 1) % "
                "capacity"
            ) from None
    return buffer


def _sampled(buffer: Any, batch: int, seed: int) -> Batch:
    sample = buffer.sample(batch, np.random.default_rng(seed))
    if not isinstance(sample, Mapping) or set(sample) != set(FIELDS):
        raise AssertionError(f"sample must return a dict with the keys {sorted(FIELDS)}")
    for key, (shape, dtype) in FIELDS.items():
        value = sample[key]
        if not isinstance(value, torch.Tensor):
            raise AssertionError(
                f"{key} must be a torch tensor (torch.as_tensor), not {type(value).__name__}"
            )
        if tuple(value.shape) != (batch, *shape):
            raise AssertionError(
                f"{key} has shape {tuple(value.shape)} in a batch of {batch}, expected {(batch, *shape)}"
            )
        if value.dtype != dtype:
            why = f" ({DTYPE_WHY[key]})" if key in DTYPE_WHY else ""
            raise AssertionError(f"{key} has dtype {value.dtype}, expected {dtype}{why}")
    return dict(sample)


def _which(sample: Batch, added: int) -> list[int]:
    """The transition of every sampled row, after checking its fields belong together."""
    ids = sample["obs"][:, 0].round().long().tolist()
    if any(not 0 <= i < added for i in ids) or not torch.equal(
        sample["obs"], torch.stack([torch.as_tensor(transition(i)[0]) for i in ids])
    ):
        raise AssertionError(
            "it samples rows that were never filled (zeros): draw the rows among the "
            f"{min(added, CAPACITY)} stored transitions, below len(self), not below the capacity"
        )
    for key, index in (("actions", 1), ("rewards", 2), ("next_obs", 3), ("dones", 4)):
        expected = torch.stack(
            [torch.as_tensor(transition(i)[index]).to(FIELDS[key][1]) for i in ids]
        )
        if not torch.equal(sample[key], expected):
            raise AssertionError(
                f"{key} of a sampled row come from another transition than its obs: draw one "
                "set of rows and take every field at those rows"
            )
    return ids


def check_replay_buffer(candidate: Function) -> None:
    buffer = _filled(candidate, 3)
    if len(buffer) != 3:
        raise AssertionError(f"after 3 adds len(buffer) is {len(buffer)}, not 3")
    if set(_which(_sampled(buffer, 64, seed=0), 3)) != {0, 1, 2}:
        raise AssertionError("64 samples from 3 stored transitions should include all three")
    buffer = _filled(candidate, 7)
    if len(buffer) != CAPACITY:
        raise AssertionError(
            f"after 7 adds into a buffer of {CAPACITY}, len(buffer) is {len(buffer)}: it holds "
            f"at most {CAPACITY}"
        )
    counts = Counter(_which(_sampled(buffer, 2000, seed=1), 7))
    if set(counts) != {2, 3, 4, 5, 6}:
        raise AssertionError(
            f"after 7 adds into a buffer of {CAPACITY} it should hold the last five "
            f"transitions, 2 to 6, and it holds {sorted(counts)}: each add overwrites the "
            "oldest, position = (position + 1) % capacity"
        )
    shares = np.array([counts[i] for i in range(2, 7)]) / 2000
    if not np.all(np.abs(shares - 0.2) <= FREQUENCY_TOL):
        raise AssertionError(
            f"sample uniformly over the stored rows: the five were drawn {_shown(shares)} of the time"
        )
    again = _sampled(_filled(candidate, 7), 2000, seed=1)
    if not torch.equal(again["obs"], _sampled(buffer, 2000, seed=1)["obs"]):
        raise AssertionError(
            "the same seed gave different samples: draw the rows with the rng passed in "
            "(rng.integers(0, len(self), batch)), so a run can be repeated"
        )


# ---------------------------------------------------------------------------------------
# epsilon_at (Section 2)
# ---------------------------------------------------------------------------------------

EPSILON_CASES = (
    # (step, start, end, decay_steps): 1.0 down to 0.05 over 1,000 steps, then flat
    (0, 1.0, 0.05, 1000),
    (250, 1.0, 0.05, 1000),  # 1 - 0.95 * 0.25 = 0.7625
    (500, 1.0, 0.05, 1000),
    (1000, 1.0, 0.05, 1000),
    (5000, 1.0, 0.05, 1000),
    (300, 0.5, 0.1, 600),  # 0.5 - 0.4 * 0.5 = 0.3
)


def _linear(step: float, start: float, end: float, decay: float) -> float:
    return start + (end - start) * step / decay


EPSILON_MISTAKES: dict[str, Callable[[int, float, float, int], float]] = {
    "it keeps falling after decay_steps: from then on epsilon stays at end": _linear,
    "it runs from end to start: epsilon starts high (explore) and falls to end": (
        lambda s, a, b, n: b if s >= n else _linear(s, b, a, n)
    ),
    "it falls to 0 instead of end: epsilon = start + (end - start) * step / decay_steps": (
        lambda s, a, b, n: max(b, a * (1 - s / n))
    ),
    "step // decay_steps is 0 until the end: use / for the fraction of the decay done": (
        lambda s, a, b, n: b if s >= n else _linear(s // n, a, b, 1)
    ),
    "it decays exponentially: the schedule is linear, start + (end - start) * step / decay_steps": (
        lambda s, a, b, n: b if s >= n else a * (b / a) ** (s / n)
    ),
    "it returns 1 - epsilon, the probability of acting greedily": (
        lambda s, a, b, n: 1 - (b if s >= n else _linear(s, a, b, n))
    ),
}


def check_epsilon_at(candidate: Function, reference: Function) -> None:
    got = []
    for case in EPSILON_CASES:
        value = candidate(*case)
        if not isinstance(value, float | int | np.floating | np.integer):
            raise AssertionError(f"return epsilon as a number, not {value!r}")
        got.append(float(value))
    expected = [float(reference(*case)) for case in EPSILON_CASES]
    if _all_close(got, expected):
        return
    mistakes = {
        m: [float(rule(*case)) for case in EPSILON_CASES] for m, rule in EPSILON_MISTAKES.items()
    }
    message = _named(got, mistakes)
    if message:
        raise AssertionError(message)
    wrong = next(i for i in range(len(got)) if not _close(got[i], expected[i]))
    step, start, end, decay = EPSILON_CASES[wrong]
    raise AssertionError(
        f"epsilon_at({step}, start={start}, end={end}, decay_steps={decay}) should be "
        f"{expected[wrong]:.4g}, not {got[wrong]:.4g}"
    )


# ---------------------------------------------------------------------------------------
# dqn_target (Section 2)
# ---------------------------------------------------------------------------------------

NEXT_Q = torch.tensor(
    [
        [1.0, 3.0, -1.5, 0.0],
        [2.0, -1.0, 0.5, 1.5],
        [0.5, 0.5, 0.0, -2.0],
        [-1.0, -3.0, -0.5, -2.0],
        [4.0, 0.0, 1.0, 2.0],
    ]
)
"""Q_target(s', a) of 5 states x 4 actions."""
NEXT_STATES = (0, 1, 3, 4)
REWARDS = (1.0, 0.0, -1.0, 2.0)
DONES = (0.0, 0.0, 0.0, 1.0)
GAMMA = 0.9
TARGETS = (3.7, 1.8, -1.45, 2.0)
"""By hand: 1 + 0.9 * 3, 0 + 0.9 * 2, -1 + 0.9 * -0.5, and 2 alone (the episode ended)."""


def table_net(table: torch.Tensor = NEXT_Q) -> nn.Linear:
    """A 'network' whose Q-values for a one-hot state are that state's row of `table`."""
    net = nn.Linear(table.shape[0], table.shape[1], bias=False)
    with torch.no_grad():
        net.weight.copy_(table.T)
    return net


def target_inputs() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(rewards, next_obs one-hot, dones) of the hand-computed batch of 4."""
    next_obs = F.one_hot(torch.tensor(NEXT_STATES), len(NEXT_Q)).float()
    return torch.tensor(REWARDS), next_obs, torch.tensor(DONES)


def _target_mistakes() -> dict[str, list[float]]:
    q = NEXT_Q[list(NEXT_STATES)]
    r, d, g = torch.tensor(REWARDS), torch.tensor(DONES), GAMMA
    best = q.max(dim=1).values
    found = {
        "it bootstraps after the end of an episode: multiply the next value by (1 - dones), "
        "no future after the last step": r + g * best,
        "(1 - dones) is the wrong way round: bootstrap where the episode goes on (dones = 0) "
        "and not where it ended": r + g * d * best,
        "the max is over the batch (dim=0): take each transition's best action, max over dim=1": r
        + g * (1 - d) * q.max(dim=0).values,
        "it averages over the actions: the target uses the best one, max over dim=1": r
        + g * (1 - d) * q.mean(dim=1),
        "it takes the worst action (min): the target uses the best one, max": r
        + g * (1 - d) * q.min(dim=1).values,
        "it uses the index of the best action (argmax, .indices) as its value: take "
        ".max(dim=1).values": r + g * (1 - d) * q.argmax(dim=1).float(),
        "gamma is missing: discount the next value, r + gamma * max Q(s', a')": r + (1 - d) * best,
        "gamma multiplies the reward too: only the future is discounted": g * (r + (1 - d) * best),
    }
    return {message: values.tolist() for message, values in found.items()}


def check_dqn_target(candidate: Function, reference: Function) -> None:
    rewards, next_obs, dones = target_inputs()
    y = candidate(table_net(), rewards.clone(), next_obs.clone(), dones.clone(), GAMMA)
    if not isinstance(y, torch.Tensor):
        raise AssertionError(f"return the targets as a torch tensor, not {type(y).__name__}")
    if y.shape != rewards.shape:
        raise AssertionError(
            f"for a batch of {len(rewards)} the targets have shape {tuple(y.shape)}, expected "
            f"({len(rewards)},): one target per transition (.max(dim=1).values, no keepdim, "
            "or a (B, 1) column broadcasts against the rewards)"
        )
    if y.requires_grad:
        raise AssertionError(
            "the targets carry a gradient into the target network: compute them under "
            "torch.no_grad() (the target is a fixed number to move Q(s, a) towards)"
        )
    got = y.double().tolist()
    if _all_close(got, list(TARGETS), 1e-5):
        expected = reference(table_net(), rewards, next_obs, dones, GAMMA)
        if torch.allclose(y, expected, atol=1e-5):
            return
    message = _named(got, _target_mistakes())
    if message:
        raise AssertionError(message)
    raise AssertionError(
        f"with rewards {list(REWARDS)}, dones {list(DONES)}, gamma {GAMMA} and the next "
        f"states' best Q-values [3, 2, -0.5, 4], the targets are {list(TARGETS)}, not "
        f"{_shown(got)}"
    )


# ---------------------------------------------------------------------------------------
# dqn_step (Section 2)
# ---------------------------------------------------------------------------------------

STEP_BATCH, STEP_LR, STEP_GAMMA = 6, 0.1, 0.9


def step_batches() -> list[Batch]:
    """Two batches of CartPole-sized transitions with ends of episodes in both, and rewards
    that put some TD errors below 1 and some beyond, where the Huber loss and the squared
    error differ (were all beyond, the Huber gradient would not depend on the target)."""
    gen = torch.Generator().manual_seed(0)
    rewards = ([0.3, -2.5, 0.1, 1.0, 3.0, -0.2], [-0.4, 0.2, 2.2, -1.5, 0.0, 0.6])
    return [
        {
            "obs": torch.randn(STEP_BATCH, 4, generator=gen),
            "actions": torch.tensor([0, 1, 1, 0, 1, 0]),
            "rewards": torch.tensor(r),
            "next_obs": torch.randn(STEP_BATCH, 4, generator=gen),
            "dones": torch.tensor([0.0, 1.0, 0.0, 0.0, 1.0, 0.0]),
        }
        for r in rewards
    ]


def tiny_nets() -> tuple[QNetwork, QNetwork]:
    """An online and a target network that differ, the same ones on every call."""
    torch.manual_seed(0)
    net = QNetwork(4, 2, hidden=8)
    torch.manual_seed(1)
    return net, QNetwork(4, 2, hidden=8)


def _weights(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def _gap(a: Sequence[torch.Tensor], b: Sequence[torch.Tensor]) -> float:
    return max(float((x - y).abs().max()) for x, y in zip(a, b, strict=True))


class _StepRun:
    """Two steps of a dqn_step from the same nets and batches: what it returned, and the
    networks afterwards."""

    def __init__(self, step: Function) -> None:
        self.net, self.target = tiny_nets()
        optimizer = torch.optim.SGD(self.net.parameters(), lr=STEP_LR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a (B, 1) against (B,) mistake warns; it is named
            self.returned = [
                step(self.net, self.target, optimizer, batch, STEP_GAMMA)
                for batch in step_batches()
            ]


def _flawed_step(flaw: str) -> Function:
    """The reference step with one usual mistake."""

    def step(
        net: nn.Module, target_net: nn.Module, optimizer: Any, batch: Batch, gamma: float
    ) -> float:
        rewards, next_obs, dones = batch["rewards"], batch["next_obs"], batch["dones"]
        with torch.set_grad_enabled(flaw in ("online_with_grad", "target_with_grad")):
            judge = net if flaw in ("online", "online_with_grad") else target_net
            best = judge(next_obs).max(dim=1).values
        y = rewards + gamma * (1.0 if flaw == "no_done" else 1.0 - dones) * best
        q = net(batch["obs"]).gather(0 if flaw == "gather_axis" else 1, batch["actions"][:, None])
        q = q if flaw == "no_squeeze" else q.squeeze(1)
        if flaw == "mse":
            loss = F.mse_loss(q, y)
        else:
            loss = F.smooth_l1_loss(q, y, reduction="sum" if flaw == "sum" else "mean")
        if flaw != "no_zero_grad":
            optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


STEP_MISTAKES = {
    "no_zero_grad": "the gradients pile up from step to step: call optimizer.zero_grad() "
    "before loss.backward()",
    "mse": "that is the squared error: DQN's loss is the Huber loss (F.smooth_l1_loss), "
    "linear for TD errors beyond 1, so one surprising transition cannot blow up a step",
    "gather_axis": "gather picks along the wrong axis: Q(s, a) is "
    "net(obs).gather(1, actions[:, None]), the taken action of each row",
    "no_squeeze": "Q(s, a) has shape (B, 1) against targets of shape (B,): they broadcast to "
    "(B, B); squeeze(1) the gathered column",
    "no_done": "the target bootstraps after the end of an episode: multiply the next value by "
    "(1 - dones)",
    "online": "the target uses the online network: compute it with the target network, "
    "the copy that is updated only every few hundred steps",
    "online_with_grad": "the target is computed with the online network and carries its "
    "gradient: use the target network, under torch.no_grad()",
    "sum": "the loss is summed over the batch: average it (F.smooth_l1_loss's default), so the "
    "step's size does not grow with the batch",
}
"""Flaws of `_flawed_step` that change the weights, and their messages; its other flaw,
"target_with_grad", leaves them right and is caught by the target network's gradients."""


def check_dqn_step(candidate: Function, reference: Function) -> None:
    mine = _StepRun(candidate)
    theirs = _StepRun(reference)
    start, target_start = (_weights(m) for m in tiny_nets())
    if any(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in mine.target.parameters()):
        raise AssertionError(
            "gradients flow into the target network: compute the target under torch.no_grad() "
            "(it is a fixed number to move Q(s, a) towards)"
        )
    if _gap(_weights(mine.target), target_start) > 0:
        raise AssertionError("the target network changed: only the online network learns in a step")
    if _gap(_weights(mine.net), start) == 0:
        raise AssertionError(
            "the weights did not change: optimizer.zero_grad(), loss.backward(), then "
            "optimizer.step(), in that order"
        )
    if _gap(_weights(mine.net), _weights(theirs.net)) > 1e-6:
        for flaw, message in STEP_MISTAKES.items():
            if _gap(_weights(mine.net), _weights(_StepRun(_flawed_step(flaw)).net)) <= 1e-6:
                raise AssertionError(message)
        raise AssertionError(
            "after two steps from the same networks, on the same batches, your weights differ "
            f"from the reference's by up to {_gap(_weights(mine.net), _weights(theirs.net)):.2e}"
        )
    for got, expected in zip(mine.returned, theirs.returned, strict=True):
        if isinstance(got, bool) or not isinstance(got, float | int):
            raise AssertionError(f"return the loss as a Python float (loss.item()), not {got!r}")
        if not _close(float(got), expected, 1e-5):
            raise AssertionError(
                f"it returned {float(got):.4f}, the batch's loss was {expected:.4f}: return "
                "loss.item() of the loss that was minimised"
            )
