# %% [markdown]
# # Lesson 2, Section 1: how a convolutional network sees
#
# The networks of Lesson 1 read an image as one long row of 784 numbers. They have no
# idea that pixel 1 sits next to pixel 2, or that a shirt is still a shirt when it moves
# two pixels to the right: every position has to be learned separately. A
# **convolutional neural network** (CNN) builds both facts in. This section explains its
# parts, each with a small example you can change and re-run:
#
# 1. convolution: one small filter slid over the whole image;
# 2. padding and stride: what happens at the border, and how to shrink an image;
# 3. channels: colour images, and many filters at once;
# 4. pooling: keeping the strongest answer of each small region;
# 5. parameter sharing: why a CNN needs a tiny fraction of an MLP's weights.
#
# A short quiz at the end opens Section 2, where you implement a CNN and train it.
#
# Run time of the whole notebook (solutions filled in), measured once on 2 idle CPU cores
# (2026-12-05): 4 s. The test suite runs a shrunken version (`PRACTICUM_SMOKE=1`). Not
# measured on a GPU.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from practicum.coursework import quiz
from practicum.lessons.lesson1 import mlp
from practicum.lessons.lesson2 import cnn, diagrams

np.set_printoptions(precision=3, suppress=True)

# %% [markdown]
# ## 1. Convolution
#
# A **filter** (or *kernel*) is a small grid of weights, say 3 × 3. Place it on the top
# left corner of the image, multiply each weight with the pixel under it and add up the
# nine products: that is the first output value. Slide it one pixel to the right and do
# it again, row by row, until it has visited every position. For an image $x$ and a
# filter $w$ of size $k \times k$:
#
# $$y_{i,j} = \sum_{u=0}^{k-1} \sum_{v=0}^{k-1} w_{u,v} \, x_{i+u,\, j+v} + b,$$
#
# where $b$ is one number, the filter's **bias**, added to every output. The output is
# again an image, a **feature map**: large where the image looks like the filter. Here is
# a 6 × 6 image, dark (0) on the left and bright (1) on the right, and a filter that
# responds to exactly that kind of vertical edge:

# %%
image = np.zeros((6, 6))
image[:, 3:] = 1.0
kernel = np.array([[-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]])
print("image:\n", image)
print("the first output, by hand:", np.sum(image[0:3, 0:3] * kernel))
print("the output at row 0, column 2:", np.sum(image[0:3, 2:5] * kernel))
edges = cnn.correlate2d(image, kernel)
print("all outputs (cnn.correlate2d):\n", edges)

# %% [markdown]
# The feature map is 4 × 4: a 3 × 3 filter fits in only four positions along each side
# of a 6 × 6 image. It is zero where the image is flat, and 3 where the filter straddles
# the edge. The filter slides row by row; for three of its positions, the patch it
# covers and the output value that patch makes:

# %%
diagrams.draw_sliding_convolution(image, kernel, positions=[(0, 0), (0, 1), (2, 2)])

# %% [markdown]
# Strictly speaking this is *cross-correlation*: a mathematician's convolution flips the
# filter first. Deep-learning libraries skip the flip and still call it convolution; since
# the weights are learned, it makes no difference. PyTorch's `nn.Conv2d` computes the same
# thing on a batch of images of shape (N, channels, height, width):

# %%
conv = nn.Conv2d(in_channels=1, out_channels=1, kernel_size=3, bias=False)
with torch.no_grad():
    conv.weight.copy_(torch.tensor(kernel).reshape(1, 1, 3, 3))
out = conv(torch.tensor(image, dtype=torch.float32).reshape(1, 1, 6, 6))
print("nn.Conv2d output shape", tuple(out.shape))
print(out[0, 0].detach().numpy())

# %% [markdown]
# On a real image, filters like this one find its outlines. Here are a vertical and a
# horizontal edge filter applied to a few Fashion-MNIST images, shown as they are (bright
# garment on a black background). Blue marks where the image gets brighter from left to
# right (vertical edges) or from top to bottom (horizontal edges), red where it gets
# darker:

# %%
x_clothes, y_clothes = mlp.load_split("fashion-mnist", "train", limit=2000)
pictures = x_clothes[:3].reshape(3, 28, 28)
filters = {"vertical edges": kernel, "horizontal edges": kernel.T}
fig, axes = plt.subplots(3, 3, figsize=(6.5, 6.5))
for row, picture in enumerate(pictures):
    axes[row, 0].imshow(picture, cmap="gray")
    for col, (name, weights) in enumerate(filters.items(), start=1):
        response = cnn.correlate2d(picture, weights, padding=1)
        limit = np.abs(response).max()
        axes[row, col].imshow(response, cmap="RdBu", vmin=-limit, vmax=limit)
        axes[0, col].set_title(name)
