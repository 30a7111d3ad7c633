"""Lesson 7, Sections 2-3: DQN (Mnih et al. 2015) and its two best-known repairs.

The pieces the student writes are here in reference form: a replay buffer, the epsilon
schedule, the TD target with a target network, the Huber loss step; then Double DQN's
target (van Hasselt et al. 2016) and the dueling head (Wang et al. 2016). `train_dqn`
runs them on any gymnasium environment with a flat observation (CartPole in Section 2).
"""

from __future__ import annotations

import copy
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

Log = Callable[[str], None]
Batch = dict[str, torch.Tensor]
Target = Callable[[nn.Module, nn.Module, Batch, float], torch.Tensor]
"""(online net, target net, batch, gamma) -> the TD targets y of the batch."""
Step = Callable[[nn.Module, nn.Module, torch.optim.Optimizer, Batch, float], float]
"""(online net, target net, optimizer, batch, gamma) -> the loss of one gradient step."""
Act = Callable[[np.ndarray], int]


class ReplayBuffer:
    """A ring of the last `capacity` transitions, sampled uniformly."""

    def __init__(self, capacity: int, obs_shape: tuple[int, ...], obs_dtype: Any = np.float32):
        self.capacity = capacity
        self.obs = np.zeros((capacity, *obs_shape), dtype=obs_dtype)
        self.next_obs = np.zeros((capacity, *obs_shape), dtype=obs_dtype)
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.dones = np.zeros(capacity, dtype=np.float32)
        self.size = 0
        self.position = 0

    def add(self, obs: Any, action: int, reward: float, next_obs: Any, done: bool) -> None:
        i = self.position
        self.obs[i], self.actions[i], self.rewards[i] = obs, action, reward
        self.next_obs[i], self.dones[i] = next_obs, float(done)
        self.position = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def __len__(self) -> int:
        return self.size

    def sample(self, batch: int, rng: np.random.Generator) -> Batch:
        rows = rng.integers(0, self.size, batch)
        return {
            "obs": torch.as_tensor(self.obs[rows]),
            "actions": torch.as_tensor(self.actions[rows]),
            "rewards": torch.as_tensor(self.rewards[rows]),
            "next_obs": torch.as_tensor(self.next_obs[rows]),
            "dones": torch.as_tensor(self.dones[rows]),
        }


def epsilon_at(
    step: int, start: float = 1.0, end: float = 0.05, decay_steps: int = 10_000
) -> float:
    """Linear from `start` to `end` over `decay_steps`, then flat."""
    if step >= decay_steps:
        return end
    return start + (end - start) * step / decay_steps


def dqn_target(
    target_net: nn.Module,
    rewards: torch.Tensor,
    next_obs: torch.Tensor,
    dones: torch.Tensor,
    gamma: float,
) -> torch.Tensor:
    """r + gamma * max_a Q_target(s', a), no bootstrap where the episode ended."""
    with torch.no_grad():
        best: torch.Tensor = target_net(next_obs).max(dim=1).values
    return rewards + gamma * (1.0 - dones) * best


def double_dqn_target(
    online_net: nn.Module,
    target_net: nn.Module,
    rewards: torch.Tensor,
    next_obs: torch.Tensor,
    dones: torch.Tensor,
    gamma: float,
) -> torch.Tensor:
    """The online network picks the next action, the target network values it: the max
    of noisy estimates no longer picks and values with the same noise."""
    with torch.no_grad():
        choice = online_net(next_obs).argmax(dim=1, keepdim=True)
        value: torch.Tensor = target_net(next_obs).gather(1, choice).squeeze(1)
    return rewards + gamma * (1.0 - dones) * value


def _double_target(
    net: nn.Module, target_net: nn.Module, batch: Batch, gamma: float
) -> torch.Tensor:
    return double_dqn_target(
        net, target_net, batch["rewards"], batch["next_obs"], batch["dones"], gamma
    )


def dqn_step(
    net: nn.Module,
    target_net: nn.Module,
    optimizer: torch.optim.Optimizer,
    batch: Batch,
    gamma: float,
    target_fn: Target | None = None,
) -> float:
    """One gradient step of Q(s, a) towards the TD target y on the Huber loss, which grows
    only linearly in large TD errors: one surprising transition cannot blow up a step.
    `target_fn` computes y instead of `dqn_target` (Double DQN)."""
    if target_fn is None:
        y = dqn_target(target_net, batch["rewards"], batch["next_obs"], batch["dones"], gamma)
    else:
        y = target_fn(net, target_net, batch, gamma)
    q = net(batch["obs"]).gather(1, batch["actions"][:, None]).squeeze(1)
    loss = F.smooth_l1_loss(q, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


class QNetwork(nn.Module):
    """An MLP from a flat observation to one Q-value per action."""

    def __init__(self, obs_size: int, n_actions: int, hidden: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(obs_size, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, n_actions),
        )

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        q: torch.Tensor = self.net(obs.float())
        return q


class DuelingHead(nn.Module):
    """Q(s, a) = V(s) + A(s, a) - mean_a A(s, a): one value stream, one advantage stream."""

    def __init__(self, features: int, n_actions: int, hidden: int = 128) -> None:
        super().__init__()
        self.value = nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.advantage = nn.Sequential(
            nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, n_actions)
        )

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        a: torch.Tensor = self.advantage(h)
        q: torch.Tensor = self.value(h) + a - a.mean(dim=1, keepdim=True)
        return q


