"""Lesson 7, Section 4: the checks of the student's Double DQN target, GAE and PPO loss.

Each check runs the student's function and the reference on small hand-made inputs on
which the usual mistakes give different numbers (the target network picking the action,
no reset of the running advantage at a done, max where min belongs, the log-probability
difference used without exp...), recomputes each mistake, and raises AssertionError with
one sentence naming the one the student made.

The expected answers come from the reference that `exercise.checked` hands to a
two-argument check. Nothing here imports a reference, so this module binds none under a
name a notebook could call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from practicum.coursework.tensor_checks import tensors_close as _close
from practicum.lessons.lesson7.checks import table_net

Variants = tuple[tuple[str, str], ...]


def _tensor(result: Any, what: str) -> torch.Tensor:
    if not isinstance(result, torch.Tensor):
        raise AssertionError(f"{what} must be a tensor, got {type(result).__name__}")
    return result


def _name_mistake(
    got: torch.Tensor,
    by_formula: Callable[[str], torch.Tensor],
    variants: Variants,
    otherwise: str,
) -> None:
    """Raise with the message of the first mistake that reproduces `got`, else `otherwise`."""
    for mistake, message in variants:
        if _close(got.detach(), by_formula(mistake), 1e-4):
            raise AssertionError(message)
    raise AssertionError(otherwise)


# ---------------------------------------------------------------------------------------
# Double DQN's target
# ---------------------------------------------------------------------------------------


ONLINE = [[1.5, 3.0, 2.0], [0.5, 0.2, 0.9], [2.0, 1.0, 0.0]]
"""The online network's Q-values of states 0, 1, 2: it picks actions 1, 2, 0."""
TARGET = [[4.0, 1.0, 0.0], [0.0, 2.0, -1.0], [-1.0, 0.5, 3.0]]
"""The target network's: it would pick 0, 1, 2 (plain DQN); it values the online
network's picks at 1.0, -1.0, -1.0."""
NEXT_STATES = [0, 1, 2, 0]
REWARDS = [1.0, 0.0, 0.5, -1.0]
DONES = [0.0, 0.0, 0.0, 1.0]
GAMMA = 0.9
DOUBLE_TARGET = [1.9, -0.9, -0.4, -1.0]
"""By hand: 1 + 0.9 * 1.0, 0 + 0.9 * (-1.0), 0.5 + 0.9 * (-1.0), and -1 (a done)."""


def double_dqn_case() -> dict[str, Any]:
    """The check's inputs, in the order of the arguments (a student may name them
    otherwise): the two table networks and a batch of four transitions."""
    return {
        "online_net": table_net(torch.tensor(ONLINE)),
        "target_net": table_net(torch.tensor(TARGET)),
        "rewards": torch.tensor(REWARDS),
        "next_obs": torch.eye(3)[NEXT_STATES],
        "dones": torch.tensor(DONES),
        "gamma": GAMMA,
    }


def double_dqn_by_formula(case: dict[str, Any], mistake: str = "") -> torch.Tensor:
    """The target written out; `mistake` makes a usual one instead."""
    with torch.no_grad():
        online = case["online_net"](case["next_obs"])
        target = case["target_net"](case["next_obs"])
    picker, valuer = {
        "plain DQN": (target, target),
        "online values": (online, online),
        "swapped": (target, online),
    }.get(mistake, (online, target))
    value = valuer.gather(1, picker.argmax(dim=1, keepdim=True)).squeeze(1)
    alive = 1.0 if mistake == "no done" else 1.0 - case["dones"]
    result: torch.Tensor = case["rewards"] + case["gamma"] * alive * value
    return result


DOUBLE_MISTAKES: Variants = (
    (
        "plain DQN",
        "the target network both picks and values the next action (plain DQN's max): let "
        "the online network pick it (argmax) and the target network value it",
    ),
    (
        "online values",
        "the online network both picks and values the next action: the target network "
        "must give the value of the online network's pick",
    ),
    (
        "swapped",
        "the roles are swapped: the online network picks the action (argmax), the target "
        "network gives its value, not the other way round",
    ),
    (
        "no done",
        "the target bootstraps after a done: multiply the next value by (1 - dones)",
    ),
)


def check_double_dqn_target(candidate: Callable[..., Any], reference: Callable[..., Any]) -> None:
    """The student's double_dqn_target(online_net, target_net, rewards, next_obs, dones,
    gamma) on four hand-computed transitions, one of them a done."""
    case = double_dqn_case()
    got = _tensor(candidate(*case.values()), "the target")
    expected = reference(*double_dqn_case().values())
    n = len(expected)
    if got.shape != expected.shape:
        hint = " (squeeze the gathered column)" if got.shape in ((n, 1), (n, n)) else ""
        raise AssertionError(
            f"the target has shape {tuple(got.shape)}, expected ({n},): one number per "
            f"transition{hint}"
        )
    if got.requires_grad:
        raise AssertionError(
            "the target carries gradients into the networks: compute it under "
            "torch.no_grad() (or .detach() it), it is a fixed label for the regression"
        )
    if not _close(got, expected, 1e-4):
        _name_mistake(
            got,
            lambda mistake: double_dqn_by_formula(case, mistake),
            DOUBLE_MISTAKES,
            f"the target is {got.tolist()}, expected {[round(v, 4) for v in expected.tolist()]}:"
            " r + gamma * (1 - done) * Q_target(s', argmax_a Q_online(s', a))",
        )


