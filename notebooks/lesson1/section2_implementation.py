# %% [markdown]
# # Lesson 1, Section 2: a neural network from scratch
#
# Here you build, piece by piece, everything Section 1 explained, and train a digit
# classifier on MNIST with it, three times over:
#
# 1. a **scalar autograd**: numbers that remember how they were computed, so that
#    `backward()` finds every gradient (what PyTorch's `loss.backward()` does, in 40 lines);
# 2. the **layers in numpy**, each with its forward and backward pass: the affine layer,
#    the ReLU, softmax with cross-entropy; then backpropagation through a whole network,
#    trained with SGD;
# 3. the **bare PyTorch loop**: a `Dataset`, `DataLoader`s, one epoch of training
#    (`zero_grad`, `backward`, `step`) and an evaluation on a validation split;
# 4. the same with **`practicum.train.fit`**, the course's toolkit that hides that loop.
#
# In the exercise notebook, each `# YOUR CODE HERE` marks code for you to write. It is
# checked as soon as its cell runs: backward passes against numerical gradients and
# against PyTorch's own autograd on the same numbers. Until it passes, the notebook goes on
# with a reference version, so every later cell still works, and the summary at the end
# lists what is still to do. Each exercise has a hint that opens on a click; try without
# it first.
#
# Run time of the whole notebook (solutions filled in), measured once on 2 idle CPU cores
# (2026-12-05): 17 s. The test suite runs a shrunken version (`PRACTICUM_SMOKE=1`). Not
# measured on a GPU.
#
# In that run all three versions reached a validation accuracy of about 0.96 (numpy
# 0.959, bare PyTorch 0.958, `train.fit` 0.960) after 5 epochs.

# %%
from practicum.coursework import quiz

quiz.require(1, 2, quiz_notebook="lesson1/section1_concepts.ipynb")

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from practicum import train
from practicum.coursework import common, exercise
from practicum.lessons.lesson1 import checks, mlp, plots