class DuelingQNetwork(nn.Module):
    def __init__(self, obs_size: int, n_actions: int, hidden: int = 128) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(obs_size, hidden), nn.ReLU())
        self.head = DuelingHead(hidden, n_actions, hidden)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        q: torch.Tensor = self.head(self.body(obs.float()))
        return q


@dataclass(frozen=True)
class DqnConfig:
    steps: int = 30_000
    buffer: int = 50_000
    batch: int = 64
    lr: float = 1e-3
    gamma: float = 0.99
    learning_starts: int = 1_000
    train_every: int = 1
    target_every: int = 200
    epsilon_start: float = 1.0
    epsilon_end: float = 0.02
    epsilon_decay: int = 10_000
    double: bool = False
    dueling: bool = False
    hidden: int = 128
    validate_every: int = 2_500
    """With a `validate` function: how often to score the greedy policy and keep the best."""


@dataclass
class DqnRun:
    net: nn.Module
    returns: list[float] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    """The step at which each episode ended, for learning curves against steps."""
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    validation: list[tuple[int, float]] = field(default_factory=list)
    """(step, validation score) of every check of the greedy policy."""
    best: dict[str, Any] | None = None
    """The weights of the best validation score (the first, on a tie), a DQN being apt to
    forget what it knew."""
    best_step: int = 0


def greedy(net: nn.Module) -> Act:
    """The policy that takes the action of the highest Q-value: no exploration."""

    def act(obs: np.ndarray) -> int:
        with torch.no_grad():
            return int(net(torch.as_tensor(obs[None], dtype=torch.float32)).argmax())

    return act


def episode_returns(env: Any, act: Act, seeds: Sequence[int]) -> list[float]:
    """The return of one whole episode per seed, acting with `act` and learning nothing:
    a policy scored on starts it never trained on."""
    returns = []
    for seed in seeds:
        obs, _ = env.reset(seed=seed)
        total, over = 0.0, False
        while not over:
            obs, reward, terminated, truncated, _ = env.step(act(obs))
            total += float(reward)
            over = bool(terminated or truncated)
        returns.append(total)
    return returns


def train_dqn(
    env: Any,
    config: DqnConfig = DqnConfig(),
    *,
    seed: int = 0,
    target_fn: Target | None = None,
    step_fn: Step | None = None,
    make_buffer: Callable[[int, tuple[int, ...]], Any] = ReplayBuffer,
    epsilon_fn: Callable[[int, float, float, int], float] = epsilon_at,
    validate: Callable[[nn.Module], float] | None = None,
    log: Log | None = print,
    log_every: int = 5_000,
) -> DqnRun:
    """DQN on a gymnasium environment with a flat observation and discrete actions.

    The pieces are the references unless given: `make_buffer(capacity, obs_shape)`,
    `epsilon_fn(step, start, end, decay_steps)`, `step_fn` (one training step, see
    `dqn_step`), or only the TD target inside the reference step, `target_fn`. With
    `validate(net) -> score` (the greedy policy on validation episodes), every
    `config.validate_every` steps the net is scored and the best weights kept in `best`.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    obs_size = int(np.prod(env.observation_space.shape))
    n_actions = int(env.action_space.n)
    make = DuelingQNetwork if config.dueling else QNetwork
    net = make(obs_size, n_actions, config.hidden)
    target = copy.deepcopy(net)
    optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
    buffer = make_buffer(config.buffer, (obs_size,))
    if target_fn is None and config.double:
        target_fn = _double_target
    train_step = step_fn or functools.partial(dqn_step, target_fn=target_fn)
    act = greedy(net)
    run = DqnRun(net)
    obs, _ = env.reset(seed=seed)
    episode_return, start = 0.0, time.perf_counter()
    for step in range(config.steps):
        epsilon = epsilon_fn(step, config.epsilon_start, config.epsilon_end, config.epsilon_decay)
        action = int(rng.integers(n_actions)) if rng.random() < epsilon else act(obs)
        next_obs, reward, terminated, truncated, _ = env.step(action)
        # only a real end stops the bootstrap: at a time limit (truncated) the future goes on
        buffer.add(obs, action, float(reward), next_obs, bool(terminated))
        episode_return += float(reward)
        obs = next_obs
        if terminated or truncated:
            run.returns.append(episode_return)
            run.ends.append(step + 1)
            episode_return = 0.0
            obs, _ = env.reset()
        if step >= config.learning_starts and step % config.train_every == 0:
            batch = buffer.sample(config.batch, rng)
            run.losses.append(float(train_step(net, target, optimizer, batch, config.gamma)))
        if step % config.target_every == 0:
            target.load_state_dict(net.state_dict())
        if validate is not None and (step + 1) % config.validate_every == 0:
            score = validate(net)
            if not run.validation or score > max(s for _, s in run.validation):
                run.best, run.best_step = copy.deepcopy(net.state_dict()), step + 1
            run.validation.append((step + 1, score))
        if log and (step + 1) % log_every == 0:
            recent = run.returns[-10:]
            shown = f"{np.mean(recent):6.1f}" if recent else "     -"
            log(f"step {step + 1:7,d}  epsilon {epsilon:.2f}  return (last 10) {shown}")
    run.seconds = time.perf_counter() - start
    return run
