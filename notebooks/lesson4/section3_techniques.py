# %% [markdown]
# # Lesson 4, Section 3: attention, masks, beam search, label smoothing, Transformers
#
# Section 2's translator squeezes a whole English sentence into one pair of vectors
# $(h, c)$, and the longer the sentence, the worse it does. This section is about the
# techniques that fixed that and what came after them:
#
# 1. **attention**: the decoder looks back at every English token at every step
#    (additive and dot-product scores, drawn);
# 2. **masking padding**: what goes wrong when `<pad>` is looked at, in numbers;
# 3. **beam search with length normalisation**: why raw log-probabilities prefer short
#    translations, and what the normaliser $\alpha$ does to the length on the dev split;
# 4. **label smoothing**: what it does to the training target and to the model's
#    confidence;
# 5. **self-attention and the Transformer**: positional encodings, multi-head attention,
#    causal masks, what came next.
#
# A small attention translator is trained first, so that every part can look at a real
# model. A quiz at the end opens Section 4.
#
# Run time: the translator trains for 5 minutes (`budget_s`); the rest is mostly
# decoding the 500 dev sentences seven times (greedy, and a beam of 4 at six values of
# $\alpha$). On 2 CPU cores shared with other jobs the whole notebook took 10 minutes; it
# has not been timed on an idle machine.

# %%
import dataclasses
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from torch import nn

from practicum import data, train
from practicum.coursework import common, quiz
from practicum.lessons.lesson4 import attention, decode, plots, transformer, translate
from practicum.lessons.lesson4 import attention_plots as draw
from practicum.lessons.lesson4 import checks_attention as toys
from practicum.lessons.lesson4.bleu import corpus_bleu
from practicum.lessons.lesson4.text import (
    BOS,
    PAD,
    Vocab,
    batches_of,
    carve_validation,
    length_batches,
    pad_batch,
)

train.seed_everything(0)
np.set_printoptions(precision=3, suppress=True)
device = train.choose_device()
font = draw.japanese_font()
if font is None:
    print("No font with Japanese glyphs found: Japanese tokens in the pictures show as boxes.")

# %% [markdown]
# ## 0. A translator to experiment on
#
# The training pairs minus 500 carved off (`carve_validation`): those 500 choose which
# checkpoint to keep. Every number shown in this section comes from the **dev** split
# (500 pairs); the test split is not used here. The model is Section 2's LSTM
# encoder-decoder with attention switched on (`Seq2Seq(attention=True)`), trained by
# `translate.train_translator` for a fixed time (5 minutes; on two CPU cores that is
# enough to translate short sentences, far from enough to translate well). Its loss uses
# label smoothing 0.1, which part 4 explains.

# %%
pairs = data.load("small-parallel-enja", "train")
dev = data.load("small-parallel-enja", "dev")
train_rows, valid_rows = carve_validation(len(pairs["en"]), common.scale(500, 20), seed=0)
src_vocab = Vocab.build(pairs["en"][train_rows], min_freq=2)
tgt_vocab = Vocab.build(pairs["ja"][train_rows], min_freq=2)
encoded = translate.encode_corpus(
    pairs["en"][train_rows], pairs["ja"][train_rows], src_vocab, tgt_vocab
)
valid_src = [src_vocab.encode(s) for s in pairs["en"][valid_rows]]
valid_refs = list(pairs["ja"][valid_rows])
dev_en, dev_ja = [str(s) for s in dev["en"]], [str(s) for s in dev["ja"]]
dev_src = [src_vocab.encode(s) for s in dev_en]
dev_tgt = [tgt_vocab.encode(s, bos=True, eos=True) for s in dev_ja]
print(
    f"{len(train_rows):,} training pairs, {len(valid_rows)} carved off to choose checkpoints, "
    f"{len(dev_en)} dev pairs; vocabularies {len(src_vocab):,} English, {len(tgt_vocab):,} Japanese"
)