train.seed_everything(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## The data, and a validation split
#
# Images arrive as rows of 784 pixel values in $[0, 1]$, labels as integers 0–9. Every
# choice below (how long to train, which version to keep) is made on a **validation**
# split: 5,000 training images drawn at random and set aside. The 10,000 test images are
# used once, in the table at the very end, for a number nothing is chosen by.

# %%
x_all, y_all = mlp.load_split("mnist", "train")
x_train, y_train, x_val, y_val = mlp.carve_validation(
    x_all, y_all, common.scale(5_000, 200), seed=0
)
x_test, y_test = mlp.load_split("mnist", "test")
print(f"train {x_train.shape}  validation {x_val.shape}  test {x_test.shape}")
print("images per class in the training part:", np.bincount(y_train, minlength=10))

# %% [markdown]
# ## 1. A scalar autograd
#
# Section 1 worked out the gradient of a one-unit network by hand, then let PyTorch do it.
# Here you write what PyTorch did, for single numbers (after Karpathy's *micrograd*). A
# `Value` holds a number `data`, its gradient `grad` (of the final output with respect to
# this value, 0 until `backward` runs), the values it was computed from (`_prev`) and a
# function `_backward` that passes its gradient on to them.
#
# Write four methods:
#
# - `__add__` and `__mul__`: a new `Value` holding the sum or the product, whose
#   `_backward` adds to each input's `grad` what the chain rule gives: the output's
#   `grad` times the local derivative ($\partial (a + b) / \partial a = 1$,
#   $\partial (ab) / \partial a = b$);
# - `relu`: $\max(0, x)$, whose local derivative is 1 where the output is positive, else 0;
# - `backward`: order every value of the graph so that each comes after the values it was
#   computed from (a *topological order*), set this output's own `grad` to 1, and call
#   `_backward` on each value, from the output back to the inputs.
#
# Two things students get wrong: a value used twice ($a + a$, or a hidden unit feeding two
# later ones) must collect the gradient of *both* uses, so `_backward` adds to `grad`
# rather than setting it; and a value may pass its gradient on only once it is complete,
# which is what the topological order guarantees.
#
# The check tries each operation on small numbers, then a 2-3-1 ReLU network whose hidden
# units are used twice, and compares every gradient with PyTorch's autograd.

# %% [markdown]
# <details><summary>Hint</summary>
#
# Inside `__mul__`, define a small function `_backward()` that updates `self.grad` and
# `other.grad` from `out.grad`, then store it as `out._backward`: it runs later, when
# `out.grad` is known. For the order, a depth-first visit that appends a value after
# visiting all of its `_prev` gives a topological order; keep a set of the values already
# visited, so none is appended twice.
#
# </details>


# %%
class Value:
    """A number that remembers how it was computed, so backward() can find d(output)/d(it)."""

    def __init__(self, data, children=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None  # passes self.grad on to self._prev
        self._prev = tuple(children)
        self._op = op

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        ### BEGIN SOLUTION
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        ### BEGIN SOLUTION
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def relu(self):
        ### BEGIN SOLUTION
        out = Value(max(0.0, self.data), (self,), "relu")

        def _backward():
            self.grad += (out.data > 0) * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def backward(self):
        ### BEGIN SOLUTION
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for child in node._prev:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
        ### END SOLUTION

    # Built from the operations above: nothing to write here.
    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other


Value = exercise.checked(Value, lesson=1, exercise="value", check=checks.check_value, name="value")

# %% [markdown]
# Section 1's network of one hidden unit, $L = (w_2 \max(0, w_1 x + b_1) + b_2 - t)^2$,
# once more: by hand there, now with `Value`. The gradients must be Section 1's
# ($\partial L / \partial w_1 = 5.94$, $\partial L / \partial w_2 = -3.6$).

# %%
x, t = 1.5, 1.0
w1, b1, w2, b2 = Value(0.8), Value(-0.2), Value(-1.1), Value(0.3)
error = w2 * (w1 * x + b1).relu() + b2 - t
loss = error * error
loss.backward()
print(f"loss={loss.data:.4f}  dL/dw1={w1.grad:.4f}  dL/dw2={w2.grad:.4f}  dL/db1={b1.grad:.4f}")

# %% [markdown]
# The graph `backward` walked, drawn from the values themselves (`plots.draw_graph`):
# inputs on the left, the loss on the right, each box with its value and its gradient.
# Read it from the right: each box's gradient is the sum, over the arrows leaving it, of
# the next box's gradient times the local derivative.

# %%
plots.draw_graph(
    loss,
    names={id(w1): "w1", id(b1): "b1", id(w2): "w2", id(b2): "b2"},
    title="L = (w2 relu(w1 x + b1) + b2 - t)², after loss.backward()",
)

# %% [markdown]
# A scalar autograd is exact but slow: one Python object per number. A network for MNIST
# has about 100,000 weights and processes batches of 64 images, so from here on we work
# with whole arrays: each layer gets a forward pass and a backward pass on matrices.
#
# ## 2. The layers, in numpy
#
# ### Softmax
#
# Write `softmax(z)` for scores `z` of shape $(N, K)$: each row becomes probabilities,
# $e^{z_k} / \sum_j e^{z_j}$. Section 1 showed why each row's maximum must be subtracted
# before `np.exp`; the check includes scores around $\pm 1000$, and rows whose scales
# differ by that much.

# %% [markdown]
# <details><summary>Hint</summary>
#
# `z.max(axis=1, keepdims=True)` has shape $(N, 1)$ and broadcasts against `z`; the same
# `keepdims=True` on the row sums keeps the division row by row.
#
# </details>


# %%
def softmax(z):
    """Row-wise probabilities from scores z of shape (N, K)."""
    ### BEGIN SOLUTION
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
    ### END SOLUTION


softmax = exercise.checked(softmax, lesson=1, exercise="softmax", check=checks.check_softmax)

# %% [markdown]
# ### The affine layer
#
# A layer is a class with two methods. `forward(x)` computes the output and keeps what the
# backward pass will need; `backward(dout)` gets $\partial L / \partial \text{out}$ (same
# shape as the output) and returns $\partial L / \partial x$ (same shape as `x`), storing
# the gradients of the layer's own parameters.
#
# Write `Affine`: $\text{out} = xW + b$ for `x` of shape $(N, D)$, `w` of shape $(D, M)$
# and `b` of shape $(M,)$. In `backward`, store `self.dw` (shape of `w`) and `self.db`
# (shape of `b`) and return `dx`. Work each one out from one entry,
# $\text{out}_{nm} = \sum_d x_{nd} W_{dm} + b_m$: which outputs does $W_{dm}$ touch, and
# with which factor? A good check on your formulas: each gradient has the shape of the
# array it belongs to.
#
# The check compares your layer with `torch.nn.Linear` holding the same weights (PyTorch
# stores them transposed, $(M, D)$) and with numerical gradients.

# %% [markdown]
# <details><summary>Hint</summary>
#
# $\partial L / \partial W_{dm} = \sum_n x_{nd} \, \text{dout}_{nm}$: a matrix product of
# `x` transposed with `dout`. $b_m$ is added to every row, so its gradient sums `dout`
# over the rows. For `dx`, $x_{nd}$ meets $W_{dm}$ in every output $m$ of row $n$.
#
# </details>


# %%
class Affine:
    """out = x @ w + b."""

    def __init__(self, w, b):
        self.w, self.b = w, b
        self.dw, self.db = np.zeros_like(w), np.zeros_like(b)
        self.x = None

    def forward(self, x):
        ### BEGIN SOLUTION
        self.x = x
        return x @ self.w + self.b
        ### END SOLUTION

    def backward(self, dout):
        ### BEGIN SOLUTION
        self.dw = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.w.T
        ### END SOLUTION


Affine = exercise.checked(
    Affine, lesson=1, exercise="affine", check=checks.check_affine, name="affine"
)

# %% [markdown]
# ### The ReLU layer
#
# Write `ReLU`: `forward(x)` returns $\max(0, x)$ element by element (without changing
# `x` itself: the layer below may still need it), `backward(dout)` returns `dout` where
# the input was positive and 0 elsewhere.

# %% [markdown]
# <details><summary>Hint</summary>
#
# Keep the boolean mask `x > 0` in `forward`; `np.where(mask, a, 0.0)` picks element by
# element.
#
# </details>


# %%
class ReLU:
    """out = max(0, x)."""

    def __init__(self):
        self.mask = None

    def forward(self, x):
        ### BEGIN SOLUTION
        self.mask = x > 0
        return np.where(self.mask, x, 0.0)
        ### END SOLUTION

    def backward(self, dout):
        ### BEGIN SOLUTION
        return np.where(self.mask, dout, 0.0)
        ### END SOLUTION


ReLU = exercise.checked(ReLU, lesson=1, exercise="relu", check=checks.check_relu, name="relu")

# %% [markdown]
# ### Softmax and cross-entropy, with its gradient
#
# Write `softmax_cross_entropy(scores, y)` for scores of shape $(N, K)$ and integer labels
# `y` of shape $(N,)$. Return two things: the **mean** cross-entropy over the rows,
# $-\frac{1}{N} \sum_n \log p_{n, y_n}$ with $p = \mathrm{softmax}(\text{scores})$, as
# a float, and its gradient with respect to the scores, of shape $(N, K)$. Section 1 gave
# that gradient for one example; mind the mean.
#
# Compute $\log p$ from the shifted scores directly, not as `np.log(softmax(...))`: with
# scores of $\pm 1000$ a probability rounds to 0 and its log to $-\infty$. The check
# compares with `F.cross_entropy` and its autograd, and with numerical gradients.

# %% [markdown]
# <details><summary>Hint</summary>
#
# With $s$ the scores minus each row's maximum, $\log p_k = s_k - \log \sum_j e^{s_j}$.
# `log_p[np.arange(N), y]` picks each row's true class. The gradient is
# $(p - \text{one\_hot}(y)) / N$: start from `np.exp(log_p)` and subtract 1 at the same
# places.
#
# </details>


# %%
def softmax_cross_entropy(scores, y):
    """(mean cross-entropy, d loss / d scores) for scores (N, K) and labels y (N,)."""
    ### BEGIN SOLUTION
    n = len(y)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), y].mean()
    dscores = np.exp(log_p)
    dscores[np.arange(n), y] -= 1.0
    return float(loss), dscores / n
    ### END SOLUTION


