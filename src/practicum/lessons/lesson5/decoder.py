"""Lesson 5, part 3: decoders that turn image features into words.

`ShowAndTell` (Vinyals et al., 2015, with the image fed at every step as in Mao et al.'s
m-RNN): the pooled image vector sets the LSTM's first state and joins every word's
embedding; teacher forcing feeds the true previous word while training.

`AttendAndTell` (Xu et al., 2015, "Show, Attend and Tell", soft attention): instead of one
vector for the whole photo, every step looks at the grid of regions and takes a weighted
mean of them, the weights (`alpha`, one per region, summing to 1) computed from the
LSTM's state. The weights say where the decoder "looks" for each word, so they can be drawn
over the photo.

Both offer `start(features)` and `step(state, tokens)`, the interface of Lesson 4's
greedy and beam search (`practicum.lessons.lesson4.decode`), so the same searches serve.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from practicum.lessons.lesson5.text import PAD


@dataclass(frozen=True)
class PooledState:
    """The LSTM's (h, c) (1, B, H) and the projected image (B, E), carried between steps."""

    h: torch.Tensor
    c: torch.Tensor
    image: torch.Tensor

    def select(self, index: torch.Tensor) -> PooledState:
        return PooledState(self.h[:, index], self.c[:, index], self.image[index])


