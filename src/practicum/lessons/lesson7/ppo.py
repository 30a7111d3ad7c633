"""Lesson 7: proximal policy optimisation (Schulman et al. 2017) on vectorised Atari games.

An actor-critic network reads the 4 stacked frames and gives action logits and a value.
Each update collects `n_steps` steps from `n_envs` games at once, turns the rewards into
advantages with GAE (Schulman et al. 2016), then takes a few epochs of minibatch steps on
the clipped surrogate objective. The details that matter on Atari follow Huang et al.'s
"The 37 implementation details of PPO" (2022): clipped rewards, orthogonal initialisation,
advantages normalised per minibatch, the learning rate annealed to 0, gradients clipped.
The learning rate starts at 6e-4, above the usual 2.5e-4 (tuned for 10 million steps): in
an hour's budget 2.5e-4 still played like a random agent after 0.85 million frames (mean
of the last 20 training games 2.1), 6e-4 scored 7.2 after 0.89 million (2026-12-05, two
runs side by side on 2 CPU cores, the learning rate annealed over 60 minutes).

The network is narrower than the Nature DQN's (16/32/32 channels, 256 hidden units
instead of 32/64/64 and 512): on two CPU cores the update, not the emulator, is the
bottleneck, and a third of the multiply-adds trains three times the frames an hour.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from practicum.lessons.lesson7 import atari
from practicum.train.progress import epoch_bar

Log = Callable[[str], None]


def _init(layer: nn.Module, gain: float = math.sqrt(2)) -> nn.Module:
    """Orthogonal weights, zero biases: the initialisation PPO's results rest on."""
    assert isinstance(layer, nn.Conv2d | nn.Linear)
    nn.init.orthogonal_(layer.weight, gain)
    assert layer.bias is not None
    nn.init.zeros_(layer.bias)
    return layer


