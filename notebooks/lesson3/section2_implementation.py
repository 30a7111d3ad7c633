# %% [markdown]
# # Lesson 3, Section 2: recurrent cells and BPTT by hand, then heartbeats with `torch.nn`
#
# Here you implement what Section 1 explained, then use it on real data:
#
# 1. the **RNN cell**, one step of tensor operations;
# 2. its **backward pass**, by hand, without autograd: the gradients of one step;
# 3. **backpropagation through time** (BPTT), by hand: that step backward, run from the
#    last step to the first; both checked against numerical gradients and autograd;
# 4. the **LSTM and GRU cells**, checked against `nn.LSTMCell` and `nn.GRUCell`;
# 5. the **loop over time** that applies a cell to a whole sequence; autograd turns it
#    into BPTT, and your cells give what `nn.LSTM` and `nn.GRU` give;
# 6. **ECG5000**: classifying heartbeats with `nn.GRU` and with a 1-D convolutional
#    network, compared on held-out beats, with a confusion matrix;
# 7. a **character-level language model**: embeddings, a GRU, training with teacher
#    forcing and sampling with a temperature, the groundwork of Lesson 4's translator.
#
# In the exercise notebook, each `# YOUR CODE HERE` marks a function for you to write. It
# is checked as soon as its cell runs, and until it passes, the notebook goes on with a
# reference version, so every later cell still works. Each exercise has a hint that opens
# on a click; try without it first.
#
# Run time of the whole notebook (solutions filled in), measured once on 2 idle CPU cores
# (2026-12-05): 52 s. The test suite runs a shrunken version (`PRACTICUM_SMOKE=1`). Not
# measured on a GPU.

# %%
from practicum.coursework import quiz

quiz.require(3, 2, quiz_notebook="lesson3/section1_concepts.ipynb")

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from practicum import data, train
from practicum.coursework import common, exercise
from practicum.lessons.lesson3 import charlm, checks, checks_charlm, ecg
from practicum.lessons.lesson3.rnn import CellWeights

