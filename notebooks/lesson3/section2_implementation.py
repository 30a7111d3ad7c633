# %% [markdown]
# # Lesson 3, Section 2: recurrent cells by hand, then heartbeats with `torch.nn`
#
# Here you implement what Section 1 explained, then use it on real data:
#
# 1. the **RNN, LSTM and GRU cells**, written by hand with tensor operations;
# 2. the **loop over time** that applies a cell to a whole sequence; autograd turns it into
#    backpropagation through time;
# 3. a **check against PyTorch**: with weights copied from `nn.LSTM` and `nn.GRU`, your
#    cells must give the same outputs and the same gradients;
# 4. **ECG5000**: classifying heartbeats with `nn.GRU` and with a 1-D convolutional
#    network, compared on held-out beats, with a confusion matrix.
#
# In the exercise notebook, each `# YOUR CODE HERE` marks a function for you to write. It
# is checked as soon as its cell runs, and until it passes, the notebook goes on with a
# reference version, so every later cell still works.

# %%
from practicum.coursework import quiz

quiz.require(3, 2, quiz_notebook="lesson3/section1_concepts.ipynb")

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from practicum import train
from practicum.coursework import common, exercise
from practicum.lessons.lesson3 import ecg
from practicum.lessons.lesson3.rnn import CellWeights

train.seed_everything(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. The cells
#
# Every cell takes one time step: an input `x` of shape (batch, input), the previous
# state, and the weights `w`, a `CellWeights` holding PyTorch's four tensors: `w.w_ih`
# (gates × hidden, input), `w.w_hh` (gates × hidden, hidden), `w.b_ih` and `w.b_hh`
# (gates × hidden). With a batch of row vectors, $W x$ becomes `x @ w.w_ih.T`.
#
# ### The plain RNN
#
# $h' = \tanh(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})$.

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
# ### The LSTM
#
# The state is a pair `(h, c)`. Compute all four gates' pre-activations with one product
# each, `x @ w.w_ih.T + w.b_ih + h @ w.w_hh.T + w.b_hh` of shape (batch, 4 × hidden), and
# split it with `.chunk(4, dim=1)` in PyTorch's order **input, forget, cell, output**:
#
# $$i, f, o = \sigma(\cdot), \quad g = \tanh(\cdot), \quad c' = f \odot c + i \odot g,
# \quad h' = o \odot \tanh(c').$$
#
# Return the pair `(h', c')`.


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
    lstm_cell,
    lesson=3,
    exercise="lstm_cell",
    cases=[(x_case, (h_case, c_case), w_cases["lstm"])],
    atol=1e-6,
)

# %% [markdown]
# ### The GRU
#
# Gates in PyTorch's order **reset, update, new**. The input part and the recurrent part
# must stay apart this time, because the reset gate multiplies only the recurrent part of
# the candidate (its bias included):
#
# $$\begin{aligned}
# (x_r, x_z, x_n) &= \text{chunks of } W_{ih} x + b_{ih}, &
# (h_r, h_z, h_n) &= \text{chunks of } W_{hh} h + b_{hh}, \\
# r &= \sigma(x_r + h_r), \quad z = \sigma(x_z + h_z), &
# n &= \tanh(x_n + r \odot h_n), \quad h' = (1 - z) \odot n + z \odot h.
# \end{aligned}$$


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


gru_cell = exercise.checked(
    gru_cell,
    lesson=3,
    exercise="gru_cell",
    cases=[(x_case, h_case, w_cases["gru"])],
    atol=1e-6,
)

# %% [markdown]
# ## 2. The loop over time
#
# `unroll(cell, xs, w, state)` applies `cell` to every step of `xs`, of shape (time,
# batch, input), starting from `state`. It returns the hidden states of all steps stacked
# into (time, batch, hidden), and the final state. For the LSTM the state is a pair and
# the output of a step is its `h`, the first element (`isinstance(state, tuple)` tells).
#
# There is nothing to write for the backward pass: autograd records the loop and
# walks it backwards. That is backpropagation through time.


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
# ## 3. The same as PyTorch?
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
# ## 4. ECG5000: classifying heartbeats
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
# or two between the models is within luck. The lesson's reference (`ecg.solve_ecg`,
# an average of three such CNNs) was chosen and measured more carefully, by 5-fold
# cross-validation on the 500 beats: 0.954 ± 0.012 accuracy (BENCHMARKS.md). The CNN is
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
# **Next:** Section 3 turns to forecasting, where honest baselines are the hard part.

# %% [markdown]
# ## Your exercises
#
# Which of this lesson's exercises are done, and where the notebook went on with the
# reference version instead. Go back to those: the check says what is still wrong.

# %%
exercise.summary(3)
