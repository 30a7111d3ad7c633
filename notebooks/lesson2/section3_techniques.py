# %% [markdown]
# # Lesson 2, Section 3: techniques that make CNNs good
#
# CIFAR-10 is much harder than Fashion-MNIST: small colour photographs of ten kinds of
# objects (planes, cars, birds, cats, deer, dogs, frogs, horses, ships, trucks), seen from
# any angle, against any background. A first CNN learns it only partly, and soon starts
# memorising its training images. This section starts from the classic LeNet and adds,
# one at a time, the techniques that good CIFAR-10 networks use:
#
# 1. **data augmentation**: new variants of every training image, every epoch;
# 2. **input normalisation**: per-channel standardisation, global contrast normalisation,
#    ZCA and patch whitening;
# 3. **batch normalisation** inside the network;
# 4. **skip connections** and a small ResNet;
# 5. **learning-rate schedules**: warm-up, cosine, one-cycle;
# 6. **test-time augmentation**;
# 7. a trained network as a **feature extractor**, and pretrained weights from disk.
#
# Each experiment is short (a subset of the images, a few epochs), so look at the
# differences between runs rather than at the numbers themselves. The quiz at the end
# opens Section 4, the homework.

# %%
import inspect
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from torch import nn
from torch.nn import functional as F

from practicum import train
from practicum.coursework import common, quiz
from practicum.lessons.lesson2 import cnn, fast, inputs, plots, resnet

train.seed_everything(0)

# %% [markdown]
# ## The data
#
# 10,000 training images, and 2,000 more kept aside as a validation set to compare the
# techniques on (the test set stays untouched until the homework). `load_cifar10` gives
# bytes of shape (N, 32, 32, 3); each technique below turns them into floats its own way.

# %%
n_train, n_val = common.scale(10_000, 384), common.scale(2_000, 128)
x_all, y_all = cnn.load_cifar10("train", limit=n_train + n_val)
x_train, y_train, x_val, y_val = x_all[:-n_val], y_all[:-n_val], x_all[-n_val:], y_all[-n_val:]
classes = cnn.CIFAR10_CLASSES
print(f"train {x_train.shape} {x_train.dtype}  validation {x_val.shape}")
common.image_grid(x_train[:16], y_train[:16], class_names=classes)

# %% [markdown]
# One helper trains a fresh model and returns it with its `History`: Adam, mini-batches
# of 128, a learning-rate schedule (constant unless told otherwise), and the validation
# set measured after every epoch. `images` is the pair (training images, validation
# images) as floats of shape (N, 3, 32, 32), prepared by the technique being tried.

# %%
EPOCHS = common.scale(15, 1)
plain = (inputs.to_float_images(x_train), inputs.to_float_images(x_val))


def run(make_model, images=plain, *, epochs=EPOCHS, lr=1e-3, schedule="constant", name=""):
    train.seed_everything(0)
    model = make_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = train.fit(
        model,
        train.make_loader(images[0], y_train, batch_size=128, shuffle=True),
        epochs=epochs,
        optimizer=optimizer,
        scheduler=cnn.make_schedule(optimizer, schedule, epochs),
        val=train.make_loader(images[1], y_val, batch_size=1024),
        progress=False,
    )
    epoch, best = history.best("val_acc")
    print(f"{name:<28} best validation accuracy {best:.4f} (epoch {epoch + 1})")
    return model, history


# %% [markdown]
# ## 1. A baseline: LeNet
#
# LeNet-5 (LeCun et al., 1998), the CNN that read cheques in the 1990s: two 5 × 5
# convolutions with pooling, then three fully connected layers, 62,006 weights in all.

# %%
print(cnn.LeNet())
_, baseline = run(cnn.LeNet, name="LeNet")
train.plot_history(baseline, title="LeNet on CIFAR-10")

# %% [markdown]
# Watch the gap between training (solid) and validation (dashed) accuracy. When the
# training accuracy keeps climbing while the validation accuracy stalls, the network is
# getting better at its own training images only: it is memorising them.

# %% [markdown]
# ## 2. Data augmentation
#
# A horse seen in a mirror is still a horse; so is a horse two pixels to the left. Data
# augmentation trains on such variants, drawn anew every epoch, so the network never sees
# exactly the same image twice and cannot simply memorise. For CIFAR-10 two kinds are
# standard:
#
# - **random flips**: mirror each image left-right with probability 1/2;
# - **random translations**: shift by up to a few pixels, filling the border by
#   reflection (pad the image, then crop a random 32 × 32 window).
#
# The label stays the same. `inputs.Augment` does both, in training mode only, so
# we can put it in front of any model:

# %%
augment = inputs.Augment(flip=True, pad=4).train()
one = torch.from_numpy(plain[0][:1]).repeat(8, 1, 1, 1)
views = torch.cat([one[:1], augment(one)[1:]])
common.image_grid(
    plots.displayable(views),
    titles=["original"] + ["augmented"] * 7,
    title="One training image, eight times (pad 4 to make the shifts visible)",
)

# %%
_, augmented = run(
    lambda: nn.Sequential(inputs.Augment(), cnn.LeNet()), name="LeNet + augmentation"
)
train.plot_history({"LeNet": baseline, "+ augmentation": augmented}, title="Data augmentation")

# %% [markdown]
# Augmentation makes the training task harder, so expect the training accuracy to rise
# more slowly and the gap to the validation accuracy to shrink. Its gain in validation
# accuracy shows most in long runs, when a network without it has long stopped learning
# anything that carries over to new images.

# %% [markdown]
# ## 3. Input normalisation
#
# ### Per-channel standardisation
#
# Pixels in $[0, 1]$ are all positive, and the three colour channels have somewhat
# different means and spreads. Subtracting each channel's mean and dividing by
# its standard deviation, both measured **on the training images only**, centres every
# input; gradients of the first layer are then no longer all of one sign.

# %%
mean, std = inputs.channel_stats(x_train)
print("channel means (R, G, B):", mean.round(4), " standard deviations:", std.round(4))
standardised = (
    inputs.normalize_channels(x_train, mean, std),
    inputs.normalize_channels(x_val, mean, std),
)
print(
    "after: means",
    standardised[0].mean(axis=(0, 2, 3)).round(3),
    "stds",
    standardised[0].std(axis=(0, 2, 3)).round(3),
)

# %% [markdown]
# ### Global contrast normalisation
#
# **GCN** works on each image alone: subtract the image's own mean, divide by its own
# norm. A dim photograph and a bright one of the same scene become the same input, which
# removes differences in lighting that say nothing about the class.

# %%
originals = plain[0][:8]
gcn = inputs.global_contrast_normalize(originals)
common.image_grid(
    np.concatenate([plots.displayable(originals), plots.displayable(gcn, rescale=True)]),
    titles=["original"] * 8 + ["GCN"] * 8,
)

# %% [markdown]
# ### ZCA whitening
#
# Neighbouring pixels are strongly correlated: a pixel of sky is almost certainly next to
# more sky. **Whitening** removes these correlations. From the covariance matrix
# $\Sigma = U \Lambda U^\top$ of the training images (flattened), ZCA whitening multiplies
# every (centred) image by
#
# $$W = U \, (\Lambda + \epsilon I)^{-1/2} \, U^\top.$$
#
# Afterwards every pixel has variance 1 and no pixel is correlated with any other: what
# is left are the *differences* between neighbours, the edges. $\epsilon$ keeps directions
# of tiny variance (mostly noise) from being amplified without limit. The matrix has one
# row and column per pixel value, 3,072 × 3,072 for CIFAR-10; smoke runs use crops.

# %%
side = common.scale(32, 16)
crops = inputs.to_float_images(x_train[: common.scale(5_000, 512), :side, :side])
crops = crops.transpose(0, 2, 3, 1)  # back to (N, H, W, C): whole pixels next to each other
zca = inputs.fit_zca(crops, eps=1e-2)
white = zca.apply(crops[:8])


def neighbour_correlation(images):
    """Correlation of each red value with the red value of the pixel to its right."""
    return np.corrcoef(images[:, :, :-1, 0].ravel(), images[:, :, 1:, 0].ravel())[0, 1]


sample = crops[:500]
before, after = neighbour_correlation(sample), neighbour_correlation(zca.apply(sample))
print(f"correlation of neighbouring pixels: {before:.3f} before, {after:.3f} after whitening")
common.image_grid(
    np.concatenate([crops[:8], plots.displayable(white, rescale=True)]),
    titles=["original"] * 8 + ["ZCA"] * 8,
)

# %% [markdown]
# Each row of $W$ says how one output pixel value is made from the input. For the middle
# pixel, the row is a small centre-minus-surround pattern (shown here on the 7 × 7 pixels
# around it, with grey for 0 and the centre's own large weight clipped): ZCA acts like a
# fixed, local filter that is much the same everywhere. That suggests doing it with a
# convolution.