# %%
budget_s = common.scale(300, 4)
recipe = translate.Recipe(
    model="attention",
    size={"embed": common.scale(256, 32), "hidden": common.scale(256, 32)},
    lr=2e-3,
    warmup_steps=common.scale(300, 5),
    label_smoothing=0.1,
    eval_every_s=budget_s / 4,
)
model = translate.make_model(recipe, len(src_vocab), len(tgt_vocab)).to(device)
print(f"{recipe.model}, {budget_s} seconds:")
translate.train_translator(
    model, encoded, valid_src, valid_refs, tgt_vocab, recipe=recipe, budget_s=budget_s
)
model = model.eval()

# %% [markdown]
# ## 1. Attention
#
# Without attention, everything the decoder knows about the English sentence is the
# encoder's last state. With it (Bahdanau et al., 2015), every decoder step $t$ looks
# back at all the encoder's outputs $h_1, \dots, h_S$, one per English token:
#
# 1. a **score** $e_{tj}$ of how well the decoder's state $s_t$ (the *query*) matches
#    each $h_j$ (the *keys*);
# 2. **weights** $\alpha_{tj} = \mathrm{softmax}_j(e_{tj})$: a softmax over the *source
#    positions* $j$, so the weights of one step sum to 1;
# 3. the **context** $c_t = \sum_j \alpha_{tj} h_j$ (the $h_j$ are also the *values*),
#    a mixture of the English tokens that matter for this step, combined with $s_t$ to
#    predict the next Japanese token.
#
# Two ways to score:
#
# - **additive** (Bahdanau et al., 2015): $e_{tj} = v^\top \tanh(W s_t + U h_j)$, a
#   small network with its own weights $W, U, v$;
# - **dot-product** (Luong et al., 2015): $e_{tj} = s_t \cdot h_j$, no weights at all;
#   *scaled* by $1/\sqrt{d}$ (Vaswani et al., 2017) so that the scores of $d$-dimensional
#   vectors do not grow with $d$ and saturate the softmax.
#
# Our `Seq2Seq(attention=True)` uses scaled dot-product scores. Here is one step of the
# trained model on a dev sentence, the scores computed by hand from its states, and the
# same step scored by an *untrained* additive attention (random $W, U, v$: only the
# computation is shown, its weights mean nothing yet):

# %%
lengths_en = np.array([len(s.split()) for s in dev_en])
example = int(np.argmin(np.abs(lengths_en - 7)))
english = dev_en[example].split()
src = pad_batch([dev_src[example]]).to(device)
(japanese,) = translate.translate_ids(model, [dev_src[example]], tgt_vocab)
tgt_in = torch.tensor([[BOS, *tgt_vocab.encode(japanese)]], device=device)
with torch.no_grad():
    state = model.start(src)
    queries, _ = model.decoder(model.tgt_embed(tgt_in), (state.h, state.c))  # s_t, each step
    keys = state.memory  # h_j, one per English token
    scores = (queries @ keys.transpose(1, 2))[0] / math.sqrt(keys.size(-1))
    dot_weights = torch.softmax(scores, dim=-1)
    same = torch.allclose(dot_weights, model.alignments(src, tgt_in)[0], atol=1e-6)
    written = max(len(japanese.split()), 1)  # steps that wrote a token (or just </s>)
    t = int(dot_weights[:written].max(dim=1).values.argmax())
    additive = attention.AdditiveAttention(keys.size(-1), keys.size(-1), 64).to(device)
    _, additive_weights = additive(queries[:, t], keys)
word = [*japanese.split(), "</s>"][t]
print(f"EN  {dev_en[example]}\nOUT {japanese}\nREF {dev_ja[example]}")
print(f"the weights computed by hand equal the model's own: {same}")
print(f"step {t + 1}, which wrote {word!r}:")
for token, score, weight in zip(english, scores[t], dot_weights[t], strict=True):
    print(f"  {token:>12}  score {score:7.2f}  weight {weight:.3f}")
