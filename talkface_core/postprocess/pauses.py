"""Where an animation is in a pause, as smooth 0..1 weights per frame, from a Voice's phrases.

Shared by the layers that behave differently between phrases (the lips at rest, the expression
held): both ease in and out on the same clock, so the face never does one without the other.
"""
from __future__ import annotations

import numpy as np

from .events import frame_times
from .voice import Voice

SETTLE_START_S = 0.05   # the lips start to settle this long after the last sound ...
SETTLE_END_S = 0.25     # ... and meet by here (issue 11: met 0.3 s into every pause)
PART_BEFORE_S = 0.12    # they part again this long before the next phrase (anticipation)


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def pause_weight(voice: Voice, n_frames: int, fps: float) -> np.ndarray:
    """1 where the clip rests between (or before, or after) phrases, 0 while speaking: reaches 1
    SETTLE_END_S after a phrase ends and leaves it PART_BEFORE_S before the next begins."""
    t = frame_times(n_frames, fps)
    if not len(voice.phrases):
        return np.ones(n_frames)
    weight = np.ones(n_frames)
    for start, end in voice.phrases:
        leave = 1.0 - _smoothstep((t - (start - PART_BEFORE_S)) / PART_BEFORE_S)
        settle = _smoothstep((t - end - SETTLE_START_S) / (SETTLE_END_S - SETTLE_START_S))
        weight = np.minimum(weight, np.where(t < start, leave, np.where(t <= end, 0.0, settle)))
    return weight


def phrase_index(voice: Voice, n_frames: int, fps: float) -> np.ndarray:
    """Per frame, the index of the phrase it lies in, or -1 outside phrases."""
    t = frame_times(n_frames, fps)
    index = np.full(n_frames, -1)
    for i, (start, end) in enumerate(voice.phrases):
        index[(t >= start) & (t <= end)] = i
    return index