softmax_cross_entropy = exercise.checked(
    softmax_cross_entropy,
    lesson=1,
    exercise="softmax_cross_entropy",
    check=checks.check_softmax_cross_entropy,
)

# %% [markdown]
# ### Your layers, stacked
#
# Affine, ReLU, affine, then the loss: a network 784 → 32 → 10 on 16 MNIST images. The
# backward pass runs the layers in reverse order, each handing `dx` to the one below. The
# gradient of the first layer's weights, checked numerically for 20 of its entries: a
# relative error around $10^{-8}$ or below means your formulas and the definition of the
# derivative agree.

# %%
rng = np.random.default_rng(0)
stack = [
    Affine(rng.normal(0, np.sqrt(2 / 784), (784, 32)), np.zeros(32)),
    ReLU(),
    Affine(rng.normal(0, np.sqrt(2 / 32), (32, 10)), np.zeros(10)),
]
xs, ys = x_train[:16].astype(np.float64), y_train[:16]


def stack_loss():
    out = xs
    for layer in stack:
        out = layer.forward(out)
    return softmax_cross_entropy(out, ys)


loss, dout = stack_loss()
for layer in reversed(stack):
    dout = layer.backward(dout)
entries = rng.choice(784 * 32, size=20, replace=False)
numeric, analytic = [], []
for flat in entries:
    i, j = np.unravel_index(flat, (784, 32))
    saved = stack[0].w[i, j]
    stack[0].w[i, j] = saved + 1e-6
    up = stack_loss()[0]
    stack[0].w[i, j] = saved - 1e-6
    down = stack_loss()[0]
    stack[0].w[i, j] = saved
    numeric.append((up - down) / 2e-6)
    analytic.append(stack[0].dw[i, j])
