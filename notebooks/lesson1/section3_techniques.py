# %% [markdown]
# # Lesson 1, Section 3: techniques for better accuracy
#
# The network of Section 2 learns, but slowly, and a bigger one would start to memorise
# its training images instead of learning what digits look like. This section explains
# the standard remedies, each with a small experiment:
#
# 1. **optimizers** that move faster than plain SGD: momentum and Adam;
# 2. **activation functions** and why ReLU replaced the sigmoid;
# 3. **initialisation**: starting weights that keep the signal alive through many layers;
# 4. **regularisation** against overfitting: L1/L2 penalties, dropout, early stopping;
# 5. **batch normalisation**, which makes deep networks easier to train.
#
# Section 4 tries each of them on Fashion-MNIST. The quiz at the end opens it.
#
# Run time of the whole notebook (solutions filled in), measured once on 2 idle CPU cores
# (2026-12-05): 5 s. The test suite runs a shrunken version (`PRACTICUM_SMOKE=1`). Not
# measured on a GPU.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from practicum.coursework import common, quiz
from practicum.lessons.lesson1 import mlp

torch.manual_seed(0)
np.set_printoptions(precision=3, suppress=True)

# %% [markdown]
# ## 1. Optimizers: SGD, momentum, Adam
#
# Plain **SGD** steps against the current gradient $g_t$: $w \leftarrow w - \eta g_t$. In
# a long narrow valley the gradient points mostly across the valley, so SGD zig-zags from
# wall to wall and advances slowly along it.
#
# **Momentum** keeps a running velocity, so that steps that agree add up and steps that
# alternate cancel out ($\mu \approx 0.9$):
#
# $$v \leftarrow \mu v + g_t, \qquad w \leftarrow w - \eta v.$$
#
# **Adam** also keeps a running average of the squared gradient and divides by its square
# root, so every parameter gets a step size scaled to its own gradients ($\beta_1 = 0.9$,
# $\beta_2 = 0.999$, and $\hat m, \hat v$ correct the averages' bias towards 0 early on):
#
# $$m \leftarrow \beta_1 m + (1 - \beta_1) g_t, \quad
# v \leftarrow \beta_2 v + (1 - \beta_2) g_t^2, \quad
# w \leftarrow w - \eta \, \frac{\hat m}{\sqrt{\hat v} + \epsilon}.$$
#
# Here are the three PyTorch optimizers on the valley $f(w) = \tfrac12 (w_1^2 + 25 w_2^2)$:


# %%
def valley(w: torch.Tensor) -> torch.Tensor:
    return 0.5 * (w[0] ** 2 + 25 * w[1] ** 2)


def optimizer_path(make_optimizer, steps: int = 40) -> np.ndarray:
    w = torch.tensor([-4.0, 1.0], requires_grad=True)
    optimizer = make_optimizer([w])
    path = [w.detach().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        valley(w).backward()
        optimizer.step()
        path.append(w.detach().clone())
    return torch.stack(path).numpy()


paths = {
    "SGD η=0.075": optimizer_path(lambda p: torch.optim.SGD(p, lr=0.075)),
    "momentum η=0.02, μ=0.9": optimizer_path(lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.9)),
    "Adam η=0.3": optimizer_path(lambda p: torch.optim.Adam(p, lr=0.3)),
}
g1, g2 = np.meshgrid(np.linspace(-4.5, 4.5, 200), np.linspace(-1.5, 1.5, 200))
fig, ax = plt.subplots(figsize=(8, 3.4))
ax.contour(g1, g2, 0.5 * (g1**2 + 25 * g2**2), levels=15, cmap="Greys", linewidths=0.6)
for name, path in paths.items():
    ax.plot(path[:, 0], path[:, 1], marker=".", markersize=4, linewidth=1, label=name)
ax.plot(0, 0, "k*", markersize=10)
ax.set_xlabel("$w_1$")
ax.set_ylabel("$w_2$")
ax.set_title("40 steps from (-4, 1) towards the minimum at (0, 0)")
ax.legend(fontsize=8, loc="upper right")
fig.tight_layout()
plt.show()

# %% [markdown]
# SGD's learning rate is capped by the steep direction (above $\eta = 2/25$ it diverges
# along $w_2$), so it crawls along $w_1$; momentum builds up speed along the valley; Adam
# takes steps of similar size in both directions from the start.

