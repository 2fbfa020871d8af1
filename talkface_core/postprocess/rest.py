"""Lips at rest in pauses: between phrases and after the last word the jaw relaxes nearly shut
and the lips meet (mouthClose up to jawOpen), instead of hanging a few millimetres apart with the
teeth showing, as the network leaves them (measured: jawOpen - mouthClose 0.08 in held-out
pauses; real faces close the lips when they stop talking). Expression shapes (smile, frown, an
upper lip raised in disgust) stay: only the speech shapes that part the lips settle."""
from __future__ import annotations

import numpy as np

from ..animation import Animation
from .pauses import pause_weight
from .voice import Voice

JAW_REST = 0.03     # a relaxed jaw is not clenched: slightly open, the lips sealed over it
# Speech shapes that open the lips; they go to 0 at rest.
PARTING = ("mouthLowerDownLeft", "mouthLowerDownRight", "mouthFunnel", "mouthPucker", "mouthRollLower",
           "mouthRollUpper")


def settle_lips(anim: Animation, voice: Voice) -> Animation:
    names = anim.names
    if "jawOpen" not in names or "mouthClose" not in names:
        return anim
    rest = pause_weight(voice, anim.num_frames, anim.fps).astype(np.float32)[:, None]
    w = anim.weights.copy()
    jaw, close = names.index("jawOpen"), names.index("mouthClose")
    w[:, jaw] += rest[:, 0] * (np.minimum(w[:, jaw], JAW_REST) - w[:, jaw])
    w[:, close] += rest[:, 0] * (w[:, jaw] - w[:, close])   # sealed: the gap jawOpen - mouthClose is 0
    parting = [names.index(n) for n in PARTING if n in names]
    w[:, parting] *= 1.0 - rest
    return anim.with_weights(w)
