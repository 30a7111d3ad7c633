"""The small training toolkit the lessons share: seeding, device choice, loaders, the fit
loop with progress and callbacks, checkpoints, history and learning-curve plots.

It stays close to plain PyTorch on purpose: ``fit`` is the loop lesson 1 writes by hand,
with the bookkeeping (progress, averaging, mixed precision, callbacks) done once here.
"""

from practicum.train.callbacks import Callback, Checkpoint, EarlyStopping, Trainer
from practicum.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from practicum.train.device import choose_device
from practicum.train.history import History
from practicum.train.loaders import make_loader
from practicum.train.loop import evaluate, fit, predict
from practicum.train.metrics import accuracy
from practicum.train.plots import plot_history
from practicum.train.seeding import seed_everything

__all__ = [
    "Callback",
    "Checkpoint",
    "CheckpointError",
    "EarlyStopping",
    "History",
    "Trainer",
    "accuracy",
    "choose_device",
    "evaluate",
    "fit",
    "load_checkpoint",
    "make_loader",
    "plot_history",
    "predict",
    "save_checkpoint",
    "seed_everything",
]
