"""The jaw's small sideways drift in speech, and the mouth following it.

Jaws do not open on a perfectly straight path: a small lateral deviation while opening, a
millimetre or two, is normal (the clinical norm for a healthy opening path is under ~2 mm). Here
it follows jawOpen, to one side within a phrase and to the other in the next (the side of the
first phrase from the clip's seed), so the face stays symmetric over a clip. It stays small:
real talking faces move jawLeft/Right and mouthLeft/Right by stds of only 0.01-0.02.
"""
from __future__ import annotations

import numpy as np

from ..animation import Animation
from ..prosody import smooth
from .events import holds
from .voice import Voice

JAW_PER_OPEN = 0.05       # jawLeft/Right per unit of jawOpen
MOUTH_PER_OPEN = 0.1      # mouthLeft/Right per unit of jawOpen (the lips ride on the jaw)
SWITCH_S = 0.3
ENVELOPE_S = 0.3


def add_jaw_sideways(anim: Animation, voice: Voice, amount: float) -> Animation:
    if amount <= 0 or "jawOpen" not in anim.names:
        return anim
    starts = voice.phrases[:, 0]
    first = 1.0 if voice.rng("face").random() < 0.5 else -1.0
    side = holds(starts, first * (-1.0) ** np.arange(len(starts)), SWITCH_S, anim.num_frames,
                 anim.fps)[:, 0]
    # The opening's envelope, not each syllable: the drift is slower than the articulation.
    jaw = smooth(anim.weights[:, anim.names.index("jawOpen")].astype(np.float64),
                 int(round(ENVELOPE_S * anim.fps)))
    w = anim.weights.copy()
    for prefix, gain in (("jaw", JAW_PER_OPEN), ("mouth", MOUTH_PER_OPEN)):
        for name, sign in ((f"{prefix}Left", 1.0), (f"{prefix}Right", -1.0)):
            if name in anim.names:
                col = anim.names.index(name)
                w[:, col] = np.clip(w[:, col] + amount * gain * jaw * np.clip(sign * side, 0, 1), 0, 1)
    return anim.with_weights(w)