# ---------------------------------------------------------------------------------------
# Generalised advantage estimation
# ---------------------------------------------------------------------------------------

GAE_GAMMA, GAE_LAMBDA = 0.9, 0.8
GAE_ADVANTAGES = [[2.12, 0.46816], [1.0, 0.428], [3.3, 0.4]]
"""By hand, the first game (a done at step 1): delta_2 = 3 + 0.9 * 2 - 1.5 = 3.3;
delta_1 = 2 - 1 = 1 (no bootstrap, no running advantage past the done); delta_0 = 1 +
0.9 * 1 - 0.5 = 1.4, A_0 = 1.4 + 0.9 * 0.8 * 1 = 2.12. The second game has no done:
0.4, then 0.14 + 0.72 * 0.4 = 0.428, then 0.16 + 0.72 * 0.428 = 0.46816."""


def gae_case() -> dict[str, Any]:
    """Two games side by side for three steps: (T=3, N=2)."""
    return {
        "rewards": torch.tensor([[1.0, 0.0], [2.0, 0.0], [3.0, 1.0]]),
        "values": torch.tensor([[0.5, 0.2], [1.0, 0.4], [1.5, 0.6]]),
        "dones": torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]),
        "last_value": torch.tensor([2.0, 0.0]),
        "gamma": GAE_GAMMA,
        "lam": GAE_LAMBDA,
    }


def gae_by_formula(case: dict[str, Any], mistake: str = "") -> tuple[torch.Tensor, torch.Tensor]:
    """GAE written out; `mistake` makes a usual one instead."""
    rewards, values, dones = case["rewards"], case["values"], case["dones"]
    gamma, lam = case["gamma"], 1.0 if mistake == "no lambda" else case["lam"]
    last = torch.zeros_like(case["last_value"]) if mistake == "no last" else case["last_value"]
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(last)
    for t in reversed(range(len(rewards))):
        next_value = last if t == len(rewards) - 1 else values[t + 1]
        alive = 1.0 - dones[t]
        bootstrap = 1.0 if mistake in ("through done", "no dones") else alive
        delta = rewards[t] + gamma * next_value * bootstrap - values[t]
        carry = 1.0 if mistake in ("no reset", "no dones") else alive
        running = delta + gamma * lam * carry * running
        advantages[t] = running
    returns = advantages if mistake == "returns" else advantages + values
    return advantages, returns


GAE_MISTAKES: Variants = (
    (
        "no dones",
        "the dones are ignored: a step that ends a game neither bootstraps from the next "
        "value nor carries the running advantage back, multiply both by (1 - dones[t])",
    ),
    (
        "no reset",
        "the running advantage goes on through a done: multiply it by (1 - dones[t]) "
        "too, so a new game does not inherit the advantages of the next one",
    ),
    (
        "no lambda",
        "lambda is missing: the running advantage decays by gamma * lam each step back, "
        "not by gamma alone",
    ),
    (
        "through done",
        "the step that ends a game bootstraps from the next value: delta_t = r_t + gamma * "
        "(1 - dones[t]) * V(s_t+1) - V(s_t)",
    ),
    (
        "no last",
        "the last step does not bootstrap from last_value: the value after the rollout "
        "is last_value, not 0",
    ),
)


def check_gae(candidate: Callable[..., Any], reference: Callable[..., Any]) -> None:
    """The student's gae(rewards, values, dones, last_value, gamma, lam) -> (advantages,
    returns) on two hand-computed games of three steps, one with a done in the middle."""
    result = candidate(*gae_case().values())
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise AssertionError("return two tensors: (advantages, returns)")
    got_adv, got_ret = (_tensor(r, "each result").detach() for r in result)
    expected_adv, expected_ret = reference(*gae_case().values())
    for got, name in ((got_adv, "advantages"), (got_ret, "returns")):
        if got.shape != expected_adv.shape:
            raise AssertionError(
                f"the {name} have shape {tuple(got.shape)}, expected "
                f"{tuple(expected_adv.shape)}: one number per step and game, (T, N)"
            )
    case = gae_case()
    if not _close(got_adv, expected_adv, 1e-4):
        _name_mistake(
            got_adv,
            lambda mistake: gae_by_formula(case, mistake)[0],
            GAE_MISTAKES,
            f"the advantages are {got_adv.tolist()}, expected "
            f"{[[round(v, 4) for v in row] for row in expected_adv.tolist()]}: go backwards, "
            "A_t = delta_t + gamma * lam * (1 - dones[t]) * A_t+1",
        )
    if _close(got_ret, got_adv, 1e-4):
        raise AssertionError(
            "the returns equal the advantages: returns = advantages + values, the critic's target"
        )
    if not _close(got_ret, expected_ret, 1e-4):
        raise AssertionError("the advantages are right but not the returns: advantages + values")


