"""Brows and eyes that speak: raises and eye widening on accented syllables.

Eyebrow raises accompany the F0 rises of accented, focused words (Cavé et al. 1996, "About the
relationship between eyebrow movements and F0 variations"; Flecha-García 2010 found raises
aligned with pitch accents, most starting shortly before them), both brows together. The raise
here peaks at the accent, with the accent's strength (Voice.accents: louder and higher than the
clip's average), rising over BROW_RISE_S and relaxing over BROW_FALL_S; the frontalis lifting the
brows also lifts the upper lids a little (eyeWide).
"""
from __future__ import annotations

import numpy as np

from ..animation import Animation
from .events import pulses
from .voice import Voice

BROW_UP = ("browInnerUp", "browOuterUpLeft", "browOuterUpRight")
EYE_WIDE = ("eyeWideLeft", "eyeWideRight")
BROW_GAIN = 0.6       # a full-strength accent raises the brows to 0.6
WIDE_GAIN = 0.2       # ... and widens the eyes to 0.2
BROW_RISE_S, BROW_FALL_S = 0.15, 0.45


def brow_raise(voice: Voice, n_frames: int, fps: float) -> np.ndarray:
    """0..1 per frame: how far accents lift the brows (at gain 1)."""
    times, strength = voice.accents()
    return np.clip(pulses(times, strength, n_frames, fps, BROW_RISE_S, BROW_FALL_S), 0.0, 1.0)


def add_brow_raises(anim: Animation, voice: Voice, amount: float) -> Animation:
    """Adds accent-driven raises to the brows (browInnerUp, browOuterUp*) and eyeWide*."""
    if amount <= 0:
        return anim
    raise_ = brow_raise(voice, anim.num_frames, anim.fps)
    w = anim.weights.copy()
    for names, gain in ((BROW_UP, BROW_GAIN), (EYE_WIDE, WIDE_GAIN)):
        for name in names:
            if name in anim.names:
                col = anim.names.index(name)
                w[:, col] = np.clip(w[:, col] + amount * gain * raise_, 0.0, 1.0)
    return anim.with_weights(w)
