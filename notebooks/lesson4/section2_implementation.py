# %% [markdown]
# # Lesson 4, Section 2: an English-to-Japanese translator, by hand
#
# Here you write the pieces of Section 1 and train a translator with them:
#
# 1. **padding**: sentences of different lengths into one tensor;
# 2. the **teacher-forcing loss**: the cross-entropy of every next token, `<pad>` ignored;
# 3. the **training loop** of one epoch, in bare PyTorch;
# 4. **greedy search**: a trained decoder made to write a sentence;
# 5. **BLEU**, written out and checked against sacrebleu;
# 6. then an LSTM encoder-decoder **without attention** (`Seq2Seq(attention=False)`) is
#    trained on the 50,000 training pairs, its BLEU on the dev split measured after every
#    epoch, and its translations and failures shown.
#
# In the exercise notebook, each `# YOUR CODE HERE` marks a function for you to write. It
# is checked as soon as its cell runs, and until it passes, the notebook goes on with a
# reference version, so every later cell still works. Each exercise has a hint that
# opens on a click; try without it first.
#
# Run time, measured once on 2 CPU cores: 31 minutes, nearly all of it the 8 training
# epochs of part 7, which took 2.0 to 7.4 minutes each (about 2 when nothing else ran on
# the machine; the slow ones shared the cores with other jobs); 16 s in smoke mode
# (`PRACTICUM_SMOKE=1`). The notebook trains on the CPU, even where a GPU is available.

# %%
from practicum.coursework import quiz

quiz.require(4, 2, quiz_notebook="lesson4/section1_concepts.ipynb")

# %%
import copy
import math
import time
from collections import Counter
from itertools import pairwise

import matplotlib.pyplot as plt
import numpy as np
import sacrebleu
import torch
from torch import nn

from practicum import data
from practicum.coursework import common, exercise
from practicum.lessons.lesson4 import checks
from practicum.lessons.lesson4.seq2seq import Seq2Seq
from practicum.lessons.lesson4.text import BOS, EOS, PAD, Vocab, length_batches
from practicum.train import seed_everything

seed_everything(0)

# %% [markdown]
# ## 1. Sentences as ids
#
# The vocabularies come from the training sentences, with the tokens seen at least twice
# (Section 1: that nearly halves them for about half a point more `<unk>` on dev). The
# English side is encoded as it is; the Japanese side, the target, is wrapped in
# `<s> ... </s>`. Every number in this section that is not about the training data comes
# from the **dev** split; the test split is not used here.

# %%
train_pairs = data.load("small-parallel-enja", "train")
dev_pairs = data.load("small-parallel-enja", "dev")
n_train = common.scale(len(train_pairs["en"]), 200)
train_en, train_ja = list(train_pairs["en"][:n_train]), list(train_pairs["ja"][:n_train])
dev_en, dev_ja = list(dev_pairs["en"]), list(dev_pairs["ja"])

src_vocab = Vocab.build(train_en, min_freq=2)
tgt_vocab = Vocab.build(train_ja, min_freq=2)
train_src = [src_vocab.encode(s) for s in train_en]
train_tgt = [tgt_vocab.encode(s, bos=True, eos=True) for s in train_ja]
dev_src = [src_vocab.encode(s) for s in dev_en]
dev_tgt = [tgt_vocab.encode(s, bos=True, eos=True) for s in dev_ja]
print(f"train {len(train_src):,} pairs, dev {len(dev_src):,} pairs")
print(f"vocabularies: English {len(src_vocab):,}, Japanese {len(tgt_vocab):,} tokens")
print(dev_en[0], "->", dev_src[0])
print(dev_ja[0], "->", dev_tgt[0])

# %% [markdown]
# ## 2. Padding
#
# A batch is one tensor, so its sentences must have one length. `pad_batch(sequences,
# pad=PAD)` takes a list of id lists and returns a tensor of shape (B, longest) and type
# `torch.long` (what `nn.Embedding` looks up): row $i$ is sequence $i$ followed by `pad`
# up to the length of the longest sequence of the batch. The padding goes at the end:
# the encoder skips it by the lengths of the sentences, and the loss ignores it by its id.

# %% [markdown]
# <details><summary>Hint</summary>
#
# Start from a tensor of the right shape filled with `pad` (`torch.full`, with
# `dtype=torch.long`), then copy each sequence into the start of its row.
#
# </details>


