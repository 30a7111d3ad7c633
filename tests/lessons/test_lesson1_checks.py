"""Lesson 1: every exercise check (`lesson1/checks.py`, `lesson1/checks_techniques.py`)
accepts the reference and right versions written differently, rejects each mistake it
claims to catch with its own sentence, and a version that only calls the reference fails."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from practicum.coursework import exercise
from practicum.lessons.lesson1 import autograd, checks, checks_techniques, layers, loop, mlp, optim

Array = Any


pytestmark = pytest.mark.usefixtures("one_thread")


def rejects(check: Callable[..., None], wrong: Any, message: str, *reference: Any) -> None:
    with pytest.raises(AssertionError, match=re.escape(message)):
        check(wrong, *reference)


# --- value -----------------------------------------------------------------------------


class AssignsGrad(autograd.Value):
    def __add__(self, other: Any) -> autograd.Value:
        other = other if isinstance(other, autograd.Value) else AssignsGrad(other)
        out = AssignsGrad(self.data + other.data, (self, other))

        def _backward() -> None:
            self.grad = out.grad
            other.grad = out.grad

        out._backward = _backward
        return out


class SwapsFactors(autograd.Value):
    def __mul__(self, other: Any) -> autograd.Value:
        other = other if isinstance(other, autograd.Value) else SwapsFactors(other)
        out = SwapsFactors(self.data * other.data, (self, other))

        def _backward() -> None:
            self.grad += self.data * out.grad
            other.grad += other.data * out.grad

        out._backward = _backward
        return out


class ReluAlwaysOne(autograd.Value):
    def relu(self) -> autograd.Value:
        out = ReluAlwaysOne(max(0.0, self.data), (self,))

        def _backward() -> None:
            self.grad += out.grad

        out._backward = _backward
        return out


class NoTopologicalOrder(autograd.Value):
    def backward(self) -> None:
        self.grad = 1.0

        def visit(node: autograd.Value) -> None:
            node._backward()
            for child in node._prev:
                visit(child)

        visit(self)


class NoSeed(autograd.Value):
    def backward(self) -> None:
        order: list[autograd.Value] = []

        def visit(node: autograd.Value) -> None:
            if node not in order:
                for child in node._prev:
                    visit(child)
                order.append(node)

        visit(self)
        for node in reversed(order):
            node._backward()


def test_value_check_accepts_the_reference() -> None:
    checks.check_value(autograd.Value)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (AssignsGrad, "add to .grad (+=), not assign it (=)"),
        (SwapsFactors, "the factors are swapped"),
        (ReluAlwaysOne, "multiply out.grad by (out.data > 0)"),
        (NoTopologicalOrder, "in reverse topological order"),
        (NoSeed, "setting the output's own gradient to 1"),
    ],
)
def test_value_check_names_each_mistake(wrong: type, message: str) -> None:
    rejects(checks.check_value, wrong, message)


def test_the_small_network_matches_torch_for_the_reference() -> None:
    loss, leaves = checks.small_network(autograd.Value, lambda v: v.relu())
    loss.backward()
    assert loss.data > 0 and any(leaf.grad != 0 for leaf in leaves)


# --- softmax and softmax_cross_entropy ------------------------------------------------


def test_softmax_check() -> None:
    checks.check_softmax(mlp.softmax)

    def by_column(z: Array) -> Array:
        e = np.exp(z - z.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)

    def unshifted(z: Array) -> Array:
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def global_max(z: Array) -> Array:
        e = np.exp(z - z.max())
        return e / e.sum(axis=1, keepdims=True)

    rejects(checks.check_softmax, by_column, "it normalises each column")
    rejects(checks.check_softmax, unshifted, "subtract each row's own maximum before np.exp")
    rejects(checks.check_softmax, global_max, "subtract each row's own maximum")


def test_softmax_cross_entropy_check() -> None:
    checks.check_softmax_cross_entropy(layers.softmax_cross_entropy)

    def not_averaged(scores: Array, y: Array) -> tuple[float, Array]:
        loss, grad = layers.softmax_cross_entropy(scores, y)
        return loss, grad * len(y)

    def summed(scores: Array, y: Array) -> tuple[float, Array]:
        loss, grad = layers.softmax_cross_entropy(scores, y)
        return loss * len(y), grad

    def no_label(scores: Array, y: Array) -> tuple[float, Array]:
        loss, _ = layers.softmax_cross_entropy(scores, y)
        return loss, mlp.softmax(scores) / len(y)

    def log_of_softmax(scores: Array, y: Array) -> tuple[float, Array]:
        p = mlp.softmax(scores)
        loss = float(-np.log(p[np.arange(len(y)), y]).mean())
        grad = p.copy()
        grad[np.arange(len(y)), y] -= 1
        return loss, grad / len(y)

    rejects(checks.check_softmax_cross_entropy, not_averaged, "dscores is not divided by N")
    rejects(checks.check_softmax_cross_entropy, summed, "the loss is summed over the batch")
    rejects(checks.check_softmax_cross_entropy, no_label, "subtract 1 at each row's true class")
    rejects(checks.check_softmax_cross_entropy, log_of_softmax, "scores of ±1000")


# --- affine and relu ------------------------------------------------------------------


class MeanBias(layers.Affine):
    def backward(self, dout: Array) -> Array:
        dx = super().backward(dout)
        self.db = dout.mean(axis=0)
        return dx


class UntransposedWeight(layers.Affine):
    def backward(self, dout: Array) -> Array:
        super().backward(dout)
        return dout @ self.w


class DividedWeights(layers.Affine):
    def backward(self, dout: Array) -> Array:
        dx = super().backward(dout)
        self.dw = self.dw / len(dout)
        return dx


class NoBias(layers.Affine):
    def forward(self, x: Array) -> Array:
        self.x = x
        return x @ self.w


def test_affine_check() -> None:
    checks.check_affine(layers.Affine)
    rejects(checks.check_affine, MeanBias, "db is the mean of dout")
    rejects(checks.check_affine, UntransposedWeight, "dx = dout @ w.T")
    rejects(checks.check_affine, DividedWeights, "dw is divided by N")
    rejects(checks.check_affine, NoBias, "forward leaves out the bias")


class InPlace(layers.ReLU):
    def forward(self, x: Array) -> Array:
        self.mask = x > 0
        x[~self.mask] = 0.0
        return x


class PassesEverything(layers.ReLU):
    def backward(self, dout: Array) -> Array:
        return dout


def test_relu_check() -> None:
    checks.check_relu(layers.ReLU)
    rejects(checks.check_relu, InPlace, "forward changed its input x in place")
    rejects(checks.check_relu, PassesEverything, "backward passes dout everywhere")


# --- mlp_backward ---------------------------------------------------------------------


class NotAveraged(mlp.NumpyMLP):
    def backward(self, y_onehot: Array) -> None:
        super().backward(y_onehot * 1.0)
        for i in range(len(self.weights)):
            self.grad_weights[i] *= len(y_onehot)
            self.grad_biases[i] *= len(y_onehot)


class NoReluSlope(mlp.NumpyMLP):
    def backward(self, y_onehot: Array) -> None:
        delta = (self.probs - y_onehot) / len(y_onehot)
        for i in reversed(range(len(self.weights))):
            self.grad_weights[i] = self.inputs[i].T @ delta
            self.grad_biases[i] = delta.sum(axis=0)
            delta = delta @ self.weights[i].T


def test_mlp_backward_check() -> None:
    checks.check_mlp_backward(mlp.NumpyMLP, mlp.NumpyMLP)
    rejects(checks.check_mlp_backward, NotAveraged, "N times too large", mlp.NumpyMLP)
    rejects(checks.check_mlp_backward, NoReluSlope, "an earlier layer's", mlp.NumpyMLP)


# --- train_epoch and evaluate ---------------------------------------------------------


def test_train_epoch_check() -> None:
    checks.check_train_epoch(loop.train_epoch, loop.train_epoch)

    def no_zero_grad(
        model: Any, loader: Any, optimizer: Any, loss_fn: Any = F.cross_entropy
    ) -> float:
        model.train()
        losses = []
        for x, y in loader:
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return float(np.mean(losses))

    def no_train_mode(
        model: Any, loader: Any, optimizer: Any, loss_fn: Any = F.cross_entropy
    ) -> float:
        total = 0.0
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item()
        return total / 3

    def last_loss(model: Any, loader: Any, optimizer: Any, loss_fn: Any = F.cross_entropy) -> float:
        model.train()
        loss = torch.tensor(0.0)
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        return loss.item()

    rejects(checks.check_train_epoch, no_zero_grad, "call optimizer.zero_grad()", loop.train_epoch)
    rejects(checks.check_train_epoch, no_train_mode, "call model.train() first", loop.train_epoch)
    rejects(checks.check_train_epoch, last_loss, "the last batch's loss", loop.train_epoch)


def test_evaluate_check() -> None:
    checks.check_evaluate(loop.evaluate, loop.evaluate)

    def no_eval(model: Any, loader: Any, loss_fn: Any = F.cross_entropy) -> tuple[float, float]:
        with torch.no_grad():
            return _score(model, loader, loss_fn)

    def no_no_grad(model: Any, loader: Any, loss_fn: Any = F.cross_entropy) -> tuple[float, float]:
        model.eval()
        return _score(model, loader, loss_fn)

    def batch_means(model: Any, loader: Any, loss_fn: Any = F.cross_entropy) -> tuple[float, float]:
        model.eval()
        with torch.no_grad():
            losses = [loss_fn(model(x), y).item() for x, y in loader]
            return float(np.mean(losses)), _score(model, loader, loss_fn)[1]

    rejects(checks.check_evaluate, no_eval, "call model.eval() first", loop.evaluate)
    rejects(checks.check_evaluate, no_no_grad, "torch.no_grad()", loop.evaluate)
    rejects(checks.check_evaluate, batch_means, "the mean of the batches' means", loop.evaluate)


def _score(model: Any, loader: Any, loss_fn: Any) -> tuple[float, float]:
    total, correct, count = 0.0, 0, 0
    for x, y in loader:
        logits = model(x)
        total += loss_fn(logits, y).item() * len(y)
        correct += int((logits.argmax(1) == y).sum())
        count += len(y)
    return total / count, correct / count


# --- optimizers -----------------------------------------------------------------------


def test_sgd_momentum_check() -> None:
    check = checks_techniques.check_sgd_momentum
    check(optim.sgd_momentum)

    def cs231n_style(w: Array, dw: Array, v: Array, lr: float, momentum: float) -> Any:
        v = momentum * v - lr * dw  # the same steps, the velocity scaled by -lr
        return w + v, v

    check(cs231n_style)
    for message, wrong in checks_techniques._momentum_mistakes().items():
        rejects(check, wrong, message)


def test_adam_check() -> None:
    check = checks_techniques.check_adam
    check(optim.adam)
    for message, flaw in checks_techniques.ADAM_MISTAKES.items():
        rejects(check, checks_techniques._adam_variant(**flaw), message)
    rejects(check, checks_techniques._adam_variant(eps_inside=True), "eps goes outside")

    def t_from_zero(w: Array, dw: Array, state: dict[str, Any], lr: float) -> Array:
        t = state.get("t", 0)
        m = 0.9 * state.get("m", 0.0) + 0.1 * dw
        v = 0.999 * state.get("v", 0.0) + 0.001 * dw**2
        state.update(t=t + 1, m=m, v=v)
        return w - lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)

    rejects(check, t_from_zero, "t must be 1 at the first step")


# --- dropout and batchnorm ------------------------------------------------------------


class KeepProbability(layers.Dropout):
    def forward(self, x: Array) -> Array:
        if not self.training:
            return x
        self.mask = (self.rng.random(x.shape) < self.p) / self.p
        return x * self.mask


class Unscaled(layers.Dropout):
    def forward(self, x: Array) -> Array:
        if not self.training:
            return x
        self.mask = (self.rng.random(x.shape) >= self.p) * 1.0
        return x * self.mask


class ScalesInEval(layers.Dropout):
    def forward(self, x: Array) -> Array:
        return super().forward(x) if self.training else x * (1 - self.p)


class FreshMaskInBackward(layers.Dropout):
    def backward(self, dout: Array) -> Array:
        return dout * (self.rng.random(dout.shape) >= self.p) / (1 - self.p)


def test_dropout_check() -> None:
    check = checks_techniques.check_dropout
    check(layers.Dropout)
    rejects(check, KeepProbability, "p is the probability to drop")
    rejects(check, Unscaled, "the kept numbers are not scaled")
    rejects(check, ScalesInEval, "dropout must do nothing")
    rejects(check, FreshMaskInBackward, "does not use the mask of the last forward")


class BiasedRunningVar(layers.BatchNorm):
    def forward(self, x: Array) -> Array:
        before = self.running_var.copy()
        out = super().forward(x)
        if self.training:
            self.running_var = (1 - self.momentum) * before + self.momentum * x.var(0)
        return out


class BatchStatsInEval(layers.BatchNorm):
    def forward(self, x: Array) -> Array:
        training, self.training = self.training, True
        saved = self.running_mean.copy(), self.running_var.copy()
        out = super().forward(x)
        if not training:
            self.running_mean, self.running_var = saved
        self.training = training
        return out


class ConstantStatistics(layers.BatchNorm):
    def backward(self, dout: Array) -> Array:
        super().backward(dout)
        assert self.std is not None
        return dout * self.gamma / self.std


def test_batchnorm_check() -> None:
    check = checks_techniques.check_batchnorm
    check(layers.BatchNorm)
    rejects(check, BiasedRunningVar, "the unbiased one, var * N / (N - 1)")
    rejects(check, BatchStatsInEval, "use the running mean and variance")
    rejects(check, ConstantStatistics, "dx treats the batch's mean and variance as constants")


def test_batchnorm_reference_matches_torch_over_several_batches() -> None:
    ours, theirs = layers.BatchNorm(4), torch.nn.BatchNorm1d(4).double()
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.normal(size=(5, 4)) * 3 + 1
        np.testing.assert_allclose(
            ours.forward(x), theirs(torch.from_numpy(x)).detach(), atol=1e-10
        )
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), atol=1e-12)


# --- penalties ------------------------------------------------------------------------


def test_penalty_checks() -> None:
    checks_techniques.check_l2_penalty(mlp.l2_penalty)
    checks_techniques.check_l1_penalty(mlp.l1_penalty)

    def every_parameter(model: torch.nn.Module) -> torch.Tensor:
        return sum((p**2).sum() for p in model.parameters())  # type: ignore[return-value]

    def as_float(model: torch.nn.Module) -> float:
        return mlp.l1_penalty(model).item()

    rejects(checks_techniques.check_l2_penalty, every_parameter, "penalised too")
    rejects(checks_techniques.check_l1_penalty, as_float, "return a torch tensor")
    rejects(checks_techniques.check_l1_penalty, mlp.l2_penalty, "that is L2")


# --- a version that only calls the reference fails -------------------------------------


def test_a_version_that_calls_the_reference_is_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    def softmax_cross_entropy(scores: Array, y: Array) -> tuple[float, Array]:
        return layers.softmax_cross_entropy(scores, y)

    def softmax(z: Array) -> Array:
        return mlp.softmax(z)

    def adam(w: Array, dw: Array, state: dict[str, Any], lr: float = 1e-3) -> Array:
        return optim.adam(w, dw, state, lr=lr)

    class Value(autograd.Value):
        def __add__(self, other: Any) -> autograd.Value:
            return super().__add__(other)

        def __mul__(self, other: Any) -> autograd.Value:
            return super().__mul__(other)

        def relu(self) -> autograd.Value:
            return super().relu()

        def backward(self) -> None:
            super().backward()

    cases = [
        (softmax_cross_entropy, "softmax_cross_entropy", checks.check_softmax_cross_entropy),
        (softmax, "softmax", checks.check_softmax),
        (adam, "adam", checks_techniques.check_adam),
        (Value, "value", checks.check_value),
    ]
    for candidate, exercise_id, check in cases:
        assert (
            exercise.checked(candidate, lesson=1, exercise=exercise_id, check=check)
            is not candidate
        )
        assert "calls the reference version" in capsys.readouterr().out


def test_the_check_network_reuses_active_units() -> None:
    _, leaves = checks.small_network(autograd.Value, lambda v: v.relu())
    x, w, b = leaves[:2], leaves[2:8], leaves[8:11]
    pre = [w[j].data * x[0].data + w[3 + j].data * x[1].data + b[j].data for j in range(3)]
    assert pre[0] > 0 and pre[1] > 0 and pre[2] < 0
