# %% [markdown]
# # Lesson 6, Section 1: models that make new images
#
# Until now every network of this course answered a question about an input: which class,
# which next word. This lesson's networks **make** inputs: new pictures of clothes that
# look like Fashion-MNIST's and are none of them. This first section explains the ideas,
# each with a small experiment you can change and re-run:
#
# 1. what a generative model is: a probability for every image, and a way to draw new ones;
# 2. the autoencoder: squeeze an image into two numbers and rebuild it;
# 3. the variational autoencoder (VAE): the ELBO, the reparameterisation trick, the KL in
#    closed form, and a 2-D code space you can look at;
# 4. generative adversarial networks (GANs): two players, two losses, and why the
#    generator's loss is not the one of the minimax game;
# 5. mode collapse, shown on a toy GAN that trains in seconds.
#
# A quiz at the end opens Section 2, where you write the VAE's and the GAN's key pieces
# yourself and train both on Fashion-MNIST.
#
# Run time, measured on 2 CPU cores shared with other jobs: 2.0 minutes (118 s), of which
# 47 s train the autoencoder, 40 s the VAE and 21 s the two toy GANs; in a busier moment
# the same run took 5.4 minutes. 8 s in smoke mode (`PRACTICUM_SMOKE=1`). Not measured on
# a GPU.

# %%
import math
import time

import numpy as np
import torch
from torch.distributions import Normal
from torch.nn import functional as F
from torch.utils.data import DataLoader

from practicum import data
from practicum.coursework import common, quiz
from practicum.lessons.lesson1.mlp import FASHION_MNIST_CLASSES
from practicum.lessons.lesson6 import gan, plots, vae
from practicum.train import seed_everything

seed_everything(0)

# %% [markdown]
# ## 1. What a generative model is
#
# Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017) has 60,000 training images of 28 × 28
# grey pixels in ten classes of clothes, and 10,000 test images. The test images belong to
# the homework: nothing in this lesson is computed on them. Every choice here is made on a
# **validation** split carved from the training images: 6,000 of them, drawn with seed 0
# (`vae.carve_validation`; Section 2 carves the same).

# %%
fashion = data.load("fashion-mnist", "train")
x_train, y_train, x_valid, y_valid = vae.carve_validation(
    fashion["x"], fashion["y"], common.scale(6000, 200), seed=0
)
print(
    f"{len(fashion['x']):,} training images: {len(x_train):,} to train on, "
    f"{len(x_valid):,} for validation"
)
common.image_grid(
    x_valid[:16], y_valid[:16], class_names=FASHION_MNIST_CLASSES, title="Validation images"
)

# %% [markdown]
# A **generative model** of these images does two things:
#
# - it gives every possible image $x$ a probability $p(x)$ (a **density model**): high for
#   images like these, low for noise. A good model gives the validation images, which it
#   never saw, a high probability; we measure that as $-\log p(x)$ in nats per image, and
#   lower is better;
# - it can **sample**: draw new images $x \sim p(x)$.
#
# The simplest model treats every pixel as a coin of its own. Pixels here are grey levels
# scaled to $[0, 1]$; we read a pixel's value as the probability that it is "ink", as a
# Bernoulli variable. (With grey pixels this is a convention more than a true likelihood,
# the one of PyTorch's own VAE example; it puts every model of this lesson on one scale.)
# Each pixel $j$ gets its mean $p_j$ over the training images, and an image's
# $-\log p(x)$ is the binary cross-entropy of its pixels summed over the 784 of them:
#
# $$-\log p(x) = -\sum_{j=1}^{784} \big[x_j \log p_j + (1 - x_j) \log(1 - p_j)\big].$$