# %%
c = side // 2
centre = (c * side + c) * 3  # the red value of the middle pixel
rows = zca.matrix[[centre, centre + 1, centre + 2]].reshape(3, side, side, 3)
middle = rows[:, c - 3 : c + 4, c - 3 : c + 4]
limit = np.sort(np.abs(middle).reshape(3, -1), axis=1)[:, -2].reshape(3, 1, 1, 1)
common.image_grid(
    0.5 + 0.5 * np.clip(middle / limit, -1, 1),
    titles=["red output", "green output", "blue output"],
    title="Rows of the ZCA matrix for the middle pixel",
)

# %% [markdown]
# ### Patch whitening
#
# Whitening small **patches** instead of whole images gives exactly such a convolution.
# The fast network of the homework (`lesson2/fast.py`, Section 4) starts with a 2 × 2
# convolution whose filters are the eigenvectors of the covariance of all 2 × 2 patches
# (12 numbers: 2 × 2 pixels × 3 colours), each divided by the square root of its
# eigenvalue. It is computed once from the training images and never trained. The 12
# filters, from the direction of largest variance (overall brightness) to the smallest
# (fine colour contrasts):

# %%
patch_filters = fast.patch_whitening(torch.from_numpy(standardised[0][: common.scale(5_000, 512)]))
print("patch-whitening weights:", tuple(patch_filters.shape), "(each filter also appears negated)")
display(plots.plot_filters(patch_filters[:12], cols=12, title="2 x 2 whitening filters"))
whitening_layer = nn.Conv2d(3, 24, kernel_size=2, bias=False)
with torch.no_grad():
    whitening_layer.weight.copy_(patch_filters)
plots.plot_feature_maps(
    whitening_layer,
    whitening_layer,
    standardised[1][0],
    max_maps=12,
    cols=12,
    title="What they make of one image",
)

# %% [markdown]
# Does standardisation help our LeNet? Same augmentation, standardised inputs:

# %%
_, normalised = run(
    lambda: nn.Sequential(inputs.Augment(), cnn.LeNet()),
    standardised,
    name="+ standardised inputs",
)

# %% [markdown]
# ## 4. Batch normalisation
#
# Lesson 1 introduced batch normalisation for fully connected layers. In a CNN,
# `nn.BatchNorm2d` normalises each *channel* over the batch and over all positions, so a
# feature map keeps one mean and one scale, as parameter sharing suggests. It lets the
# network train with larger learning rates:

# %%
_, batchnorm = run(
    lambda: nn.Sequential(inputs.Augment(), cnn.LeNet(batchnorm=True)),
    standardised,
    lr=3e-3,
    name="+ batch norm (lr 3e-3)",
)
train.plot_history(
    {"augmented": augmented, "+ standardised": normalised, "+ batch norm": batchnorm},
    keys=("acc",),
    title="Normalising inputs and layers",
)

# %% [markdown]
# ## 5. Skip connections and a small ResNet
#
# Deeper networks should be able to learn more, but plain stacks of layers get *harder*
# to train as they grow: the gradient has to pass through every layer on its way back,
# and it fades or explodes. A **residual block** (He et al., 2016) adds its input to its
# output:
#
# $$y = \mathrm{ReLU}\big(x + F(x)\big), \qquad F(x) = \mathrm{BN}(\mathrm{conv}(\mathrm{ReLU}(\mathrm{BN}(\mathrm{conv}(x))))).$$
#
# The block only has to learn a *correction* $F(x)$ to its input, and the gradient flows
# back through the addition unchanged, straight to the early layers. When a block halves
# the image or changes the number of channels, a 1 × 1 convolution with stride 2 reshapes
# $x$ before the addition. Here is `resnet.BasicBlock`:

# %%
print(inspect.getsource(resnet.BasicBlock.forward))
print(resnet.BasicBlock(32, 64, stride=2))

# %% [markdown]
# `resnet.small_resnet()` stacks a 3 × 3 stem and three stages of blocks (32, 64
# and 128 channels; each stage after the first halves the image), then averages each
# final feature map to one number (*global average pooling*) and ends in one Linear layer.
# It needs about 75 times the arithmetic of LeNet per image, so on a CPU this and
# the feature extractor below are the slow cells of this notebook; a GPU runs them in
# seconds.

# %%
RESNET_EPOCHS = common.scale(10, 1)
print(f"{cnn.count_parameters(resnet.small_resnet()):,} parameters")
resnet_model, resnet_history = run(
    lambda: nn.Sequential(inputs.Augment(), resnet.small_resnet()),
    standardised,
    epochs=RESNET_EPOCHS,
    lr=2e-3,
    name="small ResNet",
)
train.plot_history(
    {"LeNet + batch norm": batchnorm, "small ResNet": resnet_history}, title="LeNet vs ResNet"
)

