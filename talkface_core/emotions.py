"""The emotions the generator knows, in the order of its emotion vector."""
from __future__ import annotations

import numpy as np

EMOTIONS: tuple[str, ...] = ("neutral", "happy", "sad", "angry", "fear", "disgust", "surprise")
AUTO = "auto"  # read the emotion from the voice instead of naming one


def check_emotion(emotion: str, *, allow_auto: bool = True) -> str:
    if emotion in EMOTIONS or (allow_auto and emotion == AUTO):
        return emotion
    choices = ", ".join(EMOTIONS) + (f" or '{AUTO}'" if allow_auto else "")
    raise ValueError(f"emotion must be one of {choices}, got {emotion!r}")


def one_hot(emotion: str) -> np.ndarray:
    """The network's emotion vector for one named emotion (float32, len(EMOTIONS))."""
    vec = np.zeros(len(EMOTIONS), dtype=np.float32)
    vec[EMOTIONS.index(check_emotion(emotion, allow_auto=False))] = 1.0
    return vec