class ActorCritic(nn.Module):
    """uint8 frames (N, 4, 84, 84) -> (action logits (N, A), values (N,))."""

    def __init__(
        self, n_actions: int, channels: tuple[int, int, int] = (16, 32, 32), hidden: int = 256
    ) -> None:
        super().__init__()
        c1, c2, c3 = channels
        self.body = nn.Sequential(
            _init(nn.Conv2d(4, c1, 8, stride=4)),  # 20x20
            nn.ReLU(),
            _init(nn.Conv2d(c1, c2, 4, stride=2)),  # 9x9
            nn.ReLU(),
            _init(nn.Conv2d(c2, c3, 3, stride=1)),  # 7x7
            nn.ReLU(),
            nn.Flatten(),
            _init(nn.Linear(c3 * 7 * 7, hidden)),
            nn.ReLU(),
        )
        self.actor = _init(nn.Linear(hidden, n_actions), gain=0.01)
        self.critic = _init(nn.Linear(hidden, 1), gain=1.0)

    def forward(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(frames.float() / 255.0)
        logits: torch.Tensor = self.actor(h)
        values: torch.Tensor = self.critic(h).squeeze(1)
        return logits, values


class Policy(nn.Module):
    """What a student submits: uint8 (N, 4, 84, 84) -> action logits (N, A), nothing else."""

    def __init__(self, net: ActorCritic) -> None:
        super().__init__()
        self.net = net

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.net(frames)[0]
        return logits


def gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    dones: torch.Tensor,
    last_value: torch.Tensor,
    gamma: float,
    lam: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimates and returns for (T, N) rollouts.

    `dones[t]` says the episode ended with step t (no bootstrap from step t + 1);
    `last_value` (N,) is the critic's value of the observation after the last step.
    """
    steps = len(rewards)
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(last_value)
    for t in reversed(range(steps)):
        next_value = last_value if t == steps - 1 else values[t + 1]
        alive = 1.0 - dones[t]
        delta = rewards[t] + gamma * next_value * alive - values[t]
        running = delta + gamma * lam * alive * running
        advantages[t] = running
    return advantages, advantages + values


def clipped_loss(
    new_logp: torch.Tensor, old_logp: torch.Tensor, advantages: torch.Tensor, clip: float
) -> torch.Tensor:
    """PPO's clipped surrogate objective, as a loss to minimise (its negative)."""
    ratio = torch.exp(new_logp - old_logp)
    unclipped = ratio * advantages
    clipped = torch.clamp(ratio, 1.0 - clip, 1.0 + clip) * advantages
    return -torch.min(unclipped, clipped).mean()


@dataclass(frozen=True)
class PpoConfig:
    n_envs: int = 8
    n_steps: int = 128
    epochs: int = 3
    minibatches: int = 4
    lr: float = 6e-4
    gamma: float = 0.99
    lam: float = 0.95
    clip: float = 0.1
    entropy: float = 0.01
    value: float = 0.5
    max_grad_norm: float = 0.5
    channels: tuple[int, int, int] = (16, 32, 32)
    hidden: int = 256


DEFAULT_CONFIG = PpoConfig()


@dataclass
class PpoRun:
    net: ActorCritic
    config: PpoConfig
    history: list[dict[str, float]] = field(default_factory=list)
    """One row per update: frames, seconds, mean score of the games ended in it, losses."""
    games: list[tuple[int, float]] = field(default_factory=list)
    """(frames seen when it ended, score) of every whole training game."""
    seconds: float = 0.0
    frames: int = 0


@dataclass
class _Rollout:
    """`n_steps` steps of `n_envs` games, as the acting policy played them."""

    obs: torch.Tensor
    actions: torch.Tensor
    logp: torch.Tensor
    values: torch.Tensor
    rewards: torch.Tensor
    dones: torch.Tensor
    valid: torch.Tensor
    last_value: torch.Tensor
    ended: list[float]


class _Actor:
    """Plays the games with its own copy of the network, so that the learner can change
    the other copy at the same time."""

    def __init__(self, net: ActorCritic, envs: Any, config: PpoConfig, seed: int) -> None:
        self.net = copy.deepcopy(net).requires_grad_(False)
        self.envs, self.config = envs, config
        self.scores = atari.GameScores(config.n_envs)
        self.resetting = np.zeros(config.n_envs, dtype=bool)
        """Games over in the last step: the next step only resets them."""
        obs, _ = envs.reset(seed=seed)
        self.obs = torch.from_numpy(obs)

    def collect(self, run: PpoRun) -> _Rollout:
        t_steps, n = self.config.n_steps, self.config.n_envs
        obs = torch.zeros((t_steps, n, *atari.OBSERVATION_SHAPE), dtype=torch.uint8)
        actions = torch.zeros((t_steps, n), dtype=torch.int64)
        logp, values = torch.zeros((t_steps, n)), torch.zeros((t_steps, n))
        rewards, dones = torch.zeros((t_steps, n)), torch.zeros((t_steps, n))
        valid = torch.ones((t_steps, n), dtype=torch.bool)
        ended: list[float] = []
        for t in range(t_steps):
            with torch.no_grad():
                logits, value = self.net(self.obs)
            action = torch.distributions.Categorical(logits=logits).sample()
            obs[t], actions[t], values[t] = self.obs, action, value
            valid[t] = torch.from_numpy(~self.resetting)
            logp[t] = torch.log_softmax(logits, dim=1).gather(1, action[:, None])[:, 0]
            obs_np, reward, terminated, truncated, info = self.envs.step(action.numpy())
            run.frames += atari.FRAME_SKIP * n
            for score in self.scores.add(reward, terminated, truncated, info):
                run.games.append((run.frames, score))
                ended.append(score)
            rewards[t] = torch.from_numpy(np.sign(reward).astype(np.float32))
            dones[t] = torch.from_numpy(
                (terminated | truncated | self.resetting).astype(np.float32)
            )
            self.resetting = atari.game_over(terminated, truncated, info)
            self.obs = torch.from_numpy(obs_np)
        with torch.no_grad():
            last_value = self.net(self.obs)[1]
        return _Rollout(obs, actions, logp, values, rewards, dones, valid, last_value, ended)


def train_ppo(
    *,
    config: PpoConfig = DEFAULT_CONFIG,
    seconds: float,
    max_updates: int | None = None,
    seed: int = 0,
    log: Log | None = print,
    log_every: float = 60.0,
    progress: bool = True,
    gae_fn: Callable[..., tuple[torch.Tensor, torch.Tensor]] = gae,
    loss_fn: Callable[..., torch.Tensor] = clipped_loss,
) -> PpoRun:
    """Train until `seconds` of wall time are spent (or `max_updates` updates).

    Acting and learning overlap, a core each: while the learner takes update k on
    rollout k, the actor plays rollout k + 1 with the weights after update k - 1 (one
    update of policy lag, as in IMPALA-style actor-learner splits; PPO's ratio is taken
    against the policy that played, so the clipping still bounds each step). On two cores
    this trains about 1.4 times the frames of acting and learning in turn (the learner
    is the slower side: its PyTorch threads use the actor's core while it waits).

    `gae_fn` and `loss_fn` stand in for `gae` and `clipped_loss` (a student's own, in
    Section 4), with the same arguments."""
    torch.manual_seed(seed)
    envs = atari.make(atari.TRAINING, config.n_envs, threads=1)
    n_actions = int(envs.single_action_space.n)
    net = ActorCritic(n_actions, config.channels, config.hidden)
    optimizer = torch.optim.Adam(net.parameters(), lr=config.lr, eps=1e-5)
    run = PpoRun(net, config)
    actor = _Actor(net, envs, config, seed)
    start, last_log, submitted, done = time.perf_counter(), 0.0, 0, 0
    expected = max_updates or 1_000_000
    pending: Future[dict[str, float]] | None = None
    pending_ended: list[float] = []

    def learn(rollout: _Rollout, lr: float) -> dict[str, float]:
        for group in optimizer.param_groups:
            group["lr"] = lr
        advantages, returns = gae_fn(
            rollout.rewards,
            rollout.values,
            rollout.dones,
            rollout.last_value,
            config.gamma,
            config.lam,
        )
        return _update(net, optimizer, config, rollout, advantages, returns, loss_fn=loss_fn)

    def finish(losses: dict[str, float], ended: list[float]) -> None:
        nonlocal done, last_log
        done += 1
        advance(losses["policy"])
        run.seconds = time.perf_counter() - start
        row = {"update": float(done), "frames": float(run.frames), "seconds": run.seconds}
        row |= losses | {"games": float(len(ended))}
        if ended:
            row["score"] = float(np.mean(ended))
        run.history.append(row)
        if log and run.seconds - last_log >= log_every:
            last_log = run.seconds
            recent = [s for _, s in run.games[-20:]]
            shown = f"{np.mean(recent):6.1f}" if recent else "     -"
            log(
                f"{run.seconds / 60:5.1f} min  {run.frames / 1e6:5.2f}M frames  "
                f"score (last {len(recent)} games) {shown}  "
                f"entropy {losses['entropy']:.2f}  {run.frames / run.seconds:,.0f} frames/s"
            )

    try:
        with (
            epoch_bar(
                "PPO updates", None if max_updates is None else expected, progress
            ) as advance,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="ppo-learner") as learner,
        ):
            while submitted < expected:
                elapsed = time.perf_counter() - start
                if elapsed > seconds:
                    break
                fraction = min(1.0, elapsed / seconds)
                if max_updates is not None:
                    fraction = max(fraction, submitted / max_updates)
                rollout = actor.collect(run)
                if pending is not None:
                    finish(pending.result(), pending_ended)
                actor.net.load_state_dict(net.state_dict())
                pending = learner.submit(learn, rollout, config.lr * (1.0 - fraction))
                pending_ended = rollout.ended
                submitted += 1
            if pending is not None:
                finish(pending.result(), pending_ended)
    finally:
        envs.close()
    run.seconds = time.perf_counter() - start
    return run


