# %% [markdown]
# # Lesson 6, Section 3: conditional GANs, numbers that mean something, and diffusion
#
# Section 2's GAN draws a garment, but not the one you ask for, and "it looks good" is not
# a measurement. This section is about the techniques that do better, each tried on
# Fashion-MNIST:
#
# 1. **conditional GANs** (Mirza & Osindero, 2014): both players are told the class; the
#    **projection discriminator** (Miyato & Koyama, 2018) is how the one here is told;
# 2. three **stabilising tricks**, each compared against the same run without it:
#    spectral norm (Miyato et al., 2018), two learning rates (TTUR, Heusel et al., 2017)
#    and one-sided label smoothing (Salimans et al., 2016);
# 3. **evaluation**: the Fréchet distance in the features of the course's own classifier,
#    the floor that real images reach, class consistency, the nearest training image
#    (is it copying?), and a walk through the noise;
# 4. a small **diffusion model** (DDPM, Ho et al., 2020): its forward process drawn, a
#    network trained to undo it, and its samples.
#
# A quiz at the end opens Section 4, where you write the conditional generator, the
# projection discriminator, the Fréchet distance and class consistency yourself.
#
# Run time, measured once on 2 CPU cores with nothing else running: 4.5 minutes with the
# judge already built (building it takes a few minutes more, once per machine): the four
# cGANs 2.6 minutes (1,500 steps and three times 500, with their scoring), the diffusion
# model 1.6, the rest evaluation. An earlier run on the same 2 cores, shared with other
# jobs, took 12.5 minutes. 9 s in smoke mode (`PRACTICUM_SMOKE=1`). Not measured on a
# GPU.

# %%
import time
from dataclasses import replace

import numpy as np
import torch
from IPython.display import display

from practicum import data
from practicum.atomic import atomic_open
from practicum.coursework import common, quiz
from practicum.grading import generative
from practicum.grading import judge as judges
from practicum.lessons.lesson1.mlp import FASHION_MNIST_CLASSES as CLASSES
from practicum.lessons.lesson6 import cgan, diffusion
from practicum.lessons.lesson6 import plots_conditional as draw
from practicum.train import seed_everything

seed_everything(0)
started = time.perf_counter()

# %% [markdown]
# ## 0. The images, the judge, and the splits
#
# Every number below is measured in the feature space of one fixed network: **the
# judge**, the course's Fashion-MNIST classifier (`practicum.grading.judge`, built from
# the training split the first time it is asked for, a few minutes). It trained on 90%
# of the training split; the other 10%, which it never saw, are this lesson's
# **validation** images. The generative models here train on the judge's 90% too, so the
# validation images are new to every network in the lesson. The test split is the
# homework's and never appears here.

# %%
judge = judges.ensure()
train = data.load("fashion-mnist", "train")
x_train, y_train = train["x"][judge.train_rows], train["y"][judge.train_rows]
x_valid, y_valid = train["x"][judge.holdout_rows], train["y"][judge.holdout_rows]
print(
    f"{len(x_train):,} training images, {len(x_valid):,} validation images "
    "(both from the training split)"
)
print(
    f"the judge puts {generative.class_consistency(judge, x_valid, y_valid):.1%} of the "
    "validation images in their class"
)

# %% [markdown]
# ## 1. Conditional GANs
#
# Section 2's generator maps noise $z$ to an image; nothing says which garment. Mirza and
# Osindero (2014) give **both players the label** $y$: the generator makes $G(z, y)$, the
# discriminator judges the pair, "is this a real image *of class y*?". The generator here
# (`ConditionalGenerator` in `lesson6/cgan.py`) embeds $y$ as a vector as long as $z$ and
# puts the two side by side before its first layer.
#
# How should the discriminator take $y$? Stacking it next to the image or its features
# works, but Miyato and Koyama (2018) derive a better form from what an optimal
# discriminator computes, the log-ratio of the real and generated densities of $x$
# given $y$. Under a mild assumption on that ratio (a log-linear model of $y$ given the
# features) it splits into a part that ignores the label and a dot product with the
# label's embedding:
#
# $$D(x, y) = \underbrace{w^\top \phi(x) + b}_{\text{is it real?}}
#   + \underbrace{e_y^\top \phi(x)}_{\text{is it of class } y\text{?}},$$
#
# $\phi(x)$ the image's features (convolutions, summed over the 7 × 7 grid), $e_y$ a
# learnt vector per class. This **projection discriminator** gave a better Inception
# score and intra-class FID on ImageNet than concatenating the label did.