display(
    draw.attention_diagram(
        english,
        {
            f"scaled dot-product, trained: step {t + 1} writes {word}": dot_weights[t].cpu(),
            "additive, untrained (random W, U, v)": additive_weights[0].cpu(),
        },
    )
)

# %% [markdown]
# Each line from $h_j$ to the context $c_t$ is as thick as its weight. Section 4 draws
# every step of the trained model at once, as a heatmap: which English tokens each
# Japanese token was written from.
#
# ## 2. Masking the padding
#
# In a batch, short sentences are filled up with `<pad>` to the longest one's length.
# The encoder skips the padding (`pack_padded_sequence`), so its outputs there are zero
# vectors, but a zero vector still gets a score ($s_t \cdot 0 = 0$), and after the softmax
# a weight $e^0 / \sum_j e^{e_{tj}} > 0$. The weights of the real tokens shrink, the
# context shrinks, and the translation of a sentence depends on which other sentences
# share its batch. The fix: set the scores of padding positions to $-\infty$ before the
# softmax; $e^{-\infty} = 0$, so they get exactly zero weight and the real tokens' weights
# still sum to 1.
#
# The same trained model, one short dev sentence translated alone and padded in a batch
# with a long one, with the mask and with a copy of the model whose attention is told
# that every position is a real token:


# %%
class Unmasked:
    """The model with its attention mask switched off: every source position, <pad>
    included, counts as a real token."""

    def __init__(self, model):
        self.model = model

    def start(self, src):
        state = self.model.start(src)
        return dataclasses.replace(state, src_mask=torch.ones_like(state.src_mask))

    def step(self, state, tokens):
        return self.model.step(state, tokens)


order = np.argsort(lengths_en, kind="stable")
short_ids, long_ids = dev_src[order[0]], dev_src[order[-1]]
if len(long_ids) < len(short_ids) + 4:  # all sentences about as long: make a long one
    long_ids = long_ids + dev_src[order[-2]]
alone = pad_batch([short_ids]).to(device)
batch = pad_batch([short_ids, long_ids]).to(device)
unmasked = Unmasked(model)
first = torch.full((2,), BOS, device=device)
with torch.no_grad():
    reference_lp, _ = model.step(model.start(alone), first[:1])
    masked_lp, _ = model.step(model.start(batch), first)
    unmasked_state = unmasked.start(batch)
    unmasked_lp, _ = unmasked.step(unmasked_state, first)
    s1, _ = model.decoder(model.tgt_embed(first[:, None]), (unmasked_state.h, unmasked_state.c))
    leak = torch.softmax(s1 @ unmasked_state.memory.transpose(1, 2) / math.sqrt(s1.size(-1)), -1)
pads = batch.size(1) - len(short_ids)
print(f"the short sentence: {dev_en[order[0]]!r}, {len(short_ids)} tokens + {pads} <pad>")
print(
    "largest change of its first-step log-probabilities, padded vs alone: "
    f"with the mask {(masked_lp[0] - reference_lp[0]).abs().max():.1e}, "
    f"without {(unmasked_lp[0] - reference_lp[0]).abs().max():.2f}"
)
print(
    f"weight on <pad> at the first step without the mask: {leak[0, 0, len(short_ids) :].sum():.2f}"
)
for how, translator, source in (
    ("alone", model, alone),
    ("padded, mask on", model, batch),
    ("padded, mask off", unmasked, batch),
):
    row = decode.greedy(translator, source, max_len=40)[0]
    print(f"{how:>18}: {tgt_vocab.decode(row)}")