# %% [markdown]
# ## 2. Activation functions
#
# Without a non-linearity between them, stacked linear layers collapse into a single
# linear map. The classic choice was the **sigmoid** $\sigma(z) = 1 / (1 + e^{-z})$, but
# its slope is at most $0.25$ and almost 0 for large $|z|$: backpropagation multiplies
# one such slope per layer, so gradients **vanish** in deep networks. **tanh** is centred
# on 0 but saturates too. **ReLU** $\max(0, z)$ has slope exactly 1 for every positive
# input, and is cheap. **GELU** $z \, \Phi(z)$ is a smooth ReLU used in transformers.
# Autograd gives each function's derivative:

# %%
z = torch.linspace(-5, 5, 401, requires_grad=True)
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
for name in ("sigmoid", "tanh", "relu", "gelu"):
    z.grad = None
    out = mlp.ACTIVATIONS[name]()(z)
    out.sum().backward()
    axes[0].plot(z.detach(), out.detach(), label=name)
    axes[1].plot(z.detach(), z.grad, label=name)
axes[0].set_title("activation $f(z)$")
axes[1].set_title("derivative $f'(z)$")
for ax in axes:
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set_xlabel("z")
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 3. Initialisation
#
# If the starting weights are too small, each layer shrinks the signal and after a few
# layers nothing is left; too large, and it explodes. For a layer with $n_{in}$ inputs and
# zero-mean weights, the variance of each output is $n_{in} \mathrm{Var}(w)$ times the
# mean square $\mathbb{E}[a^2]$ of its inputs; a ReLU zeroes about half of its inputs, so
# it halves that mean square. **Xavier** (Glorot and Bengio, 2010) initialisation picks
# $\mathrm{Var}(w) = 2 / (n_{in} + n_{out})$, derived for activations that are roughly
# linear around 0, such as tanh; **He** (He et al., 2015) initialisation picks
# $\mathrm{Var}(w) = 2/n_{in}$: the factor 2 makes up for the ReLU's halving.
#
# Push a batch of random inputs through 20 ReLU layers of width 256 and watch the
# standard deviation of the activations, layer by layer:


# %%
def activation_stds(init: str, depth: int = 20, width: int = 256) -> list[float]:
    torch.manual_seed(0)
    h = torch.randn(512, width)
    stds = []
    for _ in range(depth):
        layer = nn.Linear(width, width)
        if init == "small N(0, 0.01²)":
            nn.init.normal_(layer.weight, std=0.01)
            nn.init.zeros_(layer.bias)
        else:
            mlp.initialise(layer, init)
        with torch.no_grad():
            h = torch.relu(layer(h))
        stds.append(h.std().item())
    return stds


fig, ax = plt.subplots(figsize=(6, 3))
for init in ("small N(0, 0.01²)", "xavier", "he"):
    ax.semilogy(range(1, 21), activation_stds(init), marker=".", label=init)
ax.set_xlabel("layer")
ax.set_ylabel("std of activations (log scale)")
ax.set_title("ReLU network at initialisation")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# With He initialisation the signal keeps its scale. With Xavier ($n_{in} = n_{out} =
# 256$, so $n_{in} \mathrm{Var}(w) = 1$) every ReLU layer halves the mean square of the
# signal: after 20 layers it is $2^{-20} \approx 10^{-6}$ of what it was, and its
# standard deviation, which the plot shows, $2^{-10} \approx 10^{-3}$. With
# $\mathcal{N}(0, 0.01^2)$ weights, $n_{in} \mathrm{Var}(w) = 0.0256$, halved by the ReLU:
# each layer divides the mean square by about 78 and the standard deviation by about 9,
# so within a few layers the signal is gone, and with it the gradients that training
# needs.

# %% [markdown]
# ## 4. Regularisation: fighting overfitting
#
# A network with enough weights can memorise its training set: training loss keeps falling
# while the loss on new data rises. That is **overfitting**. Regularisation makes
# memorising harder.
#
# ### L1 and L2 penalties
#
# Add the size of the weights to the loss, with a strength $\lambda$:
#
# $$L_{\text{L2}} = L + \lambda \sum_i w_i^2, \qquad L_{\text{L1}} = L + \lambda \sum_i |w_i|.$$
#
# The L2 gradient $2\lambda w_i$ shrinks each weight in proportion to its size (this is
# what the `weight_decay` option of PyTorch's optimizers does), so weights stay small and
# the function smooth. The L1 gradient $\lambda \, \mathrm{sign}(w_i)$ pushes every weight
# towards 0 at the same rate, so weights that do not earn their keep end up at (or, with
# SGD's finite steps, very near) 0. A linear model with 20 inputs, of which only 3 matter,
# fitted on 30 noisy examples:

# %%
torch.manual_seed(0)
true_w = torch.zeros(20)
true_w[[2, 7, 13]] = torch.tensor([2.0, -3.0, 1.5])
x_small = torch.randn(30, 20)
y_small = x_small @ true_w + 0.5 * torch.randn(30)


def fit_linear(penalty: str, strength: float) -> np.ndarray:
    model = nn.Linear(20, 1, bias=False)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    penalties = {"none": lambda m: 0.0, "L1": mlp.l1_penalty, "L2": mlp.l2_penalty}
    for _ in range(common.scale(300, 100)):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x_small).squeeze(1), y_small)
        (loss + strength * penalties[penalty](model)).backward()
        optimizer.step()
    return model.weight.detach().squeeze(0).numpy()


fig, ax = plt.subplots(figsize=(9, 3))
width = 0.27
irrelevant = true_w.numpy() == 0
for i, (name, strength) in enumerate((("none", 0.0), ("L2", 0.1), ("L1", 0.3))):
    learned = fit_linear(name, strength)
    print(
        f"{name:>4}: largest |weight| of the 17 inputs that do not matter: {np.abs(learned[irrelevant]).max():.3f}"
    )
    ax.bar(np.arange(20) + (i - 1) * width, learned, width, label=f"{name} λ={strength}")
ax.plot(np.arange(20), true_w, "k_", markersize=14, label="true weight")
ax.set_xticks(range(20))
ax.set_xlabel("input")
ax.set_ylabel("learned weight")
ax.legend(fontsize=8, ncol=4)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Dropout
#
# During training, **dropout** (Srivastava et al., 2014) sets each hidden unit to 0 with
# probability $p$, a new random choice for every example and every step. No unit can rely
# on any particular other one being there, so the network cannot build features that only
# work together with one specific partner; Srivastava et al. describe it as training a
# large ensemble of thinned networks that share weights, and evaluating their average
# approximately. The kept units are scaled by $1/(1-p)$ so that the expected activation
# stays the same, and at test time (`model.eval()`) dropout does nothing at all:

# %%
dropout = nn.Dropout(p=0.5)
h = torch.ones(2, 8)
dropout.train()
print("training:\n", dropout(h))
dropout.eval()
print("evaluation:\n", dropout(h))

# %% [markdown]
# ### Early stopping
#
# Keep some training data aside as a **validation set**, measure the loss on it after
# every epoch, and stop when it has not improved for a few epochs (the *patience*),
# keeping the weights of the best epoch. It costs only the validation split and a few
# wasted epochs, and needs no tuning beyond the patience. Here a large network fits 15 noisy points of a sine curve; the validation loss
# falls at first, then climbs as the network starts to fit the noise:

# %%
torch.manual_seed(0)
x_fit = torch.rand(15, 1) * 6 - 3
y_fit = torch.sin(x_fit) + 0.3 * torch.randn(15, 1)
x_val = torch.linspace(-3, 3, 200).unsqueeze(1)
y_val = torch.sin(x_val) + 0.3 * torch.randn(200, 1)
net = nn.Sequential(nn.Linear(1, 256), nn.Tanh(), nn.Linear(256, 256), nn.Tanh(), nn.Linear(256, 1))
optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
train_curve, val_curve = [], []
for _ in range(common.scale(1000, 100)):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(net(x_fit), y_fit)
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        val_curve.append(nn.functional.mse_loss(net(x_val), y_val).item())
    train_curve.append(loss.item())
best = int(np.argmin(val_curve))

