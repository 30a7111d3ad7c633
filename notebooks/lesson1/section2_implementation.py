# %% [markdown]
# # Lesson 1, Section 2: a neural network from scratch
#
# Here you implement everything Section 1 explained and train a digit classifier on MNIST,
# three times over:
#
# 1. in **plain numpy**, with backpropagation written by hand and checked numerically;
# 2. in **bare PyTorch**: autograd computes the gradients, and the training loop is yours;
# 3. with **`practicum.train.fit`**, the course's small toolkit, which hides that loop.
#
# Seeing the same model three ways shows exactly what each layer of tooling does for you.
# In the exercise notebook, each `# YOUR CODE HERE` marks a function for you to write. It
# is checked as soon as its cell runs, and until it passes, the notebook goes on with a
# reference version, so every later cell still works.

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

from practicum import train
from practicum.coursework import common, exercise
from practicum.lessons.lesson1 import mlp

train.seed_everything(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## The data
#
# Images arrive as rows of 784 pixel values in $[0, 1]$, labels as integers 0–9.

# %%
x_train, y_train = mlp.load_split("mnist", "train")
x_test, y_test = mlp.load_split("mnist", "test")
print(f"train {x_train.shape}  test {x_test.shape}  classes {np.bincount(y_train)}")

# %% [markdown]
# ## 1. The building blocks, in numpy
#
# ### One-hot labels
#
# Write `one_hot(y, n_classes)`: a float array of shape `(len(y), n_classes)`, all zeros
# except a 1 in column `y[i]` of row `i`. (Hint: fancy indexing
# `out[np.arange(n), y] = 1` sets one entry per row.)


# %%
def one_hot(y, n_classes=10):
    """Rows of zeros with a single 1 at each label's column."""
    ### BEGIN SOLUTION
    out = np.zeros((len(y), n_classes))
    out[np.arange(len(y)), y] = 1.0
    return out
    ### END SOLUTION


one_hot = exercise.checked(
    one_hot,
    lesson=1,
    exercise="one_hot",
    cases=[(np.array([0, 3, 9, 3]),), (np.array([2, 0]), 3)],
)

# %% [markdown]
# ### Softmax
#
# $\mathrm{softmax}(z)_k = e^{z_k} / \sum_j e^{z_j}$, applied to each row of a
# `(N, K)` array. Subtract each row's maximum before `np.exp` so that large scores do
# not overflow (`keepdims=True` keeps the shapes broadcastable). The check includes scores
# around 1000.


# %%
def softmax(z):
    """Row-wise probabilities from scores z of shape (N, K)."""
    ### BEGIN SOLUTION
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
    ### END SOLUTION


softmax = exercise.checked(
    softmax,
    lesson=1,
    exercise="softmax",
    cases=[
        (np.array([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0]]),),
        (np.array([[1000.0, 1001.0, 1002.0]]),),
    ],
)

# %% [markdown]
# ### Cross-entropy
#
# The mean over the batch of $-\sum_k y_k \log p_k$, for probabilities `probs` and one-hot
# labels `y_onehot` of the same shape. Clip the probabilities to at least `1e-12` before
# the logarithm, so a probability of exactly 0 gives a large loss instead of infinity.


# %%
def cross_entropy(probs, y_onehot):
    """Mean cross-entropy of a batch, as a Python float."""
    ### BEGIN SOLUTION
    log_p = np.log(np.clip(probs, 1e-12, 1.0))
    return float(-np.mean(np.sum(y_onehot * log_p, axis=-1)))
    ### END SOLUTION


cross_entropy = exercise.checked(
    cross_entropy,
    lesson=1,
    exercise="cross_entropy",
    cases=[
        (np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]), np.array([[1.0, 0, 0], [0, 1.0, 0]])),
        (np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]])),
    ],
)

