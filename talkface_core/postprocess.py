"""Post-processing of generated animation: smoothing, natural blinks, intensity shaping, and
ARKit's lip-closure convention.

All functions take and return an Animation and never change its frame rate or channels.
"""
from __future__ import annotations

import numpy as np
from scipy.signal import savgol_filter

from .animation import Animation
from .blendshapes import EMOTION_REGION_NAMES, LIP_NAMES

MAX_SMOOTHING_SECONDS = 0.25
BLINK_NAMES = ("eyeBlinkLeft", "eyeBlinkRight")
# Spontaneous blinks: ~15-20 a minute at rest, gamma-distributed gaps (shape ~3), never < 1 s apart.
BLINK_MEAN_GAP_S = 3.5
BLINK_GAP_SHAPE = 3.0
BLINK_MIN_GAP_S = 1.0
BLINK_CLOSE_S = 0.08      # lids close faster than they open
BLINK_OPEN_S = 0.17
BLINK_BUSY = 0.3          # existing eyeBlink weight above which we do not add a blink


def smooth(anim: Animation, strength: float) -> Animation:
    """Savitzky-Golay smoothing (keeps peaks such as lip closures better than a moving average).
    strength 0 = off, 1 = a 0.25 s window."""
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"smoothing must be in [0, 1], got {strength}")
    window = int(round(strength * MAX_SMOOTHING_SECONDS * anim.fps)) | 1   # odd length
    if strength == 0.0 or window < 5 or anim.num_frames < window:
        return anim
    return anim.with_weights(savgol_filter(anim.weights, window, 3, axis=0, mode="interp"))


def blink_times(duration: float, seed: int) -> np.ndarray:
    """Start times (s) of spontaneous blinks over `duration`, reproducible from `seed`."""
    rng = np.random.default_rng(seed)
    times, t = [], rng.uniform(0.3, BLINK_MEAN_GAP_S)
    while t < duration:
        times.append(t)
        gap = rng.gamma(BLINK_GAP_SHAPE, BLINK_MEAN_GAP_S / BLINK_GAP_SHAPE)
        t += max(gap, BLINK_MIN_GAP_S)
    return np.array(times)


def _blink_curve(t: np.ndarray) -> np.ndarray:
    """Lid closure 0..1 at times t relative to a blink start (smooth close, slower open)."""
    close = np.clip(t / BLINK_CLOSE_S, 0, 1)
    opening = np.clip((t - BLINK_CLOSE_S) / BLINK_OPEN_S, 0, 1)
    shape = np.where(t < BLINK_CLOSE_S, np.sin(close * np.pi / 2) ** 2, np.cos(opening * np.pi / 2) ** 2)
    return np.where((t >= 0) & (t <= BLINK_CLOSE_S + BLINK_OPEN_S), shape, 0.0)


def add_blinks(anim: Animation, seed: int = 0) -> Animation:
    """Adds natural blinks on eyeBlinkLeft/Right, skipping spans that already blink."""
    if not all(n in anim.names for n in BLINK_NAMES):
        return anim
    cols = [anim.names.index(n) for n in BLINK_NAMES]
    w = anim.weights.copy()
    frame_t = np.arange(anim.num_frames) / anim.fps
    span = BLINK_CLOSE_S + BLINK_OPEN_S
    for start in blink_times(anim.duration, seed):
        sel = (frame_t >= start) & (frame_t <= start + span)
        if not sel.any() or w[sel][:, cols].max() > BLINK_BUSY:
            continue
        curve = _blink_curve(frame_t[sel] - start)
        for c in cols:
            w[sel, c] = np.maximum(w[sel, c], curve)
    return anim.with_weights(w)


def shape_intensity(anim: Animation, *, lips: float = 1.0, expression: float = 1.0) -> Animation:
    """Scales lip/jaw motion and the emotion regions (brows, eyes, cheeks, nose) separately;
    1 leaves them unchanged, values above 1 exaggerate (clipped to the valid range)."""
    if lips < 0 or expression < 0:
        raise ValueError("gains must be >= 0")
    gain = np.array([lips if n in LIP_NAMES else expression if n in EMOTION_REGION_NAMES else 1.0
                     for n in anim.names], dtype=np.float32)
    return anim.with_weights(anim.weights * gain)


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