# %%
train_pixels, valid_pixels = vae.as_tensor(x_train), vae.as_tensor(x_valid)
p = train_pixels.mean(dim=0).clamp(1e-3, 1 - 1e-3)  # each pixel's mean over training images
nll = F.binary_cross_entropy(p.expand_as(valid_pixels), valid_pixels, reduction="none")
independent_nll = nll.flatten(1).sum(dim=1).mean().item()
print(f"independent pixels: -log p(x) = {independent_nll:.1f} nats per validation image")
coins = torch.bernoulli(p.expand(8, -1, -1, -1), generator=torch.Generator().manual_seed(0))
plots.sample_rows(
    {"p_j": p.numpy(), "samples": coins.squeeze(1).numpy()},
    cols=8,
    title="The independent-pixel model: each pixel's probability, and eight samples",
)

# %% [markdown]
# The samples are speckled blobs: each pixel is drawn on its own, so nothing makes the
# sleeve of a shirt continue where it began. Real images are made of pixels that depend on
# each other. The models of this lesson capture that dependence with a hidden **code**
# $z$: a few numbers that say what the image is (a long dress, a dark sneaker), from which
# a network draws the pixels. The number above is our yardstick for part 3.

# %% [markdown]
# ## 2. The autoencoder
#
# An **autoencoder** has two networks: an encoder squeezes the 784 pixels into a code of a
# few numbers (two here, so we can draw it), a decoder rebuilds the image from the code.
# It is trained only to rebuild: the loss is the binary cross-entropy of the rebuilt
# pixels, summed over an image. Ours is `vae.Autoencoder`: 784 → 256 → 2 → 256 → 784, with
# ReLU, the decoder's output being logits (a sigmoid gives the pixels).

