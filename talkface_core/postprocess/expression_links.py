"""Muscles that act together in an expression, added where the network leaves them out.

- Duchenne smiles: a felt smile raises the cheeks (AU6 with AU12; Ekman, Davidson & Friesen 1990),
  so cheekSquint follows each side's mouthSmile, and the raised cheek narrows the eye (eyeSquint).
  It follows the smile held across syllables (a running median over SMILE_HOLD_S), not the quick
  spread of the lips on /i e/ that the smile shape also carries: cheeks do not flick per vowel.
- Disgust wrinkles the nose (AU9, FACS) — only where the request asks for disgust, at a level set
  by its intensity (emotion keys: following them), eased in and out at the clip's ends.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter

from ..animation import Animation
from ..emotion_timeline import EmotionTimeline
from ..emotions import EMOTIONS
from ..prosody import smooth as smooth_frames
from .events import frame_times

CHEEK_PER_SMILE = 0.6
SMILE_HOLD_S = 0.5             # longer than a spread vowel (~0.1-0.25 s), shorter than a smile
EYE_SQUINT_PER_SMILE = 0.25
SNEER_AT_FULL = 0.5            # noseSneer at intensity 1
EASE_S = 0.4
SIDES = ("Left", "Right")


def held_smile(smile: np.ndarray, fps: float) -> np.ndarray:
    """The smile under the syllables: a running median (drops peaks shorter than half the window),
    then a moving average of the same length so the median's steps never reach the cheeks."""
    width = int(round(SMILE_HOLD_S * fps)) | 1   # odd, at least 1
    if width < 3 or len(smile) < width:
        return smile
    return smooth_frames(median_filter(smile, size=width, mode="nearest"), width)


def _raise(w: np.ndarray, names: tuple[str, ...], name: str, value: np.ndarray) -> None:
    if name in names:
        col = names.index(name)
        w[:, col] = np.clip(np.maximum(w[:, col], value), 0.0, 1.0)


def ease(n_frames: int, fps: float, seconds: float = EASE_S) -> np.ndarray:
    """0 -> 1 over the first `seconds`, 1 -> 0 over the last (smooth), 1 between."""
    t = frame_times(n_frames, fps)
    ramp = np.clip(np.minimum(t, (n_frames - 1) / fps - t) / seconds, 0.0, 1.0)
    return np.sin(ramp * np.pi / 2) ** 2


def _disgust(emotion: str | EmotionTimeline, intensity: float, n_frames: int, fps: float
             ) -> np.ndarray | None:
    """Per frame, how much disgust the request asks for (None: none at all)."""
    if isinstance(emotion, EmotionTimeline):   # emotion keys: disgust where they have it
        level = emotion.conditioning(n_frames, fps)[:, EMOTIONS.index("disgust")]
        return level if level.any() else None
    return np.full(n_frames, intensity) if emotion == "disgust" else None


def add_expression_links(anim: Animation, emotion: str | EmotionTimeline, intensity: float,
                         amount: float) -> Animation:
    """Cheek and eye squint with smiles; noseSneer where `emotion` (a name or emotion keys) is
    disgust."""
    if amount <= 0:
        return anim
    w = anim.weights.copy()
    for side in SIDES:
        smile = f"mouthSmile{side}"
        if smile in anim.names:
            s = held_smile(anim.weights[:, anim.names.index(smile)], anim.fps)
            _raise(w, anim.names, f"cheekSquint{side}", amount * CHEEK_PER_SMILE * s)
            _raise(w, anim.names, f"eyeSquint{side}", amount * EYE_SQUINT_PER_SMILE * s)
    disgust = _disgust(emotion, intensity, anim.num_frames, anim.fps)
    if disgust is not None:
        sneer = amount * SNEER_AT_FULL * disgust * ease(anim.num_frames, anim.fps)
        for side in SIDES:
            _raise(w, anim.names, f"noseSneer{side}", sneer)
    return anim.with_weights(w)