# %% [markdown]
# With the mask the padded sentence gives the same numbers as alone, up to float
# rounding; without it they change, and so can the translation. A bug like this does not
# crash: it only makes the model a little worse, and differently in every batch. (The
# other place padding must be masked is the loss: `ignore_index=PAD` in Section 2.)
#
# ## 3. Beam search and length normalisation
#
# Section 1 showed beam search finding a sentence greedy search misses. It also noted
# that raw probabilities favour short sentences. Why: a sentence's log-probability is
# the sum of its tokens' log-probabilities, each below 0, so every extra token can only
# lower it. "Say nothing" (`</s>` right away) needs to beat just one token's probability.
# A toy decoder (`checks_attention.SHORT_BIAS`): the empty sentence has probability 0.5,
# "A B C D E" $0.5 \times 0.97^5 \approx 0.43$, every one of its tokens almost certain.
#
# **Length normalisation** (Wu et al., 2016) compares finished hypotheses by
# $\log P / \mathrm{lp}$, with the length penalty
# $\mathrm{lp} = \left(\frac{5 + |Y|}{6}\right)^{\alpha}$, $|Y|$ the length counting
# `</s>`: $\alpha = 0$ is the raw log-probability, larger $\alpha$ favours longer output.

# %%
short_toy = toys.toy(toys.SHORT_BIAS)
one = torch.zeros((1, 1), dtype=torch.long)  # the toy ignores its source
found = {}
for alpha in (0.0, 0.6, 1.0):
    (row,) = decode.beam_search(short_toy, one, beam=2, max_len=8, alpha=alpha)
    found[alpha] = row
    p = toys.probability(toys.SHORT_BIAS, row)
    normalised = math.log(p) / toys.length_penalty(len(row) + 1, alpha)
    print(
        f"alpha {alpha}: {toys.spell(row):<10}  log P = {math.log(p):.3f}, {len(row) + 1} tokens, "
        f"log P / lp = {normalised:.3f}"
    )
display(
    plots.draw_search_tree(
        short_toy,
        toys.NAMES,
        {
            "alpha 0: the empty sentence": (found[0.0], "tab:red"),
            "alpha 0.6: A B C D E": (found[0.6], "tab:green"),
        },
    )
)

# %% [markdown]
# On real sentences: the dev split translated by the trained model with a beam of 4 and
# several $\alpha$, against greedy search. Left, the length of the output relative to the
# references (BLEU's brevity penalty sets in below 1); right, BLEU.

# %%
beam = 4
alphas = [0.0, 0.3, 0.6, 1.0, 1.5, 2.0]


def length_ratio(hypotheses):
    return sum(len(h.split()) for h in hypotheses) / sum(len(r.split()) for r in dev_ja)


greedy_out = translate.translate_ids(model, dev_src, tgt_vocab, beam=1)
beamed = {a: translate.translate_ids(model, dev_src, tgt_vocab, beam=beam, alpha=a) for a in alphas}
print(f"{'':>12} length/reference  BLEU  empty outputs")
print(
    f"{'greedy':>12} {length_ratio(greedy_out):16.3f}  {corpus_bleu(greedy_out, dev_ja).score:5.2f}"
    f"  {sum(not h for h in greedy_out)}"
)
for a, out in beamed.items():
    print(
        f"{f'alpha {a}':>12} {length_ratio(out):16.3f}  {corpus_bleu(out, dev_ja).score:5.2f}"
        f"  {sum(not h for h in out)}"
    )

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.3))
left.plot(alphas, [length_ratio(out) for out in beamed.values()], "o-", label=f"beam {beam}")
left.axhline(length_ratio(greedy_out), color="grey", linestyle="--", label="greedy")
left.axhline(1.0, color="k", linewidth=0.5)
left.set_xlabel(r"$\alpha$")
left.set_ylabel("output tokens / reference tokens")
left.legend(fontsize=8)
right.plot(alphas, [corpus_bleu(out, dev_ja).score for out in beamed.values()], "o-")
right.axhline(corpus_bleu(greedy_out, dev_ja).score, color="grey", linestyle="--")
right.set_xlabel(r"$\alpha$")
right.set_ylabel("BLEU")
fig.suptitle("dev split: translation length and BLEU against the length normaliser")
fig.tight_layout()
plt.show()

