"""Per-speaker style (what a style id means) and a person's idle motion: blinks, brows.

A style is drawn once from (seed, style id): articulation gain (how wide they speak), a resting
expression, blink rate and brow mobility. The resting expression is the same on both sides of
the face: a sided one (drawn per side, with a left/right gain on top) taught the network a
lopsided face, because the few training voices never average their speakers' sides out. It
leaves the jaw shut: a face at rest has its lips together. All idle motion comes from the
clip's own generator, so it is reproducible and independent of build order.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..blendshapes import ARKIT_INDEX
from .prosody import smooth
from .seeding import rng_for

NUM_STYLES = 64
# One draw per shape; a bilateral one ("mouthSmile") sets its Left and Right alike.
RESTING_SHAPES = ("mouthSmile", "mouthFrown", "browInnerUp", "browDown", "eyeSquint", "mouthPress")


@dataclass(frozen=True)
class Style:
    gain: float            # articulation gain on opening gestures
    resting: np.ndarray    # (52,) resting expression added everywhere
    blinks_per_min: float
    brow_gain: float


def style_for(style_id: int, seed: int) -> Style:
    rng = rng_for(seed, f"style:{style_id}")
    resting = np.zeros(len(ARKIT_INDEX))
    for shape in RESTING_SHAPES:
        level = rng.uniform(0.0, 0.08)
        for name in (shape, f"{shape}Left", f"{shape}Right"):
            if name in ARKIT_INDEX:
                resting[ARKIT_INDEX[name]] = level
    return Style(gain=float(rng.uniform(0.8, 1.2)), resting=resting, blinks_per_min=float(rng.uniform(10, 24)),
                 brow_gain=float(rng.uniform(0.5, 1.5)))



def blinks(n_frames: int, fps: float, style: Style, rng: np.random.Generator) -> np.ndarray:
    """(T,) blink curve 0..1: Poisson onsets, ~70 ms close and ~150 ms reopening."""
    curve = np.zeros(n_frames)
    t, duration = rng.uniform(0.2, 2.0), n_frames / fps
    while t < duration:
        close_s, open_s = rng.uniform(0.05, 0.09), rng.uniform(0.12, 0.2)
        peak = rng.uniform(0.85, 1.0)
        ts = np.arange(n_frames) / fps - t
        shape = np.where(ts < 0, np.clip(1 + ts / close_s, 0, 1), np.clip(1 - ts / open_s, 0, 1))
        curve = np.maximum(curve, peak * shape)
        t += max(rng.exponential(60.0 / style.blinks_per_min), 0.4)
    return curve


def brow_motion(emph: np.ndarray, fps: float, style: Style, rng: np.random.Generator) -> np.ndarray:
    """(T,) small brow raise: follows accents, plus a slow drift."""
    drift = smooth(rng.normal(0.0, 1.0, len(emph)), int(fps)) * 0.5
    accent = np.clip(emph - np.median(emph), 0.0, 1.0)
    return np.clip(style.brow_gain * (0.12 * accent + 0.03 * drift), 0.0, 0.3)
