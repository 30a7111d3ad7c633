"""Mixed precision: faster GPU training in 16-bit where it is safe, full float32 elsewhere."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Precision:
    """How the forward pass runs: ``dtype`` None means plain float32."""

    device: torch.device
    dtype: torch.dtype | None

    @classmethod
    def choose(cls, device: torch.device, amp: bool | None) -> Precision:
        """None turns AMP on for CUDA only: CPU autocast rarely pays off and changes results.

        bfloat16 where the GPU has it (same range as float32, no loss scaling needed),
        else float16, whose small range needs a GradScaler.
        """
        if not (device.type == "cuda" if amp is None else amp):
            return cls(device, None)
        if device.type == "cuda" and not torch.cuda.is_bf16_supported():
            return cls(device, torch.float16)
        return cls(device, torch.bfloat16)

    def autocast(self) -> contextlib.AbstractContextManager[object]:
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def grad_scaler(self) -> torch.amp.GradScaler:
        """Loss scaling for float16 on CUDA; a pass-through (enabled=False) otherwise."""
        enabled = self.dtype == torch.float16 and self.device.type == "cuda"
        return torch.amp.GradScaler(self.device.type, enabled=enabled)
