# %% [markdown]
# # Lesson 1, Section 4: better accuracy on Fashion-MNIST
#
# Fashion-MNIST has the format of MNIST but is harder: shirts, pullovers and coats look
# alike at 28 × 28 pixels. Here you try each technique of Section 3 on it, one at a time,
# with everything else held fixed, and compare the learning curves:
#
# optimizers · activations · initialisation · L1/L2 penalties · dropout · batch
# normalisation · early stopping.
#
# Each run is short (a few epochs on part of the data), so the differences you see are
# about how fast and how stably a network learns; the ranking can change with longer
# training. Dashed lines are the validation set, solid lines the training set.

# %%
from practicum.coursework import quiz

quiz.require(1, 4, quiz_notebook="lesson1/section3_techniques.ipynb")

# %%
import torch
from torch import nn

from practicum import train
from practicum.coursework import common, exercise
from practicum.lessons.lesson1 import mlp

train.seed_everything(0)

# %% [markdown]
# ## The data
#
# We standardise the pixels with the training set's mean and standard deviation
# (`mlp.FASHION_MNIST_STATS`) and keep 5,000 training images aside as a validation set
# for the comparisons and for early stopping. The test set is used once, at the very end.

# %%
stats = mlp.FASHION_MNIST_STATS
x_all, y_all = mlp.load_split("fashion-mnist", "train", stats=stats)
x_test, y_test = mlp.load_split("fashion-mnist", "test", stats=stats)
n_val = common.scale(5_000, 256)
x_val, y_val = x_all[-n_val:], y_all[-n_val:]
x_train, y_train = x_all[:-n_val], y_all[:-n_val]
print(f"train {len(x_train)}  validation {len(x_val)}  test {len(x_test)}")
common.image_grid(
    x_train[:16] * stats[1] + stats[0], y_train[:16], class_names=mlp.FASHION_MNIST_CLASSES
)

# %% [markdown]
# One helper runs an experiment: it builds `mlp.MLP(**options)` with a fixed seed,
# trains it with `practicum.train.fit` and returns the `History`. `compare` runs several
# and plots them together. By default: two hidden layers (256, 128), ReLU, He
# initialisation, Adam with learning rate $10^{-3}$, mini-batches of 128, and 15,000
# training images.

# %%
EPOCHS = common.scale(5, 1)
train_loader = train.make_loader(x_train[:15_000], y_train[:15_000], batch_size=128, shuffle=True)
small_loader = train.make_loader(x_train[:3_000], y_train[:3_000], batch_size=128, shuffle=True)
val_loader = train.make_loader(x_val, y_val, batch_size=1024)


def adam(params):
    return torch.optim.Adam(params, lr=1e-3)


def run(*, optimizer=adam, epochs=EPOCHS, data=train_loader, penalty=None, callbacks=(), **options):
    """Train one MLP; `penalty(model)` (if given) is added to the loss."""
    train.seed_everything(0)
    model = mlp.MLP(**{"hidden": (256, 128), **options})

    def loss_fn(logits, y):
        loss = nn.functional.cross_entropy(logits, y)
        return loss if penalty is None else loss + penalty(model)

    return train.fit(
        model,
        data,
        epochs=epochs,
        optimizer=optimizer(model.parameters()),
        loss_fn=loss_fn,
        val=val_loader,
        callbacks=callbacks,
        progress=False,
    )


def compare(title, experiments, keys=("loss", "acc")):
    histories = {}
    for name, options in experiments.items():
        histories[name] = run(**options)
        epoch, best = histories[name].best("val_acc")
        print(f"{name:<22} best validation accuracy {best:.4f} (epoch {epoch + 1})")
    return train.plot_history(histories, keys=keys, title=title)


# %% [markdown]
# ## 1. Optimizers
#
# Plain SGD, SGD with momentum, and Adam, each with a learning rate that suits it.

# %%
compare(
    "Optimizers",
    {
        "SGD η=0.05": {"optimizer": lambda p: torch.optim.SGD(p, lr=0.05)},
        "momentum η=0.05 μ=0.9": {"optimizer": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)},
        "Adam η=1e-3": {"optimizer": adam},
    },
)

# %% [markdown]
# ## 2. Activation functions
#
# Same network and optimizer, four activations. With only two hidden layers the sigmoid's
# vanishing gradients cost little, but it still starts slower.

# %%
compare("Activations", {name: {"activation": name} for name in ("sigmoid", "tanh", "relu", "gelu")})

# %% [markdown]
# ## 3. Initialisation
#
# Initialisation matters most in deep networks trained with plain SGD: here six hidden
# layers of 128 ReLU units. With PyTorch's default (uniform, a bit small for ReLU) the
# signal fades with depth and training starts late; He initialisation keeps it alive
# (Xavier, at this depth, does nearly as well).

# %%
deep = {"hidden": (128,) * 6, "optimizer": lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.9)}
compare("Initialisation, 6 hidden layers", {init: {**deep, "init": init} for init in mlp.INITS})