train.seed_everything(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. The RNN cell
#
# Every cell takes one time step: an input `x` of shape (batch, input), the previous
# state, and the weights `w`, a `CellWeights` holding PyTorch's four tensors: `w.w_ih`
# (gates × hidden, input), `w.w_hh` (gates × hidden, hidden), `w.b_ih` and `w.b_hh`
# (gates × hidden). The examples of a batch are rows, so a weight matrix multiplies them
# from the right, transposed.
#
# Write `rnn_cell(x, h, w)`: $h' = \tanh(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})$, the new
# state, (batch, hidden).

# %% [markdown]
# <details><summary>Hint</summary>
#
# $W x$ for every row of `x` at once is `x @ w.w_ih.T`: (batch, input) times (input,
# hidden). The biases broadcast over the batch.
#
# </details>

# %%
gen = torch.Generator().manual_seed(0)
x_case = torch.randn(3, 2, generator=gen)  # batch of 3, 2 input features
h_case = torch.randn(3, 4, generator=gen)  # 4 hidden units
c_case = torch.randn(3, 4, generator=gen)
w_cases = {kind: CellWeights.init(kind, 2, 4, seed=1) for kind in ("rnn", "lstm", "gru")}


def rnn_cell(x, h, w):
    """One step of a tanh RNN: the new hidden state, (batch, hidden)."""
    ### BEGIN SOLUTION
    return torch.tanh(x @ w.w_ih.T + w.b_ih + h @ w.w_hh.T + w.b_hh)
    ### END SOLUTION


rnn_cell = exercise.checked(
    rnn_cell,
    lesson=3,
    exercise="rnn_cell",
    cases=[(x_case, h_case, w_cases["rnn"])],
    atol=1e-6,
)

# %% [markdown]
# ## 2. One step backward, by hand
#
# Training needs the gradient of the loss with respect to every weight. Autograd would
# give it, but writing it once yourself shows where vanishing gradients come from. Write
# `rnn_step_backward(dh_next, x, h, h_next, w)`: given $\partial L / \partial h'$
# (`dh_next`, (batch, hidden)) for the step $h' = \tanh(a)$ that turned `h` into
# `h_next` with input `x`, return the tuple
# `(dx, dh, dW_ih, dW_hh, db)`: the gradients of $L$ with respect to the step's input, its
# previous state, the two weight matrices, and the bias (`b_ih` and `b_hh` are simply
# added, so they have the same gradient: return it once). Each gradient has the shape of
# what it is the gradient of. No autograd: tensor operations only.
#
# The check compares every gradient with the **numerical gradient**, the change of $L$
# when one number is nudged by $\pm 10^{-6}$, in float64, and names the usual mistakes
# (the tanh's slope taken at the wrong state, a transposed weight, a bias gradient not
# summed over the batch).

# %% [markdown]
# <details><summary>Hint</summary>
#
# First through the tanh: $\partial L / \partial a = \partial L / \partial h' \odot
# (1 - h'^2)$, because $\tanh'(a) = 1 - \tanh(a)^2$ and $\tanh(a)$ is `h_next`. Then
# through the products: for $Y = X W^\top$, $\partial L / \partial X = (\partial L /
# \partial Y) W$ and $\partial L / \partial W = (\partial L / \partial Y)^\top X$. The bias
# serves every row of the batch: add its gradients over the rows.
#
# </details>


# %%
def rnn_step_backward(dh_next, x, h, h_next, w):
    """(dx, dh, dW_ih, dW_hh, db) of one RNN step, from dL/dh_next."""
    ### BEGIN SOLUTION
    da = dh_next * (1 - h_next**2)
    return da @ w.w_ih, da @ w.w_hh, da.T @ x, da.T @ h, da.sum(dim=0)
    ### END SOLUTION


rnn_step_backward = exercise.checked(
    rnn_step_backward,
    lesson=3,
    exercise="rnn_step_backward",
    check=checks.check_rnn_step_backward,
)

# %% [markdown]
# ## 3. Backpropagation through time, by hand
#
# Now a whole sequence. The loss reads the state of every step, and its gradient with
# respect to the state of step $t$ is given: `dhs[t]`, (time, batch, hidden). Write
# `rnn_bptt(xs, h0, w, dhs)`: run your `rnn_cell` forward over `xs` (time, batch, input)
# from `h0`, keeping every state, then go back from the last step to the first with your
# `rnn_step_backward`. Return `(dxs, dh0, dW_ih, dW_hh, db)`: the gradient for every
# input (the shape of `xs`), the gradient that reaches `h0`, and the weights' gradients.
#
# Two things make it *through time*. The state of step $t$ feeds the loss directly
# (`dhs[t]`) **and** the next step, so its gradient is the sum of both. And the same
# weights serve every step, so their gradient is the sum of every step's share (Section
# 1, part 3). The check compares with numerical gradients of the whole unrolled loss.

# %% [markdown]
# <details><summary>Hint</summary>
#
# Keep the states in a list, `states[0] = h0`, `states[t + 1]` the output of step `t`.
# Going back, keep one tensor `carry` (zeros at first): the gradient the step after sends
# back. At step `t`, call the step backward with `dhs[t] + carry`; the `dh` it returns is
# the next `carry`; add the weight gradients to running sums. `torch.zeros_like` makes the
# sums; `reversed(range(T))` walks backwards.
#
# </details>


# %%
def rnn_bptt(xs, h0, w, dhs):
    """(dxs, dh0, dW_ih, dW_hh, db) for a loss with dL/dh_t = dhs[t], by hand."""
    ### BEGIN SOLUTION
    states = [h0]
    for x in xs:
        states.append(rnn_cell(x, states[-1], w))
    dxs = torch.zeros_like(xs)
    dw_ih, dw_hh, db = torch.zeros_like(w.w_ih), torch.zeros_like(w.w_hh), torch.zeros_like(w.b_ih)
    carry = torch.zeros_like(h0)
    for t in reversed(range(len(xs))):
        dxs[t], carry, g_ih, g_hh, g_b = rnn_step_backward(
            dhs[t] + carry, xs[t], states[t], states[t + 1], w
        )
        dw_ih, dw_hh, db = dw_ih + g_ih, dw_hh + g_hh, db + g_b
    return dxs, carry, dw_ih, dw_hh, db
    ### END SOLUTION


rnn_bptt = exercise.checked(rnn_bptt, lesson=3, exercise="rnn_bptt", check=checks.check_rnn_bptt)

# %% [markdown]
# Your BPTT against autograd, on a longer sequence (30 steps), with the loss of Section 1:
# the last state only, so `dhs` is zero except at the last step. Autograd's gradient of
# $W_{hh}$ and yours should agree to float32 rounding; and, as Section 1 showed, the
# inputs' gradients fade with the distance from the loss.

# %%
torch.manual_seed(0)
w_long = CellWeights.init("rnn", 2, 16, seed=3)
xs_long = torch.randn(30, 4, 2, requires_grad=True)
readout = torch.randn(16)
states_long = [torch.zeros(4, 16)]
for x in xs_long:
    states_long.append(rnn_cell(x, states_long[-1], w_long))
(states_long[-1] @ readout).sum().backward()
dhs_long = torch.zeros(30, 4, 16)
dhs_long[-1] = readout
with torch.no_grad():
    dxs_mine, _, _, dw_hh_mine, _ = rnn_bptt(xs_long.detach(), torch.zeros(4, 16), w_long, dhs_long)
print(f"W_hh: max |yours - autograd| = {(dw_hh_mine - w_long.w_hh.grad).abs().max():.1e}")
print(f"inputs: max |yours - autograd| = {(dxs_mine - xs_long.grad).abs().max():.1e}")
print("|dL/dx_t| at t = 29, 20, 10, 0:", [f"{dxs_mine[t].norm():.1e}" for t in (29, 20, 10, 0)])

# %% [markdown]
# ## 4. The LSTM and the GRU
#
# ### The LSTM
#
# The state is a pair `(h, c)`. Write `lstm_cell(x, state, w)`: the four gates'
# pre-activations come from one product with each weight matrix, (batch, 4 × hidden),
# stacked in PyTorch's order **input, forget, cell candidate, output**; then the
# equations of Section 1, part 6:
#
# $$i, f, o = \sigma(\cdot), \quad g = \tanh(\cdot), \quad c' = f \odot c + i \odot g,
# \quad h' = o \odot \tanh(c').$$
#
# Return the pair `(h', c')`. The check copies the weights of an `nn.LSTMCell` and
# compares the outputs and, through autograd, the weights' gradients; it names the usual
# mistakes (the gates read in another order, a missing tanh, the old cell state where the
# new one belongs).

# %% [markdown]
# <details><summary>Hint</summary>
#
# Compute `x @ w.w_ih.T + w.b_ih + h @ w.w_hh.T + w.b_hh` once; `.chunk(4, dim=1)` splits
# it into four (batch, hidden) blocks, in the order above. `torch.sigmoid` and
# `torch.tanh` are the activations. $h'$ shows the *new* cell state.
#
# </details>


# %%
def lstm_cell(x, state, w):
    """One LSTM step: the new (h, c)."""
    h, c = state
    ### BEGIN SOLUTION
    i, f, g, o = (x @ w.w_ih.T + w.b_ih + h @ w.w_hh.T + w.b_hh).chunk(4, dim=1)
    c_next = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h_next = torch.sigmoid(o) * torch.tanh(c_next)
    return h_next, c_next
    ### END SOLUTION


lstm_cell = exercise.checked(
    lstm_cell, lesson=3, exercise="lstm_cell", check=checks.check_lstm_cell
)

# %% [markdown]
# ### The GRU
#
# Write `gru_cell(x, h, w)`, gates in PyTorch's order **reset, update, new**. The input
# part and the recurrent part must stay apart this time, because the reset gate scales
# only the recurrent part of the candidate, its bias included:
#
# $$\begin{aligned}
# (x_r, x_z, x_n) &= \text{blocks of } W_{ih} x + b_{ih}, &
# (h_r, h_z, h_n) &= \text{blocks of } W_{hh} h + b_{hh}, \\
# r &= \sigma(x_r + h_r), \quad z = \sigma(x_z + h_z), &
# n &= \tanh(x_n + r \odot h_n), \quad h' = (1 - z) \odot n + z \odot h.
# \end{aligned}$$
#
# The check compares with `nn.GRUCell` (outputs and gradients) and names the usual
# mistakes (gates swapped, $z$ and $1 - z$ swapped, the reset gate applied before the
# product or without the bias, a missing tanh).

# %% [markdown]
# <details><summary>Hint</summary>
#
# Two products this time, each split with `.chunk(3, dim=1)`. $z$ close to 1 keeps the
# old state: it weighs $h$, and $1 - z$ weighs the candidate.
#
# </details>


# %%
def gru_cell(x, h, w):
    """One GRU step: the new hidden state."""
    ### BEGIN SOLUTION
    x_r, x_z, x_n = (x @ w.w_ih.T + w.b_ih).chunk(3, dim=1)
    h_r, h_z, h_n = (h @ w.w_hh.T + w.b_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h
    ### END SOLUTION


gru_cell = exercise.checked(gru_cell, lesson=3, exercise="gru_cell", check=checks.check_gru_cell)

# %% [markdown]
# ## 5. The loop over time
#
# Write `unroll(cell, xs, w, state)`: apply `cell` to every step of `xs`, of shape (time,
# batch, input), starting from `state`. Return the hidden states of all steps stacked
# into (time, batch, hidden), and the final state. For the LSTM the state is a pair and
# the output of a step is its `h`, the first element.
#
# There is nothing to write for the backward pass this time: autograd records the loop
# and walks it backwards, which is exactly your `rnn_bptt`, for any cell.

# %% [markdown]
# <details><summary>Hint</summary>
#
# A Python loop over `xs` gives one (batch, input) step at a time; collect the outputs in
# a list and `torch.stack` them. `isinstance(state, tuple)` tells an LSTM's pair from a
# single tensor.
#
# </details>


# %%
def unroll(cell, xs, w, state):
    """Outputs (time, batch, hidden) of `cell` over xs, and the final state."""
    ### BEGIN SOLUTION
    outputs = []
    for x in xs:
        state = cell(x, state, w)
        outputs.append(state[0] if isinstance(state, tuple) else state)
    return torch.stack(outputs), state
    ### END SOLUTION


xs_case = torch.randn(6, 3, 2, generator=gen)  # 6 steps
unroll = exercise.checked(
    unroll,
    lesson=3,
    exercise="unroll",
    cases=[
        (gru_cell, xs_case, w_cases["gru"], h_case),
        (lstm_cell, xs_case, w_cases["lstm"], (h_case, c_case)),
    ],
    atol=1e-6,
)

# %% [markdown]
# ## 6. The same as PyTorch?
#
# `CellWeights.from_torch(layer)` copies the weights of an `nn.RNN`, `nn.LSTM` or
# `nn.GRU`. Feed a sequence to both and compare. `nn.LSTM` returns the outputs of every
# step and the final `(h, c)`, each with an extra leading axis for its layers.

# %%
torch.manual_seed(0)
xs = torch.randn(50, 8, 3)  # 50 steps, batch of 8, 3 features
h0, c0 = torch.zeros(8, 16), torch.zeros(8, 16)
torch_lstm, torch_gru = nn.LSTM(3, 16), nn.GRU(3, 16)
with torch.no_grad():
    expected_lstm, (h_n, c_n) = torch_lstm(xs)
    mine_lstm, (h_last, c_last) = unroll(
        lstm_cell, xs, CellWeights.from_torch(torch_lstm), (h0, c0)
    )
    expected_gru, _ = torch_gru(xs)
    mine_gru, _ = unroll(gru_cell, xs, CellWeights.from_torch(torch_gru), h0)
print(
    f"LSTM: largest difference in h {(mine_lstm - expected_lstm).abs().max():.1e}, in c {(c_last - c_n[0]).abs().max():.1e}"
)
print(f"GRU:  largest difference in h {(mine_gru - expected_gru).abs().max():.1e}")

# %% [markdown]
# Differences around $10^{-7}$ are float32 rounding: the same computation in another
# order. And the gradients? Backpropagate the same loss through your loop and through
# `nn.GRU`:

# %%
w_gru = CellWeights.from_torch(torch_gru)
for p in w_gru.parameters():
    p.requires_grad_()
unroll(gru_cell, xs, w_gru, h0)[0].pow(2).mean().backward()
torch_gru(xs)[0].pow(2).mean().backward()
gap = (w_gru.w_hh.grad - torch_gru.weight_hh_l0.grad).abs().max()
print(f"largest difference in the gradient of W_hh: {gap:.1e}")

# %% [markdown]
# PyTorch's versions compute the same thing, only faster: they run the whole sequence in
# one call of optimised code (cuDNN on a GPU) instead of one Python step at a time.

# %%
started = time.perf_counter()
with torch.no_grad():
    unroll(gru_cell, xs, CellWeights.from_torch(torch_gru), h0)
hand = time.perf_counter() - started
started = time.perf_counter()
with torch.no_grad():
    torch_gru(xs)
fused = time.perf_counter() - started
print(f"by hand {1000 * hand:.1f} ms, nn.GRU {1000 * fused:.1f} ms")

# %% [markdown]
# ## 7. ECG5000: classifying heartbeats
#
# 500 labelled beats of 140 samples, each standardised on its own
# (`ecg.prepare_beats`). The classes are very unequal: most beats are normal (class
# 0) or R-on-T premature ventricular contractions (class 1); classes 2–4 have fewer than
# twenty beats each. We keep a fifth of each class aside to measure on, so that the rare
# classes appear on both sides.

# %%
x_all, y_all = ecg.load_beats("train")
print("beats", x_all.shape, "per class", np.bincount(y_all, minlength=5))


def stratified_holdout(y, fraction, seed=0):
    """A boolean mask selecting `fraction` of each class (at least one beat of each)."""
    rng = np.random.default_rng(seed)
    held = np.zeros(len(y), dtype=bool)
    for k in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == k))
        held[rows[: max(1, round(fraction * len(rows)))]] = True
    return held


