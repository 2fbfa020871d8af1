"""Lip geometry from ARKit weights, shared by the closure loss and the closure metric."""
from __future__ import annotations

import numpy as np
import torch

from ..blendshapes import ARKIT_INDEX

_J, _C = ARKIT_INDEX["jawOpen"], ARKIT_INDEX["mouthClose"]
_LOWER = [ARKIT_INDEX["mouthLowerDownLeft"], ARKIT_INDEX["mouthLowerDownRight"]]
_UPPER = [ARKIT_INDEX["mouthUpperUpLeft"], ARKIT_INDEX["mouthUpperUpRight"]]
_FUNNEL = ARKIT_INDEX["mouthFunnel"]
CLOSED_GAP = 0.08   # lip gap (weight units) under which the lips count as touching


def lip_gap(weights: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
    """A proxy for the vertical lip opening (frames,): ARKit closes the lips over an open jaw
    with mouthClose, and lower-lip-down / upper-lip-up / funnel part them further."""
    w = weights
    jaw_gap = w[..., _J] - w[..., _C]
    jaw_gap = jaw_gap.clamp_min(0) if isinstance(w, torch.Tensor) else np.maximum(jaw_gap, 0)
    lips = 0.5 * (w[..., _LOWER].mean(-1) + w[..., _UPPER].mean(-1))
    return jaw_gap + lips + 0.3 * w[..., _FUNNEL]