# %% [markdown]
# ## 6. Learning-rate schedules
#
# A large learning rate makes fast progress early on; a small one lets the network settle
# into a good minimum at the end. **Schedules** change the rate during training:
#
# - **step**: divide it by 10 at fixed points (here at 50% and 75% of the run);
# - **cosine**: follow half a cosine wave from the peak down to 0;
# - **one-cycle**: rise linearly from 0 (a *warm-up*: the first gradients of a random
#   network are large and unreliable) to the peak, then fall linearly to 0.
#
# `cnn.make_schedule(optimizer, kind, epochs)` makes any of them for `train.fit`.

# %%
fig, ax = plt.subplots(figsize=(6, 3))
for kind in cnn.SCHEDULES:
    progress = np.linspace(0, 1, 200)
    ax.plot(progress, [cnn.schedule_factor(kind, p) for p in progress], label=kind)
ax.set_xlabel("share of training done")
ax.set_ylabel("learning rate / peak")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %%
_, one_cycle = run(
    lambda: nn.Sequential(inputs.Augment(), cnn.LeNet(batchnorm=True)),
    standardised,
    lr=6e-3,
    schedule="one-cycle",
    name="batch norm, one-cycle 6e-3",
)
train.plot_history(
    {"constant 3e-3": batchnorm, "one-cycle, peak 6e-3": one_cycle}, keys=("acc", "lr")
)

# %% [markdown]
# ## 7. Test-time augmentation
#
# The network learned that an image and its mirror image have the same class. At test
# time we can ask it about both and average its two answers (the class probabilities):
# where it is unsure about one view, the other often settles it. This costs one more
# forward pass per image and no training at all.

# %%
plain_probs = train.predict(resnet_model, standardised[1]).softmax(1)
tta_probs = inputs.predict_tta(resnet_model, standardised[1])
for name, probs in (("without TTA", plain_probs), ("with flip TTA", tta_probs)):
    print(f"{name:<14} validation accuracy {(probs.argmax(1).numpy() == y_val).mean():.4f}")

# %% [markdown]
# ## 8. A trained network as a feature extractor
#
# The layers of a trained CNN turn an image into a vector of features (the input of its
# last Linear layer) in which the classes are easy to separate. Those features are often
# useful for *other* classes too. To see it, train a ResNet on the first five classes
# only (airplane, automobile, bird, cat, deer), then describe images of the other five
# (dog, frog, horse, ship, truck), which it has never seen, by its features, and fit a
# **linear probe** (a logistic regression) on only a few labelled examples of them.

# %%
first, second = y_train < 5, y_train >= 5
val_second = y_val >= 5


def run_on_first_five():
    train.seed_everything(0)
    model = nn.Sequential(inputs.Augment(), resnet.small_resnet(n_classes=5))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    train.fit(
        model,
        train.make_loader(standardised[0][first], y_train[first], batch_size=128, shuffle=True),
        epochs=RESNET_EPOCHS,
        optimizer=optimizer,
        progress=False,
    )
    return model


extractor = run_on_first_five()
n_labelled = common.scale(500, 100)
labelled_x, labelled_y = standardised[0][second][:n_labelled], y_train[second][:n_labelled]
held_out_x, held_out_y = standardised[1][val_second], y_val[val_second]


def probe_accuracy(describe):
    """Fit a logistic regression on the features of the labelled images, score it on the
    held-out ones."""
    probe = resnet.fit_linear_probe(describe(labelled_x), labelled_y, n_classes=10)
    return np.mean(probe.predict(describe(held_out_x)) == held_out_y)


train.seed_everything(0)
untrained = resnet.small_resnet(n_classes=5)
print(f"{n_labelled} labelled images of 5 classes the extractor has never seen:")
for name, describe in [
    ("raw pixels", lambda x: x.reshape(len(x), -1)),
    ("untrained ResNet's features", lambda x: resnet.extract_features(untrained, x)),
    ("trained ResNet's features", lambda x: resnet.extract_features(extractor, x)),
]:
    print(f"  linear probe on {name:<28} accuracy {probe_accuracy(describe):.4f}")