# %% [markdown]
# ## 2. Backpropagation by hand
#
# `mlp.NumpyMLP` is a multi-layer perceptron with ReLU hidden layers and a softmax
# output. Its `forward` stores, for every layer $l$, its input $a_{l-1}$ (in
# `self.inputs[l]`) and its pre-activation $z_l = a_{l-1} W_l + b_l$ (in
# `self.pre_activations[l]`), and the output probabilities in `self.probs`. Your job is
# `backward`: fill `self.grad_weights[l]` and `self.grad_biases[l]` with the gradients of
# the mean cross-entropy. Start from the output, where
# $\delta_L = \frac{\partial L}{\partial z_L} = (p - y)/N$, and for each layer going back:
#
# $$\frac{\partial L}{\partial W_l} = a_{l-1}^\top \delta_l, \qquad
# \frac{\partial L}{\partial b_l} = \sum_{\text{rows}} \delta_l, \qquad
# \delta_{l-1} = (\delta_l W_l^\top) \odot [z_{l-1} > 0].$$
#
# The check compares your gradients with **numerical** ones: nudge one weight by
# $\pm\varepsilon$, measure how the loss changes, and divide,
# $\frac{L(w + \varepsilon) - L(w - \varepsilon)}{2\varepsilon}$. It is far too slow to
# train with, but it is the best way to catch a wrong backward pass.


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


def backward_matches_numerical(mlp_class):
    rng = np.random.default_rng(0)
    model = mlp_class((20, 16, 12, 10), seed=0)
    x, y = rng.normal(size=(8, 20)), one_hot(rng.integers(0, 10, size=8))
    error = model.gradient_check(x, y)
    assert error < 1e-6, f"relative error {error:.1e} against numerical gradients (want < 1e-6)"


Network = exercise.checked(
    MyMLP,
    lesson=1,
    exercise="mlp_backward",
    check=backward_matches_numerical,
    name="MyMLP.backward",
)

# %% [markdown]
# The same check on the real network, 784 → 128 → 10, with a few MNIST images. A relative
# error around $10^{-9}$ means the formulas agree to about nine digits.

# %%
print(f"relative error: {Network().gradient_check(x_train[:16], one_hot(y_train[:16])):.1e}")

# %% [markdown]
# ## 3. Training with SGD, in numpy
#
# The whole training loop: shuffle the training set each epoch, cut it into mini-batches,
# and for each batch run forward, backward and one SGD step.

# %%
epochs = common.scale(5, 1)
batch_size, lr = 64, 0.1
model = Network((784, 128, 10), seed=0)
Y_train = one_hot(y_train)
rng = np.random.default_rng(0)
batch_losses = []
started = time.perf_counter()
for epoch in range(epochs):
    order = rng.permutation(len(x_train))
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        probs = model.forward(x_train[rows])
        batch_losses.append(cross_entropy(probs, Y_train[rows]))
        model.backward(Y_train[rows])
        model.step(lr)
    test_acc = np.mean(model.predict(x_test) == y_test)
    print(
        f"epoch {epoch + 1}/{epochs}  loss {np.mean(batch_losses[-50:]):.4f}  test acc {test_acc:.4f}"
    )
numpy_time = time.perf_counter() - started
numpy_acc = test_acc

# %%
window = min(50, len(batch_losses))
smooth = np.convolve(batch_losses, np.ones(window) / window, mode="valid")
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(batch_losses, alpha=0.3, label="each mini-batch")
ax.plot(np.arange(window - 1, len(batch_losses)), smooth, label=f"mean of {window}")
ax.set_xlabel("SGD step")
ax.set_ylabel("cross-entropy")
ax.set_title("numpy MLP on MNIST")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# Which digits does it still get wrong? Some of them are hard to read even for people.

# %%
predicted = model.predict(x_test)
wrong = np.flatnonzero(predicted != y_test)[:16]
print("true labels:     ", y_test[wrong])
print("predicted labels:", predicted[wrong])
if len(wrong):
    display(
        common.image_grid(x_test[wrong], predicted[wrong], title="Mistakes (titles: predicted)")
    )

# %% [markdown]
# ## 4. The same network in bare PyTorch
#
# PyTorch brings three things: layers (`nn.Linear` holds $W$ and $b$), **autograd**
# (`loss.backward()` replaces our hand-written `backward`), and optimizers
# (`optimizer.step()` replaces our `step`). The loop itself stays ours. Write one training
# step: clear the old gradients with `optimizer.zero_grad()`, compute the loss of
# `model(x)` against `y`, call `backward()` on it, `optimizer.step()`, and return the loss
# as a Python float (`loss.item()`).


