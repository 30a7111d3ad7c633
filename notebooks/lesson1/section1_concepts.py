# %% [markdown]
# # Lesson 1, Section 1: how a neural network learns
#
# In this lesson you build a neural network that reads handwritten digits, first with
# nothing but numpy, then with PyTorch. This first section explains the ideas, each with a
# small numeric example you can change and re-run:
#
# 1. tensors: how images and labels are stored;
# 2. the data sets of the lesson, MNIST and Fashion-MNIST;
# 3. one-hot labels, softmax and cross-entropy: how a network says what it thinks and how
#    wrong it is;
# 4. gradient descent and stochastic gradient descent (SGD): how it gets less wrong;
# 5. backpropagation: how it finds out which weight to blame.
#
# A short quiz at the end opens Section 2, where you implement all of this.
#
# Run time of the whole notebook (solutions filled in), measured once on 2 idle CPU cores
# (2026-12-05): 4 s. The test suite runs a shrunken version (`PRACTICUM_SMOKE=1`). Not
# measured on a GPU.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from practicum.coursework import common, quiz
from practicum.lessons.lesson1 import mlp

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. Tensors and arrays
#
# A *tensor* is a grid of numbers with any number of axes: a single number has 0 axes, a
# vector 1, a matrix 2. numpy calls it an `ndarray`, PyTorch a `Tensor`; both carry a
# **shape** (the length of each axis) and a **dtype** (the kind of number stored).
#
# A grey-scale image of 28 × 28 pixels is a matrix; a *batch* of $N$ such images is a
# tensor of shape $(N, 28, 28)$. The networks of this lesson read each image as one long
# row of $28 \cdot 28 = 784$ numbers, so a batch becomes a matrix $X$ of shape $(N, 784)$.

# %%
batch = np.arange(2 * 3 * 3).reshape(2, 3, 3)  # two tiny 3x3 "images"
print("batch shape", batch.shape, "dtype", batch.dtype)
flat = batch.reshape(len(batch), -1)  # -1: "whatever length makes it fit"
print("flattened shape", flat.shape)
print(flat)

# %% [markdown]
# PyTorch tensors work the same way and add two things the network needs: they can live on
# a GPU, and they can record the operations applied to them so that gradients can be
# computed automatically (Section 5 below). `torch.from_numpy` shares memory with the array
# instead of copying it.

# %%
t = torch.from_numpy(flat.astype(np.float32))
print(t.shape, t.dtype)
print("row sums:", t.sum(dim=1))

# %% [markdown]
# One operation does almost all the work in a neural network: multiplying a batch by a
# weight matrix and adding a bias vector, $Z = XW + b$. With $X$ of shape $(N, D)$, $W$ of
# shape $(D, H)$ and $b$ of shape $(H,)$, the result has shape $(N, H)$: $b$ is added to
# every row. This repetition of a smaller tensor along missing axes is called
# **broadcasting**.

# %%
rng = np.random.default_rng(0)
X = rng.normal(size=(4, 3))  # 4 examples, 3 features
W = rng.normal(size=(3, 2))  # 3 inputs -> 2 outputs
b = np.array([10.0, -10.0])
Z = X @ W + b
print("Z shape", Z.shape)
print(Z)

# %% [markdown]
# ## 2. The data: MNIST and Fashion-MNIST
#
# **MNIST** holds 70,000 handwritten digits (60,000 to train on, 10,000 to test on), each a
# 28 × 28 grey-scale image with its label 0–9. **Fashion-MNIST** has exactly the same
# format, but shows ten kinds of clothing; it is harder, and Section 4 uses it.
# `mlp.load_split` reads a split through the course's data catalog and scales the
# pixels from bytes (0–255) to floats in $[0, 1]$.

# %%
x_digits, y_digits = mlp.load_split("mnist", "train", limit=2000)
print("MNIST images", x_digits.shape, x_digits.dtype, "pixel range", x_digits.min(), x_digits.max())
common.image_grid(x_digits[:24], y_digits[:24], cols=12, title="MNIST")

