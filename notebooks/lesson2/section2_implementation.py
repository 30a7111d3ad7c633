# %% [markdown]
# # Lesson 2, Section 2: a first CNN, on Fashion-MNIST
#
# Here you build the pieces of Section 1 yourself and train a convolutional network on
# Fashion-MNIST, the data set that Lesson 1's homework classified with an MLP:
#
# 1. the output-size formula;
# 2. a convolution layer as one matrix product (the way libraries compute it);
# 3. the CNN itself, as an `nn.Module`;
# 4. training it, and comparing it with an MLP;
# 5. pictures of what it learned: its filters and feature maps, and its mistakes.
#
# In the exercise notebook, each `# YOUR CODE HERE` marks code for you to write. It is
# checked as soon as its cell runs, and until it passes, the notebook goes on with a
# reference version, so every later cell still works.

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
from practicum.lessons.lesson2 import cnn, plots

train.seed_everything(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## The data
#
# `cnn.load_fashion` gives the images as a CNN wants them: a batch of one-channel
# images of shape (N, 1, 28, 28), standardised with the training set's mean and standard
# deviation, instead of Lesson 1's rows of 784 values.

# %%
x_train, y_train = cnn.load_fashion("train")
x_test, y_test = cnn.load_fashion("test")
classes = mlp.FASHION_MNIST_CLASSES
print(f"train {x_train.shape}  test {x_test.shape}")

# %% [markdown]
# ## 1. Output sizes
#
# Write `conv_output_size(size, kernel, stride, padding)`: the length of the output
# along one side, $\lfloor (n + 2p - k) / s \rfloor + 1$. Python's `//` divides and
# rounds down in one go.


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
# ## 2. A convolution layer by hand
#
# A loop over every position, as in Section 1, is far too slow for real networks. Libraries
# turn a convolution into a single matrix product instead: first cut out every
# $k \times k$ patch of the input (over all input channels) and lay it out as one column,
# then multiply by the filters laid out as rows. PyTorch's `F.unfold` does the cutting
# (the trick is also called *im2col*). On a 4 × 4 image with 2 × 2 patches:

# %%
tiny = torch.arange(16.0).reshape(1, 1, 4, 4)
print(tiny[0, 0])
columns = F.unfold(tiny, kernel_size=2)
print("unfold:", tuple(columns.shape), "= (images, channels x 2 x 2, patches)")
print(columns[0])

# %% [markdown]
# Write `conv2d_unfold(x, weight, bias, stride, padding)`, equal to
# `F.conv2d(x, weight, bias, stride=stride, padding=padding)` for `x` of shape
# (N, C, H, W) and `weight` of shape (O, C, k, k):
#
# 1. `cols = F.unfold(x, (k, k), padding=padding, stride=stride)`: shape (N, C·k·k, L);
# 2. `weight.reshape(O, -1) @ cols`: shape (N, O, L), each column one output position;
# 3. add the bias (shape (O,)) to every position, if it is not `None`;
# 4. reshape to (N, O, H', W'), with $H'$ and $W'$ from your `conv_output_size`.


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


def matches_conv2d(candidate):
    torch.manual_seed(0)
    x, weight, bias = torch.randn(2, 3, 9, 7), torch.randn(4, 3, 3, 3), torch.randn(4)
    for stride, padding in [(1, 0), (1, 1), (2, 1)]:
        got = candidate(x, weight, bias, stride=stride, padding=padding)
        expected = F.conv2d(x, weight, bias, stride=stride, padding=padding)
        assert got.shape == expected.shape, (
            f"stride {stride}, padding {padding}: shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
        )
        assert torch.allclose(got, expected, atol=1e-4), (
            f"stride {stride}, padding {padding}: values differ from F.conv2d"
        )
    no_bias = candidate(x, weight, None)
    assert torch.allclose(no_bias, F.conv2d(x, weight), atol=1e-4), "wrong without a bias"


conv2d_unfold = exercise.checked(
    conv2d_unfold, lesson=2, exercise="conv2d_unfold", check=matches_conv2d
)

# %% [markdown]
# How much faster is one matrix product than a loop over positions? One image, eight
# 3 × 3 filters:

# %%
image = torch.from_numpy(x_train[:1])
weights = torch.randn(8, 1, 3, 3)
started = time.perf_counter()
loop = [cnn.correlate2d(image[0, 0].numpy(), w[0].numpy(), padding=1) for w in weights]
loop_time = time.perf_counter() - started
started = time.perf_counter()
matrix = conv2d_unfold(image, weights, None, stride=1, padding=1)
unfold_time = time.perf_counter() - started
print(
    f"loop in numpy: {loop_time * 1000:.1f} ms   unfold + matrix product: {unfold_time * 1000:.2f} ms"
)
print("same result:", np.allclose(np.stack(loop), matrix[0].numpy(), atol=1e-4))

# %% [markdown]
# ## 3. The CNN
#
# Now the network of Section 1, as an `nn.Module`. In `__init__`, create:
#
# - `self.conv1`: `nn.Conv2d` from 1 to 32 channels, 3 × 3, padding 1;
# - `self.conv2`: `nn.Conv2d` from 32 to 64 channels, 3 × 3, padding 1;
# - `self.pool`: `nn.MaxPool2d(2)` (it has no weights, so both blocks can share it);
# - `self.fc1`: `nn.Linear` from 64 · 7 · 7 to 128; `self.fc2`: `nn.Linear` from 128 to 10.
#
# In `forward`: conv1 → ReLU → pool, conv2 → ReLU → pool, flatten each image
# (`x.flatten(1)`), fc1 → ReLU, fc2. The check builds your network and compares its output
# shape and its number of weights with `cnn.FirstCNN`.


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


def same_network_as_reference(network_class, reference_class):
    model, reference = network_class(), reference_class()
    out = model(torch.zeros(5, 1, 28, 28))
    assert out.shape == (5, 10), f"output shape {tuple(out.shape)}, expected (5, 10)"
    mine, theirs = cnn.count_parameters(model), cnn.count_parameters(reference)
    assert mine == theirs, f"{mine:,} parameters, expected {theirs:,}"
    for name in ("conv1", "conv2"):
        assert isinstance(getattr(model, name, None), nn.Conv2d), f"self.{name} is not an nn.Conv2d"
    # with the reference's weights it must compute the same function
    model.load_state_dict(reference.state_dict())
    x = torch.randn(3, 1, 28, 28)
    assert torch.allclose(model(x), reference(x), atol=1e-5), "forward differs from FirstCNN's"


CNN = exercise.checked(
    MyCNN, lesson=2, exercise="cnn", check=same_network_as_reference, name="MyCNN"
)

# %% [markdown]
# ## 4. Training
#
# The network trains like any other with `practicum.train.fit`. Adam with learning rate
# $10^{-3}$ and mini-batches of 128; the test set is measured after every epoch.

# %%
EPOCHS = common.scale(5, 1)
train_loader = train.make_loader(x_train, y_train, batch_size=128, shuffle=True)
test_loader = train.make_loader(x_test, y_test, batch_size=1024)

train.seed_everything(0)
cnn_model = CNN()
cnn_history = train.fit(
    cnn_model,
    train_loader,
    epochs=EPOCHS,
    optimizer=torch.optim.Adam(cnn_model.parameters(), lr=1e-3),
    val=test_loader,
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
    val=test_loader,
    progress=False,
)
for name, model, history in (("MLP", mlp_model, mlp_history), ("CNN", cnn_model, cnn_history)):
    print(
        f"{name}: {cnn.count_parameters(model):>9,} parameters  "
        f"test accuracy {history['val_acc'][-1]:.4f}  {sum(history['time']):.0f} s"
    )
train.plot_history({"MLP": mlp_history, "CNN": cnn_history}, title="Fashion-MNIST")

# %% [markdown]
# ## 5. What did it learn?
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
# What each filter makes of one test image: the outputs of `conv1` (28 × 28, close to the
# image) and of `conv2` (14 × 14, after one pooling; more abstract, each sees a larger part
# of the image). Bright means strongly active.

# %%
example = x_test[0]
display(common.image_grid(example.reshape(1, 28, 28), [y_test[0]], class_names=classes))
display(plots.plot_feature_maps(cnn_model, cnn_model.conv1, example, max_maps=16, title="conv1"))
plots.plot_feature_maps(cnn_model, cnn_model.conv2, example, max_maps=16, title="conv2")

# %% [markdown]
# ### Mistakes
#
# Which test images does the CNN still get wrong? In Fashion-MNIST, shirts, T-shirts,
# pullovers and coats are the usual suspects: at 28 × 28 pixels they can be hard to tell
# apart even for people.

# %%
predicted = train.predict(cnn_model, x_test).argmax(1).numpy()
print(f"{np.sum(predicted != y_test)} of {len(y_test)} test images are misclassified")
if np.any(predicted != y_test):
    display(plots.plot_misclassified(x_test, y_test, predicted, classes, n=16, rescale=True))

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