# %% [markdown]
# The output grows longer as $\alpha$ grows. Where BLEU peaks is a choice made on dev,
# like any other (the homework reference uses $\alpha = 0.6$, the value of Wu et al.,
# 2016). The effect of raw scores is worse for larger beams: a larger beam finds more of
# the short, high-probability hypotheses, and translation quality can *drop* as the beam
# grows (Koehn and Knowles, 2017, section 3.5). Murray and Chiang (2018) trace this to
# the same length bias. One dev sentence where $\alpha$ changed the length most:

# %%
gaps = [len(b.split()) - len(a.split()) for a, b in zip(beamed[0.0], beamed[2.0], strict=True)]
i = int(np.argmax(gaps))
print(f"EN        {dev_en[i]}\nREF       {dev_ja[i]}")
print(f"alpha 0   {beamed[0.0][i]}\nalpha 2   {beamed[2.0][i]}")

# %% [markdown]
# ## 4. Label smoothing
#
# Cross-entropy against a one-hot target is lowest when the model puts probability 1 on
# the right token, which needs its logit to be infinitely far above the others: training
# never stops pushing. **Label smoothing** (Szegedy et al., 2016) trains against a softer
# target instead: $1 - \varepsilon$ on the right token plus $\varepsilon$ spread evenly
# over all $V$ tokens (PyTorch's `label_smoothing=ε`), so the right token gets
# $1 - \varepsilon + \varepsilon / V$ and every other $\varepsilon / V$.

# %%
V, eps, right_token = 10, 0.1, 3
smoothed = np.full(V, eps / V)
smoothed[right_token] += 1 - eps
fig, axes = plt.subplots(1, 2, figsize=(8, 2.4), sharey=True)
axes[0].bar(range(V), np.eye(V)[right_token])
axes[0].set_title("one-hot target")
axes[1].bar(range(V), smoothed, color="tab:orange")
axes[1].set_title(
    f"smoothed, $\\varepsilon$ = {eps}: {smoothed[right_token]:.2f} and {eps / V:.2f}"
)
for ax in axes:
    ax.set_xlabel("token")
fig.tight_layout()
plt.show()

# %% [markdown]
# What each target does to a model free to choose any logits: ten logits, trained by
# gradient descent on the cross-entropy of one example, with and without smoothing.


# %%
def fit_free_logits(smoothing, steps):
    """The probability of the right token and the gap between its logit and the others'
    while gradient descent minimises the (smoothed) cross-entropy of one example."""
    logits = torch.zeros(1, V, requires_grad=True)
    optimizer = torch.optim.SGD([logits], lr=1.0)
    target = torch.tensor([right_token])
    probability, gap = [], []
    for _ in range(steps):
        loss = nn.functional.cross_entropy(logits, target, label_smoothing=smoothing)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            probability.append(float(torch.softmax(logits, -1)[0, right_token]))
            others = torch.cat([logits[0, :right_token], logits[0, right_token + 1 :]])
            gap.append(float(logits[0, right_token] - others.mean()))
    return probability, gap


steps = common.scale(3000, 300)
fits = {s: fit_free_logits(s, steps) for s in (0.0, eps)}
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3))
for s, (probability, gap) in fits.items():
    left.plot(probability, label=f"smoothing {s}")
    right.plot(gap, label=f"smoothing {s}")
    print(
        f"smoothing {s}: after {steps} steps p(right) = {probability[-1]:.4f}, logit gap {gap[-1]:.2f}"
    )