print(f"loss {loss:.4f} (an untrained net with 10 classes: about ln 10 = {np.log(10):.4f})")
print(
    f"first layer's dW, 20 entries: relative error {checks.relative_error(analytic, numeric):.1e}"
)

# %% [markdown]
# ## 3. Backpropagation through a whole network
#
# `mlp.NumpyMLP` holds the same layers for any depth, in plain lists. Its `forward`
# stores, for every layer $l$, its input $a_{l-1}$ (in `self.inputs[l]`) and its
# pre-activation $z_l = a_{l-1} W_l + b_l$ (in `self.pre_activations[l]`), and the output
# probabilities in `self.probs`. Write its `backward`: fill `self.grad_weights[l]` and
# `self.grad_biases[l]` with the gradients of the mean cross-entropy, for one-hot labels
# `y_onehot`. It is what your stack above did, as one loop over the layers from the last
# to the first: the output layer starts from the softmax-cross-entropy gradient, each
# affine layer gives its weights' and biases' gradients and the gradient for the layer
# below, and between two affine layers sits a ReLU.
#
# The check compares every layer's gradients with the reference's, then your gradients
# with numerical ones.

# %% [markdown]
# <details><summary>Hint</summary>
#
# Call the gradient with respect to a layer's pre-activation $\delta_l$. At the output,
# $\delta_L = (p - y)/N$. For each layer $l$, going back: its gradients come from its
# input $a_{l-1}$ and $\delta_l$ as in `Affine.backward`; then, if there is a layer below,
# $\delta_{l-1}$ is $\delta_l$ sent back through $W_l$ (as `dx` was) and through the ReLU
# of $z_{l-1}$.
#
# </details>


# %%
class MyMLP(mlp.NumpyMLP):
    def backward(self, y_onehot):
        """Gradients of the mean cross-entropy of the last forward pass, into grad_*."""
        ### BEGIN SOLUTION
        delta = (self.probs - y_onehot) / len(y_onehot)
        for i in reversed(range(len(self.weights))):
            self.grad_weights[i] = self.inputs[i].T @ delta
            self.grad_biases[i] = delta.sum(axis=0)
            if i > 0:
                delta = (delta @ self.weights[i].T) * (self.pre_activations[i - 1] > 0)
        ### END SOLUTION


Network = exercise.checked(
    MyMLP, lesson=1, exercise="mlp_backward", check=checks.check_mlp_backward, name="mlp_backward"
)

# %% [markdown]
# The same check on the real network, 784 → 128 → 10, with 16 MNIST images:

# %%
print(f"relative error: {Network().gradient_check(x_train[:16], mlp.one_hot(y_train[:16])):.1e}")

# %% [markdown]
# ## 4. Training with SGD, in numpy
#
# The whole training loop: shuffle the training part each epoch, cut it into mini-batches,
# and for each batch run forward, backward and one SGD step. After each epoch, the accuracy
# on the validation split.