def _update(
    net: ActorCritic,
    optimizer: torch.optim.Optimizer,
    config: PpoConfig,
    rollout: _Rollout,
    advantages: torch.Tensor,
    returns: torch.Tensor,
    *,
    loss_fn: Callable[..., torch.Tensor] = clipped_loss,
) -> dict[str, float]:
    """`config.epochs` passes of minibatch steps over one rollout's valid steps (not the
    steps that only reset a finished game)."""
    keep = rollout.valid.flatten()
    b_obs = rollout.obs.flatten(0, 1)[keep]
    b_act, b_logp = rollout.actions.flatten()[keep], rollout.logp.flatten()[keep]
    b_adv, b_ret = advantages.flatten()[keep], returns.flatten()[keep]
    size = len(b_act)
    per = size // config.minibatches
    sums = {"policy": 0.0, "value": 0.0, "entropy": 0.0}
    count = 0
    for _ in range(config.epochs):
        order = torch.randperm(size)
        for k in range(config.minibatches):
            rows = order[k * per : (k + 1) * per]
            logits, values = net(b_obs[rows])
            log_probs = torch.log_softmax(logits, dim=1)
            new_logp = log_probs.gather(1, b_act[rows, None])[:, 0]
            adv = b_adv[rows]
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
            policy_loss = loss_fn(new_logp, b_logp[rows], adv, config.clip)
            value_loss = 0.5 * F.mse_loss(values, b_ret[rows])
            entropy = -(log_probs.exp() * log_probs).sum(dim=1).mean()
            loss = policy_loss + config.value * value_loss - config.entropy * entropy
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), config.max_grad_norm)
            optimizer.step()
            sums["policy"] += policy_loss.item()
            sums["value"] += value_loss.item()
            sums["entropy"] += entropy.item()
            count += 1
    return {k: v / count for k, v in sums.items()}


def export(net: ActorCritic) -> torch.jit.ScriptModule:
    """The submitted form: TorchScript of uint8 (N, 4, 84, 84) -> logits.

    Traced, not scripted: tracing records the operations run on an example batch (the
    network has no branches, and the batch size stays free) and, unlike `torch.jit.script`,
    does not read the module's source file again, which may have changed since it was
    imported (an hour's training run with the file edited meanwhile)."""
    policy = Policy(net).eval()
    example = torch.zeros((2, *atari.OBSERVATION_SHAPE), dtype=torch.uint8)
    with torch.no_grad():
        traced: torch.jit.ScriptModule = torch.jit.trace(policy, example)
    return traced
