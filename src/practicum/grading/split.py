"""The public/private split of a homework's test set, drawn once and provable forever after.

Students see public scores until the deadline and are ranked on the private part after it, so
fitting the public leaderboard does not pay. The split must never change once published: it
is drawn from a recorded seed, and its digest is recorded beside it.
"""

from __future__ import annotations

import hashlib
import secrets

import numpy as np


def make_split(n_items: int, public_fraction: float, seed: int) -> np.ndarray:
    """Boolean mask, True = public: exactly round(n * fraction) items (Python's round), with at
    least one item on each side when n >= 2 so that both scores exist.

    The draw is `default_rng(seed).permutation`; numpy's policy (NEP 19) does not promise that
    stream forever, so record `split_digest` with the seed: it shows if a rebuild ever differs.
    """
    if n_items < 1:
        raise ValueError(f"make_split: n_items must be at least 1, got {n_items}")
    if not 0 < public_fraction < 1:
        raise ValueError(f"make_split: public_fraction must lie in (0, 1), got {public_fraction}")
    n_public = round(n_items * public_fraction)
    if n_items >= 2:
        n_public = min(max(n_public, 1), n_items - 1)
    mask = np.zeros(n_items, dtype=bool)
    mask[np.random.default_rng(seed).permutation(n_items)[:n_public]] = True
    return mask


def new_seed() -> int:
    """A fresh unpredictable seed, so students cannot reconstruct the split; 63 bits fit a
    signed 64-bit database column."""
    return secrets.randbits(63)


def split_digest(mask: np.ndarray) -> str:
    """sha256 hex of the mask's length and packed bits (the length, because packing pads to
    whole bytes and would hide trailing private items)."""
    mask = np.asarray(mask)
    if mask.dtype != np.bool_ or mask.ndim != 1:
        raise ValueError(f"split_digest: expected a 1-D bool mask, got {mask.dtype}{mask.shape}")
    return hashlib.sha256(f"{mask.size}:".encode() + np.packbits(mask).tobytes()).hexdigest()