held = stratified_holdout(y_all, 0.2)
x_train, y_train, x_val, y_val = x_all[~held], y_all[~held], x_all[held], y_all[held]
print(f"train {len(x_train)}  held out {len(x_val)}, per class {np.bincount(y_val, minlength=5)}")

fig, ax = plt.subplots(figsize=(7, 3))
for k, name in enumerate(ecg.ECG_CLASSES):
    if np.any(y_all == k):
        ax.plot(x_all[y_all == k].mean(axis=0), label=f"{k}: {name}")
ax.set_xlabel("sample")
ax.set_title("Mean beat of each class")
ax.legend(fontsize=7)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### A GRU reads the beat
#
# `ecg.GRUClassifier` feeds the 140 samples to an `nn.GRU` one at a time, in both
# directions (a *bidirectional* GRU: one reads forwards, one backwards, and their last
# states together describe the whole beat); a linear layer turns them into 5 class scores.
# We train it with `practicum.train.fit`, AdamW, a cosine learning-rate decay, and
# gradient clipping at norm 1 (`grad_clip=1.0`), the guard of Section 1.


# %%
def train_classifier(model, epochs, lr=3e-3):
    """Fit on the training beats; the held-out beats are measured after every epoch."""
    train.seed_everything(0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-2)
    return train.fit(
        model,
        train.make_loader(x_train, y_train, batch_size=32, shuffle=True),
        epochs=epochs,
        optimizer=optimizer,
        loss_fn=nn.CrossEntropyLoss(label_smoothing=0.1),
        val=train.make_loader(x_val, y_val, batch_size=256),
        scheduler=torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs),
        grad_clip=1.0,
        progress=False,
    )