# %%
def train_step(model, x, y, optimizer, loss_fn=nn.functional.cross_entropy):
    """One gradient-descent step on the batch (x, y); returns the batch's loss."""
    ### BEGIN SOLUTION
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()
    ### END SOLUTION


def same_steps_as_reference(step, reference_step):
    torch.manual_seed(0)
    mine, theirs = nn.Linear(4, 3), nn.Linear(4, 3)
    theirs.load_state_dict(mine.state_dict())
    opt_mine = torch.optim.SGD(mine.parameters(), lr=0.5)
    opt_theirs = torch.optim.SGD(theirs.parameters(), lr=0.5)
    x, y = torch.randn(5, 4), torch.tensor([0, 1, 2, 1, 0])
    for n in (1, 2):  # two steps: a forgotten zero_grad() shows in the second
        got = step(mine, x, y, opt_mine)
        expected = reference_step(theirs, x, y, opt_theirs)
        assert isinstance(got, float), f"return loss.item() (a float), not {type(got).__name__}"
        assert abs(got - expected) < 1e-5, (
            f"step {n} returned loss {got:.4f}, expected {expected:.4f}"
        )
        assert torch.allclose(mine.weight, theirs.weight), f"weights differ after step {n}"


train_step = exercise.checked(
    train_step, lesson=1, exercise="train_step", check=same_steps_as_reference
)

# %% [markdown]
# Now the loop, with tensors instead of arrays. `torch.randperm` shuffles, slicing makes
# the mini-batches, and `torch.no_grad()` switches autograd off while we only measure.

# %%
torch.manual_seed(0)
torch_model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
optimizer = torch.optim.SGD(torch_model.parameters(), lr=lr)
xt_train, yt_train = torch.from_numpy(x_train), torch.from_numpy(y_train)
xt_test, yt_test = torch.from_numpy(x_test), torch.from_numpy(y_test)
started = time.perf_counter()
for epoch in range(epochs):
    order = torch.randperm(len(xt_train))
    losses = []
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        losses.append(train_step(torch_model, xt_train[rows], yt_train[rows], optimizer))
    torch_model.eval()
    with torch.no_grad():
        test_acc = (torch_model(xt_test).argmax(dim=1) == yt_test).float().mean().item()
    print(f"epoch {epoch + 1}/{epochs}  loss {np.mean(losses):.4f}  test acc {test_acc:.4f}")
torch_time = time.perf_counter() - started
torch_acc = test_acc

# %% [markdown]
# ## 5. The same again with `practicum.train.fit`
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
    val=train.make_loader(x_test, y_test, batch_size=1024),
)
fit_acc = history["val_acc"][-1]
train.plot_history(history, title="MLP 784-128-10 with fit")

# %% [markdown]
# ## Comparison
#
# All three train the same architecture with the same SGD, so they should land close to
# each other; differences come from the random initialisation and batch order. The times
# differ for reasons that have nothing to do with the math: our numpy network computes in
# float64 and PyTorch in float32, and PyTorch pays a small cost per operation for
# autograd's bookkeeping, which weighs more the smaller the model.

# %%
print(f"{'version':<16}{'test accuracy':>14}{'time':>9}")
print(f"{'numpy':<16}{numpy_acc:>14.4f}{numpy_time:>8.1f}s")
print(f"{'bare PyTorch':<16}{torch_acc:>14.4f}{torch_time:>8.1f}s")
print(f"{'train.fit':<16}{fit_acc:>14.4f}{sum(history['time']):>8.1f}s")

# %% [markdown]
# **Next:** Section 3 explains the techniques that take a network beyond this first
# result: better optimizers, activations and initialisation, regularisation, dropout,
# early stopping and batch normalisation.

# %% [markdown]
# ## Your exercises
#
# Which of this lesson's exercises are done, and where the notebook went on with the
# reference version instead. Go back to those: the check says what is still wrong.

# %%
exercise.summary(1)
