"""Spontaneous blinks on eyeBlinkLeft/Right, seeded so a clip blinks the same way each time."""
from __future__ import annotations

import numpy as np

from ..animation import Animation

BLINK_NAMES = ("eyeBlinkLeft", "eyeBlinkRight")
# Spontaneous blinks: ~15-20 a minute at rest, gamma-distributed gaps (shape ~3), never < 1 s apart.
BLINK_MEAN_GAP_S = 3.5
BLINK_GAP_SHAPE = 3.0
BLINK_MIN_GAP_S = 1.0
BLINK_CLOSE_S = 0.08      # lids close faster than they open
BLINK_OPEN_S = 0.17
BLINK_BUSY = 0.3          # existing eyeBlink weight above which we do not add a blink


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
