"""Training losses. All take (B, T, K) predictions/targets and a (B, T) float mask of real frames."""
from __future__ import annotations

import torch
from torch.nn import functional as F

from ..blendshapes import ARKIT_NAMES, LIP_NAMES
from .lip_gap import CLOSED_GAP, lip_gap

LIP_WEIGHT = 2.0
CHANNEL_WEIGHTS = torch.tensor([LIP_WEIGHT if n in LIP_NAMES else 1.0 for n in ARKIT_NAMES])


def _masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (x * mask).sum() / mask.sum().clamp_min(1.0)


def reconstruction(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """L1 per frame, lips weighted up (lip-sync errors are the ones people see first)."""
    w = CHANNEL_WEIGHTS.to(pred.device)
    return _masked_mean(((pred - target).abs() * w).mean(-1), mask)


def velocity(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """L1 on frame-to-frame motion: punishes jitter the teacher does not have."""
    both = mask[:, 1:] * mask[:, :-1]
    return _masked_mean((pred.diff(dim=1) - target.diff(dim=1)).abs().mean(-1), both)


def closure(pred: torch.Tensor, target: torch.Tensor, bilabial: torch.Tensor) -> torch.Tensor:
    """On bilabial frames the lips must meet: lip gap above the teacher's (or above the
    'closed' threshold, whichever is larger) is penalised quadratically."""
    allowed = lip_gap(target).clamp_min(CLOSED_GAP)
    return _masked_mean(F.relu(lip_gap(pred) - allowed) ** 2, bilabial)


def emotion_classification(logits: torch.Tensor, label: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Per-frame cross-entropy of the emotion branch against the clip's emotion."""
    ce = F.cross_entropy(logits.transpose(1, 2), label[:, None].expand(-1, logits.shape[1]),
                         reduction="none")
    return _masked_mean(ce, mask)
