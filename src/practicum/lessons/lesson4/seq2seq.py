"""Lesson 4, part 2: the encoder-decoder (Sutskever et al., 2014), with and without attention.

Read top to bottom:

1. the encoder embeds the English tokens and runs an LSTM over them; its last hidden and
   cell states summarise the sentence;
2. the decoder starts from that summary and, trained with *teacher forcing*, reads the
   correct Japanese sentence shifted right by one (`<s>` first) and predicts each next
   token: one cross-entropy term per target token, `<pad>` ignored;
3. with `attention=True` the decoder also looks back at every encoder output at every
   step (Luong et al., 2015: dot-product scores against its own hidden state, the context
   concatenated with the state before the output layer), so the summary no longer has to
   hold the whole sentence.

`start`/`step` are what greedy and beam search (`decode.py`) call, one token at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from practicum.lessons.lesson4.attention import masked_attention
from practicum.lessons.lesson4.text import PAD


@dataclass(frozen=True)
class LstmState:
    """What the decoder carries between steps: the LSTM's (h, c), and for attention the
    encoder's outputs and which of them are real tokens."""

    h: torch.Tensor  # (layers, B, H)
    c: torch.Tensor
    memory: torch.Tensor  # (B, S, H)
    src_mask: torch.Tensor  # (B, S) True at real tokens

    def select(self, index: torch.Tensor) -> LstmState:
        return LstmState(
            self.h[:, index], self.c[:, index], self.memory[index], self.src_mask[index]
        )


class Seq2Seq(nn.Module):
    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        *,
        embed: int = 256,
        hidden: int = 256,
        layers: int = 1,
        dropout: float = 0.1,
        attention: bool = False,
    ) -> None:
        super().__init__()
        self.attention = attention
        self.src_embed = nn.Embedding(src_vocab, embed, padding_idx=PAD)
        self.tgt_embed = nn.Embedding(tgt_vocab, embed, padding_idx=PAD)
        between = dropout if layers > 1 else 0.0
        self.encoder = nn.LSTM(embed, hidden, layers, batch_first=True, dropout=between)
        self.decoder = nn.LSTM(embed, hidden, layers, batch_first=True, dropout=between)
        self.combine = nn.Linear(2 * hidden, hidden) if attention else None
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, tgt_vocab)

    def start(self, src: torch.Tensor) -> LstmState:
        """Encode (B, S) source ids; padding is skipped by packing, so the final states are
        those of each sentence's own last token."""
        lengths = (src != PAD).sum(1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(
            self.drop(self.src_embed(src)), lengths, batch_first=True, enforce_sorted=False
        )
        outputs, (h, c) = self.encoder(packed)
        memory, _ = nn.utils.rnn.pad_packed_sequence(
            outputs, batch_first=True, total_length=src.size(1)
        )
        return LstmState(h, c, memory, src != PAD)

    def _decode(
        self, state: LstmState, tgt_in: torch.Tensor
    ) -> tuple[torch.Tensor, LstmState, torch.Tensor | None]:
        """Logits (B, T, V) for the target tokens fed in, the new state, attention weights."""
        outputs, (h, c) = self.decoder(self.drop(self.tgt_embed(tgt_in)), (state.h, state.c))
        weights = None
        if self.combine is not None:
            context, weights = masked_attention(
                outputs, state.memory, state.memory, state.src_mask.unsqueeze(1)
            )
            outputs = torch.tanh(self.combine(torch.cat([outputs, context], dim=-1)))
        logits = self.out(self.drop(outputs))
        return logits, LstmState(h, c, state.memory, state.src_mask), weights

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: logits (B, T, V) for every next token of `tgt_in` at once."""
        logits, _, _ = self._decode(self.start(src), tgt_in)
        return logits

    def step(self, state: LstmState, tokens: torch.Tensor) -> tuple[torch.Tensor, LstmState]:
        logits, state, _ = self._decode(state, tokens.unsqueeze(1))
        return torch.log_softmax(logits[:, -1], dim=-1), state

    def alignments(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Attention weights (B, T, S) of each target position over the source, to draw."""
        if self.combine is None:
            raise ValueError("this model has no attention to draw (attention=False)")
        _, _, weights = self._decode(self.start(src), tgt_in)
        assert weights is not None
        return weights
