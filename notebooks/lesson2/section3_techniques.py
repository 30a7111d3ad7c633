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
# 7. **transfer learning**: a network pretrained on five classes, used for the other
#    five with few labels (as a feature extractor, and fine-tuned from a weights file),
#    against training from scratch and against random features.
#
# Each experiment is short (a subset of the images, a few epochs), so look at the
# differences between runs rather than at the numbers themselves. Every accuracy below
# is measured on a validation split carved from the training images. The quiz at the end
# opens Section 4, the homework.
#
# Run time of the whole notebook (solutions filled in), measured once on 2 idle CPU cores
# (2026-12-05): 8.3 minutes (498 s). The test suite runs a shrunken version
# (`PRACTICUM_SMOKE=1`). Not measured on a GPU.

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from torch import nn

from practicum import train
from practicum.coursework import common, quiz
from practicum.lessons.lesson2 import cnn, diagrams, fast, inputs, plots, resnet

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
# accuracy needs epochs to show: a network without it stops improving on new images once
# it has memorised its training images, one with it goes on longer. These runs are short,
# so the two curves may still be close.

# %% [markdown]
# ## 3. Input normalisation
#
# ### Per-channel standardisation
#
# Pixels in $[0, 1]$ are all positive, and the three colour channels have somewhat
# different means and spreads. Subtracting each channel's mean and dividing by
# its standard deviation, both measured **on the training images only**, centres every
# input; gradients of the first layer's weights are then no longer all of one sign (the
# argument of LeCun, Bottou, Orr and Müller, 1998, *Efficient BackProp*).

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
# feature map keeps one mean and one scale, as parameter sharing suggests. Ioffe and
# Szegedy (2015) found that it lets a network train with larger learning rates, so here
# it runs at 3e-3 where the runs before used 1e-3: the comparison below mixes the two
# changes.

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
# Deeper networks should be able to learn more, but He et al. (2016) found that plain
# stacks of layers do not: with batch normalisation, a 56-layer plain network on CIFAR-10
# ends with a *higher training* error than a 20-layer one (their Figure 1). It is not
# overfitting, since the training error itself is worse, and not vanishing gradients
# either, which they checked: batch norm keeps the gradients at healthy sizes. It is an
# **optimisation difficulty** (they call it *degradation*): the deeper network could copy
# the shallower one and make its extra layers identities, yet the optimiser does not find
# that solution. A **residual block** makes the identity the easy default: it adds its
# input to its output,
#
# $$y = \mathrm{ReLU}\big(x + F(x)\big), \qquad F(x) = \mathrm{BN}(\mathrm{conv}(\mathrm{ReLU}(\mathrm{BN}(\mathrm{conv}(x))))),$$
#
# so the block only has to learn a *correction* $F(x)$ to its input, and $F = 0$ (all
# weights near zero) leaves the input as it was. On the way back, the gradient reaches
# $x$ along two paths: through $F$, and through the addition unchanged, but here only
# where the ReLU after the addition lets it through (where $x + F(x) > 0$). In the
# *pre-activation* block of He et al. (2016b), $y = x + F(x)$ with the batch norms and
# ReLUs moved inside $F$, nothing follows the addition, and the gradient of every later
# block reaches $x$ directly, which let them train a 1,001-layer network.
#
# When a block halves the image or changes the number of channels, $x$ cannot be added
# as it is: a 1 × 1 convolution with the block's stride, followed by batch norm (the
# **projection shortcut**), reshapes it first. Section 4 has you write the block; here is
# its picture, then `resnet.BasicBlock` as PyTorch prints it:

# %%
display(diagrams.draw_residual_block(projection=True))
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
# ## 8. Transfer learning: features learned on other classes
#
# The layers of a trained CNN turn an image into a vector of features (the input of its
# last Linear layer) in which its classes are easy to separate. Do those features help
# with classes it has never seen? This part measures it without downloading anything. A
# small ResNet is **pretrained** on the first five classes (airplane, automobile, bird,
# cat, deer), with all their training images. The new task is the other five (dog,
# frog, horse, ship, truck) with only a few labelled images, and five ways to use them
# are compared, each scored on the validation images of those five classes:
#
# 1. a **linear probe** (a logistic regression) on the raw pixels;
# 2. a linear probe on the features of an *untrained* ResNet (random features);
# 3. a linear probe on the pretrained ResNet's features (the network itself frozen);
# 4. the same small ResNet **trained from scratch** on the few labelled images;
# 5. the pretrained ResNet **fine-tuned**: its weights saved to a file, loaded into a
#    fresh network with a new output layer, and trained further on the few labelled
#    images with a smaller learning rate.
#
# Chance is 1 in 5. The learning rates and epochs of 4 and 5 were set once, not tuned:
# try others, on this validation split.

# %%
first, second = y_train < 5, y_train >= 5
n_labelled = common.scale(500, 100)
labelled_x, labelled_y = standardised[0][second][:n_labelled], y_train[second][:n_labelled]
held_out_x, held_out_y = standardised[1][y_val >= 5], y_val[y_val >= 5]
print(
    f"pretraining: {first.sum():,} training images of classes 0-4; new task: {len(labelled_y)} "
    f"labelled training images of classes 5-9, scored on {len(held_out_y)} validation images"
)


def train_model(model, x, y, *, epochs, lr):
    """Adam, augmentation in front, seeded; the model comes back in evaluation mode."""
    train.seed_everything(0)
    net = nn.Sequential(inputs.Augment(), model)
    train.fit(
        net,
        train.make_loader(x, y, batch_size=128, shuffle=True),
        epochs=epochs,
        optimizer=torch.optim.Adam(net.parameters(), lr=lr),
        progress=False,
    )
    return model.eval()


def accuracy(model):
    return np.mean(train.predict(model, held_out_x).argmax(1).numpy() == held_out_y)


def probe_accuracy(describe):
    """A logistic regression fitted on the labelled images' features, scored on the
    validation images of the new classes."""
    probe = resnet.fit_linear_probe(describe(labelled_x), labelled_y, n_classes=10)
    return np.mean(probe.predict(describe(held_out_x)) == held_out_y)


extractor = train_model(
    resnet.small_resnet(n_classes=5),
    standardised[0][first],
    y_train[first],
    epochs=RESNET_EPOCHS,
    lr=2e-3,
)
train.seed_everything(0)
untrained = resnet.small_resnet(n_classes=5).eval()
results = {
    "1. probe on raw pixels": probe_accuracy(lambda x: x.reshape(len(x), -1)),
    "2. probe on an untrained ResNet": probe_accuracy(
        lambda x: resnet.extract_features(untrained, x)
    ),
    "3. probe on the pretrained ResNet": probe_accuracy(
        lambda x: resnet.extract_features(extractor, x)
    ),
}

# %% [markdown]
# Fine-tuning starts from a weights file, as it would with weights someone else trained:
# `torch.save` writes the pretrained network's `state_dict`, and `resnet.load_pretrained`
# reads it into a fresh 10-class network. `skip=("fc.",)` keeps the new network's own
# output layer, since the old one scored the old classes.

# %%
FEW_EPOCHS = common.scale(30, 2)
scratch = train_model(
    resnet.small_resnet(n_classes=10), labelled_x, labelled_y, epochs=FEW_EPOCHS, lr=2e-3
)
results["4. trained from scratch"] = accuracy(scratch)

weights = Path(tempfile.mkdtemp()) / "small_resnet_first_five.pt"
torch.save(extractor.state_dict(), weights)
train.seed_everything(0)
fine_tuned = resnet.small_resnet(n_classes=10)
loaded = resnet.load_pretrained(fine_tuned, weights, skip=("fc.",))
print(f"loaded {len(loaded)} tensors; fc is new: {tuple(fine_tuned.fc.weight.shape)}")
fine_tuned = train_model(fine_tuned, labelled_x, labelled_y, epochs=FEW_EPOCHS, lr=5e-4)
results["5. pretrained, then fine-tuned"] = accuracy(fine_tuned)

