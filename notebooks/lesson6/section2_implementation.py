# %% [markdown]
# # Lesson 6, Section 2: a VAE and a DCGAN, by hand
#
# Here you write the key pieces of Section 1 and train two generative models of
# Fashion-MNIST with them:
#
# 1. the data: a `Dataset`, `DataLoader`s, and the validation split;
# 2. the VAE: the **reparameterisation**, the **loss** (the negative ELBO) and the
#    **training loop** of one epoch, in bare PyTorch; then a VAE is trained with your loop,
#    its learning curves, reconstructions and samples shown;
# 3. the GAN: the **discriminator's loss**, the **generator's loss** (non-saturating) and
#    one **training step** of both players; then a small DCGAN (Radford, Metz and
#    Chintala, 2016) is trained with your step, its samples shown as it learns.
#
# In the exercise notebook, each `# YOUR CODE HERE` marks code for you to write. It is
# checked as soon as its cell runs, and until it passes, the notebook goes on with a
# reference version, so every later cell still works. Each exercise has a hint that opens
# on a click; try without it first.
#
# Run time, measured on 2 CPU cores shared with other jobs: 2.1 minutes (127 s), 78 s of
# it the DCGAN's 1,500 steps and 36 s the VAE's 10 epochs (in a busier moment, 15
# minutes); 8 s in smoke mode (`PRACTICUM_SMOKE=1`). Not measured on a GPU: the notebook
# trains on the CPU.

# %%
from practicum.coursework import quiz

quiz.require(6, 2, quiz_notebook="lesson6/section1_concepts.ipynb")

# %%
import copy
import time

import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from practicum import data
from practicum.coursework import common, exercise
from practicum.lessons.lesson1.mlp import FASHION_MNIST_CLASSES
from practicum.lessons.lesson6 import checks, gan, plots, vae
from practicum.train import seed_everything

seed_everything(0)

# %% [markdown]
# ## 1. The data
#
# The training images, and the same validation split as in Section 1: 6,000 images drawn
# with seed 0. Every number below that is not about the training images comes from these
# validation images; the test images are the homework's and never appear here.
#
# `vae.ImageDataset` is a PyTorch `Dataset`: `len(dataset)` is the number of images, and
# `dataset[i]` is one pair (image, label), the image as floats in $[0, 1]$ of shape
# (1, 28, 28). A `DataLoader` draws batches from it, shuffled for training.

# %%
fashion = data.load("fashion-mnist", "train")
x_train, y_train, x_valid, y_valid = vae.carve_validation(
    fashion["x"], fashion["y"], common.scale(6000, 200), seed=0
)
train_set, valid_set = vae.ImageDataset(x_train, y_train), vae.ImageDataset(x_valid, y_valid)
image, label = train_set[0]
print(f"{len(train_set):,} training images, {len(valid_set):,} validation images")
print(
    f"one item: image {tuple(image.shape)} {image.dtype} in [{image.min():.0f}, {image.max():.0f}], label {label} ({FASHION_MNIST_CLASSES[label]})"
)
loader = DataLoader(train_set, batch_size=128, shuffle=True)
valid_loader = DataLoader(valid_set, batch_size=1000)
images, labels = next(iter(loader))
print(f"one batch: images {tuple(images.shape)}, labels {tuple(labels.shape)}")

# %% [markdown]
# ## 2. The reparameterisation
#
# Write `reparameterize(mu, logvar)`. Both are tensors of shape (B, d): for each image,
# the mean and the **log-variance** $\log \sigma^2$ of its Gaussian $q(z \mid x)$. Return
# one draw $z = \mu + \sigma \cdot \varepsilon$ of that Gaussian, of the same shape, with
# a fresh $\varepsilon \sim \mathcal{N}(0, I)$ for every number at every call. Mind what
# `logvar` is: $\sigma$ has to be computed from it.
#
# The check draws 20,000 samples for three pairs ($\mu$, $\log \sigma^2$) and compares
# their means and standard deviations with the Gaussians', then backpropagates through
# $z$: $\partial z / \partial \mu$ must be 1 and $\partial z / \partial \log \sigma^2$
# must be $\sigma \varepsilon / 2$, whatever $\varepsilon$ was drawn.

