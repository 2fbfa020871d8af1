"""The jaw's small sideways loop in speech, and the mouth riding on it.

A jaw does not open and close along one straight line: seen from the front its path is a narrow
loop (as in the teardrop of a chewing cycle), and a lateral deviation of a millimetre or two is
normal. Here the jaw drifts to one side while it opens and back across while it closes: the
lateral offset follows the opening's speed (jawOpen smoothed over ENVELOPE_S, then its rate of
change), so it comes from the speech itself and averages the same to both sides over every
opening. The side it takes on opening is the clip's (seeded). It stays small: real talking faces
move jawLeft/Right by stds of 0.003-0.009 and mouthLeft/Right by 0.014-0.021.
"""
from __future__ import annotations

import numpy as np

from ..animation import Animation
from ..prosody import smooth
from .voice import Voice

JAW_PER_SPEED = 0.003     # jawLeft/Right per unit of jawOpen per second
MOUTH_PER_SPEED = 0.012   # mouthLeft/Right (the lips ride on the jaw)
ENVELOPE_S = 0.2
SETTLE_S = 0.4          # the drift's own smoothing: a jaw's sideways path is a slow loop


def add_jaw_sideways(anim: Animation, voice: Voice, amount: float) -> Animation:
    if amount <= 0 or "jawOpen" not in anim.names or anim.num_frames < 2:
        return anim
    width = round(ENVELOPE_S * anim.fps)
    jaw = smooth(anim.weights[:, anim.names.index("jawOpen")].astype(np.float64), width)
    speed = smooth(np.gradient(jaw) * anim.fps, width)       # + opening, - closing (per second)
    # Smoothed once more (SETTLE_S): a jaw's sideways path is a slow loop, and a faster one made
    # the lips jitter more than real faces' do (tests/core/test_face_alive.py).
    side = smooth(speed, round(SETTLE_S * anim.fps)) * (1.0 if voice.rng("face").random() < 0.5 else -1.0)
    w = anim.weights.copy()
    for prefix, gain in (("jaw", JAW_PER_SPEED), ("mouth", MOUTH_PER_SPEED)):
        for name, sign in ((f"{prefix}Left", 1.0), (f"{prefix}Right", -1.0)):
            if name in anim.names:
                col = anim.names.index(name)
                w[:, col] = np.clip(w[:, col] + amount * gain * np.clip(sign * side, 0, None), 0, 1)
    return anim.with_weights(w)