axes[0, 0].set_title("image")
for ax in axes.flat:
    ax.axis("off")
fig.tight_layout()
plt.show()

# %% [markdown]
# In a CNN nobody writes the filters: they start random and training finds the ones that
# help classify. Section 2 shows what a trained network's filters look like.
#
# ## 2. Padding and stride
#
# A $k \times k$ filter fits in $n - k + 1$ positions along a side of length $n$, so every
# convolution shrinks the image, and pixels at the border are seen less often than those
# in the middle. **Padding** adds a frame of $p$ zeros around the image first; with
# $p = (k - 1)/2$ (1 for a 3 × 3 filter) the output keeps the input's size.
#
# **Stride** $s$ moves the filter $s$ pixels at a time instead of one; stride 2 halves the
# output's size. Together, along each side:
#
# $$n_{out} = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1.$$

# %%
print(np.pad(image[:3, :3], 1))  # a 3x3 corner with a padding of 1
print(f"{'kernel':>6} {'padding':>7} {'stride':>6} {'28 -> ':>8}")
for k, p, s in [(3, 0, 1), (3, 1, 1), (5, 2, 1), (3, 1, 2), (2, 0, 2), (7, 3, 2)]:
    size = cnn.conv_output_size(28, k, stride=s, padding=p)
    actual = nn.Conv2d(1, 1, k, stride=s, padding=p)(torch.zeros(1, 1, 28, 28)).shape[-1]
    print(f"{k:>6} {p:>7} {s:>6} {size:>8}   (nn.Conv2d gives {actual})")

# %% [markdown]
# ## 3. Channels
#
# A colour image has three **channels** (red, green, blue): its tensor has shape
# (3, height, width). A filter then has a $k \times k$ grid of weights *for every input
# channel*, and it adds up the products over all of them: a single output value mixes the
# colours of a small neighbourhood. A layer has many filters, one per **output channel**,
# so its weight tensor has shape (out channels, in channels, $k$, $k$), plus one bias per
# output channel.

# %%
torch.manual_seed(0)
colour_conv = nn.Conv2d(in_channels=3, out_channels=8, kernel_size=3)
x = torch.randn(1, 3, 6, 6)  # one colour image of 6 x 6
print("weight", tuple(colour_conv.weight.shape), " bias", tuple(colour_conv.bias.shape))
print("output", tuple(colour_conv(x).shape))
# output channel 0 by hand: one 2-D correlation per input channel, summed, plus the bias
w, b = colour_conv.weight.detach().numpy(), colour_conv.bias.detach().numpy()
by_hand = sum(cnn.correlate2d(x[0, c].numpy(), w[0, c]) for c in range(3)) + b[0]
print(
    "largest difference to nn.Conv2d:",
    np.abs(by_hand - colour_conv(x)[0, 0].detach().numpy()).max(),
)

# %% [markdown]
# ## 4. Pooling
#
# A **pooling** layer shrinks each feature map on its own: max-pooling with a 2 × 2
# window and stride 2 keeps the largest of every four values, halving height and width.
# It keeps the strongest evidence that a feature is *somewhere* in the region and forgets
# exactly where: after it, the network is a little less sensitive to small shifts, and
# the next filters see a larger part of the image for the same cost. Average pooling
# keeps the mean instead.

# %%
grid = np.array([[1, 3, 2, 0], [4, 2, 1, 1], [0, 1, 5, 6], [2, 2, 7, 1]], dtype=np.float32)
t = torch.tensor(grid).reshape(1, 1, 4, 4)
print("input:\n", grid)
print("max-pool 2x2:\n", nn.MaxPool2d(2)(t)[0, 0].numpy())
print("average-pool 2x2:\n", nn.AvgPool2d(2)(t)[0, 0].numpy())
# the same picture one pixel to the right: a column of zeros comes in on the left and the
# last column falls off (torch.roll would wrap it around to the left instead)
shifted = F.pad(t, (1, 0))[..., :-1]
print("shifted input:\n", shifted[0, 0].numpy())
print("max-pool of the shifted input:\n", nn.MaxPool2d(2)(shifted)[0, 0].numpy())

# %% [markdown]
# Three of the four pooled values are the same after the shift: only the top-right window
# changed, because the 3 moved into it. A shift by one pixel changes some of a
# max-pooling's outputs, not all of them; that is the "a little less sensitive" above,
# not invariance.
#
# ## 5. Parameter sharing
#
# A convolution uses the *same* few weights at every position of the image: a filter that
# finds an edge in the top left corner finds it anywhere. A fully connected layer instead
# has one weight for every pair of input and output values. Compare a 3 × 3 convolution
# from 3 to 32 channels on a 32 × 32 colour image with a Linear layer that produces an
# output of the same size:

# %%
conv_layer = nn.Conv2d(3, 32, kernel_size=3, padding=1)
conv_weights = cnn.count_parameters(conv_layer)
inputs, outputs = 3 * 32 * 32, 32 * 32 * 32
dense_weights = inputs * outputs + outputs  # what nn.Linear(3072, 32768) would hold
print(f"conv 3->32, 3x3: {conv_weights:,} parameters")
print(
    f"Linear 3,072 -> 32,768: {dense_weights:,} parameters ({dense_weights // conv_weights:,} times more)"
)

# %% [markdown]
# The whole first CNN of Section 2 has fewer weights than Lesson 1's MLP, and most of them
# sit in its last, fully connected layers, not in its convolutions:

# %%
first_cnn = cnn.FirstCNN()
mlp_model = mlp.MLP(hidden=(512, 256))
print(f"Lesson 1's MLP 784-512-256-10: {cnn.count_parameters(mlp_model):,} parameters")
print(f"cnn.FirstCNN:                  {cnn.count_parameters(first_cnn):,} parameters")
for name, module in first_cnn.named_children():
    print(f"  {name:<6} {cnn.count_parameters(module):>8,}  {module}")

# %% [markdown]
# ## 6. Putting it together
#
# A CNN stacks blocks of **convolution → ReLU → pooling**. Each block sees a larger part
# of the image than the one before (its *receptive field* grows), so the first layers
# find edges and colour blobs, later ones combine them into textures and parts of
# objects. The last feature maps are flattened and fully connected layers turn them into
# class scores, as in Lesson 1. Follow one Fashion-MNIST-sized image through `FirstCNN`:

# %%
x = torch.zeros(1, 1, 28, 28)
print(f"{'input':<28} {tuple(x.shape)}")
for name, layer in [
    ("conv1 (1->32, 3x3, pad 1)", first_cnn.conv1),
    ("ReLU", nn.ReLU()),
    ("max-pool 2x2", first_cnn.pool),
    ("conv2 (32->64, 3x3, pad 1)", first_cnn.conv2),
    ("ReLU", nn.ReLU()),
    ("max-pool 2x2", first_cnn.pool),
    ("flatten", nn.Flatten()),
    ("fc1 (3136->128) + ReLU", first_cnn.fc1),
    ("fc2 (128->10): scores", first_cnn.fc2),
]:
    x = layer(x)
    print(f"{name:<28} {tuple(x.shape)}")

# %% [markdown]
# ## Quiz
#
# Answer every question with the letter of your choice, then run the check cell: it says
# which answers are wrong. All right opens Section 2; after three tries the right
# answers are shown and the section opens anyway.

# %%
quiz1 = quiz.Quiz(
    2,
    1,
    [
        quiz.Question(
            "q1",
            "A 32 × 32 image goes through a 5 × 5 convolution with padding 1 and stride 2. How large is each output feature map?",
            {"a": "15 × 15", "b": "14 × 14", "c": "16 × 16", "d": "13 × 13"},
            "be0d2efbe9542e93c8038aaa221832d8376bd1830f7f246425bcea829195f4f0",
        ),
        quiz.Question(
            "q2",
            "How many parameters does `nn.Conv2d(16, 32, kernel_size=3)` hold, biases included?",
            {"a": "4,608", "b": "4,640", "c": "4,624", "d": "464"},
            "21a10bdacee287abada4bd6b8f95e53bce42a8ad5093d4af4dcc794ee438b41c",
        ),
        quiz.Question(
            "q3",
            "A 3 × 3 filter of ones (bias 0) slides, without padding, over a 4 × 4 image whose two left columns are 1 and two right columns 0. What comes out?",
            {
                "a": "[[3, 6], [3, 6]]",
                "b": "[[6, 6], [3, 3]]",
                "c": "[[6, 3], [6, 3]]",
                "d": "[[2, 1], [2, 1]]",
            },
            "dd3f3bae09367d335755d5ef6beddf500fd9d7c8a2cea54d198f86a16980d154",
        ),
        quiz.Question(
            "q4",
            "A 2 × 2 max-pooling window holds [[1, 3], [4, 2]], and the gradient of the loss for its output is 1. Which gradient does the pooling send back to the window?",
            {
                "a": "[[.25, .25], [.25, .25]]",
                "b": "[[0, 1], [0, 0]]",
                "c": "[[1, 1], [1, 1]]",
                "d": "[[0, 0], [1, 0]]",
            },
            "8cca5f0afa9f9ee3c61e32116cf23e7b9ea41777dc82ceb496a5bba60cbd4761",
        ),
    ],
)
quiz1.show()

# %%
answers = {"q1": "", "q2": "", "q3": "", "q4": ""}  # your letters, e.g. "a"

# %% tags=["solution"]
answers = quiz1.shown_letters({"q1": "a", "q2": "b", "q3": "c", "q4": "d"})

# %%
passed = quiz1.check(answers)