# %%
x_clothes, y_clothes = mlp.load_split("fashion-mnist", "train", limit=2000)
common.image_grid(
    x_clothes[:24],
    y_clothes[:24],
    class_names=mlp.FASHION_MNIST_CLASSES,
    cols=12,
    title="Fashion-MNIST",
)

# %% [markdown]
# ## 3. One-hot labels, softmax and cross-entropy
#
# ### One-hot labels
#
# A label is a class number, but the network answers with one number per class. To compare
# the two we write label $k$ as a **one-hot** vector: ten zeros with a single one at
# position $k$. Label 3 becomes $(0, 0, 0, 1, 0, 0, 0, 0, 0, 0)$.

# %%
print(mlp.one_hot(np.array([3, 0, 9])))

# %% [markdown]
# ### Softmax: scores to probabilities
#
# The last layer of a classifier produces one real-valued **score** (or *logit*) $z_k$ per
# class. The **softmax** turns them into probabilities that are positive and sum to 1:
#
# $$\mathrm{softmax}(z)_k = \frac{e^{z_k}}{\sum_{j=1}^{K} e^{z_j}}.$$
#
# The largest score gets the largest probability, and how much larger depends on the gaps
# between the scores: multiply every score by 2 and the winner becomes far more certain.

# %%
z = np.array([2.0, 1.0, 0.1])
print("softmax(z) =", mlp.softmax(z), "sum", mlp.softmax(z).sum())

fig, axes = plt.subplots(1, 3, figsize=(9, 2.6), sharey=True)
for ax, factor in zip(axes, (0.5, 1.0, 3.0), strict=True):
    ax.bar(["class 0", "class 1", "class 2"], mlp.softmax(factor * z), color="tab:blue")
    ax.set_title(f"softmax({factor} · z)")
axes[0].set_ylabel("probability")
fig.tight_layout()
plt.show()

# %% [markdown]
# In code, $e^{z}$ overflows for scores above about 709 (`float64`) or 88 (`float32`), and
# `inf / inf` is not a number. Because $\mathrm{softmax}(z) = \mathrm{softmax}(z - c)$ for
# any constant $c$ (the factor $e^{-c}$ cancels), we subtract each row's maximum first: the
# largest exponent is then $e^0 = 1$.

# %%
big = np.array([1000.0, 1001.0, 1002.0])
with np.errstate(over="ignore", invalid="ignore"):
    naive = np.exp(big) / np.exp(big).sum()
print("naive softmax  ", naive)
print("stable softmax ", mlp.softmax(big))

# %% [markdown]
# ### Cross-entropy: how wrong is the network?
#
# If the network gives probability $p_y$ to the true class $y$, its loss on that example is
#
# $$L = -\sum_{k} y_k \log p_k = -\log p_y,$$
#
# where $y_k$ is the one-hot label, so only the true class's term survives. A confident
# right answer ($p_y \to 1$) costs almost nothing; a confident wrong answer ($p_y \to 0$)
# costs a lot. Over a batch we average the per-example losses.

# %%
probs = mlp.softmax(np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.0]]))
labels = mlp.one_hot(np.array([0, 0]), n_classes=3)
print("p(true class) =", probs[:, 0])
print("losses        =", -np.log(probs[:, 0]))
print("mean (cross_entropy) =", mlp.cross_entropy(probs, labels))

p = np.linspace(0.01, 1.0, 200)
fig, ax = plt.subplots(figsize=(4.5, 3))
ax.plot(p, -np.log(p))
ax.set_xlabel("probability given to the true class $p_y$")
ax.set_ylabel("loss $-\\log p_y$")
ax.set_title("Cross-entropy punishes confident mistakes")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 4. Gradient descent and SGD
#
# Training means finding weights $w$ with a small average loss $L(w)$ over the training
# set. The **gradient** $\nabla L(w)$ points in the direction in which the loss grows
# fastest, so a small step against it lowers the loss:
#
# $$w \leftarrow w - \eta \, \nabla L(w).$$
#
# The **learning rate** $\eta$ sets the step size. Too small and training crawls; too large
# and it overshoots the minimum and can diverge. Here it is on $L(w) = (w - 3)^2$, whose
# gradient is $2(w - 3)$:


