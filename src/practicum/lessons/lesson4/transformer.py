"""Lesson 4, part 4: the Transformer (Vaswani et al., 2017), what came after RNN attention.

No recurrence: every layer lets each position attend to all others at once (self-attention),
so a whole sentence is processed in parallel. Order comes from *positional encodings*
(sines and cosines of different frequencies added to the embeddings); the decoder's
self-attention is *causal* (a position sees only earlier ones) and it also attends to the
encoder's output (cross-attention). Pre-norm layers (LayerNorm before each block) train
stably without a long warm-up (Xiong et al., 2020).

The layers are PyTorch's own (`nn.TransformerEncoderLayer`/`DecoderLayer`, fused kernels):
the lesson writes multi-head attention itself in `attention.py` and checks it against them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from practicum.lessons.lesson4.text import PAD


def positional_encoding(length: int, d_model: int) -> torch.Tensor:
    """(length, d_model): sin on even, cos on odd dimensions, wavelengths 2pi .. 10000*2pi."""
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    rates = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(1e4) / d_model))
    table = torch.zeros(length, d_model)
    table[:, 0::2] = torch.sin(position * rates)
    table[:, 1::2] = torch.cos(position * rates[: d_model // 2])
    return table


@dataclass(frozen=True)
class TransformerState:
    """The encoder's output and the target prefix so far (the decoder re-reads the prefix
    every step: simple, and cheap for sentences of a few dozen tokens)."""

    memory: torch.Tensor  # (B, S, D)
    src_pad: torch.Tensor  # (B, S) True at <pad>
    prefix: torch.Tensor  # (B, t)

    def select(self, index: torch.Tensor) -> TransformerState:
        return TransformerState(self.memory[index], self.src_pad[index], self.prefix[index])


class Transformer(nn.Module):
    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        *,
        d_model: int = 256,
        heads: int = 4,
        layers: int = 3,
        ff: int = 1024,
        dropout: float = 0.1,
        max_len: int = 256,
    ) -> None:
        super().__init__()
        self.d_model = d_model
        self.src_embed = nn.Embedding(src_vocab, d_model, padding_idx=PAD)
        self.tgt_embed = nn.Embedding(tgt_vocab, d_model, padding_idx=PAD)
        self.register_buffer("positions", positional_encoding(max_len, d_model), persistent=False)
        self.drop = nn.Dropout(dropout)
        encoder_layer = nn.TransformerEncoderLayer(
            d_model, heads, ff, dropout, batch_first=True, norm_first=True
        )
        decoder_layer = nn.TransformerDecoderLayer(
            d_model, heads, ff, dropout, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(
            encoder_layer, layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False
        )
        self.decoder = nn.TransformerDecoder(decoder_layer, layers, norm=nn.LayerNorm(d_model))
        self.out = nn.Linear(d_model, tgt_vocab, bias=False)
        self.out.weight = self.tgt_embed.weight  # one matrix for reading and writing tokens
        for embedding in (self.src_embed, self.tgt_embed):
            # N(0, 1/d): scaled by sqrt(d) on the way in, and logits of order 1 on the way out
            nn.init.normal_(embedding.weight, std=d_model**-0.5)
            with torch.no_grad():
                embedding.weight[PAD].zero_()

    def _embed(self, embedding: nn.Embedding, ids: torch.Tensor) -> torch.Tensor:
        positions: torch.Tensor = self.positions  # type: ignore[assignment]
        scaled = embedding(ids) * math.sqrt(self.d_model)
        embedded: torch.Tensor = self.drop(scaled + positions[: ids.size(1)])
        return embedded

    def start(self, src: torch.Tensor) -> TransformerState:
        src_pad = src == PAD
        memory: torch.Tensor = self.encoder(
            self._embed(self.src_embed, src), src_key_padding_mask=src_pad
        )
        empty = torch.empty((src.size(0), 0), dtype=torch.long, device=src.device)
        return TransformerState(memory, src_pad, empty)

    def _decode(self, state: TransformerState, tgt_in: torch.Tensor) -> torch.Tensor:
        length = tgt_in.size(1)
        causal = torch.ones(length, length, dtype=torch.bool, device=tgt_in.device).triu(1)
        hidden = self.decoder(
            self._embed(self.tgt_embed, tgt_in),
            state.memory,
            tgt_mask=causal,
            tgt_key_padding_mask=tgt_in == PAD,
            memory_key_padding_mask=state.src_pad,
        )
        logits: torch.Tensor = self.out(hidden)
        return logits

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        return self._decode(self.start(src), tgt_in)

    def step(
        self, state: TransformerState, tokens: torch.Tensor
    ) -> tuple[torch.Tensor, TransformerState]:
        prefix = torch.cat([state.prefix, tokens.unsqueeze(1)], dim=1)
        state = TransformerState(state.memory, state.src_pad, prefix)
        return torch.log_softmax(self._decode(state, prefix)[:, -1], dim=-1), state