# %%
display(draw.draw_cgan())

# %% [markdown]
# ## 2. Three stabilising tricks, each against the same run without it
#
# A GAN trains two networks against each other, and nothing guarantees that the game
# settles. Three tricks that the papers found to help:
#
# - **Spectral norm** (Miyato et al., 2018) divides every weight matrix of the
#   discriminator by its largest singular value $\sigma(W)$ (estimated by one step of
#   power iteration per training step). Each layer then stretches no input difference by
#   more than 1, and with activations of slope at most 1 neither does the whole network:
#   $D$ is 1-Lipschitz (per term), so it cannot become arbitrarily sharp and the
#   generator keeps getting useful gradients.
# - **TTUR** (two time-scale update rule, Heusel et al., 2017): a larger learning rate
#   for the discriminator than for the generator. They prove convergence to a local
#   Nash equilibrium under it, and found better FIDs with it.
# - **One-sided label smoothing** (Salimans et al., 2016, section 3.4): the
#   discriminator's target for real images is 0.9 instead of 1 (fakes stay at 0), so it
#   is never rewarded for being certain. Only one side: smoothing the fakes' target too
#   would keep rewarding the generator where it already makes fakes (their argument).
#
# The reference configuration of `cgan.CganConfig` uses spectral norm, one learning rate
# for both players and no smoothing, and samples from an exponential moving average of
# the generator's weights (Yazıcı et al., 2019); here with 32 channels instead of 64
# and an average over about the last 100 steps (0.99), to suit short runs. Four runs
# start from the same seed and differ in one switch each: the reference, without
# spectral norm, with TTUR (the discriminator at 4 times the generator's rate), and with
# the real target at 0.9. They are compared after `SHORT` steps; the reference goes on
# to `LONG`, to show what more steps do. Every `WATCH` steps a run is stopped for a
# moment and scored: 100 images of each class, their Fréchet distance to the training
# images' features (part 3 explains it), the share the judge puts in the class they were
# made for, and what the discriminator says (its mean $\sigma(D)$) of 256 validation
# images and of 256 generated ones.

# %%
PER_CLASS = common.scale(100, 10)
asked = np.repeat(np.arange(10), PER_CLASS)
SHORT, LONG, WATCH = common.scale(500, 8), common.scale(1500, 12), common.scale(100, 4)
base = cgan.CganConfig(width=common.scale(32, 8), ema=0.99)
variants = {
    "reference": base,
    "no spectral norm": replace(base, spectral_norm=False),
    "TTUR (D 4x)": replace(base, lr_g=1e-4, lr_d=4e-4),
    "real target 0.9": replace(base, real_label=0.9),
}
per_epoch = len(x_train) // base.batch_size
probe = np.random.default_rng(0).permutation(len(x_valid))[:256]
probe_x, probe_y = cgan.to_signed(x_valid[probe]), torch.as_tensor(y_valid[probe])


def evaluate(images, labels=None):
    """FD to the training images' features; with labels, class consistency and class FD."""
    features = judge.features(images)
    row = {"FD": generative.frechet_from_stats(*generative.stats(features), judge.mean, judge.cov)}
    if labels is not None:
        row["class FD"] = generative.class_frechet(judge, images, labels)
        row["consistency"] = generative.class_consistency(judge, images, labels)
    return row


def discriminator_says(d, fakes):
    """Mean sigma(D) of the probe's validation images and of generated images of the same
    classes (eval mode: spectral norm's power iteration is left as it is)."""
    d.eval()
    with torch.no_grad():
        real = torch.sigmoid(d(probe_x, probe_y)).mean().item()
        fake = torch.sigmoid(d(cgan.to_signed(fakes), probe_y)).mean().item()
    d.train()
    return {"D(real)": real, "D(fake)": fake}