fig, ax = plt.subplots(figsize=(6, 3))
ax.semilogy(train_curve, label="training loss")
ax.semilogy(val_curve, label="validation loss")
ax.axvline(best, color="grey", linestyle="--", label=f"best validation (step {best})")
ax.set_xlabel("step")
ax.set_ylabel("MSE (log scale)")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 5. Batch normalisation
#
# **Batch normalisation** (Ioffe and Szegedy, 2015) standardises each unit over the
# mini-batch $B$ and then lets the network choose its own scale $\gamma$ and shift
# $\beta$:
#
# $$\hat h = \frac{h - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \qquad
# \mathrm{BN}(h) = \gamma \hat h + \beta.$$
#
# Ioffe and Szegedy reported that it allows much larger learning rates and makes
# training far less sensitive to the initialisation. During training it also keeps
# running averages of $\mu_B$ and $\sigma_B^2$; in evaluation mode it uses those, so a
# prediction does not depend on the other examples in the batch.
#
# *Why* it helps is less settled than *that* it helps. Ioffe and Szegedy explained it by
# "internal covariate shift": as early layers change, the distribution of what later
# layers receive keeps shifting, and batch norm would hold it still. Santurkar et al.
# (2018) tested that explanation. Networks with random noise added after every batch-norm
# layer, so that the distributions shift *more*, trained about as well as with plain batch
# norm, and by their measure of the shift, batch norm did not reduce it (in some networks it grew). What they
# found instead is that it makes the loss surface smoother (the loss and its gradient
# change less from one step to the next), so larger steps stay safe.

# %%
bn = nn.BatchNorm1d(3)
h = torch.randn(256, 3) * torch.tensor([1.0, 5.0, 0.2]) + torch.tensor([10.0, -3.0, 0.5])
out = bn(h)  # training mode: batch statistics
print("input  mean", h.mean(0).numpy(), " std", h.std(0).numpy())
print("output mean", out.mean(0).detach().numpy(), " std", out.std(0).detach().numpy())
print("running mean after one batch (momentum 0.1):", bn.running_mean.numpy())

# %% [markdown]
# In `mlp.MLP` these are all options: `activation=`, `init=`, `dropout=`,
# `batchnorm=True`; the penalties are `mlp.l1_penalty(model)` and
# `mlp.l2_penalty(model)`.

# %%
print(mlp.MLP(hidden=(256, 128), activation="gelu", dropout=0.2, batchnorm=True))

# %% [markdown]
# ## Quiz
#
# Answer every question with the letter of your choice, then run the check cell: it says
# which answers are wrong. All right opens Section 4; after three tries the right
# answers are shown and the section opens anyway.

# %%
quiz3 = quiz.Quiz(
    1,
    3,
    [
        quiz.Question(
            "q1",
            "Adam with $\\eta = 0.001$, $\\beta_1 = 0.9$, $\\beta_2 = 0.999$ and a tiny "
            "$\\epsilon$ takes its first step; one weight's gradient is $g = 0.01$. By how "
            "much does that weight move?",
            {"a": "0.00001", "b": "0.01", "c": "0.001", "d": "0.00316"},
            "3009b979f15fde67b3b70bd45727bc5016a399dd674e4588611c658b77874ecc",
        ),
        quiz.Question(
            "q2",
            "20 ReLU layers of width 256 with Xavier initialisation, $\\mathrm{Var}(w) = "
            "1/256$, and zero biases. By about what factor is the standard deviation of the "
            "activations after layer 20 smaller than that of the input?",
            {"a": "about 1,000", "b": "about 20", "c": "about 2", "d": "about 1,000,000"},
            "5dd10cecac05aed38a0903f234ae6579663b76aeacf6283ad4cc32e82408893a",
        ),
        quiz.Question(
            "q3",
            "A network with dropout ($p = 0.5$) is scored on the validation split, but "
            "`model.eval()` was never called. What do you see?",
            {
                "a": "the same accuracy as with model.eval()",
                "b": "an accuracy that changes run to run",
                "c": "exactly half the eval-mode accuracy",
                "d": "the same accuracy, at twice the cost",
            },
            "7b2f75812fc632e5edcb04ae3a19d533a86d3165096ae3f9cc3d3ce65a46dbcf",
        ),
        quiz.Question(
            "q4",
            "Batch norm in training mode ($\\gamma = 1$, $\\beta = 0$, $\\epsilon \\approx 0$) "
            "gets a batch of four values of one feature: 1, 2, 3 and 6. What does the value "
            "6 become?",
            {"a": "3.00", "b": "1.39", "c": "0.50", "d": "1.60"},
            "7f203b7645bdde781c8668ff1d4f77c6dfbac759124f0ce3aeb37504582ef442",
        ),
    ],
)
quiz3.show()

# %%
answers = {"q1": "", "q2": "", "q3": "", "q4": ""}  # your letters, e.g. "a"

# %% tags=["solution"]
answers = quiz3.shown_letters({"q1": "c", "q2": "a", "q3": "b", "q4": "d"})

# %%
passed = quiz3.check(answers)