train.seed_everything(0)
gru_model = ecg.GRUClassifier(hidden=64)
gru_history = train_classifier(gru_model, epochs=common.scale(30, 1))
print(
    f"GRU: held-out accuracy {gru_history['val_acc'][-1]:.3f} in {sum(gru_history['time']):.0f} s"
)

# %% [markdown]
# ### A 1-D CNN slides along the beat
#
# The beats are short and aligned, so a network need not read them step by step.
# `ecg.ConvClassifier` slides small filters (7 samples wide) along the beat, as
# Lesson 2's CNNs slide them over images, halving the length after each block, and
# averages each filter's response over four stretches of the beat.

# %%
train.seed_everything(0)
cnn_model = ecg.ConvClassifier()
cnn_history = train_classifier(cnn_model, epochs=common.scale(40, 2))
print(
    f"CNN: held-out accuracy {cnn_history['val_acc'][-1]:.3f} in {sum(cnn_history['time']):.0f} s"
)
train.plot_history(
    {"GRU": gru_history, "1-D CNN": cnn_history}, title="ECG5000, held-out beats dashed"
)

# %% [markdown]
# With 100 held-out beats, one beat is one point of accuracy, so a difference of a point
# or two between the models is within luck. To choose between models more surely,
# measure by k-fold cross-validation: train k times, each time holding out a different
# fifth of the 500 beats, and average (the homework of Section 4 asks for it). The CNN is
# also several times faster to train: it sees the whole beat at once instead of walking
# 140 steps in sequence.
#
# ### Which beats does it confuse?
#
# Accuracy hides the rare classes: a model that never predicted classes 2–4 would lose
# only a few points. A **confusion matrix** counts, for every true class (row), how often
# each class was predicted (column); the diagonal is what was right.


