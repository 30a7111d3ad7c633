"""Lesson 4's building blocks against independent implementations: BLEU against sacrebleu,
attention against PyTorch's, beam search on a model whose best sentence greedy misses."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
import sacrebleu
import torch
from torch import nn

from practicum.lessons.lesson4.attention import (
    AdditiveAttention,
    MultiHeadAttention,
    masked_attention,
    padding_mask,
)
from practicum.lessons.lesson4.bleu import corpus_bleu
from practicum.lessons.lesson4.decode import beam_search, greedy
from practicum.lessons.lesson4.seq2seq import Seq2Seq
from practicum.lessons.lesson4.text import (
    BOS,
    EOS,
    PAD,
    UNK,
    Vocab,
    carve_validation,
    length_batches,
    pad_batch,
)
from practicum.lessons.lesson4.transformer import Transformer

REFS = ["私 は 学生 で す 。", "彼 は 医者 で す 。", "猫 が 好き で す", "今日 は 晴れ"]


@pytest.mark.parametrize(
    "hyps",
    [
        REFS,
        ["私 は 学生 で す 。", "彼 は 医者 。", "猫 好き", "明日 は 雨"],
        ["私 私 私 私", "", "猫 が 好き で す か ？ ね", "今日 は 晴れ"],
        ["a", "b", "c", "d"],
    ],
)
def test_bleu_by_hand_equals_sacrebleu_on_tokenized_text(hyps: list[str]) -> None:
    ours = corpus_bleu(hyps, REFS)
    theirs = sacrebleu.corpus_bleu(hyps, [REFS], tokenize="none")
    assert ours.score == pytest.approx(theirs.score, abs=1e-9)
    assert ours.precisions == pytest.approx(tuple(theirs.precisions), abs=1e-9)
    assert ours.brevity_penalty == pytest.approx(theirs.bp, abs=1e-12)


def test_bleu_clips_repeated_ngrams_and_penalises_short_output() -> None:
    parts = corpus_bleu(["the the the the"], ["the cat"])
    assert parts.matches[0] == 1 and parts.totals[0] == 4  # "the" counts once
    short = corpus_bleu(["a b c d"], ["a b c d e f g h"])
    assert short.precisions[0] == 100.0 and short.brevity_penalty == pytest.approx(math.exp(-1))


def test_vocab_reserves_specials_and_maps_unseen_tokens_to_unk() -> None:
    vocab = Vocab.build(["b a a", "c a"], min_freq=1)
    assert vocab.itos[:4] == ("<pad>", "<s>", "</s>", "<unk>") and vocab.itos[4] == "a"
    ids = vocab.encode("a zzz", bos=True, eos=True)
    assert ids == [BOS, vocab.id("a"), UNK, EOS]
    assert vocab.decode([*ids, vocab.id("b")]) == "a <unk>"  # stops at </s>
    assert "c" not in Vocab.build(["b a a", "c a"], min_freq=2).itos


def test_length_batches_cover_every_index_once_within_the_token_budget() -> None:
    lengths = np.random.default_rng(0).integers(1, 30, 500)
    batches = length_batches(list(lengths), max_tokens=200, rng=np.random.default_rng(1))
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(500))
    assert all(len(b) == 1 or lengths[b].max() * len(b) <= 200 for b in batches)
    train, valid = carve_validation(100, 10, seed=3)
    assert len(valid) == 10 and not set(train) & set(valid) and len(train) + 10 == 100


def test_masked_attention_matches_pytorch_and_ignores_padding() -> None:
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 5, 8), torch.randn(2, 7, 8), torch.randn(2, 7, 8)
    ids = torch.tensor([[4, 5, 6, 7, 8, 0, 0], [4, 5, 6, 7, 8, 9, 10]])
    mask = padding_mask(ids)
    context, weights = masked_attention(q, k, v, mask)
    expected = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    torch.testing.assert_close(context, expected)
    assert weights[0, :, 5:].abs().max() == 0  # padded keys get no weight
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 5))


def test_multi_head_attention_matches_nn_multiheadattention() -> None:
    torch.manual_seed(0)
    ours, theirs = MultiHeadAttention(16, 4), nn.MultiheadAttention(16, 4, batch_first=True)
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.cat([ours.q.weight, ours.k.weight, ours.v.weight]))
        theirs.in_proj_bias.copy_(torch.cat([ours.q.bias, ours.k.bias, ours.v.bias]))
        theirs.out_proj.weight.copy_(ours.out.weight)
        theirs.out_proj.bias.copy_(ours.out.bias)
    x, memory = torch.randn(3, 4, 16), torch.randn(3, 6, 16)
    pad = torch.zeros(3, 6, dtype=torch.bool)
    pad[0, 4:] = True
    mine = ours(x, memory, memory, (~pad).unsqueeze(1))
    expected, _ = theirs(x, memory, memory, key_padding_mask=pad)
    torch.testing.assert_close(mine, expected, rtol=1e-5, atol=1e-5)


def test_additive_attention_weights_are_a_masked_distribution_over_the_source() -> None:
    attention = AdditiveAttention(6, 5, 7)
    keys, mask = torch.randn(2, 4, 5), torch.tensor([[True, True, False, False]] * 2)
    context, weights = attention(torch.randn(2, 6), keys, mask)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2))
    assert weights[:, 2:].abs().max() == 0 and context.shape == (2, 5)


# --- search ------------------------------------------------------------------------------

A, B, C = 4, 5, 6
NEXT = {  # prefix -> next-token probabilities; the best sentence starts with the less likely token
    (): {A: 0.6, B: 0.4},
    (A,): {C: 0.36, B: 0.34, EOS: 0.30},
    (A, C): {EOS: 1.0},
    (A, B): {EOS: 1.0},
    (B,): {EOS: 1.0},
}


@dataclass(frozen=True)
class PrefixState:
    prefix: torch.Tensor  # (rows, t)

    def select(self, index: torch.Tensor) -> PrefixState:
        return PrefixState(self.prefix[index])


class TableModel:
    """A 'translator' that ignores the source: next-token probabilities from NEXT."""

    def start(self, src: torch.Tensor) -> PrefixState:
        return PrefixState(torch.empty((src.size(0), 0), dtype=torch.long))

    def step(self, state: PrefixState, tokens: torch.Tensor) -> tuple[torch.Tensor, PrefixState]:
        prefix = torch.cat([state.prefix, tokens.unsqueeze(1)], dim=1)
        log_probs = torch.full((prefix.size(0), 8), float("-inf"))
        for row, ids in enumerate(prefix.tolist()):
            key = tuple(i for i in ids if i != BOS and i != EOS)
            ended = EOS in ids
            for token, p in ({EOS: 1.0} if ended else NEXT.get(key, {EOS: 1.0})).items():
                log_probs[row, token] = math.log(p)
        return log_probs, PrefixState(prefix)


def test_beam_search_finds_the_sentence_greedy_search_misses() -> None:
    src = torch.zeros((2, 3), dtype=torch.long)
    assert greedy(TableModel(), src, max_len=5) == [[A, C], [A, C]]  # probability 0.216
    assert beam_search(TableModel(), src, beam=2, max_len=5) == [[B], [B]]  # 0.4
    assert beam_search(TableModel(), src, beam=1, max_len=5) == [[A, C], [A, C]]


@pytest.mark.parametrize(
    "model",
    [
        Seq2Seq(20, 30, embed=8, hidden=12, attention=False),
        Seq2Seq(20, 30, embed=8, hidden=12, attention=True),
        Transformer(20, 30, d_model=16, heads=2, layers=1, ff=32),
    ],
    ids=["lstm", "attention", "transformer"],
)
def test_step_by_step_decoding_equals_teacher_forcing(model: nn.Module) -> None:
    """The incremental path the searches use computes what the training path computes, and
    padding in the source changes nothing."""
    model.eval()
    src = pad_batch([[5, 6, 7, 8], [9, 10]])
    tgt_in = torch.tensor([[BOS, 4, 5, 6], [BOS, 7, 8, 9]])
    with torch.no_grad():
        forced = torch.log_softmax(model(src, tgt_in), dim=-1)
        state = model.start(src)  # type: ignore[operator]
        for t in range(tgt_in.size(1)):
            log_probs, state = model.step(state, tgt_in[:, t])  # type: ignore[operator]
            torch.testing.assert_close(log_probs, forced[:, t], rtol=1e-4, atol=1e-5)
        alone = torch.log_softmax(model(src[1:, :2], tgt_in[1:]), dim=-1)
    torch.testing.assert_close(alone, forced[1:], rtol=1e-4, atol=1e-5)
    assert src[1, 2:].eq(PAD).all()