# %%
epochs = common.scale(5, 1)
batch_size, lr = 64, 0.1
model = Network((784, 128, 10), seed=0)
Y_train = mlp.one_hot(y_train)
rng = np.random.default_rng(0)
batch_losses = []
started = time.perf_counter()
for epoch in range(epochs):
    order = rng.permutation(len(x_train))
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        probs = model.forward(x_train[rows])
        batch_losses.append(mlp.cross_entropy(probs, Y_train[rows]))
        model.backward(Y_train[rows])
        model.step(lr)
    val_acc = np.mean(model.predict(x_val) == y_val)
    print(
        f"epoch {epoch + 1}/{epochs}  loss {np.mean(batch_losses[-50:]):.4f}  validation acc {val_acc:.4f}"
    )
numpy_time = time.perf_counter() - started
numpy_model, numpy_val = model, val_acc

# %%
window = min(50, len(batch_losses))
smooth = np.convolve(batch_losses, np.ones(window) / window, mode="valid")
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(batch_losses, alpha=0.3, label="each mini-batch")
ax.plot(np.arange(window - 1, len(batch_losses)), smooth, label=f"mean of {window}")
ax.set_xlabel("SGD step")
ax.set_ylabel("cross-entropy (training batches)")
ax.set_title("numpy MLP on MNIST")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# Which validation digits does it still get wrong? Some of them are hard to read even for
# people.

# %%
predicted = model.predict(x_val)
wrong = np.flatnonzero(predicted != y_val)[:16]
print("true labels:     ", y_val[wrong])
print("predicted labels:", predicted[wrong])
if len(wrong):
    display(common.image_grid(x_val[wrong], predicted[wrong], title="Mistakes (titles: predicted)"))

# %% [markdown]
# ## 5. The same network in bare PyTorch
#
# PyTorch brings layers (`nn.Linear` holds $W$ and $b$), **autograd** (`loss.backward()`
# does what your `Value.backward` did, for tensors) and optimizers (`optimizer.step()`).
# The data arrives through two classes:
#
# - a **`Dataset`** answers `len(dataset)` and `dataset[i]`, one example as (image,
#   label); `TensorDataset` wraps tensors that are already in memory;
# - a **`DataLoader`** draws mini-batches from a dataset: it stacks the examples into
#   tensors and, with `shuffle=True`, reshuffles every epoch.

# %%
train_set = TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train))
val_set = TensorDataset(torch.from_numpy(x_val), torch.from_numpy(y_val))
image, label = train_set[0]
print(
    f"{len(train_set):,} training examples; one is an image {tuple(image.shape)} and label {int(label)}"
)
train_loader = DataLoader(
    train_set, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(0)
)
val_loader = DataLoader(val_set, batch_size=1000)
images, labels = next(iter(train_loader))
print(f"one batch: images {tuple(images.shape)}, labels {tuple(labels.shape)}")

# %% [markdown]
# ### One epoch of training
#
# Write `train_epoch(model, loader, optimizer, loss_fn)`: put the model in training mode
# (an evaluation may have left it in evaluation mode, where dropout and batch norm behave
# differently), then for each batch `(x, y)` of the loader: clear the gradients left by
# the previous batch (PyTorch *adds* new gradients to `.grad`), compute the loss of
# `model(x)` against `y`, backpropagate, and take the optimizer's step. Return the
# epoch's mean loss per example as a Python float.
#
# The check runs your epoch and the reference's from the same weights, on the same
# batches, with the same dropout, and compares every weight afterwards.

# %% [markdown]
# <details><summary>Hint</summary>
#
# The calls, in order: `model.train()` once; per batch `optimizer.zero_grad()`,
# `loss_fn(model(x), y)`, `loss.backward()`, `optimizer.step()`. `loss.item()` is the
# batch's mean loss as a float; weigh it by `len(y)`, because the last batch may be
# smaller.
#
# </details>


# %%
def train_epoch(model, loader, optimizer, loss_fn=F.cross_entropy):
    """One pass over the loader, one step per batch; the mean loss per example."""
    ### BEGIN SOLUTION
    model.train()
    total, count = 0.0, 0
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count
    ### END SOLUTION


train_epoch = exercise.checked(
    train_epoch, lesson=1, exercise="train_epoch", check=checks.check_train_epoch
)

# %% [markdown]
# ### Evaluation on the validation split
#
# Write `evaluate(model, loader, loss_fn)`: the mean loss per example and the accuracy
# over the loader, returned as `(loss, accuracy)`. Two things make an evaluation honest
# and cheap: the model in evaluation mode (dropout off, batch norm on its running
# statistics), and autograd switched off, since no gradient is needed.
#
# The check hands your function a model with dropout, in training mode, and watches how it
# is called.