# %%
def confusion_matrix(y_true, y_pred, n_classes=5):
    counts = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
for ax, (name, model) in zip(axes, (("GRU", gru_model), ("1-D CNN", cnn_model)), strict=True):
    predicted = train.predict(model, x_val).argmax(dim=1).numpy()
    counts = confusion_matrix(y_val, predicted)
    ax.imshow(counts, cmap="Blues")
    for (row, col), n in np.ndenumerate(counts):
        ax.text(
            col,
            row,
            n,
            ha="center",
            va="center",
            color="white" if n > counts.max() / 2 else "black",
        )
    ax.set_xticks(range(5), [f"{k}" for k in range(5)])
    ax.set_yticks(range(5), [f"{k}: {c}" for k, c in enumerate(ecg.ECG_CLASSES)])
    ax.set_xlabel("predicted class")
    ax.set_title(f"{name}: accuracy {np.mean(predicted == y_val):.3f}")
axes[0].set_ylabel("true class")
fig.tight_layout()
plt.show()

# %% [markdown]
# Normal beats and R-on-T beats, the two large classes, are told apart well. The rare
# classes are where the mistakes go: with a handful of training examples each, there is
# little for any network to learn from. This is the homework's data (Section 4): its
# test beats have the same five classes in about the same proportions.
#
# ## 8. A character-level language model
#
# A recurrent network can also *write*. Fed a text one character at a time, it learns to
# give the probabilities of the next character; drawing from them, character after
# character, it produces new text. This is Lesson 4's translator in miniature: there, the
# characters become words, and the text to continue is a translation.
#
# The text: the English side of the small_parallel_enja training pairs (Lesson 4's data),
# one sentence a line, lowercased. The last tenth of the sentences is kept aside for
# validation.