# %% [markdown]
# <details><summary>Hint</summary>
#
# $\sigma = \sqrt{\sigma^2} = \exp(\tfrac{1}{2} \log \sigma^2)$. `torch.randn_like(t)`
# draws standard normal numbers of `t`'s shape; `torch.exp` keeps the gradient.
#
# </details>


# %%
def reparameterize(mu, logvar):
    """A draw z = mu + sigma * eps of N(mu, sigma²), differentiable in mu and logvar."""
    ### BEGIN SOLUTION
    sigma = torch.exp(0.5 * logvar)
    return mu + sigma * torch.randn_like(sigma)
    ### END SOLUTION


reparameterize = exercise.checked(
    reparameterize, lesson=6, exercise="reparameterize", check=checks.check_reparameterize
)

# %% [markdown]
# ## 3. The VAE's loss
#
# Write `vae_loss(logits, x, mu, logvar)`: the **negative ELBO** of Section 1, part 3.
# `logits` (B, 1, 28, 28) are the decoder's outputs for the batch's sampled codes (the
# pixels' probabilities are their sigmoid), `x` the images in $[0, 1]$, `mu` and `logvar`
# (B, d) the encoder's outputs. For each image:
#
# - the **reconstruction** term: the binary cross-entropy of its pixels, computed from the
#   logits, **summed** over the 784 pixels;
# - the **KL** term: $-\tfrac{1}{2} \sum_{k=1}^{d} (1 + \log \sigma_k^2 - \mu_k^2 -
#   \sigma_k^2)$, summed over the $d$ dimensions of the code.
#
# Return their sum, **averaged** over the images of the batch: one number (a 0-d tensor),
# in nats per image. The convention matters: averaged over the pixels instead, the
# reconstruction would count 784 times less against the KL, and the codes would learn
# little about the images.
#
# The check computes your loss on a small batch and, when it differs from the reference's,
# recomputes the usual mistakes to name yours; it then compares the gradients.

# %% [markdown]
# <details><summary>Hint</summary>
#
# `F.binary_cross_entropy_with_logits(logits, x, reduction="none")` gives one number per
# pixel, with the sigmoid inside (numerically safe); `.flatten(1).sum(dim=1)` sums each
# image's. `logvar.exp()` is $\sigma^2$. Take `.mean()` at the very end.
#
# </details>


# %%
def vae_loss(logits, x, mu, logvar):
    """Negative ELBO: BCE summed over pixels + KL summed over dims, mean over the batch."""
    ### BEGIN SOLUTION
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    reconstruction = reconstruction.flatten(1).sum(dim=1)
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)
    return (reconstruction + kl).mean()
    ### END SOLUTION


vae_loss = exercise.checked(vae_loss, lesson=6, exercise="vae_loss", check=checks.check_vae_loss)

# %% [markdown]
# ## 4. One epoch of training
#
# Write `train_vae_epoch(model, loader, optimizer)`, the bare PyTorch loop over one epoch.
# `model(x)` returns `(logits, mu, logvar)` (it samples $z$ with your `reparameterize`);
# the loader yields pairs (images, labels), and the labels are not used: a VAE learns
# from the images alone.
#
# Switch the model to training mode first (an evaluation on the validation images leaves
# it in evaluation mode). For every batch: the model's outputs, your `vae_loss`, then clear
# the gradients left by the previous batch, backpropagate, and take the optimizer's step.
# Return the mean of the batches' losses, a Python float.
#
# The check runs your epoch and the reference's from the same weights, on the same
# batches, with the same noise, and compares every weight afterwards.

# %% [markdown]
# <details><summary>Hint</summary>
#
# `for x, _ in loader:`. The three calls per batch, in order: `optimizer.zero_grad()`,
# `loss.backward()`, `optimizer.step()`. `loss.item()` is the batch's loss as a float.
#
# </details>