print(f"{n_labelled} labelled images of 5 classes the pretrained network has never seen:")
for name, value in results.items():
    print(f"  {name:<36} validation accuracy {value:.4f}")
fig, ax = plt.subplots(figsize=(6.5, 2.6))
ax.barh(list(results)[::-1], list(results.values())[::-1], color="tab:blue")
ax.axvline(0.2, color="grey", linestyle="--", label="chance")
ax.set_xlabel("validation accuracy on the five new classes")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Compare 3 with 2: the same network, the same probe, and only the pretraining differs;
# what it adds is what the first five classes taught the network about photographs in
# general. Compare 5 with 4: the same network trained on the same few images, from the
# pretrained weights or from random ones. With so few labels, run-to-run noise is large:
# judge differences of a point or two with other seeds before believing them.
#
# ### Pretrained ImageNet weights
#
# In practice one starts from networks trained on ImageNet (1.3 million images in 1,000
# classes); Kornblith, Shlens and Le (2019) measure how well such networks transfer to
# twelve other data sets, CIFAR-10 among them. Practicum ships no such weights and never
# downloads any, so this notebook cannot measure what they gain here. `resnet.resnet18()`
# has exactly the parameter names of torchvision's ResNet-18, so a copy of torchvision's
# file `resnet18-f37072fd.pth` that you saved yourself loads with the same call as
# above (not run here):
#
# ```python
# model = resnet.resnet18(n_classes=10)
# resnet.load_pretrained(model, "resnet18-f37072fd.pth", skip=("fc.",))
# ```
#
# Those weights expect what they were trained on: images standardised with ImageNet's
# channel means and deviations (`resnet.IMAGENET_STATS`), and larger than 32 × 32
# (enlarged with `F.interpolate`, e.g. to 224 × 224, since the network's first layers
# shrink an image by 4). A file that does not fit the model is refused with a list of
# what differs, instead of loading half of it silently; here, our small ResNet's file
# offered to a ResNet-18:

# %%
try:
    resnet.load_pretrained(resnet.resnet18(), weights)
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
            "Random crops with 4 pixels of zero padding (32 × 32 windows) and random left-right flips: how many different versions of one 32 × 32 training image can the network see?",
            {"a": "162", "b": "81", "c": "128", "d": "64"},
            "c94ea90c3d5c67050156c76831ed601ecd200a7c1d16675af1f01eded1fb48c7",
        ),
        quiz.Question(
            "q2",
            "A residual block takes 64 maps of 32 × 32 to 128 maps of 16 × 16. What does its shortcut need?",
            {
                "a": "nothing: x is added as it is",
                "b": "a 1 × 1 conv, stride 2, to 128 maps",
                "c": "a 3 × 3 conv, stride 1, to 128 maps",
                "d": "a 2 × 2 max-pool, keeping 64 maps",
            },
            "0336f58021e0431339889cee66700543932a0ea38c9de1fad5f520b72b028cd9",
        ),
        quiz.Question(
            "q3",
            "A network's training accuracy climbs to 99% while its validation accuracy stalls at 60%. Which technique of this section is aimed at exactly that?",
            {
                "a": "a larger learning rate",
                "b": "a one-cycle schedule",
                "c": "data augmentation",
                "d": "more epochs of training",
            },
            "04a2855c4b95851cd18f3d009133da1a0dab0d48bb0625128af5013f53f10506",
        ),
        quiz.Question(
            "q4",
            "One-cycle with a peak rate of 6e-3 and a warm-up over the first 20% of the run (`cnn.schedule_factor`): what is the learning rate when 60% of the run is done?",
            {"a": "6e-3", "b": "2.4e-3", "c": "4.8e-3", "d": "3e-3"},
            "7d0311dc6faaf503774550d8c5bd66a2a51891c62bdeaf2f9f764e46d5de14e3",
        ),
    ],
)
quiz3.show()

# %%
answers = {"q1": "", "q2": "", "q3": "", "q4": ""}  # your letters, e.g. "a"

# %% tags=["solution"]
answers = quiz3.shown_letters({"q1": "a", "q2": "b", "q3": "c", "q4": "d"})

# %%
passed = quiz3.check(answers)