# %%
sentences = data.load("small-parallel-enja", "train")["en"][: common.scale(20000, 300)]
cut = int(0.9 * len(sentences))
train_text, val_text = charlm.corpus(sentences[:cut]), charlm.corpus(sentences[cut:])
vocab = charlm.CharVocab.of(train_text + val_text)
train_ids, val_ids = vocab.encode(train_text), vocab.encode(val_text)
print(
    f"{len(vocab)} characters; {len(train_ids):,} characters to train on, {len(val_ids):,} for validation"
)
print(repr(train_text[:100]))

# %% [markdown]
# `charlm.CharLM` turns each character index into a learned vector of 32 numbers (an
# **embedding**, `nn.Embedding`: a lookup table trained like any weight), reads the
# vectors with a GRU, and turns every state into one score (logit) per character of the
# vocabulary: `model(ids)` maps (batch, time) indices to logits (batch, time, vocab) and
# the GRU's last state.
#
# ### Teacher forcing
#
# Write `teacher_forcing_loss(model, chunk)`: `chunk` holds (batch, time + 1) character
# indices. At every position the model reads the *true* text so far and is scored on the
# next character: the mean cross-entropy over every predicted character of the batch.
# Feeding the truth rather than the model's own guesses is **teacher forcing**: the whole
# chunk trains in one pass, and an early mistake does not derail the rest.

# %% [markdown]
# <details><summary>Hint</summary>
#
# The inputs are all but the last character, the targets all but the first.
# `F.cross_entropy` wants (N, classes) logits and (N,) targets: flatten batch and time
# together with `.reshape(-1, vocab)` and `.reshape(-1)`. It applies the softmax itself.
#
# </details>


