"""Seeding: one call makes a run repeatable, so a lesson's numbers can be checked."""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch (CPU and every GPU) and pin cuDNN to deterministic kernels.

    cuDNN's autotuner picks kernels by timing, which differs run to run; turning it off costs
    a little speed on GPUs and buys bit-identical reruns.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