# %%
def pad_batch(sequences, *, pad=PAD):
    """(B, longest) int64 tensor: row i is sequences[i] followed by `pad`."""
    ### BEGIN SOLUTION
    longest = max(len(s) for s in sequences)
    out = torch.full((len(sequences), longest), pad, dtype=torch.long)
    for row, sequence in enumerate(sequences):
        out[row, : len(sequence)] = torch.tensor(sequence, dtype=torch.long)
    return out
    ### END SOLUTION


pad_batch = exercise.checked(
    pad_batch, lesson=4, exercise="pad_batch", check=checks.check_pad_batch
)

# %% [markdown]
# Sentences of very different lengths in one batch waste most of it on padding.
# `length_batches(lengths, max_tokens=...)` groups the indices of sentences of similar
# length, at most `max_tokens` padded tokens per batch, in a new random order each epoch
# when given a random generator. Here is what one batch looks like:


# %%
def make_batches(sources, targets, *, max_tokens, rng=None):
    """(source ids (B, S), target ids (B, T)) tensors, sentences of similar length together."""
    lengths = [len(s) + len(t) for s, t in zip(sources, targets, strict=True)]
    return [
        (pad_batch([sources[i] for i in index]), pad_batch([targets[i] for i in index]))
        for index in length_batches(lengths, max_tokens=max_tokens, rng=rng)
    ]