# %%
epochs = common.scale(5, 1)
seed_everything(0)
autoencoder = vae.Autoencoder(code=2)
optimizer = torch.optim.Adam(autoencoder.parameters(), lr=1e-3)
started = time.perf_counter()
for epoch in range(1, epochs + 1):
    order = torch.randperm(len(train_pixels))
    for i in range(0, len(order), 128):
        x = train_pixels[order[i : i + 128]]
        loss = F.binary_cross_entropy_with_logits(autoencoder(x), x, reduction="sum") / len(x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        valid_bce = F.binary_cross_entropy_with_logits(
            autoencoder(valid_pixels), valid_pixels, reduction="sum"
        ).item() / len(valid_pixels)
    print(
        f"epoch {epoch}  reconstruction {valid_bce:.1f} nats per validation image  "
        f"({time.perf_counter() - started:.0f} s)"
    )

# %%
shown = valid_pixels[:10]
with torch.no_grad():
    rebuilt = torch.sigmoid(autoencoder(shown))
plots.reconstructions(
    shown.squeeze(1).numpy(),
    {"autoencoder": rebuilt.squeeze(1).numpy()},
    title="Validation images rebuilt from two numbers",
)

# %% [markdown]
# Two numbers keep the outline and lose the details: the kind of garment survives, the
# print on a T-shirt does not. But is the autoencoder a generative model? Its decoder
# turns any two numbers into an image, so we could sample by choosing codes at random. At
# random from *what*? Nothing in its training says which codes are used. We look at its
# codes in part 3, next to the VAE's.

# %% [markdown]
# ## 3. The variational autoencoder
#
# The VAE (Kingma and Welling, 2014) makes the autoencoder a generative model by deciding
# in advance where the codes live. Its story of how an image is made:
#
# 1. draw a code $z$ from a fixed **prior**, $p(z) = \mathcal{N}(0, I)$;
# 2. the **decoder** turns $z$ into 784 pixel probabilities, and the image is drawn from
#    them: $p_\theta(x \mid z)$, Bernoulli per pixel.
#
# Sampling is then easy: steps 1 and 2. Its probability of an image,
# $p_\theta(x) = \int p_\theta(x \mid z)\, p(z)\, dz$, is an integral over all codes,
# with no closed form when the decoder is a neural network. The **encoder** gets around it:
# for an image $x$ it proposes the codes that could have made it, a Gaussian
# $q_\phi(z \mid x) = \mathcal{N}(\mu_\phi(x), \operatorname{diag} \sigma^2_\phi(x))$.
# Writing the integral as an expectation over $q$ and moving the log inside it (Jensen's
# inequality: the log of a mean is at least the mean of the logs),
#
# $$\log p_\theta(x) = \log \mathbb{E}_{z \sim q_\phi(z \mid x)}\!\left[\frac{p_\theta(x
# \mid z)\, p(z)}{q_\phi(z \mid x)}\right] \;\ge\; \underbrace{\mathbb{E}_{z \sim
# q_\phi(z \mid x)} \big[\log p_\theta(x \mid z)\big]}_{\text{reconstruct } x \text{ from
# its codes}} \;-\; \underbrace{\mathrm{KL}\big(q_\phi(z \mid x) \,\|\, p(z)\big)}_{\text{codes
# close to the prior}} \;=\; \text{ELBO},$$
#
# the **evidence lower bound** (Kingma and Welling, 2014, eq. 3). The gap is
# $\mathrm{KL}(q_\phi(z \mid x) \,\|\, p_\theta(z \mid x)) \ge 0$, so the bound is tight
# when the encoder proposes exactly the codes that explain $x$. The VAE's loss is the
# **negative ELBO**: a reconstruction term, the binary cross-entropy of part 1 with the
# decoder's probabilities, plus a KL term that pulls every image's codes towards
# $\mathcal{N}(0, I)$. Minimising it pushes $-\log p_\theta(x)$ down, since the loss is
# always at least that: a VAE's validation loss is an upper bound on its $-\log p(x)$.
#
# **The KL in closed form.** For one dimension with $q = \mathcal{N}(\mu, \sigma^2)$ and
# the prior $\mathcal{N}(0, 1)$ (Kingma and Welling, 2014, appendix B):
#
# $$\mathrm{KL}\big(\mathcal{N}(\mu, \sigma^2) \,\|\, \mathcal{N}(0, 1)\big) =
# \tfrac{1}{2}\big(\mu^2 + \sigma^2 - \log \sigma^2 - 1\big),$$
#
# zero exactly when $\mu = 0$ and $\sigma = 1$; for a code of $d$ dimensions, the sum of
# the $d$ terms. The encoder outputs $\log \sigma^2$ (`logvar`), which can be any real
# number, where $\sigma^2$ would have to stay positive. The formula against a Monte Carlo
# estimate, $\mathbb{E}_q[\log q(z) - \log p(z)]$ over a million draws:

# %%
mu, sigma = 1.0, 0.5
closed_form = 0.5 * (mu**2 + sigma**2 - math.log(sigma**2) - 1)
draws = Normal(mu, sigma).sample((1_000_000,))
monte_carlo = (Normal(mu, sigma).log_prob(draws) - Normal(0.0, 1.0).log_prob(draws)).mean()
print(
    f"KL(N({mu}, {sigma}²) || N(0, 1)): closed form {closed_form:.4f}, Monte Carlo {monte_carlo:.4f}"
)

# %% [markdown]
# **The reparameterisation trick.** The reconstruction term needs codes $z$ drawn from
# $q_\phi(z \mid x)$, and the encoder must learn from it by backpropagation. A draw
# "$z \sim \mathcal{N}(\mu, \sigma^2)$" has no derivative with respect to $\mu$ and
# $\sigma$. Written as $z = \mu + \sigma \cdot \varepsilon$ with
# $\varepsilon \sim \mathcal{N}(0, I)$ drawn on the side, it is the same distribution,
# and now $z$ is a differentiable function of $\mu$ and $\sigma$: $\partial z / \partial
# \mu = 1$, $\partial z / \partial \sigma = \varepsilon$ (Kingma and Welling, 2014,
# section 2.4). PyTorch's distributions offer both kinds of draw: `sample()` cuts the
# gradient, `rsample()` ("reparameterised") keeps it:

# %%
mu, log_sigma = torch.tensor(1.0, requires_grad=True), torch.tensor(-0.7, requires_grad=True)
q = Normal(mu, log_sigma.exp())
print("sample():  carries a gradient?", q.sample().requires_grad)
print("rsample(): carries a gradient?", q.rsample().requires_grad)

# %% [markdown]
# In Section 2 you write the trick yourself, with `logvar` instead of $\log \sigma$. The
# whole VAE, as `vae.VAE` builds it (784 → 256 → two heads of 2 numbers, $\mu$ and
# $\log \sigma^2$; $z$ → 256 → 784 logits), on a validation image:

# %%
plots.draw_vae(x_valid[0] / 255, x_valid[0] / 255)

# %% [markdown]
# (The right-hand image stands for the decoder's output: a trained decoder gives a blurred
# version of it, as below.) We train a VAE with a 2-D code for 10 epochs, with
# Adam at a learning rate of $10^{-3}$, and after every epoch measure its loss on the
# validation images: the negative ELBO per image and its two terms, in nats.

# %%
epochs = common.scale(10, 1)
seed_everything(0)
model = vae.VAE(latent_dim=2)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loader = DataLoader(vae.ImageDataset(x_train, y_train), batch_size=128, shuffle=True)
valid_loader = DataLoader(vae.ImageDataset(x_valid, y_valid), batch_size=1000)
started = time.perf_counter()
for epoch in range(1, epochs + 1):
    train_loss = vae.train_epoch(model, loader, optimizer)
    valid = vae.evaluate(model, valid_loader)
    print(
        f"epoch {epoch:2d}  training {train_loss:.1f}  validation {valid['loss']:.1f} = "
        f"reconstruction {valid['reconstruction']:.1f} + KL {valid['kl']:.2f}  "
        f"({time.perf_counter() - started:.0f} s)"
    )
print(
    f"validation, nats per image: independent pixels {independent_nll:.1f} (exact); "
    f"VAE {valid['loss']:.1f} (an upper bound on its -log p(x))"
)

# %% [markdown]
# In our run the validation loss fell from 277.5 nats per image after the first epoch to
# 264.0 after the tenth; the KL term stayed between 6.1 and 7.2 nats, the rest being the
# reconstruction. The training loss (the mean over each epoch's batches, while the weights
# still changed) ended at 264.7, next to the validation loss: no sign of overfitting. The
# VAE's 264.0 is an upper bound on its $-\log p(x)$, and it is 120 nats below the exact
# 383.8 of the independent pixels: with a code of two numbers the VAE is already by far
# the better model of the validation images. The autoencoder's reconstruction error
# (257.2 nats after 5 epochs) is about the VAE's reconstruction term (257.8), but it is
# not a $-\log p(x)$ of anything: the autoencoder gives images no probability.
#
# **The code space.** Each validation image's code $\mu$, for the autoencoder and for the
# VAE, coloured by class. The dashed circle has radius 2, inside which $\mathcal{N}(0, I)$
# keeps 86% of its draws:

# %%
with torch.no_grad():
    autoencoder_codes = autoencoder.encoder(valid_pixels).numpy()
vae_codes = vae.encode_means(model, valid_pixels).numpy()
for name, codes in (("autoencoder", autoencoder_codes), ("VAE", vae_codes)):
    inside = np.mean(np.linalg.norm(codes, axis=1) < 2)
    print(
        f"{name}: codes span {np.ptp(codes, axis=0).round(1)} (z1, z2); {inside:.0%} within 2 of 0"
    )
plots.latent_scatter(
    {"autoencoder's codes": autoencoder_codes, "VAE's codes (mu)": vae_codes},
    y_valid,
    FASHION_MNIST_CLASSES,
    title="Validation images in two code spaces",
)

# %% [markdown]
# The autoencoder spread its codes over a region about 28 by 20 wide, the classes in arms
# that meet near the middle, and hardly any of them (0%, rounded) lies within 2 of the
# origin. The VAE's codes span about 7 by 6, and half of them (51%) lie within 2 of the
# origin, where $\mathcal{N}(0, I)$ keeps 86% of its draws: the KL term pulled the codes
# towards the prior, though not all the way. In both, trousers, bags and the three kinds
# of shoes have places of their own, while T-shirts, pullovers, coats and shirts overlap:
# two numbers cannot keep everything apart.
#
# The VAE's decoder, asked for the images of a 15 × 15 grid of codes: the grid's points
# are the quantiles 5%, ..., 95% of $\mathcal{N}(0, 1)$ in each dimension, so that every
# square holds about as much of the prior (the picture of Kingma and Welling, 2014,
# figure 4):

# %%
values = Normal(0.0, 1.0).icdf(torch.linspace(0.05, 0.95, 15))
z1, z2 = torch.meshgrid(values, values.flip(0), indexing="xy")
with torch.no_grad():
    grid = torch.sigmoid(model.decode(torch.stack([z1.flatten(), z2.flatten()], dim=1)))
plots.latent_grid(
    grid.squeeze(1).numpy(), values.numpy(), title="The VAE's decoder over its 2-D code"
)

# %% [markdown]
# Across the grid the decoded image changes smoothly from one kind of garment to the
# next: tops along the top, trousers down the left edge, ankle boots and sneakers at the
# bottom right, and blends where two kinds meet. Two numbers have room for the kind of
# garment, its outline and its shade, not for a collar or a print.
#
# **Sampling.** Both decoders, given the same 16 codes drawn from $\mathcal{N}(0, I)$:

# %%
z = torch.randn(16, 2, generator=torch.Generator().manual_seed(1))
with torch.no_grad():
    from_vae = torch.sigmoid(model.decode(z)).squeeze(1).numpy()
    from_autoencoder = torch.sigmoid(autoencoder.decode(z)).squeeze(1).numpy()
plots.sample_rows(
    {"VAE": from_vae, "autoencoder": from_autoencoder},
    cols=8,
    title="Decoded from the same 16 draws z ~ N(0, I)",
)

# %% [markdown]
# The VAE's samples are blurry, and most are recognisable: trousers, T-shirts, a
# pullover, an ankle boot, sandals. The autoencoder's are a few faint blends of a boot and
# a shirt, again and again: draws from $\mathcal{N}(0, I)$ land in the middle of its code
# space, where no training image has its code, so its decoder was never trained there.
# That is what the VAE's KL term buys: the prior is where the codes are.

# %% [markdown]
# ## 4. Generative adversarial networks
#
# A GAN (Goodfellow et al., 2014) gives up $p(x)$ altogether and learns only to sample. A
# **generator** $G$ turns noise $z \sim \mathcal{N}(0, I)$ into an image $G(z)$; a
# **discriminator** $D$ looks at an image and says how likely it is to be real,
# $D(x) \in (0, 1)$. They play a game: $D$ learns to tell the training images from $G$'s
# fakes, and $G$ learns to fool $D$. Nothing in it compares a fake with a real image
# pixel by pixel: all $G$ learns comes through $D$'s judgement.

# %%
plots.draw_gan(real=x_valid[1] / 255, fake=from_vae[0])

# %% [markdown]
# (The "fake" above is one of the VAE's samples, standing in for what a trained $G$
# makes.) The game is a minimax problem over one value:
#
# $$\min_G \max_D \; V(D, G) = \mathbb{E}_{x \sim p_\text{data}}\big[\log D(x)\big] +
# \mathbb{E}_{z \sim p(z)}\big[\log\big(1 - D(G(z))\big)\big].$$
#
# $D$ maximises it: $\log D(x)$ high on real images, $\log(1 - D(G(z)))$ high on fakes.
# That is binary cross-entropy with label 1 for real images and 0 for fakes, so $D$'s loss
# is that cross-entropy, and $D$ gives logits, the sigmoid being part of the loss. For a
# fixed $G$ the best $D$ is $D^*(x) = p_\text{data}(x) / (p_\text{data}(x) + p_G(x))$, and
# against it $G$ minimises the Jensen-Shannon divergence between the data's distribution
# and its own, which is zero only when they are equal (Goodfellow et al., 2014,
# Theorem 1). There, $D$ says $1/2$ everywhere.
#
# **The generator's loss.** In the game $G$ minimises $\log(1 - D(G(z)))$. Early in
# training $G$ is bad, $D$ rejects its fakes easily, and $D(G(z))$ is near 0, where this
# curve is flat: $G$ gets almost no gradient. Goodfellow et al. (2014, section 3) have $G$
# minimise $-\log D(G(z))$ instead, the **non-saturating** loss: the same fixed point (it
# still wants $D(G(z))$ high), and steep exactly where $G$ is bad. The slopes on the right
# are with respect to $D$'s logit $\ell$, where $D = \text{sigmoid}(\ell)$, which is what
# flows back into $G$:

# %%
plots.generator_losses()

# %% [markdown]
# With respect to the logit the two gradients are simple: $-D(G(z))$ for the minimax loss
# and $-(1 - D(G(z)))$ for the non-saturating one. Where $D$ is sure a fake is fake, the
# first is about 0 and the second about $-1$. Every GAN in this lesson uses the
# non-saturating loss; Section 2 has you write both losses and DCGAN's training step
# (Radford, Metz and Chintala, 2016).

# %% [markdown]
# ## 5. Mode collapse
#
# Nothing in $G$'s loss asks for variety: each fake is scored on its own, so a $G$ that
# puts all its fakes on the one kind of image $D$ currently likes most loses nothing for the
# kinds it never makes. Only $D$ can punish that, by learning to reject the kind of image
# the fakes pile on; $G$ then moves its pile elsewhere. When the pile never spreads out, the
# GAN has **mode collapse**: samples of one or a few kinds (Goodfellow, 2016, section 5.1.1).
#
# It is easiest to see where the data can be drawn: points in the plane, from a mixture of
# 8 Gaussians on a circle (the toy of Metz et al., 2017). $G$ and $D$ are small MLPs
# (two hidden layers of 64 units; $z$ has 64 numbers), trained as in Section 2 with Adam.
# Two runs differ in one thing, $G$'s learning rate: $10^{-3}$ like $D$'s, or $10^{-4}$,
# ten times slower than $D$. A mode counts as covered when at least a quarter of its fair
# share of $G$'s samples (1/32 of them) lies within 4 standard deviations of its centre.

# %%
steps = common.scale(3000, 60)
shown_steps = tuple(steps * k // 6 for k in range(1, 7))
runs = {}
started = time.perf_counter()
for name, g_lr in (("G at 1e-3", 1e-3), ("G at 1e-4", 1e-4)):
    runs[name] = gan.train_toy(steps, g_lr=g_lr, d_lr=1e-3, seed=0, snapshots=shown_steps)
    covered = [gan.modes_covered(points) for points in runs[name].snapshots.values()]
    print(
        f"{name}: modes covered at steps {list(shown_steps)}: {[m for m, _ in covered]}; "
        f"at the end {covered[-1][1]:.0%} of the samples are near a mode "
        f"({time.perf_counter() - started:.0f} s)"
    )
plots.toy_samples(
    {name: run.snapshots for name, run in runs.items()},
    gan.ring_centres(),
    title="G's samples during training (red crosses: the 8 centres of the data)",
)

# %% [markdown]
# In our run, with G at $10^{-3}$ the samples spread around the ring and covered 7 of
# the 8 modes at step 1500 and all 8 from step 2500, with 86% of them near a mode at the
# end. With G ten times slower, its samples sat on one mode at every snapshot, and at the
# end 97% of them were packed around it: one perfect-looking mode, and seven missing.
# That is one seed; of the four seeds tried while writing this lesson, the slower G ended
# on one or two modes every time, the faster one on 6 to 8. Change `seed=` and see.
#
# On images, mode collapse shows as samples that all look alike: one kind of shoe, one
# shade of shirt. Watch for it in Section 2's DCGAN samples. (The VAE does not collapse
# this way: its reconstruction term makes it account for every training image.)

# %% [markdown]
# **Next:** Section 2, where you write the reparameterisation, the VAE's loss and its
# training loop, the GAN's two losses and its training step, and train a VAE and a DCGAN
# on Fashion-MNIST.

# %% [markdown]
# ## Quiz
#
# Answer every question with the letter of your choice, then run the check cell: it says
# which answers are wrong. All right opens Section 2; after three tries the right answers
# are shown and the section opens anyway.

# %%
quiz1 = quiz.Quiz(
    6,
    1,
    [
        quiz.Question(
            "q1",
            "For one image, a VAE's encoder gives mu = 2 and logvar = 0 for a code of one number. What is KL(q(z|x) || N(0, 1)), in nats?",
            {
                "a": "2.0",
                "b": "4.0",
                "c": "2.5",
                "d": "0, since sigma is 1 as in the prior",
            },
            "11038151af1d839869c6087482406d855c0a519dcb3c513f763b10bed4df452a",
        ),
        quiz.Question(
            "q2",
            "The reparameterisation gets mu = 1 and logvar = ln 9 ≈ 2.197, and draws eps = 0.5. Which z does it return?",
            {
                "a": "5.5",
                "b": "2.10",
                "c": "2.5",
                "d": "1.5",
            },
            "f4abb24fcfb41e61a2a1a18af74e49bee30ac7ec8ef9a98f121d3835c1131816",
        ),
        quiz.Question(
            "q3",
            "D scores a fake at D(G(z)) = 0.02. Under the non-saturating loss, how many times larger is the gradient of G's loss with respect to D's logit than under the minimax loss?",
            {
                "a": "the same: the two losses have the same fixed point",
                "b": "49 times",
                "c": "50 times",
                "d": "0.02 times: the minimax gradient is the larger one",
            },
            "409de8998bb210bb5080af989c1b7abff7a084559791f0c828bc5926cb03177c",
        ),
        quiz.Question(
            "q4",
            "D cannot tell real from fake and says D = 0.5 for every image. What is its loss under this lesson's convention: the mean binary cross-entropy over the real batch plus that over the fake batch (natural log)?",
            {
                "a": "0.693 (ln 2)",
                "b": "1.386 (2 ln 2)",
                "c": "0, since D is at its optimum",
                "d": "0.5, its output",
            },
            "728fd016a46be30f7bfc7bd046c967bafe5c0fe51691eda2feaf081e2ff69907",
        ),
        quiz.Question(
            "q5",
            "A GAN's samples are near-identical sneakers, whatever z is drawn, while D's and G's losses stay in their usual range. Which cause fits best?",
            {
                "a": "G memorised one training image and copies it exactly",
                "b": "z has too few numbers to encode ten classes of clothes",
                "c": "G's learning rate is too high, so its weights diverged",
                "d": "G maps most z to one kind of image D does not reject yet",
            },
            "7fdd24aa1d85352b1990f03722f27091abb61d75466ce75768fe5f7b739432c4",
        ),
    ],
)
quiz1.show()

# %%
answers = {"q1": "", "q2": "", "q3": "", "q4": "", "q5": ""}  # your letters, e.g. "a"

# %% tags=["solution"]
answers = quiz1.shown_letters({"q1": "a", "q2": "c", "q3": "b", "q4": "b", "q5": "d"})

# %%
passed = quiz1.check(answers)
