"""Temporal smoothing of generated curves (the clip's Smoothing option)."""
from __future__ import annotations

from scipy.signal import savgol_filter

from ..animation import Animation

MAX_SMOOTHING_SECONDS = 0.25


def smooth(anim: Animation, strength: float) -> Animation:
    """Savitzky-Golay smoothing (keeps peaks such as lip closures better than a moving average).
    strength 0 = off, 1 = a 0.25 s window."""
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"smoothing must be in [0, 1], got {strength}")
    window = int(round(strength * MAX_SMOOTHING_SECONDS * anim.fps)) | 1   # odd length
    if strength == 0.0 or window < 5 or anim.num_frames < window:
        return anim
    return anim.with_weights(savgol_filter(anim.weights, window, 3, axis=0, mode="interp"))