print(
    f"the smoothed optimum: p = {1 - eps + eps / V:.2f}, gap = log(0.91 / 0.01) = {math.log(0.91 / 0.01):.2f}"
)
left.set_ylabel("p(right token)")
right.set_ylabel("logit gap")
for ax in (left, right):
    ax.set_xlabel("gradient step")
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Without smoothing the gap grows for as long as training runs (slowly, like the log of
# the number of steps) and the probability creeps towards 1; with it, both settle at the
# smoothed target's values. A network trained so cannot become arbitrarily **confident**.
# Is the trained translator's confidence honest? For every dev target token, read with
# teacher forcing: the probability the model gives its top choice (its confidence) and
# whether that top choice is the right token. Grouped by confidence, a calibrated model's
# accuracy equals its confidence:


# %%
def confidence_and_accuracy(model):
    confidence, right, nll = [], [], []
    lengths = [len(s) + len(t) for s, t in zip(dev_src, dev_tgt, strict=True)]
    for src, tgt in batches_of(dev_src, dev_tgt, length_batches(lengths, max_tokens=3000)):
        src, tgt = src.to(device), tgt.to(device)
        with torch.no_grad():
            log_probs = torch.log_softmax(model(src, tgt[:, :-1]), dim=-1)
        gold, real = tgt[:, 1:], tgt[:, 1:] != PAD
        top_log_prob, top = log_probs.max(dim=-1)
        confidence += top_log_prob.exp()[real].tolist()
        right += (top == gold)[real].tolist()
        nll += (-log_probs.gather(-1, gold.unsqueeze(-1)).squeeze(-1))[real].tolist()
    return np.array(confidence), np.array(right), math.exp(np.mean(nll))


confidence, right, perplexity = confidence_and_accuracy(model)
print(
    f"dev tokens: mean confidence {confidence.mean():.3f}, accuracy {right.mean():.3f}, "
    f"perplexity {perplexity:.2f}"
)
edges = np.linspace(0, 1, 11)
bins = np.clip(np.digitize(confidence, edges) - 1, 0, 9)
filled = [b for b in range(10) if (bins == b).sum() >= 20]
fig, (left, right_ax) = plt.subplots(1, 2, figsize=(9, 3.6))
left.plot(
    [confidence[bins == b].mean() for b in filled],
    [right[bins == b].mean() for b in filled],
    "o-",
    label="trained with smoothing 0.1",
)
left.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=0.8, label="calibrated")
left.set_xlabel("confidence (top probability)")
left.set_ylabel("accuracy of the top token")
left.legend(fontsize=8)
right_ax.hist(confidence, bins=edges, color="tab:orange")
right_ax.axvline(1 - eps + eps / len(tgt_vocab), color="k", linestyle="--", linewidth=0.8)
right_ax.set_xlabel("confidence")
right_ax.set_ylabel("dev tokens")
fig.suptitle("dev split, teacher forcing")
fig.tight_layout()
plt.show()

# %% [markdown]
# A point below the diagonal is overconfidence (right less often than claimed), above it
# underconfidence; the dashed line on the right is the highest probability the smoothed
# target ever asks for, $1 - \varepsilon + \varepsilon / V$. Trained without smoothing,
# large networks tend to be overconfident (Guo et al., 2017); label smoothing pulls their
# confidence down, which calibrates them better (Müller et al., 2019). It also costs
# perplexity while helping BLEU: "this hurts perplexity, as the model learns to be more
# unsure, but improves accuracy and BLEU score" (Vaswani et al., 2017, on translation).
#
# ## 5. Self-attention and the Transformer
#
# Attention let the decoder look at the encoder. The Transformer (Vaswani et al., 2017)
# goes further: it drops the recurrence and builds both encoder and decoder from
# attention alone. In **self-attention** the queries, keys and values all come from the
# same sentence (three learned projections of it), so every token looks at every other
# one in a single step: no information has to travel through $S$ recurrent steps, and
# all positions are computed at once, in parallel, instead of one after another.
#
# ### Positional encodings
#
# Attention is a weighted *sum*: shuffle the tokens and each one gets the same output.
# Order has to be added to the input. The Transformer adds to each token's embedding a
# vector that depends only on its position $p$:
# $\mathrm{PE}_{p, 2i} = \sin(p / 10000^{2i/d})$ and
# $\mathrm{PE}_{p, 2i+1} = \cos(p / 10000^{2i/d})$: pairs of dimensions that rotate at
# wavelengths from $2\pi$ to $10000 \cdot 2\pi$ positions. Left, the table; right, the dot
# product of every position's vector with every other's: it depends on how far apart two
# positions are, so attention can learn to look "two tokens back".

