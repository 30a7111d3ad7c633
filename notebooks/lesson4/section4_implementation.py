# %% [markdown]
# # Lesson 4, Section 4: attention and beam search by hand, three translators side by side
#
# Here you write the pieces of Section 3, then put three translators side by side:
#
# 1. **masked scaled dot-product attention**, checked against PyTorch's
#    `scaled_dot_product_attention`;
# 2. **multi-head attention**, checked against `nn.MultiheadAttention` with the same
#    weights;
# 3. **beam search** with length normalisation;
# 4. the Transformer's **positional encodings**;
# 5. the LSTM encoder-decoder **with attention** trained, and heatmaps of where it looks;
# 6. **LSTM, LSTM with attention and Transformer**, each trained for the same time,
#    compared on the dev split: greedy and beam BLEU, learning curves, translations;
# 7. how the **homework's** submission file is written.
#
# In the exercise notebook, each `# YOUR CODE HERE` marks a function for you to write. It
# is checked as soon as its cell runs, and until it passes, the notebook goes on with a
# reference version, so every later cell still works. Each exercise has a hint that
# opens on a click; try without it first.
#
# Run time: the three models train for 5 minutes each (`budget_s`), 15 minutes in all;
# the rest is checks and decoding (each model translates the 500 dev sentences greedily
# and with a beam of 4). On 2 CPU cores shared with other jobs the whole notebook took
# 17 minutes; it has not been timed on an idle machine.

# %%
from practicum.coursework import quiz

quiz.require(4, 4, quiz_notebook="lesson4/section3_techniques.ipynb")

# %%
import math
import time
from functools import partial
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import sacrebleu
import torch
from IPython.display import Markdown, display

from practicum import data, train
from practicum.coursework import common, exercise
from practicum.data.errors import DataError
from practicum.data.formats import read_lines, write_lines
from practicum.lessons.lesson4 import attention_plots as draw
from practicum.lessons.lesson4 import checks_attention as checks
from practicum.lessons.lesson4 import compare, translate
from practicum.lessons.lesson4.attention import MultiHeadAttention
from practicum.lessons.lesson4.text import BOS, EOS, Vocab, carve_validation

train.seed_everything(0)
device = train.choose_device()
if draw.japanese_font() is None:
    print("No font with Japanese glyphs found: Japanese tokens in the pictures show as boxes.")

# %% [markdown]
# ## 1. Masked scaled dot-product attention
#
# `masked_attention(query, key, value, mask=None)` takes
#
# - `query` of shape (..., Q, d), `key` (..., K, d), `value` (..., K, d_v), where "..."
#   are the same leading axes for all three (a batch; a batch and heads);
# - `mask`: `None`, or booleans that broadcast to (..., Q, K), **True where a query may
#   look**;
#
# and returns the pair `(context, weights)`, of shapes (..., Q, d_v) and (..., Q, K):
#
# $$\text{weights} = \mathrm{softmax}\left(\frac{Q K^\top}{\sqrt{d}}\right),
# \qquad \text{context} = \text{weights} \; V,$$
#
# the softmax taken over the **keys**, each query's scores at masked positions set to
# $-\infty$ first. The check compares both the context and the weights with PyTorch's
# `scaled_dot_product_attention`, on 3 queries over 5 keys (mixing up the two axes
# shows), with one sentence's keys padded, with an axis for heads, and with a causal
# mask.

# %% [markdown]
# <details><summary>Hint</summary>
#
# `key.transpose(-2, -1)` swaps the last two axes whatever comes before them, so
# `query @ key.transpose(-2, -1)` is (..., Q, K). `scores.masked_fill(~mask, float("-inf"))`
# fills where the mask is False; `torch.softmax(scores, dim=-1)` normalises over the keys.
#
# </details>


