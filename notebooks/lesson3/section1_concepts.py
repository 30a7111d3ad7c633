# %% [markdown]
# # Lesson 3, Section 1: networks that read sequences
#
# A heartbeat is a sequence of voltages, a year of airline traffic a sequence of monthly
# totals: the order carries the meaning. This lesson builds networks that read such data
# one step at a time, remembering what came before. This first section explains the ideas,
# each with a small experiment you can change and re-run:
#
# 1. sequences and how they are stored;
# 2. the recurrent neural network (RNN): one cell, applied at every step;
# 3. backpropagation through time (BPTT): how such a network is trained;
# 4. vanishing and exploding gradients: why plain RNNs forget, or blow up;
# 5. gradient clipping, the standard guard against blowing up;
# 6. LSTM and GRU: cells with gates that let memory (and gradients) last.
#
# A short quiz at the end opens Section 2, where you write these cells yourself.
#
# Run time of the whole notebook (solutions filled in), measured once on 2 idle CPU cores
# (2026-12-05): 4 s. The test suite runs a shrunken version (`PRACTICUM_SMOKE=1`). Not
# measured on a GPU.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from practicum.coursework import quiz
from practicum.lessons.lesson3 import diagrams, ecg, forecast, rnn
from practicum.lessons.lesson3.rnn import CellWeights