# %%
def teacher_forcing_loss(model, chunk):
    """Mean cross-entropy of every next character, the true text fed in."""
    ### BEGIN SOLUTION
    logits, _ = model(chunk[:, :-1])
    return nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), chunk[:, 1:].reshape(-1)
    )
    ### END SOLUTION


teacher_forcing_loss = exercise.checked(
    teacher_forcing_loss,
    lesson=3,
    exercise="teacher_forcing_loss",
    check=checks_charlm.check_teacher_forcing_loss,
)

# %% [markdown]
# ### Sampling with a temperature
#
# Write `sample(model, start, steps, temperature, generator)`: `start` holds (batch, t0)
# character indices. Feed them, then `steps` times: turn the scores of the **last**
# position into probabilities with a softmax of the logits divided by `temperature`, draw
# one character per row (with `generator`, so runs repeat), and feed it back together
# with the state the model returned. Return (batch, t0 + steps): the start, then the
# draws. A temperature below 1 sharpens the distribution (safer, more repetitive text),
# above 1 flattens it (wilder text). The check uses stand-in models whose scores are
# known, and counts the characters your function draws.

# %% [markdown]
# <details><summary>Hint</summary>
#
# `logits, state = model(start)`; then in a loop `torch.softmax(logits[:, -1] /
# temperature, dim=-1)`, `torch.multinomial(probs, 1, generator=generator)` (shape
# (batch, 1), ready to feed), `logits, state = model(drawn, state)`. Collect the pieces
# and `torch.cat` them along the time axis.
#
# </details>


# %%
def sample(model, start, steps, temperature=1.0, generator=None):
    """start followed by `steps` drawn characters: (batch, t0 + steps) indices."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        logits, state = model(start)
        out = [start]
        for _ in range(steps):
            probs = torch.softmax(logits[:, -1] / temperature, dim=-1)
            drawn = torch.multinomial(probs, 1, generator=generator)
            out.append(drawn)
            logits, state = model(drawn, state)
    return torch.cat(out, dim=1)
    ### END SOLUTION


sample = exercise.checked(sample, lesson=3, exercise="sample", check=checks_charlm.check_sample)

# %% [markdown]
# ### Training, and what it writes
#
# `charlm.train_charlm` trains with your loss: Adam on random chunks of 64 characters,
# gradient clipping at norm 1, and the validation text's loss measured every 100 steps, in
# **bits per character** (the cross-entropy divided by $\ln 2$). A model that knew nothing
# would need $\log_2(\text{vocabulary})$ bits; every bit less is structure it learnt.

# %%
torch.manual_seed(0)
lm = charlm.CharLM(len(vocab))
steps = common.scale(1500, 20)
started = time.perf_counter()
lm_history = charlm.train_charlm(lm, train_ids, val_ids, steps=steps, loss_fn=teacher_forcing_loss)
print(
    f"{steps} steps in {time.perf_counter() - started:.0f} s: validation {lm_history['val'][-1]:.2f}"
    f" bits per character (knowing nothing: {math.log2(len(vocab)):.2f})"
)
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(lm_history["step"], lm_history["train"], label="training (mean since last point)")
ax.plot(lm_history["step"], lm_history["val"], "--", label="validation text")
ax.set_xlabel("step")
ax.set_ylabel("bits per character")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %%
start = val_ids[:6].repeat(2, 1)
print("start:", repr(vocab.decode(start[0])))
for temperature in (0.5, 1.0, 1.5):
    drawn = sample(lm, start, 80, temperature, torch.Generator().manual_seed(0))
    for row in drawn:
        print(f"T = {temperature}: {vocab.decode(row)!r}")

# %% [markdown]
# At a low temperature the model keeps to its most likely paths: common words, often
# repeated. At 1 it draws from what it learnt; at 1.5 the rare characters get too much
# weight and the words fall apart. A character model has to learn spelling before
# grammar; Lesson 4 works with whole words, and conditions the text it writes on a
# sentence to translate.
#
# **Next:** Section 3 turns to forecasting, where honest baselines are the hard part.

# %% [markdown]
# ## Your exercises
#
# Which of this lesson's exercises are done, and where the notebook went on with the
# reference version instead. Go back to those: the check says what is still wrong.

# %%
exercise.summary(3)