# ---------------------------------------------------------------------------------------
# PPO's clipped surrogate loss
# ---------------------------------------------------------------------------------------

CLIP = 0.2
RATIOS = [1.5, 0.5, 1.1, 0.7, 1.3, 0.9]
ADVANTAGES = [1.0, 1.0, -1.0, -1.0, -2.0, 2.0]
OLD_LOGP = [-1.0, -0.5, -2.0, -1.2, -0.3, -0.7]
CLIPPED_LOSS = 1.0 / 6.0
"""By hand: min(r A, clip(r, 0.8, 1.2) A) = 1.2, 0.5, -1.1, -0.8, -2.6, 1.8, whose mean is
-1/6; the loss is its negative."""


def clipped_case() -> dict[str, Any]:
    """Six samples: ratios above and below the clip range, advantages of both signs."""
    old = torch.tensor(OLD_LOGP)
    new = (old + torch.tensor(RATIOS).log()).requires_grad_(True)
    return {"new_logp": new, "old_logp": old, "advantages": torch.tensor(ADVANTAGES), "clip": CLIP}


def clipped_by_formula(case: dict[str, Any], mistake: str = "") -> torch.Tensor:
    """The loss written out; `mistake` makes a usual one instead."""
    new, old, adv, clip = case["new_logp"], case["old_logp"], case["advantages"], case["clip"]
    with torch.no_grad():
        if mistake == "no exp":
            ratio = new - old
        elif mistake == "divided":
            ratio = new / old
        else:
            ratio = torch.exp(new - old)
        if mistake == "clipped product":
            clipped = torch.clamp(ratio * adv, 1.0 - clip, 1.0 + clip)
        else:
            clipped = torch.clamp(ratio, 1.0 - clip, 1.0 + clip) * adv
        pick = torch.max if mistake == "max" else torch.min
        surrogate = pick(ratio * adv, clipped)
        total = surrogate.sum() if mistake == "sum" else surrogate.mean()
        return total if mistake == "sign" else -total


CLIPPED_MISTAKES: Variants = (
    (
        "max",
        "the objective takes the max of the clipped and unclipped terms: PPO takes the "
        "min, a pessimistic bound",
    ),
    (
        "clipped product",
        "the product ratio * advantage is clipped: clip the ratio to [1 - clip, 1 + clip] "
        "and then multiply by the advantage",
    ),
    (
        "sign",
        "the loss has the wrong sign: it is the negative of the surrogate objective, so "
        "that minimising it maximises the objective",
    ),
    (
        "no exp",
        "the ratio is the difference of log-probabilities: the ratio of probabilities is "
        "exp(new_logp - old_logp)",
    ),
    (
        "divided",
        "the ratio divides log-probabilities: the ratio of probabilities is "
        "exp(new_logp - old_logp)",
    ),
    ("sum", "the loss sums over the samples: take the mean, so it does not grow with the batch"),
)


def check_clipped_loss(candidate: Callable[..., Any], reference: Callable[..., Any]) -> None:
    """The student's clipped_loss(new_logp, old_logp, advantages, clip) on six hand-made
    samples, and its gradient with respect to new_logp."""
    case = clipped_case()
    got = _tensor(candidate(*case.values()), "the loss")
    if got.dim() != 0:
        raise AssertionError(
            f"the loss has shape {tuple(got.shape)}: return one number, the mean over the samples"
        )
    mine = clipped_case()
    expected = reference(*mine.values())
    if not _close(got.detach(), expected.detach(), 1e-5):
        _name_mistake(
            got,
            lambda mistake: clipped_by_formula(case, mistake),
            CLIPPED_MISTAKES,
            f"the loss is {got.item():.4f}, expected {expected.item():.4f}: "
            "-mean(min(ratio * A, clip(ratio, 1 - clip, 1 + clip) * A))",
        )
    if not got.requires_grad:
        raise AssertionError(
            "the loss carries no gradient to new_logp: keep it a tensor of the graph "
            "(no .item(), no .detach(), no torch.no_grad())"
        )
    (grad,) = torch.autograd.grad(got, case["new_logp"])
    (wanted,) = torch.autograd.grad(expected, mine["new_logp"])
    if not _close(grad, wanted, 1e-5):
        raise AssertionError(
            "the value is right but not the gradient: samples whose ratio is clipped must "
            "give none (torch.clamp of the ratio, then the min)"
        )
