"""A scalar autograd in the style of Karpathy's micrograd: what `loss.backward()` does.

Every `Value` remembers the values it was computed from and how to pass a gradient back to
them (`_backward`). `backward()` orders the whole graph so that a node comes after every
node it was computed from, seeds the output's gradient with 1, and walks that order
backwards: each node's gradient is complete (every use has added its share) before the
node passes it on. PyTorch's autograd does the same with tensors instead of numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


class Value:
    """One number, its gradient, and how it was made (the reference of exercise `value`).
    Results are of the class of the left operand, so a subclass builds its own graphs."""

    def __init__(self, data: float, children: Iterable[Value] = (), op: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self._backward: Callable[[], None] = lambda: None
        self._prev = tuple(children)
        self._op = op

    def __repr__(self) -> str:
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"

    def __add__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else type(self)(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward() -> None:  # d(a + b)/da = d(a + b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else type(self)(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward() -> None:  # d(ab)/da = b, d(ab)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        out = type(self)(max(0.0, self.data), (self,), "relu")

        def _backward() -> None:  # slope 1 where the output is positive, else 0
            self.grad += (out.data > 0) * out.grad

        out._backward = _backward
        return out

    def backward(self) -> None:
        """d(self)/d(node) into every node's .grad, in reverse topological order."""
        order: list[Value] = []
        seen: set[int] = set()

        def visit(node: Value) -> None:
            if id(node) not in seen:
                seen.add(id(node))
                for child in node._prev:
                    visit(child)
                order.append(node)  # after everything it was computed from

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    # Built from the three operations above.
    def __radd__(self, other: float) -> Value:
        return self + other

    def __rmul__(self, other: float) -> Value:
        return self * other

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Value | float) -> Value:
        return self + (-other)

    def __rsub__(self, other: float) -> Value:
        return (-self) + other