# %%
def masked_attention(query, key, value, mask=None):
    """(context, weights): each query's weighted mean of the values, the weights a
    softmax of the scaled scores over the keys it may look at."""
    ### BEGIN SOLUTION
    scores = query @ key.transpose(-2, -1) / math.sqrt(query.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ value, weights
    ### END SOLUTION


masked_attention = exercise.checked(
    masked_attention,
    lesson=4,
    exercise="masked_attention",
    check=checks.check_masked_attention,
)

# %% [markdown]
# Two queries over five keys, the last two of them padding:

# %%
gen = torch.Generator().manual_seed(0)
q, k = torch.randn(1, 2, 4, generator=gen), torch.randn(1, 5, 4, generator=gen)
real_keys = torch.tensor([[[True, True, True, False, False]]])
context, weights = masked_attention(q, k, k, real_keys)
print("weights:\n", weights[0].numpy().round(3))
print("each row sums to", weights[0].sum(-1).numpy().round(3))

# %% [markdown]
# ## 2. Multi-head attention
#
# `MultiHeadAttention(d_model, heads)` (in `lesson4/attention.py`) holds `self.heads`
# and four `nn.Linear(d_model, d_model)` layers: `self.q`, `self.k`, `self.v` and
# `self.out`. Write its `forward(query, key, value, mask=None)`, for inputs of shapes
# (B, Q, D), (B, K, D), (B, K, D) and a mask that broadcasts to (B, Q, K):
#
# 1. project the three inputs with `self.q`, `self.k`, `self.v`;
# 2. cut the last axis of each into `heads` pieces and move the heads before the
#    positions: (B, T, D) becomes (B, heads, T, D / heads);
# 3. attend with your `masked_attention`, the mask given an axis for the heads (the same
#    mask for every head), and keep the weights, (B, heads, Q, K), in `self.weights`;
# 4. put the heads back side by side, (B, Q, D), and apply `self.out`.
#
# The check copies the weights into `nn.MultiheadAttention` (its `in_proj_weight` is
# the three projections stacked) and compares outputs and per-head weights:
# cross-attention from 4 queries to 6 padded keys, and causal self-attention.

# %% [markdown]
# <details><summary>Hint</summary>
#
# `x.view(b, t, self.heads, d // self.heads).transpose(1, 2)` cuts and moves the heads;
# `mask.unsqueeze(1)` adds the heads axis to the mask. Back:
# `context.transpose(1, 2).reshape(b, q_len, d)` (`reshape`, not `view`: after the
# transpose the tensor is not contiguous in memory).
#
# </details>


# %%
class MyMultiHeadAttention(MultiHeadAttention):
    def forward(self, query, key, value, mask=None):
        """(B, Q, D), (B, K, D), (B, K, D), mask broadcastable to (B, Q, K) -> (B, Q, D)."""
        ### BEGIN SOLUTION
        b, q_len, d = query.shape

        def split(x):
            return x.view(b, x.size(1), self.heads, d // self.heads).transpose(1, 2)

        q, k, v = split(self.q(query)), split(self.k(key)), split(self.v(value))
        head_mask = None if mask is None else mask.unsqueeze(1)
        context, self.weights = masked_attention(q, k, v, head_mask)
        return self.out(context.transpose(1, 2).reshape(b, q_len, d))
        ### END SOLUTION


MultiHead = exercise.checked(
    MyMultiHeadAttention,
    lesson=4,
    exercise="multi_head_attention",
    check=checks.check_multi_head_attention,
    name="multi_head_attention",
)

# %% [markdown]
# Part 6 gives your class the weights of a trained Transformer layer and draws what its
# heads look at.
#
# ## 3. Beam search
#
# Every translator of the lesson answers two calls: `state = model.start(src)` encodes a
# batch of source rows (B, S), and `log_probs, state = model.step(state, tokens)` feeds
# one token per row (a tensor of shape (rows,)) and returns the log-probabilities of the
# next token, (rows, V). `state.select(index)` returns the state of the rows `index`, in
# that order, repeats allowed: how hypotheses are copied and dropped.
#
# Write `beam_search(model, src, *, beam, max_len, alpha=0.6)`: for each source row, the
# token ids of its best translation, without `</s>` (a list of lists). Per source row:
#
# - keep exactly `beam` hypotheses, each a token list and a total log-probability. At
#   the start there is **one**: empty, score 0, fed `<s>` (the other slots score
#   $-\infty$, so the beam does not fill with copies of it);
# - each step, every extension of every hypothesis by every token competes; the `beam`
#   best totals stay;
# - a hypothesis that has produced `</s>` is **finished**: it stays in the beam with its
#   score, and its only extension is `</s>` again, at no cost (log-probability 0);
# - stop when every hypothesis has finished, or after `max_len` steps;
# - return the hypothesis with the best $\log P / \left(\frac{5 + |Y|}{6}\right)^{\alpha}$,
#   with $|Y|$ its length up to and including its first `</s>` (all its tokens if it has
#   none).
#
# The check runs it on toy models whose best sentence is known: one where greedy search
# misses it, one where the raw log-probability prefers the empty sentence but $\alpha =
# 0.6$ does not; then on small random models, against the reference.

# %% [markdown]
# <details><summary>Hint</summary>
#
# Work on all rows at once: `model.start(src).select(torch.arange(rows).repeat_interleave(beam))`
# gives `beam` slots per row. Each step, add the scores (rows × beam, 1) to the
# log-probabilities (rows × beam, V), reshape to (rows, beam × V) and take `topk(beam)`:
# `index // V` is the slot a winner came from, `index % V` its token. For finished slots,
# set the log-probabilities to $-\infty$ except 0 at `EOS` before adding.
#
# </details>


# %%
def beam_search(model, src, *, beam, max_len, alpha=0.6):
    """Per source row, the token ids (without </s>) of the best of `beam` hypotheses by
    length-normalised log-probability."""
    ### BEGIN SOLUTION
    rows, device = src.size(0), src.device
    first_row = torch.arange(rows, device=device) * beam  # slot 0 of each source row
    state = model.start(src).select(torch.arange(rows, device=device).repeat_interleave(beam))
    score = torch.full((rows, beam), float("-inf"), device=device)
    score[:, 0] = 0.0
    tokens = torch.full((rows * beam,), BOS, dtype=torch.long, device=device)
    sentences = torch.empty((rows * beam, 0), dtype=torch.long, device=device)
    finished = torch.zeros(rows * beam, dtype=torch.bool, device=device)
    for _ in range(max_len):
        log_probs, state = model.step(state, tokens)
        vocab = log_probs.size(-1)
        log_probs = log_probs.masked_fill(finished[:, None], float("-inf"))
        log_probs[finished, EOS] = 0.0
        total = (score.reshape(-1, 1) + log_probs).reshape(rows, beam * vocab)
        score, best = total.topk(beam, dim=1)
        parent = (first_row[:, None] + best // vocab).reshape(-1)
        tokens = (best % vocab).reshape(-1)
        state = state.select(parent)
        sentences = torch.cat([sentences[parent], tokens[:, None]], dim=1)
        finished = finished[parent] | (tokens == EOS)
        if bool(finished.all()):
            break
    length = torch.where(finished, (sentences == EOS).int().argmax(1) + 1, sentences.size(1))
    normalised = score.reshape(-1) / ((5 + length) / 6) ** alpha
    chosen = first_row + normalised.reshape(rows, beam).argmax(1)
    return [row[: row.index(EOS)] if EOS in row else row for row in sentences[chosen].tolist()]
    ### END SOLUTION


beam_search = exercise.checked(
    beam_search, lesson=4, exercise="beam_search", check=checks.check_beam_search
)

# %% [markdown]
# On Section 3's toy decoder with a bias to short sentences:

# %%
one = torch.zeros((1, 1), dtype=torch.long)
short_toy = checks.toy(checks.SHORT_BIAS)
for alpha in (0.0, 0.6):
    (row,) = beam_search(short_toy, one, beam=2, max_len=8, alpha=alpha)
    print(f"alpha {alpha}: {checks.spell(row)}")

# %% [markdown]
# ## 4. Positional encodings
#
# `positional_encoding(length, d_model)`: a float32 tensor of shape (length, d_model),
# row $p$ the encoding of position $p$:
#
# $$\mathrm{PE}_{p,\,2i} = \sin\!\left(\frac{p}{10000^{2i/d}}\right), \qquad
# \mathrm{PE}_{p,\,2i+1} = \cos\!\left(\frac{p}{10000^{2i/d}}\right),$$
#
# sines on the even dimensions, cosines on the odd ones, each pair sharing a frequency.
# The Transformer of part 6 reads your table.

# %% [markdown]
# <details><summary>Hint</summary>
#
# A column of positions, `torch.arange(length)[:, None]`, divided by a row of
# `10000 ** (even / d_model)` for `even = torch.arange(0, d_model, 2)`, gives every angle
# at once; fill `table[:, 0::2]` and `table[:, 1::2]`.
#
# </details>


# %%
def positional_encoding(length, d_model):
    """(length, d_model) float32: sines on even, cosines on odd dimensions."""
    ### BEGIN SOLUTION
    position = torch.arange(length, dtype=torch.float32)[:, None]
    even = torch.arange(0, d_model, 2, dtype=torch.float32)
    angle = position / 10000 ** (even / d_model)
    table = torch.zeros(length, d_model)
    table[:, 0::2] = torch.sin(angle)
    table[:, 1::2] = torch.cos(angle[:, : d_model // 2])
    return table
    ### END SOLUTION


positional_encoding = exercise.checked(
    positional_encoding,
    lesson=4,
    exercise="positional_encoding",
    check=checks.check_positional_encoding,
)

# %% [markdown]
# ## 5. The data, and the LSTM with attention
#
# As in Section 3: the training pairs minus 500 carved off to choose checkpoints (the
# **valid** numbers below), the dev split (500 pairs) for every comparison; the test
# split is never looked at. Each model trains for the same time, `budget_s` seconds, with
# `translate.train_translator`: batches of similar length, teacher forcing with label
# smoothing 0.1, AdamW with a warm-up and a cosine decay over the budget, and the
# checkpoint with the best valid BLEU (greedy) kept.

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
print(
    f"{len(train_rows):,} training pairs, {len(valid_rows)} valid, {len(dev_en)} dev; "
    f"vocabularies {len(src_vocab):,} English, {len(tgt_vocab):,} Japanese"
)

budget_s = common.scale(300, 4)
warmup = common.scale(300, 5)
lstm_size = {"embed": common.scale(256, 32), "hidden": common.scale(256, 32)}
transformer_size = common.scale(  # small enough for 2 CPU cores to take many steps
    {"d_model": 128, "heads": 4, "layers": 3, "ff": 512, "dropout": 0.1},
    {"d_model": 32, "heads": 4, "layers": 1, "ff": 64, "dropout": 0.1},
)
recipes = {
    "LSTM": translate.Recipe(model="lstm", size=lstm_size),
    "LSTM + attention": translate.Recipe(model="attention", size=lstm_size),
    "Transformer": translate.Recipe(model="transformer", size=transformer_size),
}
trained = {}


def train_model(name):
    """Train one of `recipes` for `budget_s` seconds; the model and its log."""
    train.seed_everything(0)
    recipe = translate.Recipe(
        model=recipes[name].model,
        size=recipes[name].size,
        lr=2e-3,
        warmup_steps=warmup,
        eval_every_s=budget_s / 5,
    )
    model = translate.make_model(recipe, len(src_vocab), len(tgt_vocab)).to(device)
    if recipe.model == "transformer":  # your positional encodings
        model.positions = positional_encoding(model.positions.size(0), model.d_model).to(device)
    print(f"{name}, {budget_s} seconds:")
    log = translate.train_translator(
        model, encoded, valid_src, valid_refs, tgt_vocab, recipe=recipe, budget_s=budget_s
    )
    trained[name] = (model.eval(), log)
    return model


attentive = train_model("LSTM + attention")

# %% [markdown]
# Where does it look? For four dev sentences, the weights of every decoder step over the
# English tokens (rows: the Japanese token the step wrote; darker is more weight). Where
# the model has learned to align, a row is dark under the English words its token
# translates; Japanese puts the verb last and marks roles with particles (は, を, に), so
# the dark cells need not run down the diagonal. How clear the picture is depends on how
# far the model got within its budget: compare it with the valid BLEU printed above.

# %%
lengths_en = np.array([len(s) for s in dev_src])
candidates = np.flatnonzero((lengths_en >= 5) & (lengths_en <= 12))
candidates = candidates if len(candidates) else np.arange(len(dev_src))
examples = candidates[np.linspace(0, len(candidates) - 1, 4).astype(int)]
fig, axes = plt.subplots(2, 2, figsize=(11, 9))
for ax, i in zip(axes.flat, examples, strict=True):
    (hypothesis,) = translate.translate_ids(attentive, [dev_src[i]], tgt_vocab)
    src = torch.tensor([dev_src[i]], device=device)
    tgt_in = torch.tensor([[BOS, *tgt_vocab.encode(hypothesis)]], device=device)
    with torch.no_grad():
        weights = attentive.alignments(src, tgt_in)[0].cpu()
    draw.draw_alignment(
        ax, weights, dev_en[i].split(), [*hypothesis.split(), "</s>"], title=f"REF {dev_ja[i]}"
    )
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 6. Three translators, the same time each
#
# The LSTM without attention (Section 2's model) and the small Transformer of Section 3,
# trained exactly as the LSTM with attention was.

# %%
train_model("LSTM")
transformer = train_model("Transformer")

# %% [markdown]
# Each model translates the 500 dev sentences twice: greedy (`translate.translate_ids`,
# beam 1) and with **your** `beam_search` (beam 4, $\alpha = 0.6$). BLEU is sacrebleu's
# on the tokens as given, as the homework computes it. "valid" is the best BLEU the
# carved-off validation sentences gave during training (greedy): it chose the checkpoint.

# %%
trained = {name: trained[name] for name in recipes}  # in the order of the table
search = partial(beam_search, beam=4, alpha=0.6)
outputs, table = {}, []
for name, (model, log) in trained.items():
    greedy_out = translate.translate_ids(model, dev_src, tgt_vocab, beam=1)
    started = time.perf_counter()
    outputs[name] = compare.translate_with(search, model, dev_src, tgt_vocab)
    seconds = time.perf_counter() - started
    table.append(
        [
            name,
            compare.parameter_count(model),
            log.steps[-1],
            max(log.valid_bleu),
            compare.bleu(greedy_out, dev_ja),
            compare.bleu(outputs[name], dev_ja),
            compare.length_ratio(outputs[name], dev_ja),
            seconds,
        ]
    )
header = [
    "model",
    "parameters",
    "steps",
    "valid BLEU",
    "dev BLEU, greedy",
    "dev BLEU, beam 4",
    "dev length ratio, beam",
    "beam search seconds",
]
display(Markdown(compare.markdown_table(header, table)))
print(compare.bleu_signature())

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
for name, (_, log) in trained.items():
    minutes = np.array(log.seconds) / 60
    left.plot(minutes, log.train_loss, "o-", label=name)
    right.plot(minutes, log.valid_bleu, "o-", label=name)
left.set_ylabel("training loss (smoothed cross-entropy)")
right.set_ylabel("valid BLEU (greedy)")
for ax in (left, right):
    ax.set_xlabel("minutes of training")
    ax.legend(fontsize=8)
fig.suptitle(f"the same {budget_s} seconds each")
fig.tight_layout()
plt.show()

# %% [markdown]
# What the table says, measured rather than assumed:

# %%
best = max(table, key=lambda row: row[5])
for row in table:
    gain = row[5] - row[4]
    print(f"{row[0]:>16}: beam 4 minus greedy = {gain:+.2f} BLEU on dev")
print(f"best on dev with the beam: {best[0]} ({best[5]:.2f} BLEU)")

# %% [markdown]
# Under one time budget a model is judged by how much it learns per second as well as
# by what it can learn: the Transformer computes all positions of a sentence at once,
# the LSTMs one after another, and the "steps" column shows how many batches each got
# through. A few minutes may not be enough for one model to pass another, which is why
# the curves are shown and not just the last numbers. The homework reference
# (`practicum lesson homework 4`) trains the Transformer for 30 minutes; `BENCHMARKS.md`
# records what it reaches.
#
# Some dev sentences with the reference and every model's beam-search translation:

# %%
for i in np.linspace(0, len(dev_en) - 1, 4).astype(int):
    print(f"EN   {dev_en[i]}\nREF  {dev_ja[i]}")
    for name, out in outputs.items():
        print(f"{name:>16}: {out[i]}")
    print()

# %% [markdown]
# And the failures: the dev sentences the best model got most wrong (lowest
# sentence-level BLEU among those of at least 8 English tokens):

# %%
scores = [
    sacrebleu.sentence_bleu(h, [r], tokenize="none").score
    for h, r in zip(outputs[best[0]], dev_ja, strict=True)
]
long_enough = [i for i in range(len(dev_en)) if len(dev_src[i]) >= 8] or list(range(len(dev_en)))
for i in sorted(long_enough, key=lambda i: scores[i])[:3]:
    print(f"EN   {dev_en[i]}\nREF  {dev_ja[i]}\nOUT  {outputs[best[0]][i]}\n")

# %% [markdown]
# What do the Transformer's heads look at? Your `MyMultiHeadAttention`, given the
# weights of the first encoder layer's self-attention (`checks.copy_from_torch`), run on
# that layer's input for one dev sentence (the layer normalises its input first: it is
# pre-norm):

# %%
layer = transformer.encoder.layers[0]
mine = MultiHead(transformer.d_model, layer.self_attn.num_heads).to(device).eval()
checks.copy_from_torch(mine, layer.self_attn)
i = examples[-1]
src = torch.tensor([dev_src[i]], device=device)
with torch.no_grad():
    embedded = transformer.src_embed(src) * math.sqrt(transformer.d_model)
    x = layer.norm1(embedded + transformer.positions[: src.size(1)])
    ours = mine(x, x, x)
    theirs, _ = layer.self_attn(x, x, x, need_weights=False)
print(f"yours against the layer's own: largest difference {(ours - theirs).abs().max():.1e}")
tokens = dev_en[i].split()
display(draw.draw_heads(mine.weights[0].cpu(), tokens, tokens))

# %% [markdown]
# ## 7. The homework: `lesson4-enja`
#
# Translate the 500 English test sentences (`x_test.txt`, one tokenized sentence per
# line) into Japanese: one line per sentence, in order, tokens separated by spaces as in
# `y_train`. Scored by corpus BLEU (sacrebleu, `tokenize="none"`) on hidden references;
# the target is in the homework's description. The lesson's baseline is the LSTM without
# attention; the rest of this section shows where the points are.
#
# The cell below writes the file from the baseline, to show the format; put your best
# model in its place. In a course notebook server the published test sentences are in
# `~/homework/lesson4-enja`; elsewhere they come from your data cache. The test
# sentences are only translated, never scored here.

# %%
published = Path.home() / "homework" / "lesson4-enja" / "x_test.txt"
try:
    if published.is_file():
        x_test = list(read_lines(published))
    else:
        x_test = list(data.load("small-parallel-enja", "test")["en"])
except DataError as error:
    x_test = []
    print(f"no test sentences here, so no file written: {error}")
if x_test:
    baseline = trained["LSTM"][0]
    test_src = [src_vocab.encode(s) for s in x_test]
    y_pred = compare.translate_with(search, baseline, test_src, tgt_vocab)
    write_lines(Path("submission.txt"), y_pred)
    print(f"{len(y_pred)} lines written to submission.txt, one per line of x_test")

# %% [markdown]
# When you are happy with your translations, submit them yourself, from a cell of your
# own (in a course notebook server the address and your identity are already set; each
# homework has a daily limit of submissions):
#
# ```python
# practicum.submit("lesson4-enja", y_pred)   # or the file: "submission.txt"
# ```
#
# This notebook never submits anything for you. Ideas, each to be measured on dev:
# longer training (the reference's 30 minutes), a bigger Transformer, the beam size and
# $\alpha$, averaging the weights of the last checkpoints, an ensemble of models.

# %% [markdown]
# ## Your exercises
#
# Which of this lesson's exercises are done, and where the notebook went on with the
# reference version instead. Go back to those: the check says what is still wrong.

# %%
exercise.summary(4)
