# %% [markdown]
# # Lesson 2, Section 2: a CNN's layers by hand, then a first CNN on Fashion-MNIST
#
# Here you write the layers of Section 1 yourself, forward and backward, check them against
# numerical gradients and PyTorch, and then train a convolutional network on Fashion-MNIST,
# the data set that Lesson 1 classified with an MLP:
#
# 1. the output-size formula;
# 2. a convolution layer in numpy, its **forward pass** as loops over the output positions,
# 3. and its **backward pass**: the gradients for the input, the filters and the biases;
# 4. the same forward pass as one matrix product (the way libraries compute it);
# 5. a max-pooling layer, forward and backward (ties and overlapping windows included);
# 6. the CNN itself, as an `nn.Module`,
# 7. trained, and compared with an MLP on a validation split;
# 8. pictures of what it learned: its filters and feature maps, and its mistakes.
#
# In the exercise notebook, each `# YOUR CODE HERE` marks code for you to write. It is
# checked as soon as its cell runs, and until it passes, the notebook goes on with a
# reference version, so every later cell still works. Each exercise has a hint that opens
# on a click; try without it first.
#
# Run time of the whole notebook (solutions filled in), measured once on 2 idle CPU cores
# (2026-12-05): 1.7 minutes (103 s). The test suite runs a shrunken version
# (`PRACTICUM_SMOKE=1`). Not measured on a GPU.

# %%
from practicum.coursework import quiz

quiz.require(2, 2, quiz_notebook="lesson2/section1_concepts.ipynb")

# %%
import time

import numpy as np
import torch
from IPython.display import display
from torch import nn
from torch.nn import functional as F

from practicum import train
from practicum.coursework import common, exercise
from practicum.lessons.lesson1 import mlp
from practicum.lessons.lesson2 import checks, cnn, plots

