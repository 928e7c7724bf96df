"""One optimiser step as every fine-tuning script here takes it."""

from __future__ import annotations

from typing import Any


def clipped_step(loss: Any, model: Any, optimiser: Any, scheduler: Any, max_norm: float = 1.0) -> None:
    """Back-propagate `loss`, clip the gradients' norm to `max_norm`, step the optimiser and the schedule, and
    clear the gradients."""
    import torch

    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimiser.step()
    scheduler.step()
    optimiser.zero_grad()