torch.manual_seed(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. Sequences
#
# The lesson has two data sets, as the original course did.
#
# **ECG5000**: heartbeats cut from a long electrocardiogram, 140 samples each, in five
# classes (a normal beat and four kinds of abnormal ones). Classifying a beat is a
# *sequence-to-one* task: read all 140 steps, answer once.

# %%
beats, labels = ecg.load_beats("train")
print("beats", beats.shape, "labels per class", np.bincount(labels, minlength=5))
fig, axes = plt.subplots(1, 5, figsize=(13, 2.4), sharey=True)
for k, ax in enumerate(axes):
    for beat in beats[labels == k][:3]:
        ax.plot(beat, linewidth=0.8)
    ax.set_title(f"{k}: {ecg.ECG_CLASSES[k]}", fontsize=9)
    ax.set_xlabel("sample")
fig.tight_layout()
plt.show()

# %% [markdown]
# **Airline passengers**: monthly totals of international airline passengers, in
# thousands, from January 1949 to December 1960: 144 numbers. The last year, 1960, is the
# homework's test and never appears in the lesson; the lesson works with the 132 months
# of 1949–1959. Predicting the next months from the past is *forecasting*, Sections 3 and
# 4. The yearly pattern (summer peaks) and the growth are easy to see; so is the swing
# getting wider as the level grows.

# %%
passengers = forecast.lesson_passengers()
fig, ax = plt.subplots(figsize=(9, 2.8))
ax.plot(1949 + np.arange(len(passengers)) / 12, passengers)
ax.set_xlabel("year")
ax.set_ylabel("passengers (thousands)")
fig.tight_layout()
plt.show()

# %% [markdown]
# A batch of sequences is a tensor of shape (batch, time, features): 32 beats of 140 steps
# with 1 value each is (32, 140, 1). PyTorch's recurrent layers take (time, batch,
# features) by default and (batch, time, features) with `batch_first=True`.

# %% [markdown]
# ## 2. The recurrent neural network
#
# An MLP would read a beat as 140 unrelated inputs. An RNN instead reads it step by step
# and keeps a **hidden state** $h_t$, a vector that summarises what it has seen so far.
# At every step the same **cell** combines the new input $x_t$ with the previous state:
#
# $$h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}), \qquad h_0 = 0.$$
#
# The same weights serve every step, so the number of weights does not depend on the
# length of the sequence, and a pattern learnt at one position is recognised at any
# other. For classification, a linear layer reads the last state $h_T$.
#
# `lesson3/rnn.py` writes this cell in one line of tensor operations, with its weights laid
# out exactly as PyTorch's `nn.RNN` stores them:

# %%
w = CellWeights.init("rnn", input_size=1, hidden=4, seed=0)
print("W_ih", tuple(w.w_ih.shape), " W_hh", tuple(w.w_hh.shape), " biases", tuple(w.b_ih.shape))
xs = torch.tensor([[1.0], [0.0], [0.0], [-1.0]]).unsqueeze(1)  # (time 4, batch 1, input 1)
h = torch.zeros(1, 4)
with torch.no_grad():
    for t, x in enumerate(xs):
        h = rnn.rnn_cell(x, h, w)
        print(f"step {t}: x = {x.item():+.0f}   h = {h.numpy()[0]}")

# %% [markdown]
# The input at step 0 still shapes the state at steps 1 and 2, where the input is 0: that
# is the memory. `rnn.unroll(cell, xs, w)` is this loop, returning the states of
# every step.

# %% [markdown]
# ## 3. Backpropagation through time
#
# To train an RNN we **unroll** it: the loop over $T$ steps is one long feed-forward
# network of $T$ layers that all share the same weights. Backpropagation through this
# unrolled graph is called backpropagation through time (BPTT). Because a weight is used
# at every step, its gradient is the **sum of its gradients at each step**:
#
# $$\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^{T} \frac{\partial L}{\partial h_t}
# \frac{\partial h_t}{\partial W_{hh}}\Big|_{\text{step } t}.$$
#
# The picture: the loop on the left is the network as written; unrolled on the right, it is
# a chain of copies of one cell, all with the same weights $W$. The forward pass runs left
# to right (blue: the state handed on); the gradient of a loss at the end runs back along
# the same chain (dashed red), through every step.

# %%
diagrams.unrolled_rnn(steps=4)
plt.show()

# %% [markdown]
# Autograd does this on its own when it walks back through the loop. To see the sum,
# give every step its own copy of $W_{hh}$, then add the copies' gradients:

# %%
xs = torch.randn(5, 2, 1)  # 5 steps, batch of 2
shared = CellWeights.init("rnn", 1, 3, seed=1)
outputs, _ = rnn.unroll(rnn.rnn_cell, xs, shared)
outputs[-1].sum().backward()

copies = [shared.w_hh.detach().clone().requires_grad_() for _ in xs]
h = torch.zeros(2, 3)
for x, w_hh in zip(xs, copies, strict=True):
    step_weights = CellWeights(
        shared.w_ih.detach(), w_hh, shared.b_ih.detach(), shared.b_hh.detach()
    )
    h = rnn.rnn_cell(x, h, step_weights)
h.sum().backward()
print("gradient of the shared W_hh:\n", shared.w_hh.grad.numpy())
print("sum of the per-step copies' gradients:\n", sum(c.grad for c in copies).numpy())
print("share of each step (norm):", [round(c.grad.norm().item(), 4) for c in copies])

# %% [markdown]
# Look at the shares: the later steps contribute most (the first contributes nothing here,
# because its $W_{hh}$ multiplies $h_0 = 0$). To reach step $k$, the gradient
# from the loss at step $T$ passes back through every step in between, and each step
# multiplies it by that step's Jacobian:
#
# $$\frac{\partial L}{\partial h_k} = \frac{\partial L}{\partial h_T}
# \prod_{t=k+1}^{T} \frac{\partial h_t}{\partial h_{t-1}}, \qquad
# \frac{\partial h_t}{\partial h_{t-1}} = \mathrm{diag}\left(1 - h_t^2\right) W_{hh}.$$
#
# A product of $T - k$ matrices: that is where the trouble starts.

# %% [markdown]
# ## 4. Vanishing and exploding gradients
#
# Two numbers of $W_{hh}$ describe such a product. The **largest singular value**
# $\sigma_{\max}$ is the most one multiplication can stretch a vector: if it is below 1,
# every step shrinks the gradient ($\tanh' \le 1$ only shrinks more), and the product
# falls at least like $\sigma_{\max}^{T-k}$: the gradient **vanishes**, and the network
# cannot learn that something early in the sequence matters for the loss at the end. But
# over *many* steps what counts is the **spectral radius** $\rho$, the largest absolute
# value of $W_{hh}$'s eigenvalues: $\|W^n v\|$ grows or shrinks like $\rho^n$, whatever
# one step does ($\rho \le \sigma_{\max}$, and for a random matrix $\sigma_{\max}$ is about
# twice $\rho$). With $\rho$ well above 1 the product can grow exponentially: the gradient
# **explodes**, and one update throws the weights far away; the tanh's slope, below 1
# wherever a unit is away from 0, pulls the growth down.
#
# `rnn.input_gradient_norms` measures it: for random input sequences, the norm of
# the gradient of a loss on the last state with respect to each input $x_t$. The weights
# come from `scaled_rnn_weights(hidden, scale)`, whose $W_{hh}$ has random entries of
# standard deviation $\text{scale}/\sqrt{\text{hidden}}$, so that its spectral radius is
# about `scale` (and its largest singular value about twice that), as printed:

# %%
steps = 60
fig, ax = plt.subplots(figsize=(7, 3.4))
for scale in (0.5, 1.0, 2.0, 3.0):
    w_scaled = rnn.scaled_rnn_weights(64, scale)
    radius = torch.linalg.eigvals(w_scaled.w_hh).abs().max().item()
    largest = torch.linalg.svdvals(w_scaled.w_hh).max().item()
    print(f"scale {scale}: spectral radius {radius:.2f}, largest singular value {largest:.2f}")
    norms = rnn.input_gradient_norms(w_scaled, steps)
    ax.semilogy(np.arange(steps)[::-1], norms, label=f"scale {scale}")
ax.set_xlabel("steps between the input and the loss ($T - t$)")
ax.set_ylabel("$\\|\\partial L / \\partial x_t\\|$ (log scale)")
ax.set_title("Plain tanh RNN, 64 units")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# The lines are nearly straight on the log scale: exponential in the distance. At scale
# 0.5 the largest singular value is just below 1, so no step can stretch, and the
# gradient vanishes fast. At scale 1 the spectral radius is about 1, and the slope of
# tanh (below 1 wherever the unit is not at 0) tips the balance: it still vanishes, more
# slowly, although single steps (largest singular value about 2) may stretch some
# directions; the first inputs have no measurable say after a few dozen steps. At scale
# 3 it explodes: the gradient with respect to the first inputs is enormous, and one step
# of gradient descent with it is a leap into the unknown. Around scale 2, stretching and
# shrinking roughly balance. (A tanh RNN whose weights are well above 1 is *chaotic*:
# tiny changes early on grow from step to step, which is the same thing seen forwards.)
# The same effect, seen as a function of the sequence length:

# %%
lengths = [5, 10, 20, 40, 60]
for scale in (0.5, 3.0):
    first = rnn.first_step_gradient(rnn.scaled_rnn_weights(64, scale), lengths)
    print(
        f"scale {scale}: "
        + "  ".join(f"T={n}: {g:.1e}" for n, g in zip(lengths, first, strict=True))
    )

# %% [markdown]
# ## 5. Gradient clipping
#
# Exploding gradients have a blunt but effective remedy: before each update, if the norm
# of the whole gradient $g$ (all parameters together) exceeds a threshold $\tau$, scale it
# down:
#
# $$g \leftarrow g \cdot \min\left(1, \frac{\tau}{\|g\|}\right).$$
#
# The direction is kept; only the step length is capped. Take the simplest recurrence,
# one unit without tanh, $h_t = w \, h_{t-1}$ with $h_0 = 1$, so $h_{30} = w^{30}$, and
# the loss $L(w) = (w^{30} - 2)^2$. Near its minimum at $w = 2^{1/30} \approx 1.023$ the
# loss rises like a cliff:


# %%
def cliff_loss(w: torch.Tensor, steps: int = 30) -> torch.Tensor:
    h = torch.ones_like(w)
    for _ in range(steps):
        h = w * h
    return (h - 2.0) ** 2


grid = torch.linspace(0.9, 1.12, 400, dtype=torch.float64)
fig, ax = plt.subplots(figsize=(6, 3))
ax.semilogy(grid, cliff_loss(grid) + 1e-6)
ax.set_xlabel("w")
ax.set_ylabel("loss (log scale)")
ax.set_title("$L(w) = (w^{30} - 2)^2$")
fig.tight_layout()
plt.show()

# %% [markdown]
# Gradient descent from $w = 1.1$ with learning rate $10^{-3}$, with and without clipping
# the gradient's norm to 1 (`rnn.clip_grad_norm`, which does what PyTorch's
# `torch.nn.utils.clip_grad_norm_` does):


# %%
def descend(clip: float | None, lr: float = 1e-3, updates: int = 100) -> list[float]:
    w = torch.tensor(1.1, dtype=torch.float64, requires_grad=True)
    path = [w.item()]
    for _ in range(updates):
        w.grad = None
        cliff_loss(w).backward()
        if clip is not None:
            rnn.clip_grad_norm([w], clip)
        with torch.no_grad():
            w -= lr * w.grad
        path.append(w.item())
    return path


unclipped, clipped = descend(clip=None), descend(clip=1.0)
print("without clipping, w:", [f"{v:.4g}" for v in unclipped[:4]])
print("with clipping,    w:", [f"{v:.4g}" for v in clipped[:4]], f"... {clipped[-1]:.4f} after 100")
print(f"minimum at {2 ** (1 / 30):.4f}")

# %% [markdown]
# Without clipping the first gradient (about $1.5 \cdot 10^4$) throws $w$ to a place where
# the loss is astronomically large, and the run never recovers. With clipping every step
# moves at most $10^{-3}$, and $w$ walks steadily down towards the minimum. In real
# training clipping changes nothing on ordinary batches and only steps in on the rare
# ones that hit a cliff; `practicum.train.fit(..., grad_clip=1.0)` applies it at every
# update.
#
# Clipping does nothing for *vanishing* gradients: there is nothing too large to cut. For
# those, the cell itself has to change.

# %% [markdown]
# ## 6. LSTM and GRU
#
# ### Long short-term memory (LSTM)
#
# The LSTM adds a second state, the **cell state** $c_t$, and three **gates**, each a
# sigmoid between 0 and 1 computed from $x_t$ and $h_{t-1}$: the *input* gate $i$, the
# *forget* gate $f$ and the *output* gate $o$. A candidate $g$ proposes new content:
#
# $$\begin{aligned}
# i &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}), &
# f &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}), \\
# g &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}), &
# o &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}), \\
# c_t &= f \odot c_{t-1} + i \odot g, &
# h_t &= o \odot \tanh(c_t).
# \end{aligned}$$
#
# The key is the update of $c$: an **addition**, not a matrix product. Along the cell
# state the gradient from one step to the one before is multiplied only by $f$. When the
# network learns to keep $f$ near 1, memory and gradient both pass through many steps.
#
# ### Gated recurrent unit (GRU)
#
# The GRU is a lighter variant with two gates and no separate cell state: a *reset* gate
# $r$ and an *update* gate $z$. The new state interpolates between the old state and a
# candidate $n$:
#
# $$\begin{aligned}
# r &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}), &
# z &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}), \\
# n &= \tanh(W_{in} x_t + b_{in} + r \odot (W_{hn} h_{t-1} + b_{hn})), &
# h_t &= (1 - z) \odot n + z \odot h_{t-1}.
# \end{aligned}$$
#
# With $z$ near 1 the state is simply copied forward. PyTorch stacks the gates' weights
# in one matrix, in the order $(i, f, g, o)$ for the LSTM and $(r, z, n)$ for the GRU, so
# an LSTM's $W_{hh}$ has $4 \times$ hidden rows and a GRU's $3 \times$:

# %%
for layer in (nn.RNN(1, 64), nn.LSTM(1, 64), nn.GRU(1, 64)):
    n_params = sum(p.numel() for p in layer.parameters())
    print(
        f"{type(layer).__name__:<5} weight_hh_l0 {tuple(layer.weight_hh_l0.shape)}  {n_params:,} parameters"
    )

# %% [markdown]
# The LSTM cell drawn: the cell state runs along the top, touched only by a product with
# the forget gate and an addition; the four gate layers below all read $h_{t-1}$ and $x_t$.

# %%
diagrams.lstm_cell()
plt.show()

# %% [markdown]
# Gates are not magic at initialisation: with random weights, PyTorch's LSTM starts with
# $f \approx \sigma(0) = 0.5$, and halving the memory at every step forgets as fast as a
# plain RNN does. What gates give is a path the network can *learn* to open. A common
# trick opens it from the start, with a positive bias on the forget gate
# (`rnn.keep_gate_bias` sets the bias of the LSTM's forget gate, or the GRU's
# update gate, and zeroes the other bias of that gate):

# %%
lstm = CellWeights.init("lstm", input_size=1, hidden=64, seed=0)
steps = 100
fig, ax = plt.subplots(figsize=(7, 3.4))
for bias in (0.0, 1.0, 3.0):
    norms = rnn.input_gradient_norms(rnn.keep_gate_bias(lstm, bias), steps)
    ax.semilogy(np.arange(steps)[::-1], norms, label=f"forget-gate bias {bias}")
    print(
        f"forget-gate bias {bias}: input 100 steps back / last input: {norms[0] / norms[-1]:.1e}"
        f"   (sigma({bias:g})^100 = {torch.sigmoid(torch.tensor(bias)).item() ** 100:.1e})"
    )
rnn_norms = rnn.input_gradient_norms(CellWeights.init("rnn", 1, 64, seed=0), steps)
ax.semilogy(np.arange(steps)[::-1], rnn_norms, "k:", label="plain RNN (PyTorch's init)")
ax.set_xlabel("steps between the input and the loss")
ax.set_ylabel("$\\|\\partial L / \\partial x_t\\|$ (log scale)")
ax.set_title("LSTM, 64 units")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Along the cell state alone the gradient is multiplied by $f$ at every step. With the
# forget gate open, $f = \sigma(3) \approx 0.95$, and $0.95^{100} \approx 0.008$: by that
# path alone, an input 100 steps back would move the loss about a hundred times less than
# a recent one. The measured ratios (printed above) count every path, through $h$ and
# the gates as well, and here the far input ends up with about as much say as the last
# one, even a little more: the memory carries it. At bias 0, $f \approx 0.5$ and
# $0.5^{100} \approx 10^{-30}$ along the cell state; the measured ratio, about
# $10^{-19}$, is as hopeless as the plain RNN's. Both cells are in `torch.nn` as
# `nn.LSTM` and `nn.GRU` (fast, fused implementations); in Section 2 you write them
# yourself and check that yours compute exactly what PyTorch's do.

# %% [markdown]
# ## Quiz
#
# Answer every question with the letter of your choice, then run the check cell: it says
# which answers are wrong. All right opens Section 2; after three tries the right
# answers are shown and the section opens anyway.

# %%
quiz1 = quiz.Quiz(
    3,
    1,
    [
        quiz.Question(
            "q1",
            "An RNN cell with 64 hidden units reads beats of 140 steps, one value per step. How many numbers are in its $W_{ih}$, $W_{hh}$, $b_{ih}$ and $b_{hh}$ together?",
            {
                "a": "4,288",
                "b": "4,160",
                "c": "4,224",
                "d": "600,320",
            },
            "9c588158a0de791a70ce36c8e8ea47d5a15278e2544ce0934e84fc49893bd305",
        ),
        quiz.Question(
            "q2",
            "A one-unit linear RNN, $h_t = 0.9\\, h_{t-1} + x_t$, is read at step 50. How much smaller is $\\partial h_{50} / \\partial x_0$ than $\\partial h_{50} / \\partial x_{50}$?",
            {
                "a": "about 45 times smaller",
                "b": "about 200 times smaller",
                "c": "about 10 times smaller",
                "d": "they are equal",
            },
            "6f1caa6c2bc01941d67818a5f31cb6d40eaaaf0273fb73407e96ba3fc6956226",
        ),
        quiz.Question(
            "q3",
            "The gradient $g = (30, 40)$ is clipped to norm $\\tau = 5$. What is it after clipping?",
            {
                "a": "$(5, 5)$",
                "b": "$(3, 4)$",
                "c": "$(0.6, 0.8)$",
                "d": "$(25, 35)$",
            },
            "2f2cb13ed18ca3e12c2d8a5f3d2ec290dcb36716798431f97b4c98806a6f24db",
        ),
        quiz.Question(
            "q4",
            "An LSTM's forget gate stays at $f = 0.99$. Along the cell state alone, roughly what share of the gradient survives 100 steps back?",
            {
                "a": "about 0.99",
                "b": "about 0.01",
                "c": "about 0.37",
                "d": "about $10^{-30}$",
            },
            "eca0ce45ced7e62ac7308225a1f1f8e4a642646c45cfe46f65077a3db6e0def7",
        ),
    ],
)
quiz1.show()

# %%
answers = {"q1": "", "q2": "", "q3": "", "q4": ""}  # your letters, e.g. "a"

# %% tags=["solution"]
answers = quiz1.shown_letters({"q1": "a", "q2": "b", "q3": "b", "q4": "c"})

# %%
passed = quiz1.check(answers)