# %%
def descend(lr: float, steps: int = 20, w: float = -2.0) -> list[float]:
    path = [w]
    for _ in range(steps):
        w = w - lr * 2 * (w - 3)
        path.append(w)
    return path


fig, ax = plt.subplots(figsize=(6, 3))
for lr in (0.05, 0.3, 0.9, 1.05):
    ax.plot(descend(lr), marker=".", label=f"η = {lr}")
ax.axhline(3, color="grey", linestyle=":", label="minimum")
ax.set_xlabel("step")
ax.set_ylabel("w")
ax.set_ylim(-6, 12)
ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
ax.set_title("Gradient descent on $(w-3)^2$")
fig.tight_layout()
plt.show()

# %% [markdown]
# Computing the exact gradient needs a pass over all 60,000 training images for a single
# step. **Stochastic gradient descent** estimates it from a small random **mini-batch**
# $B$ of, say, 64 or 128 examples instead:
#
# $$w \leftarrow w - \eta \, \frac{1}{|B|} \sum_{i \in B} \nabla L_i(w).$$
#
# The estimate is noisy, but it is cheap, so we make many more steps for the same
# computation. The noise may even help: Keskar et al. (2017) found that training with
# very large batches tends to end in sharper minima that generalise worse. One pass over
# the whole training set, batch after batch, is called an **epoch**.

# %% [markdown]
# ## 5. Backpropagation
#
# A network is a chain of simple functions, and the **chain rule** gives the gradient of
# the loss with respect to any weight as a product of local derivatives. Backpropagation
# computes these products from the loss backwards, layer by layer, reusing each result for
# the layer before. Take one input $x$, a hidden unit with a ReLU and a squared-error loss:
#
# $$z = w_1 x + b_1, \quad h = \max(0, z), \quad s = w_2 h + b_2, \quad L = (s - t)^2.$$
#
# Going backwards: $\frac{\partial L}{\partial s} = 2(s - t)$, then
# $\frac{\partial L}{\partial w_2} = \frac{\partial L}{\partial s} h$ and
# $\frac{\partial L}{\partial h} = \frac{\partial L}{\partial s} w_2$, then through the ReLU
# $\frac{\partial L}{\partial z} = \frac{\partial L}{\partial h} [z > 0]$, and finally
# $\frac{\partial L}{\partial w_1} = \frac{\partial L}{\partial z} x$. With numbers:

# %%
x, t = 1.5, 1.0
w1, b1, w2, b2 = 0.8, -0.2, -1.1, 0.3
# forward
z = w1 * x + b1
h = max(0.0, z)
s = w2 * h + b2
loss = (s - t) ** 2
# backward, by hand
dL_ds = 2 * (s - t)
dL_dw2 = dL_ds * h
dL_dh = dL_ds * w2
dL_dz = dL_dh * (1.0 if z > 0 else 0.0)
dL_dw1 = dL_dz * x
print(f"z={z:.3f} h={h:.3f} s={s:.3f} loss={loss:.4f}")
print(f"by hand:  dL/dw1={dL_dw1:.4f}  dL/dw2={dL_dw2:.4f}")

# %% [markdown]
# PyTorch does the same bookkeeping for us: tensors created with `requires_grad=True`
# record every operation, and `loss.backward()` walks that record backwards.

# %%
tw1, tb1, tw2, tb2 = (torch.tensor(v, requires_grad=True) for v in (w1, b1, w2, b2))
t_loss = (tw2 * torch.relu(tw1 * x + tb1) + tb2 - t) ** 2
t_loss.backward()
print(f"autograd: dL/dw1={tw1.grad.item():.4f}  dL/dw2={tw2.grad.item():.4f}")

