"""Articulation parameters -> ARKit lip/jaw/tongue shapes, with loudness and speaker gains.

Loudness scales the opening gestures (jaw, lower lip, rounding, spread) by 0.8..1.2: shouted
speech opens wider. Closures (mouthClose, mouthPress) are never scaled, and the gains fade out as the lips
close, so /p b m/ stay shut however loud or wide the speaker.
"""
from __future__ import annotations

import numpy as np

from ..blendshapes import ARKIT_INDEX
from .visemes import PARAMS

# ARKit shape: [(parameter, weight)]; both sides of a sided shape alike (the teacher is symmetric).
LIP_MAP: dict[str, tuple[tuple[str, float], ...]] = {
    "jawOpen": (("jaw", 1.0),),
    "mouthClose": (("close", 0.9),),
    "mouthPressLeft": (("press", 1.0),), "mouthPressRight": (("press", 1.0),),
    "mouthRollUpper": (("close", 0.15),),
    "mouthFunnel": (("funnel", 1.0),),
    "mouthPucker": (("pucker", 1.0),),
    # Spread lips (/i e s/) draw the corners back and up (zygomatic, ARKit's smile shape) more
    # than down and out (AU20, the stretch of fear): MediaPipe reads real talkers' spread vowels
    # as mouthSmile (std 0.18 on ../shared/data/talkvid) far more than as mouthStretch (0.02).
    "mouthSmileLeft": (("spread", 0.4),), "mouthSmileRight": (("spread", 0.4),),
    "mouthStretchLeft": (("spread", 0.3),), "mouthStretchRight": (("spread", 0.3),),
    "mouthRollLower": (("tuck", 1.0),),
    "mouthShrugLower": (("tuck", 0.3),),
    "mouthUpperUpLeft": (("upper", 1.0),), "mouthUpperUpRight": (("upper", 1.0),),
    "mouthLowerDownLeft": (("lower", 1.0),), "mouthLowerDownRight": (("lower", 1.0),),
    "tongueOut": (("tongue", 1.0),),
}
OPENING = ("jaw", "funnel", "pucker", "spread", "lower", "upper")


def lip_weights(art: np.ndarray, loud: np.ndarray, gain: float) -> np.ndarray:
    """(T, len(PARAMS)) articulation + (T,) loudness 0..1 -> (T, 52) ARKit weights."""
    art = art.copy()
    # Gains fade out where the lips close: a loud, wide speaker still shuts them for /p b m/.
    closing = np.clip(art[:, PARAMS.index("close")], 0.0, 1.0)
    scale = 1.0 + (gain * (0.8 + 0.4 * loud) - 1.0) * (1.0 - closing)
    for p in OPENING:
        art[:, PARAMS.index(p)] *= scale
    out = np.zeros((art.shape[0], len(ARKIT_INDEX)), dtype=np.float64)
    for shape, terms in LIP_MAP.items():
        for param, w in terms:
            out[:, ARKIT_INDEX[shape]] += w * art[:, PARAMS.index(param)]
    return out