dev_batches = make_batches(dev_src, dev_tgt, max_tokens=2000)
src, tgt = dev_batches[len(dev_batches) // 2]
print(
    f"{len(dev_batches)} dev batches; this one: source {tuple(src.shape)}, target {tuple(tgt.shape)}"
)
print(tgt[:3])

# %% [markdown]
# ## 3. The teacher-forcing loss
#
# The model is `Seq2Seq` from `lesson4/seq2seq.py`: `model(src, tgt_in)` encodes the
# source ids (B, S), runs the decoder over the target ids `tgt_in` (B, T) it is given, and
# returns scores of shape (B, T, V): at every position, a score for each Japanese token
# being the *next* one.
#
# Write `teacher_forcing_loss(model, src, tgt, label_smoothing=0.0)`: `tgt` is a padded
# batch of `<s> w1 ... wn </s>`. The decoder must read the sentence without its last
# position and predict the sentence without its first (Section 1, part 5); the loss is
# the mean cross-entropy over all predicted tokens that are not `<pad>`. Pass
# `label_smoothing` on to the cross-entropy (Section 3 explains it). Return the loss as a
# tensor, still attached to the graph, so that `backward()` can follow.

# %% [markdown]
# <details><summary>Hint</summary>
#
# `nn.functional.cross_entropy` wants scores of shape (N, V) and targets of shape (N):
# flatten the batch and time axes of both (`reshape(-1, V)` and `reshape(-1)`). Its
# `ignore_index` argument leaves out every position whose target is that id.
#
# </details>


# %%
def teacher_forcing_loss(model, src, tgt, *, label_smoothing=0.0):
    """Mean cross-entropy of every next target token given the correct ones before it."""
    ### BEGIN SOLUTION
    logits = model(src, tgt[:, :-1])
    return nn.functional.cross_entropy(
        logits.reshape(-1, logits.size(-1)),
        tgt[:, 1:].reshape(-1),
        ignore_index=PAD,
        label_smoothing=label_smoothing,
    )
    ### END SOLUTION


teacher_forcing_loss = exercise.checked(
    teacher_forcing_loss,
    lesson=4,
    exercise="teacher_forcing_loss",
    check=checks.check_teacher_forcing_loss,
)

# %% [markdown]
# The translator of this section: embeddings of 256 numbers and LSTMs of 256 units on
# both sides, no attention. Untrained, its loss should be about $\ln V$ (Section 1):

# %%
size = common.scale(256, 32)
seed_everything(0)
model = Seq2Seq(len(src_vocab), len(tgt_vocab), embed=size, hidden=size, attention=False)
print(f"{sum(p.numel() for p in model.parameters()):,} parameters")
model.eval()
with torch.no_grad():
    print(
        f"untrained loss {teacher_forcing_loss(model, src, tgt):.3f}, ln V = {math.log(len(tgt_vocab)):.3f}"
    )

# %% [markdown]
# ## 4. One epoch of training
#
# `train_epoch(model, batches, optimizer, clip=1.0)` is the bare PyTorch loop over a list
# of (source, target) batches. Switch the model to training mode first (dropout on). For
# every batch: compute `teacher_forcing_loss`, clear the gradients left by the previous
# batch, backpropagate, clip the norm of all the gradients together to `clip`
# (Lesson 3: recurrent networks have gradient cliffs), and take the optimizer's step.
# Return the mean of the batches' losses as a Python float. The check runs your epoch and
# the reference's from the same weights on the same batches and compares every weight
# afterwards.

# %% [markdown]
# <details><summary>Hint</summary>
#
# Four calls per batch, in this order: `optimizer.zero_grad()`, `loss.backward()`,
# `nn.utils.clip_grad_norm_(model.parameters(), clip)`, `optimizer.step()`. Keep
# `loss.item()` of each batch for the mean.
#
# </details>


# %%
def train_epoch(model, batches, optimizer, *, clip=1.0):
    """One pass over `batches` of (source, target) ids; the mean training loss."""
    ### BEGIN SOLUTION
    model.train()
    losses = []
    for src, tgt in batches:
        loss = teacher_forcing_loss(model, src, tgt)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        losses.append(loss.item())
    return float(np.mean(losses))
    ### END SOLUTION


train_epoch = exercise.checked(
    train_epoch, lesson=4, exercise="train_epoch", check=checks.check_train_epoch
)

# %% [markdown]
# ## 5. Greedy search
#
# Every translator of this lesson offers two calls for writing (Section 1, part 6):
#
# - `state = model.start(src)` encodes a batch of source ids (B, S);
# - `log_probs, state = model.step(state, tokens)` feeds one token per row, a tensor of
#   shape (B,), and returns the log-probabilities of the next token, (B, V), with the new
#   state.
#
# Write `greedy(model, src, max_len=...)`: start every row with `<s>` (id `BOS`), and at
# each step feed the most likely token of the step before. Stop when every row has said
# `</s>` or after `max_len` steps. Return one list of token ids per row, each cut at its
# first `</s>` (the `</s>` itself left out). Rows finish at different steps; a row that
# is done may go on producing tokens until all are, as long as you cut them off.

# %% [markdown]
# <details><summary>Hint</summary>
#
# Keep the chosen tokens of every step in a list, `torch.stack` it into (B, steps) at the
# end and `.tolist()` it; then cut each row with `row.index(EOS)` where it has one. A
# boolean tensor `done`, updated with `done |= tokens == EOS`, says when to stop. No
# gradients are needed: wrap the search in `torch.no_grad()`.
#
# </details>


# %%
def greedy(model, src, *, max_len):
    """The most likely next token at every step: one list of token ids (no </s>) per row."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        state = model.start(src)
        tokens = torch.full((src.size(0),), BOS, dtype=torch.long)
        chosen = []
        done = torch.zeros(src.size(0), dtype=torch.bool)
        for _ in range(max_len):
            log_probs, state = model.step(state, tokens)
            tokens = log_probs.argmax(dim=-1)
            chosen.append(tokens)
            done |= tokens == EOS
            if done.all():
                break
    rows = torch.stack(chosen, dim=1).tolist() if chosen else [[] for _ in range(src.size(0))]
    return [row[: row.index(EOS)] if EOS in row else row for row in rows]
    ### END SOLUTION


greedy = exercise.checked(greedy, lesson=4, exercise="greedy", check=checks.check_greedy)

# %% [markdown]
# With it, a whole list of English sentences becomes Japanese, in batches of similar
# length. An untrained model writes nonsense, of course, but the sentences come out:


# %%
def translate(model, sources, *, max_tokens=2000):
    """Greedy translations of source id lists, as Japanese text, in the order given."""
    model.eval()
    out = [""] * len(sources)
    for index in length_batches([len(s) for s in sources], max_tokens=max_tokens):
        src = pad_batch([sources[i] for i in index])
        with torch.no_grad():
            rows = greedy(model, src, max_len=2 * src.size(1) + 10)
        for i, row in zip(index, rows, strict=True):
            out[i] = tgt_vocab.decode(row)
    return out


for en, ja in zip(dev_en[:2], translate(model, dev_src[:2]), strict=True):
    print(f"{en}\n  -> {ja}")

# %% [markdown]
# ## 6. BLEU
#
# Write `bleu_score(hypotheses, references)`: corpus BLEU of space-tokenized hypotheses,
# one reference each, on the 0-100 scale (Section 1, part 7). For n = 1 to 4, add up the
# *clipped* matches and the hypothesis n-grams over all sentences, and divide; take the
# geometric mean of the four precisions; multiply by the brevity penalty computed from
# the total lengths. The check compares your score with sacrebleu's
# (`tokenize="none"`) on small corpora where every n has at least one match. (When some
# $p_n$ is 0, sacrebleu smooths it; you do not need to: return 0 then.)

# %% [markdown]
# <details><summary>Hint</summary>
#
# `collections.Counter` counts n-grams: `Counter(tuple(tokens[i:i + n]) for i in
# range(len(tokens) - n + 1))`. Two Counters give the clipped matches as the sum of
# `min(count, reference_counts[gram])` over the hypothesis's n-grams. Sum the logs of
# the precisions rather than multiplying them.
#
# </details>


# %%
def bleu_score(hypotheses, references):
    """Corpus BLEU (0-100) of tokenized hypotheses against one reference each."""
    ### BEGIN SOLUTION
    matches, totals, hyp_len, ref_len = [0] * 4, [0] * 4, 0, 0
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        hyp, ref = hypothesis.split(), reference.split()
        hyp_len, ref_len = hyp_len + len(hyp), ref_len + len(ref)
        for n in range(1, 5):
            mine = Counter(tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1))
            theirs = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
            matches[n - 1] += sum(min(c, theirs[g]) for g, c in mine.items())
            totals[n - 1] += sum(mine.values())
    if hyp_len == 0 or min(matches) == 0:
        return 0.0
    log_mean = sum(math.log(m / t) for m, t in zip(matches, totals, strict=True)) / 4
    penalty = 1.0 if hyp_len >= ref_len else math.exp(1 - ref_len / hyp_len)
    return 100.0 * penalty * math.exp(log_mean)
    ### END SOLUTION


bleu_score = exercise.checked(
    bleu_score, lesson=4, exercise="bleu_score", check=checks.check_bleu_score
)

# %% [markdown]
# The homework is scored by sacrebleu on the tokens as given. Both on the same example:

# %%
hypotheses = ["私 は 猫 が 好き で す", "今日 は とても 暑 い 。"]
references = ["私 は 猫 が とても 好き で す 。", "今日 は とても 暑 い で す 。"]
scorer = sacrebleu.BLEU(tokenize="none")
print(f"yours {bleu_score(hypotheses, references):.4f}")
print(
    f"sacrebleu {scorer.corpus_score(hypotheses, [references]).score:.4f}  ({scorer.get_signature()})"
)

# %% [markdown]
# ## 7. Training the translator
#
# Everything is in place. Adam with a learning rate of $10^{-3}$, batches of at most
# 4,000 padded tokens, gradients clipped at norm 1, 8 epochs. After every epoch: the
# loss on the dev sentences (teacher forcing, as in training) and the BLEU of greedy
# translations of the dev sentences. The weights of the epoch with the best dev BLEU are
# kept: the number of epochs is a choice made on dev.


# %%
def dev_loss(model, batches):
    """Mean teacher-forcing loss per target token on `batches`, without training."""
    model.eval()
    total, tokens = 0.0, 0
    with torch.no_grad():
        for src, tgt in batches:
            n = int((tgt[:, 1:] != PAD).sum())
            total += float(teacher_forcing_loss(model, src, tgt)) * n
            tokens += n
    return total / tokens


epochs = common.scale(8, 2)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
rng = np.random.default_rng(0)
history = {"train loss": [], "dev loss": [], "dev BLEU": []}
best_bleu, best_state = -1.0, None
started = time.perf_counter()
for epoch in range(1, epochs + 1):
    batches = make_batches(train_src, train_tgt, max_tokens=4000, rng=rng)
    history["train loss"].append(train_epoch(model, batches, optimizer, clip=1.0))
    history["dev loss"].append(dev_loss(model, dev_batches))
    history["dev BLEU"].append(bleu_score(translate(model, dev_src), dev_ja))
    if history["dev BLEU"][-1] > best_bleu:
        best_bleu, best_state = history["dev BLEU"][-1], copy.deepcopy(model.state_dict())
    print(
        f"epoch {epoch:2d}  train loss {history['train loss'][-1]:.3f}  "
        f"dev loss {history['dev loss'][-1]:.3f}  dev BLEU {history['dev BLEU'][-1]:5.2f}  "
        f"({(time.perf_counter() - started) / 60:.1f} min)"
    )
model.load_state_dict(best_state)
best_epoch = int(np.argmax(history["dev BLEU"])) + 1
print(f"kept the weights of epoch {best_epoch}: dev BLEU {best_bleu:.2f}")

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
epoch_axis = np.arange(1, epochs + 1)
left.plot(epoch_axis, history["train loss"], "o-", label="train (dropout on)")
left.plot(epoch_axis, history["dev loss"], "o--", label="dev")
left.set_xlabel("epoch")
left.set_ylabel("cross-entropy per token")
left.legend()
right.plot(epoch_axis, history["dev BLEU"], "o-", color="tab:green")
right.set_xlabel("epoch")
right.set_ylabel("BLEU (greedy)")
right.set_title("dev split")
fig.suptitle("LSTM encoder-decoder without attention")
fig.tight_layout()
plt.show()

# %% [markdown]
# In our run on two CPU cores (about 2 minutes per epoch when the machine had nothing
# else to do), the dev BLEU rose from 5.9 after the first epoch to 20.0 after the eighth,
# and both losses were still falling: more epochs would still help, at two minutes each.
# The training loss starts above the dev loss because it is averaged over an epoch in
# which the model was still improving, and measured with dropout on; when it drops below
# the dev loss (epoch 7 here), the model begins to fit its training sentences better
# than new ones.
#
# ## 8. Translations, good and bad
#
# Numbers hide what the translator does. Some dev sentences, with the reference and the
# model's greedy translation:

# %%
dev_out = translate(model, dev_src)
for i in range(0, len(dev_en), max(1, len(dev_en) // 8))[:8]:
    print(f"EN   {dev_en[i]}\nREF  {dev_ja[i]}\nOUT  {dev_out[i]}\n")

# %% [markdown]
# Where does it fail? The corpus BLEU of the dev sentences grouped by the length of the
# English sentence:

# %%
lengths = np.array([len(s) for s in dev_src])
edges = [0, 6, 8, 10, 12, 100]
labels, scores, counts = [], [], []
for low, high in pairwise(edges):
    rows = np.flatnonzero((lengths > low) & (lengths <= high))
    if len(rows):
        labels.append(f"{low + 1}-{high}" if high < 100 else f"{low + 1}+")
        scores.append(bleu_score([dev_out[i] for i in rows], [dev_ja[i] for i in rows]))
        counts.append(len(rows))
fig, ax = plt.subplots(figsize=(6, 3))
ax.bar(labels, scores, color="tab:green")
for x, (score, n) in enumerate(zip(scores, counts, strict=True)):
    ax.text(x, score, f"n={n}", ha="center", va="bottom", fontsize=8)
ax.set_xlabel("English tokens")
ax.set_ylabel("BLEU (greedy)")
ax.set_title("dev split, by sentence length")
fig.tight_layout()
plt.show()

# %% [markdown]
# The longest dev sentences, where the single state $(h, c)$ has the most to carry:

# %%
for i in np.argsort(-lengths)[:4]:
    print(f"EN   {dev_en[i]}\nREF  {dev_ja[i]}\nOUT  {dev_out[i]}\n")

# %% [markdown]
# In our run the BLEU fell with the length of the sentence: about 25 on sentences of up
# to 6 English tokens, 12 to 14 on those of 11 tokens and more (only 55 such sentences in
# dev, so these two numbers are rough). The long translations typically start on topic
# and then drift: "while i was walking down the street, i happened to see a traffic
# accident" became "a traffic accident happened, so he received <unk>". Everything the
# decoder knows about the English has to pass through one state of 2 × 256 numbers, and
# it has to remember the beginning of the sentence while writing the end.
#
# **Next:** Section 3 lets the decoder look back at every English token (attention),
# searches with a beam, and meets the Transformer.

# %% [markdown]
# ## Your exercises
#
# Which of this lesson's exercises are done, and where the notebook went on with the
# reference version instead. Go back to those: the check says what is still wrong.

# %%
exercise.summary(4)