# %% [markdown]
# ### Pretrained weights
#
# Networks trained on ImageNet (1.3 million images, 1,000 classes) give much better
# features than anything we can train here in minutes. torchvision publishes the weights
# of its ResNet-18 as `resnet18-f37072fd.pth`; Practicum never downloads them, but
# `resnet.resnet18()` has exactly torchvision's layer names, so a copy you saved
# yourself loads with `load_pretrained`. `skip=("fc.",)` keeps a new 10-class output layer
# instead of ImageNet's 1,000 classes. If the file is not there, the cell below saves a
# freshly initialised ResNet-18 in the same format to show the steps.

# %%
weights = Path("resnet18-f37072fd.pth")  # where you saved torchvision's file
if not weights.exists():
    weights = Path(tempfile.mkdtemp()) / resnet.RESNET18_FILE
    torch.save(resnet.resnet18().state_dict(), weights)
    print(f"no pretrained file here; using a stand-in with the same format ({weights})")
pretrained = resnet.resnet18(n_classes=10)
loaded = resnet.load_pretrained(pretrained, weights, skip=("fc.",))
print(f"loaded {len(loaded)} tensors; fc is new: {tuple(pretrained.fc.weight.shape)}")

# %% [markdown]
# The weights expect what they were trained on: images standardised with ImageNet's
# channel means and deviations (`IMAGENET_STATS`), and larger than 32 × 32 (ImageNet
# images are cropped to 224 × 224, and the network's first layers shrink the image by 4),
# so enlarge the CIFAR-10 images first. Then `extract_features` gives 512 numbers per image:

# %%
imagenet_mean, imagenet_std = (np.array(s) for s in resnet.IMAGENET_STATS)
small = torch.from_numpy(inputs.normalize_channels(x_val[:8], imagenet_mean, imagenet_std))
large = F.interpolate(small, size=common.scale(224, 64), mode="bilinear", align_corners=False)
print("features:", resnet.extract_features(pretrained, large).shape)

# %% [markdown]
# A file that does not fit the model is refused with a list of what differs, instead of
# loading half of it silently:

# %%
try:
    resnet.load_pretrained(resnet.small_resnet(), weights)
except resnet.PretrainedMismatch as error:
    print(error)

# %% [markdown]
# ## Quiz
#
# Answer every question with the letter of your choice, then run the check cell: it says
# which answers are wrong. All right opens Section 4; after three tries the right
# answers are shown and the section opens anyway.

# %%
quiz3 = quiz.Quiz(
    2,
    3,
    [
        quiz.Question(
            "q1",
            "Random left-right flips are a good augmentation for CIFAR-10 but a bad one for MNIST digits. Why?",
            {
                "a": "MNIST images are grey",
                "b": "a mirrored car is still a car, but a mirrored 2 or 7 is no longer that digit",
                "c": "MNIST has too few images",
                "d": "flips only work on 32 x 32 images",
            },
            "5a855916666fcbc4668798ce57b8c24a8e439c48bccceffbdf8e29f5b6e87f80",
        ),
        quiz.Question(
            "q2",
            "What does ZCA whitening, fitted on the training images, do to them?",
            {
                "a": "every pixel value gets variance 1 and no correlation with any other pixel value",
                "b": "it turns them into grey images",
                "c": "it scales every pixel into [0, 1]",
                "d": "it removes the images that look alike",
            },
            "0648e3e69b4b28ebae9a885e56420f2ac736865d94df1b6afa15f3a56333771d",
        ),
        quiz.Question(
            "q3",
            "What does the skip connection of a residual block do?",
            {
                "a": "it multiplies the block's output by its input",
                "b": "it skips the block at random during training, like dropout",
                "c": "it adds the block's input to its output, so the block learns a correction and gradients reach early layers directly",
                "d": "it stacks the input and the output as extra channels",
            },
            "04a2855c4b95851cd18f3d009133da1a0dab0d48bb0625128af5013f53f10506",
        ),
        quiz.Question(
            "q4",
            "What is test-time augmentation with flips?",
            {
                "a": "training on the test images as well",
                "b": "flipping some labels of the test set",
                "c": "augmenting the validation set while training",
                "d": "averaging the network's answers for each test image and its mirror image",
            },
            "7d0311dc6faaf503774550d8c5bd66a2a51891c62bdeaf2f9f764e46d5de14e3",
        ),
    ],
)
quiz3.show()

# %%
answers = {"q1": "", "q2": "", "q3": "", "q4": ""}  # your letters, e.g. "a"

# %% tags=["solution"]
answers = quiz3.shown_letters({"q1": "b", "q2": "a", "q3": "c", "q4": "d"})

# %%
passed = quiz3.check(answers)