train.seed_everything(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## The data
#
# `cnn.load_fashion` gives the training images as a CNN wants them: a batch of one-channel
# images of shape (N, 1, 28, 28), standardised with the training set's mean and standard
# deviation, instead of Lesson 1's rows of 784 values. 5,000 of them, drawn at random, are
# set aside as a **validation** split: every number below that is not about the training
# images comes from it. The test split belongs to Lesson 1's homework and is not used here.

# %%
x_all, y_all = cnn.load_fashion("train")
x_train, y_train, x_val, y_val = cnn.split_validation(
    x_all, y_all, common.scale(5_000, 200), seed=0
)
classes = mlp.FASHION_MNIST_CLASSES
print(f"train {x_train.shape}  validation {x_val.shape}")

# %% [markdown]
# ## 1. Output sizes
#
# Write `conv_output_size(size, kernel, stride, padding)`: the length of the output along
# one side, for an input of length `size`, the formula of Section 1, part 2.

# %% [markdown]
# <details><summary>Hint</summary>
#
# $\lfloor (n + 2p - k) / s \rfloor + 1$; Python's `//` divides and rounds down in one go.
#
# </details>


# %%
def conv_output_size(size, kernel, stride=1, padding=0):
    """Output length along one axis of a convolution or pooling layer."""
    ### BEGIN SOLUTION
    return (size + 2 * padding - kernel) // stride + 1
    ### END SOLUTION


conv_output_size = exercise.checked(
    conv_output_size,
    lesson=2,
    exercise="conv_output_size",
    cases=[(28, 3), (28, 3, 1, 1), (32, 5), (28, 2, 2), (32, 3, 2, 1), (224, 7, 2, 3)],
)

# %% [markdown]
# ## 2. A convolution layer, forward
#
# Write `conv_forward(x, w, b, stride, pad)` in numpy, for a batch of images `x` of shape
# (N, C, H, W), filters `w` (F, C, k, k) and biases `b` (F,). First surround every image
# with `pad` zeros on each side of its height and width (not of the batch or channel
# axes); call the result $x_p$. Then every output value is
#
# $$\text{out}[n, f, i, j] = b_f + \sum_{c=0}^{C-1} \sum_{u=0}^{k-1} \sum_{v=0}^{k-1}
#   w[f, c, u, v]\; x_p[n, c,\; i s + u,\; j s + v],$$
#
# for $i$ and $j$ over the output positions ($H'$ and $W'$ from your `conv_output_size`).
# Loops over the output positions are fine (they are what this exercise is about); the
# sum over one patch can be one numpy expression. The result is what
# `F.conv2d(x, w, b, stride=stride, padding=pad)` gives.
#
# The check compares it with `F.conv2d` at strides 1 and 2, with and without padding, on
# images that are not square, and names the usual mistakes: the filter flipped (a
# mathematician's convolution), the bias missing or added once per channel, the windows
# moving one pixel at a time whatever the stride, only one input channel summed.

# %% [markdown]
# <details><summary>Hint</summary>
#
# `np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))` pads only height and width. The
# patch of output (i, j) for all images at once is `xp[:, :, i*s : i*s + k, j*s : j*s + k]`,
# shape (N, C, k, k); `np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))` multiplies it
# with every filter and sums over C, k, k, giving (N, F).
#
# </details>


# %%
def conv_forward(x, w, b, stride=1, pad=0):
    """(N, F, H', W') outputs of the filters w (F, C, k, k) and biases b (F,) on x (N, C, H, W)."""
    ### BEGIN SOLUTION
    k = w.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    rows = conv_output_size(x.shape[2], k, stride, pad)
    cols = conv_output_size(x.shape[3], k, stride, pad)
    out = np.zeros((x.shape[0], w.shape[0], rows, cols))
    for i in range(rows):
        for j in range(cols):
            top, left = i * stride, j * stride
            patch = xp[:, :, top : top + k, left : left + k]
            out[:, :, i, j] = np.einsum("ncuv,fcuv->nf", patch, w) + b
    return out
    ### END SOLUTION


conv_forward = exercise.checked(
    conv_forward, lesson=2, exercise="conv_forward", check=checks.check_conv_forward
)

# %% [markdown]
# Section 1's edge filter, through your layer: one image, one filter, no padding.

# %%
edge_image = np.zeros((1, 1, 6, 6))
edge_image[..., 3:] = 1.0
edge_filter = np.array([[-1.0, 0.0, 1.0]] * 3).reshape(1, 1, 3, 3)
print(conv_forward(edge_image, edge_filter, np.zeros(1))[0, 0])

# %% [markdown]
# ## 3. A convolution layer, backward
#
# Training needs the gradients. Write `conv_backward(dout, x, w, stride, pad)`: given
# `dout`, the gradient of the loss with respect to the layer's output (shape
# (N, F, H', W')), return the tuple `(dx, dw, db)` of the gradients with respect to `x`,
# `w` and `b`, each of the shape of what it is the gradient of. No autograd: this is
# the chain rule, applied to the formula of part 2.
#
# Read the formula backwards. Each output value $\text{out}[n, f, i, j]$ was made from one
# patch of $x_p$, the whole filter $w[f]$ and the bias $b_f$, so its gradient
# $\text{dout}[n, f, i, j]$ flows back to exactly those. Patches overlap (and every image
# uses the same filters), so what arrives at one number from several outputs adds up. The
# gradient for the zeros of the padding is thrown away at the end.
#
# The check compares your three gradients with **numerical gradients** (central
# differences of the loss $\sum \text{out} \cdot \text{dout}$, one number at a time) and
# with PyTorch's autograd, at strides 1 and 2, with and without padding. It names the
# usual mistakes: dx with the padding still on, db not summed over the positions, a
# gradient averaged over the batch, dx computed with the filter flipped.

# %% [markdown]
# <details><summary>Hint</summary>
#
# Loop over the output positions (i, j) as in the forward pass; `dout[:, :, i, j]`, of
# shape (N, F), is what arrives there. The patch that position read gets, image by image,
# the sum over the filters of that gradient times the filter (a `np.tensordot` over the F
# axes), added (`+=`) into a zero array of the padded input's shape. Each filter gets the
# sum over the images of that gradient times the patch (a `tensordot` over the N axes). At
# the end cut the padding off, and let `db` sum `dout` over every axis but the filters'.
#
# </details>


# %%
def conv_backward(dout, x, w, stride=1, pad=0):
    """(dx, dw, db) for the upstream gradient dout (N, F, H', W') of conv_forward(x, w, b)."""
    ### BEGIN SOLUTION
    h, width = x.shape[2:]
    k = w.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows, cols = slice(i * stride, i * stride + k), slice(j * stride, j * stride + k)
            g = dout[:, :, i, j]
            dw += np.tensordot(g, xp[:, :, rows, cols], axes=([0], [0]))
            dxp[:, :, rows, cols] += np.tensordot(g, w, axes=([1], [0]))
    db = dout.sum(axis=(0, 2, 3))
    return dxp[:, :, pad : pad + h, pad : pad + width], dw, db
    ### END SOLUTION


conv_backward = exercise.checked(
    conv_backward, lesson=2, exercise="conv_backward", check=checks.check_conv_backward
)

# %% [markdown]
# This is the **gradient check** the check ran, done in the open: nudge every number of
# `x`, `w` and `b` by $\pm 10^{-6}$, see how the loss moves, and compare with your
# gradients. The relative error $\max|a - b| / \max(|a| + |b|)$ is about $10^{-10}$ (the
# round-off of float64) for a right backward pass, and near 1 for a wrong one.

# %%
x, w, b = checks.conv_inputs(seed=5)
dout = np.random.default_rng(5).normal(size=conv_forward(x, w, b, 2, 1).shape)
numeric = checks.conv_gradients(x, w, b, dout, stride=2, pad=1)
for name, mine, approx in zip(
    ("dx", "dw", "db"), conv_backward(dout, x, w, 2, 1), numeric, strict=True
):
    print(
        f"{name}: relative error to the numerical gradient {checks.relative_error(mine, approx):.1e}"
    )

# %% [markdown]
# ## 4. The same convolution as one matrix product
#
# A loop over every position is far too slow for real networks. Libraries turn a
# convolution into a single matrix product instead: cut out every $k \times k$ patch of the
# input (over all input channels) and lay it out as one column, lay each filter out as one
# row, and multiply. PyTorch's `F.unfold` does the cutting (the trick is also called
# *im2col*). On a 4 × 4 image with 2 × 2 patches:

# %%
tiny = torch.arange(16.0).reshape(1, 1, 4, 4)
print(tiny[0, 0])
columns = F.unfold(tiny, kernel_size=2)
print("unfold:", tuple(columns.shape), "= (images, channels x 2 x 2, patches)")
print(columns[0])

# %% [markdown]
# Write `conv2d_unfold(x, weight, bias, stride, padding)` with torch tensors, equal to
# `F.conv2d(x, weight, bias, stride=stride, padding=padding)` for `x` of shape (N, C, H, W)
# and `weight` (O, C, k, k), with no loop at all: the patches from `F.unfold` (it takes
# the padding and the stride too), one matrix product with the filters, the bias if it is
# not `None`, and the result in the shape (N, O, H', W'). Work out the shape of every
# intermediate result before you write it; the check runs the same settings as for
# `conv_forward`.

# %% [markdown]
# <details><summary>Hint</summary>
#
# `F.unfold(x, (k, k), padding=padding, stride=stride)` gives (N, C·k·k, L), L the number
# of output positions; the filters as a matrix are `weight.reshape(O, -1)` (O, C·k·k), and
# `@` broadcasts over the batch: (O, C·k·k) @ (N, C·k·k, L) is (N, O, L). The bias needs
# the shape (1, O, 1) to be added to every position.
#
# </details>


# %%
def conv2d_unfold(x, weight, bias=None, stride=1, padding=0):
    """A 2-D convolution as one matrix product over unfolded patches."""
    ### BEGIN SOLUTION
    n, _, h, w = x.shape
    out_channels, _, k, _ = weight.shape
    cols = F.unfold(x, (k, k), padding=padding, stride=stride)
    out = weight.reshape(out_channels, -1) @ cols
    if bias is not None:
        out = out + bias.reshape(1, -1, 1)
    out_h = conv_output_size(h, k, stride, padding)
    out_w = conv_output_size(w, k, stride, padding)
    return out.reshape(n, out_channels, out_h, out_w)
    ### END SOLUTION


conv2d_unfold = exercise.checked(
    conv2d_unfold, lesson=2, exercise="conv2d_unfold", check=checks.check_conv2d_unfold
)

# %% [markdown]
# How much faster is one matrix product than a loop over positions? A batch of 64 images
# through 32 filters of 3 × 3, with your loop, your matrix product, and PyTorch's own
# `F.conv2d`:

# %%
images = torch.from_numpy(x_train[:64]).double()
filters, biases = (
    torch.randn(32, 1, 3, 3, dtype=torch.float64),
    torch.zeros(32, dtype=torch.float64),
)
timings = {}
for name, run in [
    (
        "loop (conv_forward)",
        lambda: conv_forward(images.numpy(), filters.numpy(), biases.numpy(), 1, 1),
    ),
    (
        "unfold + matrix product",
        lambda: conv2d_unfold(images, filters, biases, stride=1, padding=1),
    ),
    ("F.conv2d", lambda: F.conv2d(images, filters, biases, padding=1)),
]:
    started = time.perf_counter()
    result = np.asarray(run())
    timings[name] = time.perf_counter() - started
    print(f"{name:<24} {timings[name] * 1000:8.1f} ms")
print(
    "same result:",
    np.allclose(result, conv_forward(images.numpy(), filters.numpy(), biases.numpy(), 1, 1)),
)

# %% [markdown]
# ## 5. Max-pooling, forward and backward
#
# Write `maxpool_forward(x, size, stride)`: for every channel of every image, the largest
# value of each `size` × `size` window, windows `stride` apart (no padding), as
# `F.max_pool2d(x, size, stride)` computes. Then `maxpool_backward(dout, x, size, stride)`:
# the gradient with respect to `x`. The maximum of a window depends on one input only,
# the one that was largest, so the window's gradient goes there and nowhere else. Two
# details decide whether your layer agrees with PyTorch:
#
# - **ties**: when several values of a window are equal to its maximum, the first of them
#   in reading order (row by row) takes the whole gradient, as PyTorch does (nudging
#   either one up would change the output, so the derivative is not defined there; any
#   one of them is a valid choice, but giving it to *all* of them multiplies it);
# - **overlapping windows** (stride smaller than size, as in 3 × 3 windows with stride
#   2): one input can be the maximum of two windows, and then it gets both gradients.
#
# The checks compare with `F.max_pool2d` and, for the backward pass, with numerical
# gradients (on values without ties) and with PyTorch's gradients on windows full of ties.

# %% [markdown]
# <details><summary>Hint</summary>
#
# Forward: the window of output (i, j) is `x[:, :, i*s : i*s + size, j*s : j*s + size]`,
# and `.max(axis=(2, 3))` takes every image's and channel's maximum at once.
#
# Backward: reshape the window to (N, C, size·size); `argmax(axis=2)` gives the first
# maximum's place (ties included); a zero array with a 1 there (`np.put_along_axis`), times
# `dout[:, :, i, j]`, reshaped back, is added (`+=`) to `dx` at the window.
#
# </details>


# %%
def maxpool_forward(x, size=2, stride=2):
    """(N, C, H', W'): the maximum of every size x size window, windows stride apart."""
    ### BEGIN SOLUTION
    rows = conv_output_size(x.shape[2], size, stride)
    cols = conv_output_size(x.shape[3], size, stride)
    out = np.zeros((*x.shape[:2], rows, cols))
    for i in range(rows):
        for j in range(cols):
            top, left = i * stride, j * stride
            out[:, :, i, j] = x[:, :, top : top + size, left : left + size].max(axis=(2, 3))
    return out
    ### END SOLUTION


def maxpool_backward(dout, x, size=2, stride=2):
    """dx: each window's gradient at the (first) input that was its maximum."""
    ### BEGIN SOLUTION
    n, c = x.shape[:2]
    dx = np.zeros(x.shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows = slice(i * stride, i * stride + size)
            cols = slice(j * stride, j * stride + size)
            window = x[:, :, rows, cols].reshape(n, c, -1)
            winner = np.zeros(window.shape)
            np.put_along_axis(winner, window.argmax(axis=2)[..., None], 1.0, axis=2)
            dx[:, :, rows, cols] += (winner * dout[:, :, i, j][..., None]).reshape(n, c, size, size)
    return dx
    ### END SOLUTION


maxpool_forward = exercise.checked(
    maxpool_forward, lesson=2, exercise="maxpool_forward", check=checks.check_maxpool_forward
)
maxpool_backward = exercise.checked(
    maxpool_backward, lesson=2, exercise="maxpool_backward", check=checks.check_maxpool_backward
)

# %% [markdown]
# Your layers together: conv → ReLU → max-pool, forward and backward in numpy, on two
# small images, against PyTorch's autograd on the same numbers. The ReLU's zeros make
# ties in the pooling windows, and still the gradients agree.

# %%
rng = np.random.default_rng(7)
x = rng.normal(size=(2, 1, 8, 8))
w, b = rng.normal(size=(3, 1, 3, 3)), rng.normal(size=3)
hidden = conv_forward(x, w, b, 1, 1)
pooled = maxpool_forward(np.maximum(hidden, 0), 2, 2)
dpooled = rng.normal(size=pooled.shape)
drelu = maxpool_backward(dpooled, np.maximum(hidden, 0), 2, 2) * (hidden > 0)
dx, dw, db = conv_backward(drelu, x, w, 1, 1)

leaves = [torch.tensor(v, requires_grad=True) for v in (x, w, b)]
out = F.max_pool2d(F.relu(F.conv2d(leaves[0], leaves[1], leaves[2], padding=1)), 2)
out.backward(torch.from_numpy(dpooled))
for name, mine, leaf in zip(("dx", "dw", "db"), (dx, dw, db), leaves, strict=True):
    gap = np.abs(mine - leaf.grad.numpy()).max()
    print(f"{name}: largest difference to PyTorch's autograd {gap:.1e}")

# %% [markdown]
# ## 6. The CNN
#
# From now on PyTorch's layers do the work your functions did: `nn.Conv2d`,
# `nn.MaxPool2d`, `nn.Linear`, with autograd for the backward passes. Build the network of
# Section 1, part 6, as an `nn.Module` for one-channel 28 × 28 images:
#
# - two blocks, each a 3 × 3 convolution that keeps the image size, a ReLU, and a 2 × 2
#   max-pooling that halves it; the first convolution has 32 filters, the second 64;
# - then every image's feature maps flattened into one vector, a Linear layer of 128
#   units with a ReLU, and a Linear layer to the 10 class scores (no softmax: the loss
#   takes scores).
#
# Name the layers `conv1`, `conv2`, `fc1` and `fc2` (the pooling has no weights, so both
# blocks may share one); the check loads a reference network's weights into yours under
# those names and compares the outputs. The size of `fc1`'s input is yours to work out.

# %% [markdown]
# <details><summary>Hint</summary>
#
# "Keeps the image size" means padding 1 for a 3 × 3 filter. After two halvings a 28 × 28
# image is 7 × 7, with 64 channels. `x.flatten(1)` flattens every image but keeps the
# batch axis; `F.relu` is the ReLU as a function.
#
# </details>


# %%
class MyCNN(nn.Module):
    def __init__(self):
        super().__init__()
        ### BEGIN SOLUTION
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)
        ### END SOLUTION


CNN = exercise.checked(MyCNN, lesson=2, exercise="cnn", check=checks.check_cnn, name="MyCNN")

# %% [markdown]
# ## 7. Training
#
# The network trains like any other with `practicum.train.fit`: Adam with learning rate
# $10^{-3}$, mini-batches of 128, and the validation images measured after every epoch.

# %%
EPOCHS = common.scale(5, 1)
train_loader = train.make_loader(x_train, y_train, batch_size=128, shuffle=True)
val_loader = train.make_loader(x_val, y_val, batch_size=1024)

train.seed_everything(0)
cnn_model = CNN()
cnn_history = train.fit(
    cnn_model,
    train_loader,
    epochs=EPOCHS,
    optimizer=torch.optim.Adam(cnn_model.parameters(), lr=1e-3),
    val=val_loader,
)

# %% [markdown]
# For comparison, the two-hidden-layer MLP of Lesson 1 with the same optimizer, the same
# data and the same number of epochs (it flattens the images itself):

# %%
train.seed_everything(0)
mlp_model = mlp.MLP(hidden=(512, 256))
mlp_history = train.fit(
    mlp_model,
    train_loader,
    epochs=EPOCHS,
    optimizer=torch.optim.Adam(mlp_model.parameters(), lr=1e-3),
    val=val_loader,
    progress=False,
)
for name, model, history in (("MLP", mlp_model, mlp_history), ("CNN", cnn_model, cnn_history)):
    print(
        f"{name}: {cnn.count_parameters(model):>9,} parameters  "
        f"validation accuracy {history['val_acc'][-1]:.4f}  {sum(history['time']):.0f} s"
    )
train.plot_history(
    {"MLP": mlp_history, "CNN": cnn_history}, title="Fashion-MNIST, validation split"
)

# %% [markdown]
# ## 8. What did it learn?
#
# ### Filters
#
# The 32 filters of the first layer, each 3 × 3 (red: positive weights, blue: negative).
# Look for small edge and contrast detectors among them, like the hand-made ones of
# Section 1: nobody told the network to look for edges.

# %%
plots.plot_filters(cnn_model.conv1, title="conv1: 32 learned 3 x 3 filters")

# %% [markdown]
# ### Feature maps
#
# What each filter makes of one validation image: the outputs of `conv1` (28 × 28, close
# to the image) and of `conv2` (14 × 14, after one pooling; more abstract, each sees a
# larger part of the image). Bright means strongly active.

# %%
example = x_val[0]
display(common.image_grid(example.reshape(1, 28, 28), [y_val[0]], class_names=classes))
display(plots.plot_feature_maps(cnn_model, cnn_model.conv1, example, max_maps=16, title="conv1"))
plots.plot_feature_maps(cnn_model, cnn_model.conv2, example, max_maps=16, title="conv2")

# %% [markdown]
# ### Mistakes
#
# Which validation images does the CNN still get wrong? Look at which classes the
# mistakes fall between, and whether you could tell those images apart yourself at
# 28 × 28 pixels.

# %%
predicted = train.predict(cnn_model, x_val).argmax(1).numpy()
print(f"{np.sum(predicted != y_val)} of {len(y_val)} validation images are misclassified")
if np.any(predicted != y_val):
    display(plots.plot_misclassified(x_val, y_val, predicted, classes, n=16, rescale=True))

# %% [markdown]
# **Next:** Section 3 moves to CIFAR-10's colour photographs, which are much harder, and
# explains the techniques that take a CNN from a first result to a good one.

# %% [markdown]
# ## Your exercises
#
# Which of this lesson's exercises are done, and where the notebook went on with the
# reference version instead. Go back to those: the check says what is still wrong.

# %%
exercise.summary(2)