runs, curves = {}, {}
for name, config in variants.items():
    curve = curves.setdefault(name, [])

    def watch(step, run, curve=curve):
        images = cgan.sample(run.generator, asked, seed=1)
        fakes = cgan.sample(run.generator, probe_y.numpy(), seed=2)
        curve.append(
            {
                "step": step,
                **evaluate(images, asked),
                **discriminator_says(run.discriminator, fakes),
            }
        )

    steps = LONG if name == "reference" else SHORT
    runs[name] = cgan.train_cgan(
        x_train,
        y_train,
        config=config,
        epochs=steps / per_epoch,
        log=None,
        progress=False,
        watch=watch,
        watch_every=WATCH,
    )
    at = next(row for row in curve if row["step"] == SHORT)
    print(
        f"{name:>17}: {runs[name].steps} steps in {runs[name].seconds:.0f} s; at step {SHORT}: "
        f"FD {at['FD']:.1f}, class consistency {at['consistency']:.2f}, "
        f"D(real) {at['D(real)']:.2f}, D(fake) {at['D(fake)']:.2f}"
    )

# %%
display(
    draw.draw_curves(
        curves,
        ["FD", "consistency", "D(real)", "D(fake)"],
        titles=[
            "FD to the training features (lower is better)",
            "class consistency",
            "D on validation images",
            "D on generated images",
        ],
    )
)

# %% [markdown]
# What spectral norm does to the discriminator's layers: the largest singular value of
# each weight matrix (a convolution's kernel flattened to output channels × the rest, the
# matrix spectral norm normalises), with it (the reference, after its `LONG` steps) and
# without it (after `SHORT`).


# %%
def singular_values(discriminator):
    """Largest singular value of every weight matrix, as the forward pass uses it."""
    out = {}
    for name, module in discriminator.named_modules():
        weight = getattr(module, "weight", None)
        if isinstance(module, torch.nn.Conv2d | torch.nn.Linear | torch.nn.Embedding):
            out[name] = float(torch.linalg.matrix_norm(weight.detach().flatten(1), ord=2))
    return out


with_norm = singular_values(runs["reference"].discriminator)
without = singular_values(runs["no spectral norm"].discriminator)
print(f"{'layer':>12} {'with':>6} {'without':>8}")
for layer in with_norm:
    print(f"{layer:>12} {with_norm[layer]:6.2f} {without[layer]:8.2f}")
print(
    f"product over the layers of the feature path: with {np.prod(list(with_norm.values())[:3]):.2f}, "
    f"without {np.prod(list(without.values())[:3]):.1f}"
)

# %% [markdown]
# In the run measured for this text (one seed per run, so read small differences as
# noise), after 500 steps: the reference had FD 439.5 and class consistency 0.21;
# without spectral norm 423.7 and 0.20; with the real target at 0.9, 457.9 and 0.26; with
# TTUR 636.0 and 0.10, behind at every point. There the discriminator, at 4 times the
# generator's rate, called the validation images real (0.98) and every fake fake (0.00):
# it won outright, and the generator, at a quarter of the reference's rate, learnt
# slowest. The other two did what they are built to do. With the real target at 0.9 the
# discriminator's verdict on validation images stayed near 0.75 instead of 0.89 to
# 0.98. With spectral norm every layer's largest singular value stayed between 1.00 and
# 1.03; without it the class embeddings of the projection grew to 9.76, the label's part
# of the logit growing fastest. What those two did for the images, in 500 steps, is within
# the noise. The papers measured these tricks over runs far longer than these, on
# CIFAR-10 and larger images; a few hundred steps on a CPU show how each works, not
# what it is worth in the end. Steps count for much more here: the reference,
# going on, went from FD 439.5 and class consistency 0.21 at step 500 to 288.5 and 0.58
# at step 1,500.
#
# ## 3. Numbers that mean something
#
# ### The Fréchet distance
#
# Heusel et al. (2017) summarise a set of images by the mean $\mu$ and covariance
# $\Sigma$ of their features in a fixed network, and compare two sets by the Fréchet
# (2-Wasserstein) distance between the Gaussians with those moments:
#
# $$\mathrm{FD} = \lVert \mu_1 - \mu_2 \rVert^2
#   + \operatorname{tr}\!\left(\Sigma_1 + \Sigma_2 - 2\,(\Sigma_1 \Sigma_2)^{1/2}\right).$$
#
# With Inception-v3's features it is the "FID" of the papers; Inception never saw a
# 28 × 28 grey garment, so here the features are the judge's 64 (its last layer before
# the classes). FD is 0 only for equal moments and grows both when the images are
# unrealistic (the mean moves) and when they lack variety (the covariance shrinks).
#
# **The floor.** Two sets of *real* images do not reach 0: a finite sample's mean and
# covariance are noisy, and the noise adds to FD, more the fewer the images (Chong &
# Forsyth, 2020, show FID is biased this way). Validation images, never trained on,
# against the training statistics:

# %%
sizes = [n for n in common.scale((250, 500, 1000, 2000, 6000), (25, 50, 100)) if n <= len(x_valid)]
valid_features = judge.features(x_valid)
order = np.random.default_rng(0).permutation(len(x_valid))
for n in sizes:
    fd = generative.frechet_from_stats(
        *generative.stats(valid_features[order[:n]]), judge.mean, judge.cov
    )
    print(f"{n:>5} validation images: FD {fd:6.2f}")

# %% [markdown]
# So an FD is only comparable with another at the **same number of images**, and it
# means something next to the floor at that number. Everything below uses 100 images of
# each class (1,000 in all, as the homework does) and the validation images picked the
# same way as the floor.
#
# ### Class consistency, and FD class by class
#
# A conditional model can make fine images of the wrong class. **Class consistency** is
# the share of images the judge puts in the class they were made for; its ceiling is the
# judge's accuracy on real validation images. The **class FD** (intra-FID, Miyato &
# Koyama, 2018) is the FD of each class's images against the training images of that
# class, averaged over the classes: a wrong-class image costs there as much as an
# unrealistic one (the homework is scored by it). And a plain number for **variety**,
# the *spread*: how much each pixel varies among the images of one class (its standard
# deviation, pixels on 0..1), averaged over the pixels and the classes. A generator that
# makes one image per class, whatever $z$, has a spread of 0.

# %%
picked = np.concatenate([np.flatnonzero(y_valid == c)[:PER_CLASS] for c in range(10)])


def spread(images, labels):
    """Variety within a class: each pixel's standard deviation over the class's images
    (pixels on 0..1), averaged over the pixels and the classes."""
    return float(np.mean([(images[labels == c] / 255).std(axis=0).mean() for c in range(10)]))


gan = runs["reference"].generator
gan_images = cgan.sample(gan, asked, seed=1)
real_images, real_labels = x_valid[picked], y_valid[picked]
scored = {
    "validation images": {
        **evaluate(real_images, real_labels),
        "spread": spread(real_images, real_labels),
    },
    f"cGAN, {LONG} steps": {**evaluate(gan_images, asked), "spread": spread(gan_images, asked)},
}
print(f"{'':>22} {'FD':>7} {'class FD':>9} {'consistency':>12} {'spread':>7}")
for name, row in scored.items():
    print(
        f"{name:>22} {row['FD']:7.2f} {row['class FD']:9.2f} {row['consistency']:12.3f} "
        f"{row['spread']:7.3f}"
    )
shown = common.scale(8, 2)
display(
    draw.draw_class_rows(
        gan_images, asked, CLASSES, per_class=shown, title=f"the reference cGAN, {shown} per class"
    )
)

# %% [markdown]
# ### Is it copying? The nearest training image
#
# A model that memorised its training images would score an excellent FD. For every
# generated image, the distance to its **nearest training image** (Euclidean, pixels on
# 0..1, over the 54,000) tells; the validation images' own distances to the training
# images are the yardstick: a model that is not copying sits no closer than new real
# images do. Below, the generated images closest to the training set, each above its
# nearest training image.

