"""Lesson 7, Section 3: prioritised experience replay (Schaul et al. 2016).

Transitions are drawn with probability proportional to priority^alpha, the priority being
the last absolute TD error seen for them; importance-sampling weights (N * P(i))^-beta,
divided by their maximum, undo the bias this brings into the gradient. A sum tree keeps
sampling and updating at O(log N).
"""

from __future__ import annotations

import numpy as np


class SumTree:
    """A binary tree over `capacity` leaves whose inner nodes hold the sums below them."""

    def __init__(self, capacity: int) -> None:
        self.capacity = 1
        while self.capacity < capacity:
            self.capacity *= 2
        self.nodes = np.zeros(2 * self.capacity)

    @property
    def total(self) -> float:
        return float(self.nodes[1])

    def set(self, leaves: np.ndarray, values: np.ndarray) -> None:
        for leaf, value in zip(np.asarray(leaves), np.asarray(values), strict=True):
            i = int(leaf) + self.capacity
            self.nodes[i] = value
            i //= 2
            while i >= 1:
                self.nodes[i] = self.nodes[2 * i] + self.nodes[2 * i + 1]
                i //= 2

    def get(self, leaves: np.ndarray) -> np.ndarray:
        return np.asarray(self.nodes[np.asarray(leaves) + self.capacity])

    def find(self, masses: np.ndarray) -> np.ndarray:
        """For each mass in [0, total), the leaf where the running sum passes it."""
        out = np.empty(len(masses), dtype=np.int64)
        for k, mass in enumerate(masses):
            i = 1
            while i < self.capacity:
                left = self.nodes[2 * i]
                if mass < left:
                    i = 2 * i
                else:
                    mass -= left
                    i = 2 * i + 1
            out[k] = i - self.capacity
        return out


class PrioritizedIndex:
    """Which rows of a replay buffer to train on, and with what weights."""

    def __init__(self, capacity: int, alpha: float = 0.6, eps: float = 1e-3) -> None:
        self.tree = SumTree(capacity)
        self.alpha, self.eps = alpha, eps
        self.max_priority = 1.0
        self.size = 0

    def added(self, row: int) -> None:
        """A new transition gets the largest priority so far: it is seen at least once."""
        self.tree.set(np.array([row]), np.array([self.max_priority**self.alpha]))
        self.size = max(self.size, row + 1)

    def sample(
        self, batch: int, beta: float, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows, importance weights): stratified over `batch` equal slices of the mass."""
        total = self.tree.total
        edges = np.linspace(0.0, total, batch + 1)
        masses = rng.uniform(edges[:-1], edges[1:])
        rows = np.minimum(self.tree.find(masses), self.size - 1)
        probabilities = self.tree.get(rows) / total
        weights = (self.size * probabilities) ** (-beta)
        return rows, weights / weights.max()

    def update(self, rows: np.ndarray, td_errors: np.ndarray) -> None:
        priorities = np.abs(td_errors) + self.eps
        self.max_priority = max(self.max_priority, float(priorities.max()))
        self.tree.set(rows, priorities**self.alpha)