# %%
def train_vae_epoch(model, loader, optimizer):
    """One pass over the loader; the mean of the batches' losses."""
    ### BEGIN SOLUTION
    model.train()
    losses = []
    for x, _ in loader:
        logits, mu, logvar = model(x)
        loss = vae_loss(logits, x, mu, logvar)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return float(np.mean(losses))
    ### END SOLUTION


train_vae_epoch = exercise.checked(
    train_vae_epoch, lesson=6, exercise="train_vae_epoch", check=checks.check_train_vae_epoch
)

# %% [markdown]
# ## 5. Training the VAE
#
# The VAE of Section 1 (784 → 256 → the code → 256 → 784), with a code of 16 numbers
# instead of 2: more room for the details two numbers lost. Adam at a learning rate of
# $10^{-3}$, batches of 128. After every epoch, the validation loss and its two terms
# (`vae.evaluate`); the weights of the epoch with the lowest validation loss are kept.

# %%
epochs = common.scale(10, 1)
seed_everything(0)
model = vae.VAE(latent_dim=16, sample=reparameterize)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
history, best = [], None
started = time.perf_counter()
for epoch in range(1, epochs + 1):
    train_loss = train_vae_epoch(model, loader, optimizer)
    valid = vae.evaluate(model, valid_loader)
    history.append(
        {
            "epoch": epoch,
            "train_loss": train_loss,
            "valid_loss": valid["loss"],
            "valid_reconstruction": valid["reconstruction"],
            "valid_kl": valid["kl"],
        }
    )
    if best is None or valid["loss"] < best[1]:
        best = (epoch, valid["loss"], copy.deepcopy(model.state_dict()))
    print(
        f"epoch {epoch:2d}  training {train_loss:.1f}  validation {valid['loss']:.1f} = "
        f"reconstruction {valid['reconstruction']:.1f} + KL {valid['kl']:.1f}  "
        f"({time.perf_counter() - started:.0f} s)"
    )
model.load_state_dict(best[2])
print(f"kept the weights of epoch {best[0]}: validation loss {best[1]:.1f} nats per image")

# %%
plots.vae_curves(history, title="A VAE with a 16-number code (negative ELBO, nats per image)")

# %% [markdown]
# In our run the validation loss fell from 263.8 nats per image after the first epoch to
# 244.1 after the tenth, still falling by less than a nat an epoch, so epoch 10 was kept
# (more epochs would help a little). The training loss starts above the validation loss
# because it is the mean over an epoch whose first batches met an untrained model; at the
# end the two meet (244.3 and 244.1): no overfitting yet. A code of 16 numbers instead of
# Section 1's two: 244.1 nats against 264.0, the reconstruction term 30 nats lower (228.0
# against 257.8), the KL up from about 6 nats to 16. The code carries more about each
# image, and pays for it in KL.
#
# Validation images rebuilt from their codes' means, and new images: codes drawn from the
# prior $\mathcal{N}(0, I)$, decoded.

# %%
shown = vae.as_tensor(x_valid[:10])
plots.reconstructions(
    shown.squeeze(1).numpy(),
    {"VAE, 16 numbers": model.reconstruct(shown).squeeze(1).numpy()},
    title="Validation images and their reconstructions",
)

# %%
vae_samples = model.generate(32, generator=torch.Generator().manual_seed(0)).squeeze(1).numpy()
plots.sample_rows({"VAE": vae_samples}, title="The VAE's samples: z ~ N(0, I), decoded")

# %% [markdown]
# The reconstructions keep the kind of garment, its outline and its shade; the sandals'
# straps and the shirt's checks are lost. The samples are blurry: where the decoder is
# unsure between two outlines, it gives both a middling probability. Most are
# recognisable (shirts, pullovers, trousers, sneakers, ankle boots); some are blends of
# two kinds.

