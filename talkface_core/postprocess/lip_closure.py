"""ARKit's lip-closure convention: mouthClose never above jawOpen."""
from __future__ import annotations

import numpy as np

from ..animation import Animation


def close_lips_over_jaw(anim: Animation) -> Animation:
    """Caps mouthClose at jawOpen. In ARKit, mouthClose closes the lips *over an open jaw*: rigs
    sculpt it relative to jawOpen, so mouthClose above jawOpen drives the upper lip through the
    lower one (seen on the ICT ARKit head). Real captures keep it under jawOpen (MediaPipe curves
    of ../shared/data/talkvid: 0 frames with mouthClose > jawOpen + 0.05). The lip gap, and so
    every closure, is unchanged: with jawOpen low the lips already meet at rest."""
    if "mouthClose" not in anim.names or "jawOpen" not in anim.names:
        return anim
    w = anim.weights.copy()
    close, jaw = anim.names.index("mouthClose"), anim.names.index("jawOpen")
    w[:, close] = np.minimum(w[:, close], w[:, jaw])
    return anim.with_weights(w)