class ShowAndTell(nn.Module):
    """An LSTM language model conditioned on one image vector (B, F)."""

    def __init__(
        self,
        feature_dim: int,
        vocab_size: int,
        *,
        embed: int = 256,
        hidden: int = 512,
        dropout: float = 0.5,
        feature_dropout: float = 0.2,
    ) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed, padding_idx=PAD)
        self.init_h = nn.Linear(feature_dim, hidden)
        self.init_c = nn.Linear(feature_dim, hidden)
        self.image_in = nn.Linear(feature_dim, embed)
        self.lstm = nn.LSTM(2 * embed, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab_size)
        self.drop = nn.Dropout(dropout)
        self.feature_drop = nn.Dropout(feature_dropout)

    def start(self, features: torch.Tensor) -> PooledState:
        f = self.feature_drop(features)
        h = torch.tanh(self.init_h(f)).unsqueeze(0)
        c = torch.tanh(self.init_c(f)).unsqueeze(0)
        return PooledState(h, c, self.image_in(f))

    def _run(self, state: PooledState, tokens: torch.Tensor) -> tuple[torch.Tensor, PooledState]:
        """(B, T) ids -> (B, T, V) logits, continuing from `state`."""
        words = self.drop(self.embed(tokens))
        image = state.image.unsqueeze(1).expand(-1, tokens.size(1), -1)
        out, (h, c) = self.lstm(torch.cat([words, image], dim=-1), (state.h, state.c))
        return self.out(self.drop(out)), PooledState(h, c, state.image)

    def forward(self, features: torch.Tensor, captions_in: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: (B, F) images and (B, T) input ids (`<start>` w1 ... wT-1) ->
        (B, T, V) logits of w1 ... wT. Positions after a caption's end are padding; the
        loss ignores them, and being after the caption they cannot change the positions
        before it (the LSTM reads left to right)."""
        return self._run(self.start(features), captions_in)[0]

    def step(self, state: PooledState, tokens: torch.Tensor) -> tuple[torch.Tensor, PooledState]:
        logits, state = self._run(state, tokens.unsqueeze(1))
        return torch.log_softmax(logits[:, -1], dim=-1), state


class SoftAttention(nn.Module):
    """Additive attention over regions: e_r = w . tanh(W_r r + W_h h), alpha = softmax(e)."""

    def __init__(self, region_dim: int, hidden: int, attention: int) -> None:
        super().__init__()
        self.from_regions = nn.Linear(region_dim, attention)
        self.from_state = nn.Linear(hidden, attention)
        self.score = nn.Linear(attention, 1)

    def forward(
        self, regions: torch.Tensor, h: torch.Tensor, keys: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, R, D) regions and (B, H) state -> ((B, D) context, (B, R) weights).
        `keys` (B, R, A) are `from_regions(regions)`, computed once per photo."""
        keys = self.from_regions(regions) if keys is None else keys
        energy = self.score(torch.tanh(keys + self.from_state(h).unsqueeze(1))).squeeze(-1)
        alpha = torch.softmax(energy, dim=-1)
        return (alpha.unsqueeze(-1) * regions).sum(dim=1), alpha


@dataclass(frozen=True)
class AttendState:
    """(h, c) (B, H), the photo's regions (B, R, D) and their keys (B, R, A), and the last
    step's attention weights (B, R), kept for drawing."""

    h: torch.Tensor
    c: torch.Tensor
    regions: torch.Tensor
    keys: torch.Tensor
    alpha: torch.Tensor

    def select(self, index: torch.Tensor) -> AttendState:
        return AttendState(
            self.h[index], self.c[index], self.regions[index], self.keys[index], self.alpha[index]
        )


class AttendAndTell(nn.Module):
    """Show, Attend and Tell with soft attention and its gate (beta in the paper)."""

    def __init__(
        self,
        region_dim: int,
        vocab_size: int,
        *,
        embed: int = 256,
        hidden: int = 512,
        attention: int = 256,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed, padding_idx=PAD)
        self.attend = SoftAttention(region_dim, hidden, attention)
        self.gate = nn.Linear(hidden, region_dim)
        self.init_h = nn.Linear(region_dim, hidden)
        self.init_c = nn.Linear(region_dim, hidden)
        self.cell = nn.LSTMCell(embed + region_dim, hidden)
        self.out = nn.Linear(hidden, vocab_size)
        self.drop = nn.Dropout(dropout)

    def start(self, regions: torch.Tensor) -> AttendState:
        """(B, R, D) regions: the first state comes from their mean."""
        mean = regions.mean(dim=1)
        keys = self.attend.from_regions(regions)
        uniform = torch.full(regions.shape[:2], 1.0 / regions.size(1), device=regions.device)
        return AttendState(
            torch.tanh(self.init_h(mean)), torch.tanh(self.init_c(mean)), regions, keys, uniform
        )

    def _one(self, state: AttendState, tokens: torch.Tensor) -> tuple[torch.Tensor, AttendState]:
        context, alpha = self.attend(state.regions, state.h, state.keys)
        context = torch.sigmoid(self.gate(state.h)) * context
        h, c = self.cell(
            torch.cat([self.drop(self.embed(tokens)), context], -1), (state.h, state.c)
        )
        logits = self.out(self.drop(h))
        return logits, AttendState(h, c, state.regions, state.keys, alpha)

    def forward(
        self, regions: torch.Tensor, captions_in: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher forcing: ((B, T, V) logits, (B, T, R) attention weights)."""
        state = self.start(regions)
        logits, alphas = [], []
        for t in range(captions_in.size(1)):
            step_logits, state = self._one(state, captions_in[:, t])
            logits.append(step_logits)
            alphas.append(state.alpha)
        return torch.stack(logits, dim=1), torch.stack(alphas, dim=1)

    def step(self, state: AttendState, tokens: torch.Tensor) -> tuple[torch.Tensor, AttendState]:
        logits, state = self._one(state, tokens)
        return torch.log_softmax(logits, dim=-1), state


def doubly_stochastic_penalty(alphas: torch.Tensor, captions_in: torch.Tensor) -> torch.Tensor:
    """Xu et al.'s regulariser: summed over a caption's real steps, each region's weights
    should come out even (the paper's target is 1; here steps / regions, the most even
    spread there is), so that every region gets looked at. Weighted strongly (lambda = 1
    on a 225-region grid) it flattens every step's weights toward uniform.

    `alphas` (B, T, R), `captions_in` (B, T) to mask the padded steps; mean over the batch.
    """
    real = (captions_in != PAD).float().unsqueeze(-1)
    total = (alphas * real).sum(dim=1)  # (B, R)
    expected = real.sum(dim=1) / alphas.size(-1)  # (B, 1)
    return ((expected - total) ** 2).sum(dim=1).mean()