# %% [markdown]
# ## 6. The discriminator's loss
#
# From here on, images are scaled to $[-1, 1]$, the range of the generator's last
# activation, tanh. The discriminator returns one **logit** per image, shape (B,);
# $D(x)$ is its sigmoid.
#
# Write `discriminator_loss(real_logits, fake_logits)`: $D$'s logits on a batch of real
# images and on a batch of fakes (the two batches may differ in size). $D$ learns to say 1
# for real images and 0 for fakes: its loss is the binary cross-entropy with those labels,
#
# $$-\frac{1}{B_r}\sum_{\text{real}} \log D(x) \;-\; \frac{1}{B_f}\sum_{\text{fake}}
# \log\big(1 - D(G(z))\big),$$
#
# the mean over the real batch plus the mean over the fake batch. Return a 0-d tensor.
# Compute it from the logits in one stable call: where $D$ is very sure, the sigmoid of a
# logit of $-120$ is 0 in float32, and its log is $-\infty$.

# %% [markdown]
# <details><summary>Hint</summary>
#
# `F.binary_cross_entropy_with_logits(logits, targets)` takes the logits and targets of
# the same shape, and averages; `torch.ones_like(t)` and `torch.zeros_like(t)` make the
# targets.
#
# </details>


# %%
def discriminator_loss(real_logits, fake_logits):
    """BCE of D's logits: real -> 1 and fake -> 0, the mean of each batch, added."""
    ### BEGIN SOLUTION
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake
    ### END SOLUTION


discriminator_loss = exercise.checked(
    discriminator_loss,
    lesson=6,
    exercise="discriminator_loss",
    check=checks.check_discriminator_loss,
)

# %% [markdown]
# ## 7. The generator's loss
#
# Write `generator_loss(fake_logits)`: $G$'s **non-saturating** loss,
# $-\frac{1}{B}\sum \log D(G(z))$, from $D$'s logits on the fakes (Section 1, part 4):
# not the minimax game's $\log(1 - D(G(z)))$, whose gradient vanishes when $D$ rejects
# the fakes. Return a 0-d tensor, computed stably as in part 6. The check compares values
# and gradients, and names the minimax loss, swapped labels and a sigmoid applied twice
# when it sees them.

# %% [markdown]
# <details><summary>Hint</summary>
#
# $-\log D(G(z))$ is the binary cross-entropy of the fake's logit with target 1.
#
# </details>


# %%
def generator_loss(fake_logits):
    """Non-saturating: the mean of -log D(G(z)), from D's logits on the fakes."""
    ### BEGIN SOLUTION
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    ### END SOLUTION


generator_loss = exercise.checked(
    generator_loss, lesson=6, exercise="generator_loss", check=checks.check_generator_loss
)

# %% [markdown]
# ## 8. One training step
#
# Write `gan_step(generator, discriminator, real, z, g_opt, d_opt)`: one step of both
# players on a batch of real images `real` (B, 1, 28, 28) and of noise `z` (B, latent),
# each player with its own optimizer. In the order of Goodfellow et al.'s (2014)
# Algorithm 1:
#
# 1. the fakes: `generator(z)`;
# 2. **D's step**: clear D's gradients; D's loss from its logits on the real images and on
#    the fakes, **detached** (D's step must not compute gradients for G); backward; D's
#    optimizer steps. Call D once on the real images and once on the fakes: with batch
#    norm, a batch mixing both would be normalised differently;
# 3. **G's step**: clear G's gradients; G's loss from the updated D's logits on the same
#    fakes, not detached this time (G learns through D); backward; G's optimizer steps.
#    (G's backward also leaves gradients in D, which D's next step clears.)
#
# Return the two losses as Python floats, `(d_loss, g_loss)`.
#
# The check runs two steps of your version and of the reference on a tiny GAN from the same
# weights, compares every weight afterwards, counts the backward passes that reach G's
# weights, and names the usual mistakes: fakes not detached, a missing `zero_grad`, G
# updated first, one call of D on both batches.

# %% [markdown]
# <details><summary>Hint</summary>
#
# `discriminator(fake.detach())` scores the fakes without a path back to G. Each step:
# `opt.zero_grad()`, the loss, `loss.backward()`, `opt.step()`.
#
# </details>