# %% [markdown]
# <details><summary>Hint</summary>
#
# `model.eval()`, then the loop inside `with torch.no_grad():`. A prediction is
# `logits.argmax(dim=1)`; count the right ones and the examples, and divide at the end.
#
# </details>


# %%
def evaluate(model, loader, loss_fn=F.cross_entropy):
    """(mean loss, accuracy) per example over the loader, without training."""
    ### BEGIN SOLUTION
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)
            total += loss_fn(logits, y).item() * len(y)
            correct += int((logits.argmax(dim=1) == y).sum())
            count += len(y)
    return total / count, correct / count
    ### END SOLUTION


evaluate = exercise.checked(evaluate, lesson=1, exercise="evaluate", check=checks.check_evaluate)

# %% [markdown]
# Now the loop: the same network, the same SGD, your epoch and your evaluation.

# %%
torch.manual_seed(0)
torch_model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
optimizer = torch.optim.SGD(torch_model.parameters(), lr=lr)
started = time.perf_counter()
for epoch in range(epochs):
    train_loss = train_epoch(torch_model, train_loader, optimizer)
    val_loss, val_acc = evaluate(torch_model, val_loader)
    print(
        f"epoch {epoch + 1}/{epochs}  training loss {train_loss:.4f}  "
        f"validation loss {val_loss:.4f}  validation acc {val_acc:.4f}"
    )
torch_time = time.perf_counter() - started
torch_val = val_acc

# %% [markdown]
# ## 6. The same again with `practicum.train.fit`
#
# The loop above is the same in every project: batches, the step, a pass over held-out
# data, a printed line per epoch. `practicum.train` packages it: `make_loader` cuts arrays
# into shuffled mini-batches, `fit` runs the loop (with a progress bar, the metrics of each
# epoch and optional callbacks) and returns a `History` that `plot_history` draws.
# `mlp.MLP` is our network as an `nn.Module` with the options Section 4 explores.

# %%
train.seed_everything(0)
fit_model = mlp.MLP(hidden=(128,))
history = train.fit(
    fit_model,
    train.make_loader(x_train, y_train, batch_size=batch_size, shuffle=True),
    epochs=epochs,
    optimizer=torch.optim.SGD(fit_model.parameters(), lr=lr),
    val=train.make_loader(x_val, y_val, batch_size=1024),
)
fit_val = history["val_acc"][-1]
train.plot_history(history, title="MLP 784-128-10 with fit (val: the validation split)")

# %% [markdown]
# ## Comparison
#
# All three train the same architecture with the same SGD, so they should land close to
# each other; differences come from the random initialisation and batch order. The
# validation column is what you would choose by; the test column is measured here, once,
# after everything else, and chooses nothing. The times differ for reasons that have
# nothing to do with the math: our numpy network computes in float64 and PyTorch in
# float32, and PyTorch pays a small cost per operation for autograd's bookkeeping, which
# weighs more the smaller the model.

# %%
test_loader = DataLoader(
    TensorDataset(torch.from_numpy(x_test), torch.from_numpy(y_test)), batch_size=1000
)
numpy_test = np.mean(numpy_model.predict(x_test) == y_test)
torch_test = evaluate(torch_model, test_loader)[1]
fit_test = train.evaluate(fit_model, test_loader)["acc"]
print(f"{'version':<16}{'validation acc':>15}{'test acc':>10}{'time':>9}")
print(f"{'numpy':<16}{numpy_val:>15.4f}{numpy_test:>10.4f}{numpy_time:>8.1f}s")
print(f"{'bare PyTorch':<16}{torch_val:>15.4f}{torch_test:>10.4f}{torch_time:>8.1f}s")
print(f"{'train.fit':<16}{fit_val:>15.4f}{fit_test:>10.4f}{sum(history['time']):>8.1f}s")

# %% [markdown]
# **Next:** Section 3 explains the techniques that take a network beyond this first
# result: better optimizers, activations and initialisation, regularisation, dropout,
# early stopping and batch normalisation. In Section 4 you write the optimizers, dropout
# and batch norm yourself.

# %% [markdown]
# ## Your exercises
#
# Which of this lesson's exercises are done, and where the notebook went on with the
# reference version instead. Go back to those: the check says what is still wrong.

# %%
exercise.summary(1)
