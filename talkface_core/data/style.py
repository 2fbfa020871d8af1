"""Per-speaker style (what a style id means) and a person's idle motion: blinks, brows.

A style is drawn once from (seed, style id): articulation gain (how wide they speak),
left/right asymmetry, a resting expression, blink rate and brow mobility. All idle motion
comes from the clip's own generator, so it is reproducible and independent of build order.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..blendshapes import ARKIT_INDEX
from .prosody import smooth
from .seeding import rng_for

NUM_STYLES = 64
RESTING_SHAPES = ("mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
                  "browInnerUp", "browDownLeft", "browDownRight", "eyeSquintLeft", "eyeSquintRight",
                  "mouthPressLeft", "mouthPressRight", "jawOpen")


@dataclass(frozen=True)
class Style:
    gain: float            # articulation gain on opening gestures
    asymmetry: float       # >0: left side stronger; applied to every sided shape
    resting: np.ndarray    # (52,) resting expression added everywhere
    blinks_per_min: float
    brow_gain: float


def style_for(style_id: int, seed: int) -> Style:
    rng = rng_for(seed, f"style:{style_id}")
    resting = np.zeros(len(ARKIT_INDEX))
    for name in RESTING_SHAPES:
        resting[ARKIT_INDEX[name]] = rng.uniform(0.0, 0.08)
    return Style(gain=float(rng.uniform(0.8, 1.2)), asymmetry=float(rng.uniform(-0.12, 0.12)),
                 resting=resting, blinks_per_min=float(rng.uniform(10, 24)),
                 brow_gain=float(rng.uniform(0.5, 1.5)))


def apply_asymmetry(weights: np.ndarray, asymmetry: float) -> np.ndarray:
    out = weights.copy()
    for name, i in ARKIT_INDEX.items():
        if name.endswith("Left"):
            out[:, i] *= 1.0 + asymmetry
        elif name.endswith("Right"):
            out[:, i] *= 1.0 - asymmetry
    return out


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