# %%
table = transformer.positional_encoding(64, 128)
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
image = left.imshow(table.T, cmap="RdBu", aspect="auto", vmin=-1, vmax=1)
left.set_xlabel("position $p$")
left.set_ylabel("dimension")
left.set_title("positional encodings, $d$ = 128")
fig.colorbar(image, ax=left)
image = right.imshow(table @ table.T, cmap="viridis")
right.set_xlabel("position")
right.set_ylabel("position")
right.set_title("dot products between positions")
fig.colorbar(image, ax=right)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Multi-head attention
#
# One attention mixes the values with one set of weights per query. **Multi-head
# attention** runs $h$ of them side by side: the queries, keys and values (each $d$ wide)
# are projected and cut into $h$ pieces of $d/h$, each head attends on its own piece (one
# head may follow the word order, another the verb), and the $h$ results are put back
# together and projected once more. It costs about as much as one attention of width $d$.
# The shapes, for a batch of 1 sentence of 5 tokens, $d = 8$, 2 heads:

# %%
mha = attention.MultiHeadAttention(d_model=8, heads=2)
x = torch.randn(1, 5, 8)
with torch.no_grad():
    projected = mha.q(x)
    split = projected.view(1, 5, 2, 4).transpose(1, 2)
    out = mha(x, x, x)
print("input (batch, positions, d)                 ", tuple(x.shape))
print("queries of all heads, projected             ", tuple(projected.shape))
print("cut into heads (batch, heads, positions, d/h)", tuple(split.shape))
print("weights (batch, heads, queries, keys)       ", tuple(mha.weights.shape))
print("output, heads put back together             ", tuple(out.shape))

# %% [markdown]
# ### Causal masks
#
# The decoder's self-attention must not look ahead: in training it reads the whole
# target at once (teacher forcing), and position $t$ must predict token $t+1$ without
# seeing it. A **causal mask** lets each position look only at itself and the positions
# before it; the padding mask of part 2 still applies as well. Both are boolean tables
# of (query, key), combined with "and":

# %%
target_tokens = ["<s>", *dev_ja[example].split()[:5]]  # a reference translation
padded = [*target_tokens, "<pad>", "<pad>"]
n = len(padded)
causal = attention.causal_mask(n)
real = torch.tensor([token != "<pad>" for token in padded])
fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
draw.draw_mask(axes[0], causal, padded, padded, title="causal: only itself and before")
draw.draw_mask(axes[1], real.expand(n, n), padded, padded, title="padding: no <pad> keys")
draw.draw_mask(axes[2], causal & real, padded, padded, title="decoder self-attention: both")
fig.tight_layout()
plt.show()

# %% [markdown]
# (The rows of the `<pad>` queries still look at the real tokens: their outputs are
# thrown away by the loss, and a row with no key at all would be a softmax over nothing,
# NaN.)
#
# ### A small Transformer
#
# `transformer.Transformer` puts these together: token embeddings plus positional
# encodings; an encoder of layers each made of self-attention and a small feed-forward
# network; a decoder of layers each with causal self-attention, attention over the
# encoder's output (cross-attention), and a feed-forward network. Around each block a
# residual connection and a LayerNorm, placed before the block ("pre-norm", which trains
# stably without a long warm-up; Xiong et al., 2020). It uses PyTorch's fused layers; in
# Section 4 you write multi-head attention yourself and check it against them.

# %%
small = transformer.Transformer(
    len(src_vocab), len(tgt_vocab), d_model=128, heads=4, layers=2, ff=512
)
print(f"small Transformer: {sum(p.numel() for p in small.parameters()):,} parameters")
print(f"the attention LSTM above: {sum(p.numel() for p in model.parameters()):,} parameters")
print(small.encoder.layers[0])