# %%
gan_near = generative.nearest_distances(gan_images, x_train)
valid_near = generative.nearest_distances(x_valid[picked], x_train)
print(
    f"median distance to the nearest training image: cGAN {np.median(gan_near):.2f}, "
    f"validation images {np.median(valid_near):.2f}"
)
closest = np.argsort(gan_near)[:8]
flat_train = x_train.reshape(len(x_train), -1).astype(np.float32) / 255
nearest = [
    x_train[int(np.argmin(((flat_train - gan_images[i].reshape(-1) / 255) ** 2).sum(1)))]
    for i in closest
]
display(
    draw.draw_nearest_pairs(
        gan_images[closest],
        np.stack(nearest),
        gan_near[closest],
        title="the 8 generated images nearest to a training image",
    )
)

# %% [markdown]
# In the run measured for this text the cGAN's images were a median 4.90 from their
# nearest training image, the validation images 3.48: farther, so no sign of copying.
# The closest pairs above are faint images next to pale training garments: a distance in
# pixels is small between two images with little ink, whatever they show, so look at
# the pairs, not only at the number.
#
# The table above has the other half of the story. The cGAN's class consistency (0.58)
# says the judge sees the classes; its spread, 0.078 against the real images' 0.193,
# says the images of one class are nearly the same image (the 8 of each row above
# differ mostly in brightness). That is **mode collapse**, here within each class:
# the generator found a few images per class that pass the discriminator and makes
# those. Class consistency cannot see it; FD does, since the features' covariance
# shrinks. The walk below shows it too.
#
# ### A walk through the noise
#
# Moving $z$ along a straight line from $z_0$ to $z_1$ with the label fixed should change
# the garment smoothly, every image on the way a plausible one: a sign that the
# generator has learnt a continuous map, not a lookup table of training images (Radford
# et al., 2016, section 6.1).

# %%
walk = np.linspace(0, 1, 8)
classes_shown = [0, 1, 5, 7, 9]
g = torch.Generator().manual_seed(3)
z0, z1 = torch.randn(1, base.z_dim, generator=g), torch.randn(1, base.z_dim, generator=g)
gan.eval()
with torch.no_grad():
    rows = [
        gan(
            (1 - torch.tensor(walk, dtype=torch.float32)[:, None]) * z0
            + torch.tensor(walk, dtype=torch.float32)[:, None] * z1,
            torch.full((len(walk),), c),
        )
        for c in classes_shown
    ]
walked = np.stack([diffusion.to_uint8(r) for r in rows])
display(draw.draw_interpolation(walked, CLASSES, classes_shown))

# %% [markdown]
# In the run measured for this text the walk hardly changed the images, only their
# brightness here and there: the collapsed generator has learnt to ignore most of $z$.
#
# ## 4. A small diffusion model
#
# A GAN learns to make an image in one step, refereed by a second network. A **denoising
# diffusion model** (Sohl-Dickstein et al., 2015; Ho et al., 2020) learns to undo noise,
# a little at a time, and makes an image by undoing noise from pure noise.
#
# **The forward process** adds Gaussian noise in $T$ small steps with variances
# $\beta_1, \dots, \beta_T$: $x_t = \sqrt{1 - \beta_t}\, x_{t-1} + \sqrt{\beta_t}\,
# \varepsilon$. A sum of Gaussians is a Gaussian, so any step is one jump from the image:
#
# $$x_t = \sqrt{\bar\alpha_t}\, x_0 + \sqrt{1 - \bar\alpha_t}\, \varepsilon, \qquad
#   \bar\alpha_t = \prod_{s=1}^{t} (1 - \beta_s), \qquad \varepsilon \sim N(0, I).$$
#
# Ho et al. raise $\beta_t$ linearly from $10^{-4}$ to $0.02$ over $T = 1000$ steps. For
# small images that destroys the image early, and Nichol and Dhariwal (2021) define
# $\bar\alpha_t$ directly, by a cosine, to lose it more evenly. Both, over $T$ steps (the
# linear one scaled to $T$), on two validation images, with the same noise:

# %%
T = common.scale(100, 10)
schedules = {"linear": diffusion.linear_schedule(T), "cosine": diffusion.cosine_schedule(T)}
shown_steps = sorted({0, T // 10, T // 4, T // 2, 3 * T // 4, T - 1})
display(draw.draw_forward_process(x_valid[:2], schedules, shown_steps))
for name, schedule in schedules.items():
    half = float(schedule.alpha_bars[T // 2 - 1])
    print(
        f"{name}: alpha_bar at t = {T // 2} is {half:.3f}, at t = {T} {float(schedule.alpha_bars[-1]):.5f}"
    )

# %% [markdown]
# **The network and its loss.** A network $\varepsilon_\theta(x_t, t)$ sees a noised
# image and its step and guesses the noise that was added; the loss is the squared
# error, at a random step for every image (Ho et al.'s "simple" objective, their eq. 14):
#
# $$L = \mathbb{E}_{x_0, t, \varepsilon} \left\lVert \varepsilon -
#   \varepsilon_\theta\!\left(\sqrt{\bar\alpha_t} x_0 + \sqrt{1 - \bar\alpha_t}\,
#   \varepsilon,\ t\right) \right\rVert^2.$$
#
# Here $\varepsilon_\theta$ is `diffusion.Denoiser`, a small U-Net (Ronneberger et al.,
# 2015) that folds 2 × 2 pixels into channels first and works at 14 × 14 and 7 × 7, told
# the step by a sinusoidal embedding added in every block. It is told the class the same
# way, by a learnt embedding added to the step's, so it can be asked for a class like the
# cGAN (Ho et al.'s model is unconditional; class embeddings are how Dhariwal and Nichol,
# 2021, condition theirs).
#
# **Sampling** runs the process backwards: from $x_T \sim N(0, I)$, at each step the
# guessed noise gives an estimate of $x_0$ (clipped to $[-1, 1]$), and $x_{t-1}$ is drawn
# from the Gaussian $q(x_{t-1} \mid x_t, x_0)$ of the forward process, which has a
# closed form. $T$ network calls per image: sampling is what diffusion pays for its
# stable training.
#
# The network trains for `DIFFUSION_STEPS` mini-batches with the cosine schedule and is
# saved for Section 4 (`lesson6_ddpm.pt`).

# %%
DIFFUSION_FILE = "lesson6_ddpm.pt"
DIFFUSION = {"width": common.scale(32, 8), "embed": common.scale(64, 16), "n_classes": 10}
DIFFUSION_STEPS = common.scale(1200, 20)
seed_everything(0)
denoiser = diffusion.Denoiser(**DIFFUSION)
schedule = schedules["cosine"]
fit = diffusion.train_diffusion(
    denoiser,
    diffusion.to_model_scale(x_train),
    schedule,
    labels=torch.as_tensor(y_train),
    steps=DIFFUSION_STEPS,
    batch=common.scale(64, 16),
    log_every=max(1, DIFFUSION_STEPS // 6),
)
with atomic_open(DIFFUSION_FILE, "wb") as handle:  # whole or not at all
    saved = {"config": DIFFUSION, "steps": T, "seconds": fit.seconds}
    torch.save({"state_dict": denoiser.state_dict(), **saved}, handle)
print(f"trained in {fit.seconds:.0f} s, saved to {DIFFUSION_FILE}")

# %%
sample_started = time.perf_counter()
keep = tuple(sorted({T - 1, 3 * T // 4, T // 2, T // 4, T // 10, 0}))
labels_small = torch.arange(10).repeat_interleave(common.scale(8, 2))
ddpm_images, kept = diffusion.sample(
    denoiser, schedule, len(labels_small), labels=labels_small, seed=1, keep=keep
)
print(
    f"{len(labels_small)} images, {T} network calls each, in "
    f"{time.perf_counter() - sample_started:.0f} s"
)
display(draw.draw_reverse_process({t: x[:: common.scale(8, 2)] for t, x in kept.items()}))
display(
    draw.draw_class_rows(
        diffusion.to_uint8(ddpm_images),
        labels_small.numpy(),
        CLASSES,
        per_class=common.scale(8, 2),
        title="the diffusion model, asked for each class",
    )
)

# %% [markdown]
# In the run measured for this text the loss fell from 0.33 (the mean of steps 1 to 200)
# to 0.090 (steps 1,001 to 1,200), and the samples are the garments asked for, of many
# shapes and shades, where the cGAN above made one image per class. The reverse process
# shows the coarse shape first (by t = 25 of 100) and the details last. Section 4
# scores them.
#
# Section 4 puts the three kinds of model side by side on the same numbers: a VAE, your
# cGAN and this diffusion model.
#
# Time for this notebook:

# %%
print(f"{(time.perf_counter() - started) / 60:.1f} minutes")

# %% [markdown]
# ## Quiz
#
# Answer every question with the letter of your choice, then run the check cell: it says
# which answers are wrong. All right opens Section 4; after three tries the right
# answers are shown and the section opens anyway.

# %%
quiz3 = quiz.Quiz(
    6,
    3,
    [
        quiz.Question(
            "q1",
            "Two one-dimensional Gaussians, $N(0, 1)$ and $N(1, 4)$ (standard deviations 1 and 2). What is their Fréchet distance?",
            {
                "a": "6: the means differ by 1 and the variances add up to 5",
                "b": "4: the variances differ by 3, and the means add 1",
                "c": "2: $(0 - 1)^2 + (1 - 2)^2$, means and standard deviations",
                "d": "10: $(0 - 1)^2 + (1 - 4)^2$, means and variances",
            },
            "2de406b12de948551d720818283d320da5e50a609aa6f9494576e6ccf16004f2",
        ),
        quiz.Question(
            "q2",
            "A schedule with $\\beta_t = 0.1$ at every step. After 3 steps, $x_3 = \\sqrt{\\bar\\alpha_3}\\, x_0 + \\sqrt{1 - \\bar\\alpha_3}\\, \\varepsilon$. What is $\\bar\\alpha_3$?",
            {
                "a": "$1 - 3 \\times 0.1 = 0.7$: $x_0$ is scaled by 0.837",
                "b": "$0.9^3 = 0.729$: $x_0$ is scaled by 0.854",
                "c": "$0.9$, the last step's: $x_0$ is scaled by 0.949",
                "d": "$1 - 0.9^3 = 0.271$: $x_0$ is scaled by 0.521",
            },
            "8c5dd9033316ee76b6dbcb259cf602c64a20ee09222d6a4704eec91d4a61bdbf",
        ),
        quiz.Question(
            "q3",
            "Spectral norm divides each of the discriminator's weight matrices by its largest singular value; its activations are LeakyReLUs (slopes 0.2 and 1). What does that bound?",
            {
                "a": "how much D's output can change as its input changes (its Lipschitz constant)",
                "b": "D's output itself, which then stays between −1 and 1 for any image",
                "c": "every single weight of D, which then stays between −1 and 1",
                "d": "the gradient of D's loss with respect to D's own weights",
            },
            "f26d773999bcdab66b596653c7d1bfa7c5eef837399b341c0237685aa733e134",
        ),
        quiz.Question(
            "q4",
            "Held-out real images score FD 3.0 against the training features with 500 images, 0.9 with 5,000. Generator A's 500 images score 3.4; generator B's 5,000 score 2.9. Which is closer to the data?",
            {
                "a": "B: its FD, 2.9, is lower than A's 3.4",
                "b": "neither can be told: FD is far too noisy for this",
                "c": "B: more images make its FD the more precise one",
                "d": "A: it is 0.4 above its floor, B is 2.0 above",
            },
            "ea08cabe33499b6399000eb7c25341651db05d1db3995890e8771832ea9ab5b6",
        ),
        quiz.Question(
            "q5",
            "A generator's images are, at the median, 2.1 from their nearest training image (pixels on 0..1); held-out real images are 4.5 from theirs. What is the likeliest reading?",
            {
                "a": "it looks more real than real images do: a very good model",
                "b": "it reproduces training images closely: it may be copying them",
                "c": "its images vary too much: they spread all over the data",
                "d": "nothing: nearness to the training images says nothing",
            },
            "6fd69da7c1688811b71ade09293e4fded8d971b1de63972d57655a087ae03184",
        ),
    ],
)
quiz3.show()

# %%
answers = {"q1": "", "q2": "", "q3": "", "q4": "", "q5": ""}  # your letters, e.g. "a"

# %% tags=["solution"]
answers = quiz3.shown_letters({"q1": "c", "q2": "b", "q3": "a", "q4": "d", "q5": "b"})

# %%
passed = quiz3.check(answers)