# %% [markdown]
# For a classifier, softmax and cross-entropy together have a remarkably simple gradient
# with respect to the scores: $\frac{\partial L}{\partial z} = p - y$, the predicted
# probabilities minus the one-hot label. Autograd agrees:

# %%
scores = torch.tensor([2.0, 1.0, 0.1], requires_grad=True)
ce = torch.nn.functional.cross_entropy(scores.unsqueeze(0), torch.tensor([0]))
ce.backward()
print("autograd dL/dz:", scores.grad.numpy())
print("p - y         :", mlp.softmax(np.array([2.0, 1.0, 0.1])) - np.array([1.0, 0.0, 0.0]))

# %% [markdown]
# ## 6. Putting it together: a multi-layer perceptron
#
# The network of Section 2 has one hidden layer of 128 units:
#
# $$h = \mathrm{ReLU}(X W_1 + b_1), \qquad p = \mathrm{softmax}(h W_2 + b_2),$$
#
# with $W_1$ of shape $(784, 128)$ and $W_2$ of shape $(128, 10)$: about 100,000 weights.
# Training repeats four steps on mini-batch after mini-batch: **forward** (compute $p$),
# **loss** (cross-entropy), **backward** (gradients by backpropagation), **step** (SGD).

# %%
n_params = (784 * 128 + 128) + (128 * 10 + 10)  # W1 and b1, then W2 and b2
print(f"{n_params:,} parameters")

# %% [markdown]
# ## Quiz
#
# Answer every question with the letter of your choice, then run the check cell: it says
# which answers are wrong. All right opens Section 2; after three tries the right
# answers are shown and the section opens anyway.

# %%
quiz1 = quiz.Quiz(
    1,
    1,
    [
        quiz.Question(
            "q1",
            "A network gives the scores $z = (2, 0, 0)$ to three classes. What probability "
            "does the softmax give the first class?",
            {"a": "0.67", "b": "0.79", "c": "0.88", "d": "1.00"},
            "bc43261cb5c8b7e82957ca729d42f78ff652bf4ad3b5d41eefc722b9a69c01d4",
        ),
        quiz.Question(
            "q2",
            "A batch of two examples: the network gives the true class probability 0.5 in "
            "the first and 0.125 in the second. What is the batch's cross-entropy loss (the "
            "mean, natural logarithm)?",
            {"a": "0.31", "b": "2.77", "c": "1.39", "d": "0.69"},
            "8595ecd98156776f0c8cf943c8bfb48d2f39fcbe7b2063525ae2d228a44fcd9b",
        ),
        quiz.Question(
            "q3",
            "Softmax gives $p = (0.7, 0.2, 0.1)$ and the true class is the second. What is "
            "the gradient of the cross-entropy with respect to the three scores?",
            {
                "a": "$(0.7, -0.8, 0.1)$",
                "b": "$(-0.7, 0.8, -0.1)$",
                "c": "$(0, -0.8, 0)$",
                "d": "$(0.7, 0.2, -0.9)$",
            },
            "1d4566be7848b6dc0def9c29596f77f6577c9af039b0183d3cb28742642e983b",
        ),
        quiz.Question(
            "q4",
            "SGD with mini-batches of 128 on 60,000 images, for 3 epochs (the last, "
            "smaller batch of each epoch counts as a step). How many weight updates?",
            {"a": "469", "b": "180,000", "c": "3", "d": "1,407"},
            "b41fdd96c322faa4892f20170679a473e3fe3f500584b9a93fbfa9c4dbdd0883",
        ),
    ],
)
quiz1.show()

# %%
answers = {"q1": "", "q2": "", "q3": "", "q4": ""}  # your letters, e.g. "a"

# %% tags=["solution"]
answers = quiz1.shown_letters({"q1": "b", "q2": "c", "q3": "a", "q4": "d"})

# %%
passed = quiz1.check(answers)
