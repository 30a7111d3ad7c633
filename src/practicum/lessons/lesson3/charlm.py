"""Lesson 3: a character-level language model, the bridge to Lesson 4's translator.

Characters become vectors through an embedding, a GRU reads them one by one, and a linear
layer gives the scores (logits) of the next character. Training uses teacher forcing: at
every position the network is fed the true previous characters and scored on the next one
(cross-entropy), so a whole chunk of text trains it in one pass. Sampling feeds the model
its own draws, one character at a time, carrying the GRU's state; the temperature divides
the logits before the softmax (below 1: safer, more repetitive text; above 1: wilder).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from practicum.train import seed_everything

LossFn = Callable[[nn.Module, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class CharVocab:
    """Every character of the training text, in sorted order: index = position."""

    chars: str

    @classmethod
    def of(cls, text: str) -> CharVocab:
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> torch.Tensor:
        index = {c: i for i, c in enumerate(self.chars)}
        unknown = sorted({c for c in text if c not in index})
        if unknown:
            raise ValueError(f"CharVocab.encode: characters not in the vocabulary: {unknown}")
        return torch.tensor([index[c] for c in text], dtype=torch.long)

    def decode(self, ids: Sequence[int] | torch.Tensor) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def corpus(sentences: Sequence[str]) -> str:
    """One sentence a line, lowercased: the text the model learns to continue."""
    return "".join(f"{str(s).strip().lower()}\n" for s in sentences)


class CharLM(nn.Module):
    """Embedding -> GRU -> linear: the logits of the next character at every position."""

    def __init__(self, vocab_size: int, embed: int = 32, hidden: int = 128) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.gru = nn.GRU(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(
        self, ids: torch.Tensor, state: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """ids (batch, time) -> logits (batch, time, vocab) and the GRU's last state."""
        states, state = self.gru(self.embed(ids), state)
        logits: torch.Tensor = self.head(states)
        return logits, state


def teacher_forcing_loss(model: nn.Module, chunk: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of every next character of chunk (batch, time + 1), fed the truth."""
    logits, _ = model(chunk[:, :-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), chunk[:, 1:].reshape(-1))


@torch.no_grad()
def sample(
    model: nn.Module,
    start: torch.Tensor,
    steps: int,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """start (batch, t0) followed by `steps` characters drawn one at a time: (batch, t0 + steps)."""
    logits, state = model(start)
    out = [start]
    for _ in range(steps):
        probs = torch.softmax(logits[:, -1] / temperature, dim=-1)
        drawn = torch.multinomial(probs, 1, generator=generator)
        out.append(drawn)
        logits, state = model(drawn, state)
    return torch.cat(out, dim=1)


def random_chunks(
    ids: torch.Tensor, batch: int, length: int, generator: torch.Generator
) -> torch.Tensor:
    """`batch` chunks of length + 1 consecutive characters from random places of `ids`."""
    starts = torch.randint(0, len(ids) - length - 1, (batch,), generator=generator)
    return torch.stack([ids[s : s + length + 1] for s in starts.tolist()])


@torch.no_grad()
def bits_per_char(model: nn.Module, ids: torch.Tensor, length: int = 128) -> float:
    """Teacher-forced cross-entropy over `ids` in consecutive chunks, in bits per character."""
    model.eval()
    length = min(length, len(ids) - 1)
    n = (len(ids) - 1) // length
    chunks = torch.stack([ids[i * length : i * length + length + 1] for i in range(n)])
    loss = teacher_forcing_loss(model, chunks).item()
    return loss / math.log(2)


@dataclass(frozen=True)
class CharConfig:
    embed: int = 32
    hidden: int = 128
    steps: int = 1500
    batch: int = 32
    length: int = 64
    lr: float = 3e-3
    clip: float = 1.0
    every: int = 100
    """Validation every this many steps."""


def train_charlm(
    model: nn.Module,
    train_ids: torch.Tensor,
    val_ids: torch.Tensor,
    *,
    steps: int,
    cfg: CharConfig = CharConfig(),
    loss_fn: LossFn = teacher_forcing_loss,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Adam on random chunks with gradient clipping; training and validation bits per char."""
    seed_everything(seed)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    history: dict[str, list[float]] = {"step": [], "train": [], "val": []}
    running: list[float] = []
    for step in range(1, steps + 1):
        model.train()
        loss = loss_fn(model, random_chunks(train_ids, cfg.batch, cfg.length, generator))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        optimizer.step()
        running.append(loss.item() / math.log(2))
        if step % cfg.every == 0 or step == steps:
            history["step"].append(step)
            history["train"].append(sum(running) / len(running))
            history["val"].append(bits_per_char(model, val_ids))
            running = []
    return history
