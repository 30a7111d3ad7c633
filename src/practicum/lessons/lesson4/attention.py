"""Lesson 4, part 3: attention, written out.

A decoder that must squeeze the whole source sentence into one vector forgets long
sentences; attention lets it look back at every source position at every step (Bahdanau et
al., 2015; Luong et al., 2015). Each step:

1. scores: how well the decoder's query matches each source position's key (additive:
   v . tanh(W q + U k); dot-product: q . k / sqrt(d));
2. padding: positions that are `<pad>` get a score of -inf, so they get no weight at all;
3. weights: a softmax over the *source positions* (the last axis of the scores), so each
   query's weights sum to 1;
4. context: the weighted sum of the values.

Multi-head attention (Vaswani et al., 2017) runs several such attentions side by side on
smaller projections and concatenates them; a Transformer is built from it.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def masked_attention(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention: (context (..., Q, Dv), weights (..., Q, K)).

    `mask` (broadcastable to (..., Q, K)) is True where a query may look; False positions
    get weight 0. Equal to `torch.nn.functional.scaled_dot_product_attention` with a boolean
    `attn_mask`.
    """
    scores = query @ key.transpose(-2, -1) / math.sqrt(query.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ value, weights


def padding_mask(ids: torch.Tensor, pad: int = 0) -> torch.Tensor:
    """(B, 1, S) True at real tokens: broadcasts over the queries of attention scores."""
    return (ids != pad).unsqueeze(1)


def causal_mask(length: int, device: torch.device | None = None) -> torch.Tensor:
    """(T, T) True on and below the diagonal: position t may look at positions <= t only."""
    return torch.ones(length, length, dtype=torch.bool, device=device).tril()


class AdditiveAttention(nn.Module):
    """Bahdanau's scores v . tanh(W q + U k), softmax over the source, masked."""

    def __init__(self, query_size: int, key_size: int, hidden: int) -> None:
        super().__init__()
        self.w = nn.Linear(query_size, hidden, bias=False)
        self.u = nn.Linear(key_size, hidden, bias=True)
        self.v = nn.Linear(hidden, 1, bias=False)

    def forward(
        self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """query (B, Dq), keys (B, S, Dk), mask (B, S) -> (context (B, Dk), weights (B, S))."""
        scores = self.v(torch.tanh(self.w(query).unsqueeze(1) + self.u(keys))).squeeze(-1)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return (weights.unsqueeze(1) @ keys).squeeze(1), weights


class MultiHeadAttention(nn.Module):
    """`heads` scaled dot-product attentions on d_model/heads-sized projections, side by
    side; the same computation as `nn.MultiheadAttention(batch_first=True)`."""

    def __init__(self, d_model: int, heads: int) -> None:
        super().__init__()
        if d_model % heads:
            raise ValueError(f"d_model {d_model} is not divisible by {heads} heads")
        self.heads = heads
        self.q, self.k, self.v = (nn.Linear(d_model, d_model) for _ in range(3))
        self.out = nn.Linear(d_model, d_model)
        self.weights: torch.Tensor | None = None
        """The last call's attention weights (B, heads, Q, K), for heatmaps."""

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        return x.view(b, t, self.heads, d // self.heads).transpose(1, 2)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """(B, Q, D), (B, K, D), (B, K, D), mask broadcastable to (B, Q, K) -> (B, Q, D)."""
        q, k, v = self._split(self.q(query)), self._split(self.k(key)), self._split(self.v(value))
        head_mask = mask.unsqueeze(-3) if mask is not None else None  # same for every head
        context, self.weights = masked_attention(q, k, v, head_mask)
        b, _, t, _ = context.shape
        merged: torch.Tensor = self.out(context.transpose(1, 2).reshape(b, t, -1))
        return merged