# %%
def gan_step(generator, discriminator, real, z, g_opt, d_opt):
    """D's step on real and detached fakes, then G's step; returns (d_loss, g_loss)."""
    ### BEGIN SOLUTION
    fake = generator(z)
    d_opt.zero_grad()
    d_loss = discriminator_loss(discriminator(real), discriminator(fake.detach()))
    d_loss.backward()
    d_opt.step()

    g_opt.zero_grad()
    g_loss = generator_loss(discriminator(fake))
    g_loss.backward()
    g_opt.step()
    return d_loss.item(), g_loss.item()
    ### END SOLUTION


gan_step = exercise.checked(gan_step, lesson=6, exercise="gan_step", check=checks.check_gan_step)

# %% [markdown]
# ## 9. Training a DCGAN
#
# DCGAN's recipe (Radford, Metz and Chintala, 2016), made small for a CPU (`gan.py`):
#
# - $G$: $z$ of 64 numbers → a linear layer to a 7 × 7 map of 64 channels → transposed
#   convolutions to 14 × 14 (32 channels) and 28 × 28 (1 channel); batch norm and ReLU
#   between, tanh at the end;
# - $D$: strided convolutions 28 → 14 → 7 (32 and 64 channels) with leaky ReLU (slope
#   0.2), batch norm on the second, then a linear layer to one logit;
# - weights drawn from $\mathcal{N}(0, 0.02)$; Adam with $\beta_1 = 0.5$ for both players;
#   batches of 64.
#
# One departure from the paper: a learning rate of $5 \cdot 10^{-4}$ instead of its
# $2 \cdot 10^{-4}$. With only 1,500 steps on a CPU, two trial runs of 1,500 steps made
# while writing this lesson, one with each rate, gave samples that were clearly better
# with the larger one (judged by eye: no number here measures samples; Section 3 has one).
#
# Both are trained with your `gan_step`. A fixed set of noise vectors is decoded at a few
# steps (`gan.sample`, batch norm in evaluation mode), so you can watch the same samples
# take shape.