# %% [markdown]
# ## 4. L1 and L2 penalties
#
# To see overfitting in a few epochs we train on only 3,000 images for longer. First
# write the penalties: the sum of the squares (L2) or of the absolute values (L1) of all
# weight matrices, as a tensor so that autograd can differentiate it. Biases and
# batch-norm parameters are not penalised: select the parameters with `p.ndim > 1`.


# %%
def l2_penalty(model):
    """Sum of w**2 over the weight matrices of `model`."""
    ### BEGIN SOLUTION
    return sum((p**2).sum() for p in model.parameters() if p.ndim > 1)
    ### END SOLUTION


def l1_penalty(model):
    """Sum of |w| over the weight matrices of `model`."""
    ### BEGIN SOLUTION
    return sum(p.abs().sum() for p in model.parameters() if p.ndim > 1)
    ### END SOLUTION


torch.manual_seed(0)
probe = mlp.MLP(hidden=(8, 4), batchnorm=True, in_features=6, n_classes=3)
l2_penalty = exercise.checked(l2_penalty, lesson=1, exercise="l2_penalty", cases=[(probe,)])
l1_penalty = exercise.checked(l1_penalty, lesson=1, exercise="l1_penalty", cases=[(probe,)])

# %% [markdown]
# The validation loss includes the penalty here, so compare the accuracy panel. Watch the
# gap between training (solid) and validation (dashed) accuracy: that gap is overfitting.
# The penalties narrow it; whether validation accuracy gains depends on $\lambda$ (try
# ten times more: the network then underfits). Adam divides the penalty's gradient by the
# same running scale as the loss's, which changes its effect per weight; the AdamW
# variant (`torch.optim.AdamW`) applies weight decay outside that scaling for this reason.

# %%
LONG = common.scale(15, 2)
small = {"data": small_loader, "epochs": LONG, "hidden": (512, 256)}
compare(
    "Penalties (3,000 training images)",
    {
        "no penalty": small,
        "L2 λ=3e-3": {**small, "penalty": lambda m: 3e-3 * l2_penalty(m)},
        "L1 λ=3e-4": {**small, "penalty": lambda m: 3e-4 * l1_penalty(m)},
    },
    keys=("acc",),
)

# %% [markdown]
# ## 5. Dropout
#
# The same small-data setting, with dropout after each hidden layer.

# %%
compare(
    "Dropout (3,000 training images)",
    {f"dropout {p}": {**small, "dropout": p} for p in (0.0, 0.2, 0.5)},
)

# %% [markdown]
# ## 6. Batch normalisation
#
# Batch normalisation makes the deep six-layer network of the initialisation experiment
# easy to train, even with PyTorch's default initialisation.

# %%
compare(
    "Batch normalisation, 6 hidden layers",
    {
        "without": {**deep, "init": "default"},
        "with batchnorm": {**deep, "init": "default", "batchnorm": True},
    },
)

# %% [markdown]
# ## 7. Early stopping
#
# `train.EarlyStopping` watches the validation loss after each epoch, stops when it has
# not improved for `patience` epochs, and puts back the weights of the best epoch. Here
# on the small training set, where overfitting starts early, with up to 30 epochs:

# %%
stopper = train.EarlyStopping(monitor="val_loss", patience=3, restore_best=True)
history = run(**{**small, "epochs": common.scale(30, 3)}, callbacks=[stopper])
epoch, best_loss = history.best("val_loss", mode="min")
print(f"ran {len(history)} epochs; best validation loss {best_loss:.4f} at epoch {epoch + 1}")
train.plot_history(history, title="Early stopping (patience 3)")

# %% [markdown]
# ## Putting it together
#
# A wider network with batch normalisation, dropout, Adam and early stopping, now on all
# the training images. Only this final model is measured on the test set.

# %%
train.seed_everything(0)
final = mlp.MLP(hidden=(512, 256), batchnorm=True, dropout=0.2)
final_history = train.fit(
    final,
    train.make_loader(x_train, y_train, batch_size=128, shuffle=True),
    epochs=common.scale(10, 1),
    optimizer=adam(final.parameters()),
    val=val_loader,
    callbacks=[train.EarlyStopping(monitor="val_loss", patience=2)],
)
test = train.evaluate(final, train.make_loader(x_test, y_test, batch_size=1024))
print(f"test accuracy {test['acc']:.4f}")

# %% [markdown]
# ## Homework
#
# Your turn: build the best Fashion-MNIST classifier you can with what this lesson taught
# (a multi-layer perceptron; convolutional networks come in Lesson 2). Predict the labels
# of the homework's test images and submit them. The reference solution gets you started:
#
# ```
# practicum lesson homework 1 --out submission.csv
# ```
#
# writes its predictions as `submission.csv`; beat it by tuning what you compared above:
# width and depth, dropout, learning rate, the number of epochs.

# %% [markdown]
# ## Your exercises
#
# Which of this lesson's exercises are done, and where the notebook went on with the
# reference version instead. Go back to those: the check says what is still wrong.

# %%
exercise.summary(1)