# %% [markdown]
# Section 4 trains the LSTM, the LSTM with attention and this Transformer for the same
# time each and compares them on the dev split.
#
# ## Quiz
#
# Answer every question with the letter of your choice, then run the check cell: it says
# which answers are wrong. All right opens Section 4; after three tries the right
# answers are shown and the section opens anyway.

# %%
quiz3 = quiz.Quiz(
    4,
    3,
    [
        quiz.Question(
            "q1",
            "One decoder step scores five source positions $[2, 1, 0, 5, 5]$; the last two are `<pad>` and masked. What weight does the first position get?",
            {
                "a": "0.02: $e^2$ over the sum of all five $e^{e_j}$",
                "b": "0.67: $e^2 / (e^2 + e^1 + e^0)$",
                "c": "0.15: the score 2 over the sum of all five scores",
                "d": "0.33: the three real positions share equally",
            },
            "c82a1eaa589a6bbcf2aecb3d0662575adba40b62e64946a040d38f8ca9e59e68",
        ),
        quiz.Question(
            "q2",
            "Two finished hypotheses: `A` with log-probability −1.2 (2 tokens with `</s>`) and `A B C D` with −1.6 (5 tokens). With the length penalty $((5 + |Y|)/6)^\\alpha$, which wins at $\\alpha = 0$ and which at $\\alpha = 1$?",
            {
                "a": "`A` both times: it has the higher probability",
                "b": "`A B C D` both times: longer hypotheses always win",
                "c": "`A` at $\\alpha = 0$, `A B C D` at $\\alpha = 1$",
                "d": "`A B C D` at $\\alpha = 0$, `A` at $\\alpha = 1$",
            },
            "e02c2da4c6e215c784bbc7ba536a71effde86714bd7c81d1c28348ebf07b4f63",
        ),
        quiz.Question(
            "q3",
            "On the dev split, a beam of 10 gives shorter translations and a lower BLEU than a beam of 2. What is the most likely cause?",
            {
                "a": "finished hypotheses are compared by their raw log-probability",
                "b": "the `<pad>` positions of the source are not masked in attention",
                "c": "the model was trained with label smoothing, so it is less sure",
                "d": "a beam of 10 is wider than most of the sentences are long",
            },
            "17d862209cba6899429b854dcf211c5f04d815a26fa8ff9eee77c3c0bf1c2d1a",
        ),
        quiz.Question(
            "q4",
            "With `label_smoothing=0.1` over a vocabulary of 10 tokens, what probability does PyTorch's training target put on the right token?",
            {
                "a": "0.90: the right token keeps $1 - \\varepsilon$",
                "b": "0.99: $1 - \\varepsilon / V$",
                "c": "1.00: smoothing only changes the wrong tokens",
                "d": "0.91: $1 - \\varepsilon + \\varepsilon / V$",
            },
            "e9e1811c3fc55a69067851bc61dfacbb8d0b0d55d5eb33732f3ba945dafa70fd",
        ),
        quiz.Question(
            "q5",
            "The decoder reads `<s> 私 は 学生 です` with a causal mask and no padding. At how many keys can the query of `は` look?",
            {
                "a": "2: `<s>` and `私`, the tokens before it",
                "b": "3: `<s>`, `私` and `は` itself",
                "c": "5: every token of the target",
                "d": "1: only `は` itself",
            },
            "14b819c5a507b9208e16d3b74c4888cd0e95abd9f1c8753b25ccff32605b4a55",
        ),
    ],
)
quiz3.show()

# %%
answers = {"q1": "", "q2": "", "q3": "", "q4": "", "q5": ""}  # your letters, e.g. "a"

# %% tags=["solution"]
answers = quiz3.shown_letters({"q1": "b", "q2": "c", "q3": "a", "q4": "d", "q5": "b"})

# %%
passed = quiz3.check(answers)