# %%
latent_dim, batch_size = 64, 64
steps = common.scale(1500, 20)
shown_steps = {steps // 10, steps // 3, steps}
seed_everything(0)
generator, discriminator = gan.Generator(latent_dim, width=32), gan.Discriminator(width=32)
gan.init_weights(generator)
gan.init_weights(discriminator)
g_opt, d_opt = gan.adam(generator, lr=5e-4), gan.adam(discriminator, lr=5e-4)
print(
    f"G: {sum(p.numel() for p in generator.parameters()):,} weights, "
    f"D: {sum(p.numel() for p in discriminator.parameters()):,} weights"
)
real_train = gan.to_gan_range(x_train)
gan_loader = DataLoader(
    TensorDataset(real_train), batch_size=batch_size, shuffle=True, drop_last=True
)
fixed_z = torch.randn(32, latent_dim, generator=torch.Generator().manual_seed(0))
snapshots = {0: gan.sample(generator, fixed_z)}
d_losses, g_losses = [], []
started = time.perf_counter()
while len(d_losses) < steps:
    for (real,) in gan_loader:
        d_loss, g_loss = gan_step(
            generator, discriminator, real, torch.randn(len(real), latent_dim), g_opt, d_opt
        )
        d_losses.append(d_loss)
        g_losses.append(g_loss)
        step = len(d_losses)
        if step in shown_steps:
            snapshots[step] = gan.sample(generator, fixed_z)
            print(
                f"step {step:5d}  D's loss {np.mean(d_losses[-50:]):.3f}  G's loss "
                f"{np.mean(g_losses[-50:]):.3f}  (means of the last 50 steps; "
                f"{time.perf_counter() - started:.0f} s)"
            )
        if step == steps:
            break
print(f"{steps} steps: {steps * batch_size / len(real_train):.1f} epochs of the training images")

# %%
plots.gan_curves(d_losses, g_losses, title="DCGAN on Fashion-MNIST: the losses of every step")

# %% [markdown]
# In our run D's loss fell close to 0 in the first hundred steps (G's first attempts are
# easy to reject) while G's rose above 4; then D's loss rose and G's fell, and the means of
# the last 50 steps ended at 0.93 and 1.37 (the lines printed above). Neither curve says
# how good the samples are: a GAN's losses measure each player against the other, who keeps
# changing. The samples say more.

# %%
plots.sample_rows(
    {f"step {step}": images[:16].squeeze(1).numpy() for step, images in snapshots.items()},
    title="G's samples of the same 16 z as training goes on",
)

# %% [markdown]
# At step 0 every z gives the same grey square; at step 150, blobs; at 500, rough
# garments; at 1500, sneakers, trousers, shirts and dresses with sharp edges and some broken
# parts. The samples differ from one z to the next: no sign of mode collapse in this run,
# though 1,500 steps is a short training.
#
# **Does G copy the training images?** For eight samples, the training image nearest in
# pixels (Euclidean distance), and how far the nearest validation image is, for scale:

# %%
final = snapshots[steps][:8].reshape(8, -1)
train_flat = (real_train.reshape(len(real_train), -1) + 1) / 2
valid_flat = vae.as_tensor(x_valid).reshape(len(x_valid), -1)
nearest = torch.cdist(final, train_flat).min(dim=1)
valid_to_train = torch.cdist(valid_flat[:200], train_flat).min(dim=1).values
print(f"sample to its nearest training image: {nearest.values.mean():.2f} on average")
print(f"validation image to its nearest training image: {valid_to_train.mean():.2f} on average")
plots.sample_rows(
    {
        "G's samples": final.reshape(8, 28, 28).numpy(),
        "nearest training image": train_flat[nearest.indices].reshape(8, 28, 28).numpy(),
    },
    cols=8,
    title="Does G copy?",
)

# %% [markdown]
# The nearest training images are of the same kind (a sneaker for a sneaker) but not
# copies. In our run a sample was 5.39 from its nearest training image on average, farther
# than a validation image is from its nearest (3.58): G draws images of its own, and they
# are not yet as close to the training images as new real images are.
#
# **Does D memorise?** D's mean probability of "real" for training images and for
# validation images, which it never saw. A D that learnt the training images by heart
# would trust them more:

# %%
discriminator.eval()
with torch.no_grad():
    on_train = torch.sigmoid(discriminator(real_train[: len(x_valid)])).mean().item()
    on_valid = torch.sigmoid(discriminator(gan.to_gan_range(x_valid))).mean().item()
    on_fake = torch.sigmoid(discriminator(2 * snapshots[steps] - 1)).mean().item()
discriminator.train()
print(
    f"D(x), mean: training images {on_train:.3f}, validation images {on_valid:.3f}, G's samples {on_fake:.3f}"
)

# %% [markdown]
# In our run D gave the training images 0.660 on average, the validation images 0.654 and
# G's samples 0.487: it trusts the images it trained on no more than new ones, so it has
# not memorised them, and it rates G's samples lower, though not by much.
#
# **The two models side by side**: the VAE's samples (part 5) and the DCGAN's.

# %%
plots.sample_rows(
    {"VAE": vae_samples, "DCGAN": snapshots[steps].squeeze(1).numpy()},
    title="Samples of the VAE and of the DCGAN",
)

# %% [markdown]
# The two models fail differently. The VAE's samples are smooth and blurry with the right
# outlines: its loss punishes every pixel it gets wrong, so where it is unsure it draws a
# middling grey. The DCGAN's are sharp, with broken parts: D punishes blur, which real
# images do not have, and does not yet see every flaw. The VAE gives a number for how well
# it models the validation images (244.1 nats per image, an upper bound on its
# $-\log p(x)$); the GAN gives none. Measuring samples is one of Section 3's topics.
#
# **Next:** Section 3, techniques for better results: a GAN told which class to draw,
# tricks that steady its training, numbers that measure samples (the Fréchet distance),
# and a small diffusion model.

# %% [markdown]
# ## Your exercises
#
# Which of this lesson's exercises are done, and where the notebook went on with the
# reference version instead. Go back to those: the check says what is still wrong.

# %%
exercise.summary(6)
