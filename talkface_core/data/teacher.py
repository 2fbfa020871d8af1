"""The teacher: audio + timed phones + emotion -> ARKit-52 weights at 60 fps.

Layers, each in its own module and table:
  lips/jaw   visemes.py (Cohen–Massaro coarticulation) -> lip_shapes.py (ARKit + loudness)
  emotion    emotion.py (FACS AUs, onset/apex/offset, emphasis from pitch and energy)
  person     style.py (articulation gain, symmetric resting face, blinks, brows)
Emotion shapes articulation too (emotion.articulation: wider/crisper when aroused, smaller and
slower when sad), and the face is symmetric: natural asymmetry is not the teacher's to invent.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..audio import SAMPLE_RATE
from ..blendshapes import ARKIT_INDEX
from . import emotion as emo
from .prosody import emphasis, loudness
from .lip_shapes import lip_weights
from .seeding import rng_for
from .style import blinks, brow_motion, style_for
from .visemes import PARAMS, REACH_S, segments, targets_and_dominance

FPS = 60.0


def num_frames(n_samples: int, fps: float = FPS) -> int:
    return int(round(n_samples / SAMPLE_RATE * fps))


def teach(audio: np.ndarray, phones: Sequence[tuple[float, float, str]], phone_set: str, *,
          emotion: str, intensity: float, style: int, seed: int, clip_id: str) -> np.ndarray:
    """(T, 52) float32 ARKit weights in 0..1 for a 16 kHz clip with its phone timings."""
    n = num_frames(len(audio))
    rng = rng_for(seed, f"clip:{clip_id}")
    person = style_for(style, seed)
    segs = segments(phones, phone_set)
    gain, reach = emo.articulation(emotion, intensity)
    art = targets_and_dominance(segs, n, FPS, REACH_S * reach)
    weights = lip_weights(art, loudness(audio, n, FPS), person.gain * gain)

    emph = emphasis(audio, n, FPS)
    t = (np.arange(n) + 0.5) / FPS
    speech = np.zeros(n, dtype=bool)
    for start, end, cls in segs:
        if cls != "sil":
            speech |= (t >= start) & (t < end)
    closure = np.clip(art[:, PARAMS.index("close")], 0.0, 1.0)
    weights += emo.emotion_weights(emotion, intensity, emo.envelope(speech, emph, FPS, rng), closure)

    brow = brow_motion(emph, FPS, person, rng)
    for name in ("browInnerUp", "browOuterUpLeft", "browOuterUpRight"):
        weights[:, ARKIT_INDEX[name]] += brow
    weights += person.resting[None, :]

    blink = blinks(n, FPS, person, rng)
    for side in ("Left", "Right"):
        weights[:, ARKIT_INDEX[f"eyeBlink{side}"]] = np.maximum(weights[:, ARKIT_INDEX[f"eyeBlink{side}"]], blink)
        weights[:, ARKIT_INDEX[f"eyeWide{side}"]] *= 1.0 - blink
    return np.clip(weights, 0.0, 1.0).astype(np.float32)
