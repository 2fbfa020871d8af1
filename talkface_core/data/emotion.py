"""Emotion layer: FACS action units per emotion as ARKit shapes, with a time course.

Weights are the apex at intensity 1. The layer is shaped over time: an onset ramp as the
speaker starts, an apex held through the speech with emphasis that follows pitch and energy
(accents push the expression further), and an offset that decays after the last phone.
Corpus labels map onto EMOTIONS here too (RAVDESS calm -> neutral at low intensity; EmoDB
boredom -> neutral at low intensity: both are low-arousal states with no AU prototype).
"""
from __future__ import annotations

import numpy as np

from ..blendshapes import ARKIT_INDEX
from ..prosody import smooth

# FACS prototypes (Ekman & Friesen EMFACS) -> ARKit. AU numbers in the comments.
AU_TABLE: dict[str, dict[str, float]] = {
    "neutral": {},
    "happy": {  # AU6 cheek raiser, AU12 lip corner puller
        "mouthSmileLeft": 0.7, "mouthSmileRight": 0.7, "cheekSquintLeft": 0.5, "cheekSquintRight": 0.5,
        "eyeSquintLeft": 0.3, "eyeSquintRight": 0.3, "mouthDimpleLeft": 0.2, "mouthDimpleRight": 0.2},
    "sad": {  # AU1 inner brow raiser, AU4 brow lowerer, AU15 lip corner depressor, AU17
        "browInnerUp": 0.7, "browDownLeft": 0.2, "browDownRight": 0.2, "mouthFrownLeft": 0.5,
        "mouthFrownRight": 0.5, "mouthShrugLower": 0.3, "eyeLookDownLeft": 0.15, "eyeLookDownRight": 0.15},
    "angry": {  # AU4, AU5, AU7 lid tightener, AU9/10, AU23/24 lip tightener/pressor
        "browDownLeft": 0.8, "browDownRight": 0.8, "eyeSquintLeft": 0.4, "eyeSquintRight": 0.4,
        "noseSneerLeft": 0.4, "noseSneerRight": 0.4, "mouthPressLeft": 0.3, "mouthPressRight": 0.3,
        "eyeWideLeft": 0.1, "eyeWideRight": 0.1, "jawForward": 0.1},
    "fear": {  # AU1+2, AU4, AU5 upper lid raiser, AU20 lip stretcher
        "browInnerUp": 0.7, "browOuterUpLeft": 0.4, "browOuterUpRight": 0.4, "eyeWideLeft": 0.6,
        "eyeWideRight": 0.6, "mouthStretchLeft": 0.5, "mouthStretchRight": 0.5, "browDownLeft": 0.1,
        "browDownRight": 0.1},
    "disgust": {  # AU9 nose wrinkler, AU10 upper lip raiser, AU15, AU4
        "noseSneerLeft": 0.7, "noseSneerRight": 0.7, "mouthUpperUpLeft": 0.45, "mouthUpperUpRight": 0.45,
        "browDownLeft": 0.3, "browDownRight": 0.3, "mouthFrownLeft": 0.2, "mouthFrownRight": 0.2,
        "cheekSquintLeft": 0.2, "cheekSquintRight": 0.2},
    "surprise": {  # AU1+2, AU5, AU26 jaw drop
        "browInnerUp": 0.7, "browOuterUpLeft": 0.8, "browOuterUpRight": 0.8, "eyeWideLeft": 0.7,
        "eyeWideRight": 0.7, "jawOpen": 0.15},
}
# Shapes that open the lips: gated by lip closure, so an expression never opens a /p b m/.
LIP_OPENING = ("jawOpen", "mouthUpperUpLeft", "mouthUpperUpRight", "mouthStretchLeft", "mouthStretchRight")

# How an emotion shapes articulation at intensity 1: (gain on the opening gestures, coarticulation
# reach factor). Aroused speech (angry, happy, surprise) opens wider with crisper transitions,
# sad speech is smaller and slower (hypo-articulated); closures are never scaled (lip_shapes.py).
ARTICULATION: dict[str, tuple[float, float]] = {
    "neutral": (1.0, 1.0), "happy": (1.1, 0.9), "angry": (1.2, 0.8), "surprise": (1.15, 0.9),
    "fear": (1.05, 0.9), "disgust": (0.95, 1.0), "sad": (0.8, 1.3)}

# Corpus label -> (emotion, intensity override or None).
RAVDESS_EMOTIONS = {"01": ("neutral", None), "02": ("neutral", 0.25), "03": ("happy", None),
                    "04": ("sad", None), "05": ("angry", None), "06": ("fear", None),
                    "07": ("disgust", None), "08": ("surprise", None)}
RAVDESS_INTENSITY = {"01": 0.5, "02": 1.0}
EMODB_EMOTIONS = {"W": ("angry", None), "L": ("neutral", 0.25), "E": ("disgust", None),
                  "A": ("fear", None), "F": ("happy", None), "T": ("sad", None), "N": ("neutral", None)}
EMODB_INTENSITY = 0.75  # acted, one level, clearly expressed


def articulation(emotion: str, intensity: float) -> tuple[float, float]:
    """(opening gain, reach factor) for an emotion at an intensity (1, 1 at intensity 0)."""
    gain, reach = ARTICULATION[emotion]
    return 1.0 + (gain - 1.0) * intensity, 1.0 + (reach - 1.0) * intensity


def envelope(speech: np.ndarray, emph: np.ndarray, fps: float, rng: np.random.Generator) -> np.ndarray:
    """0..1 per frame: onset -> apex (+emphasis) -> offset around the speech frames. Accents push
    the expression further while speaking; a pause holds the phrase's typical level (a face does
    not drop its smile between words), smoothed so the hold joins the speech without a step."""
    n = len(speech)
    idx = np.flatnonzero(speech)
    if len(idx) == 0:
        return np.full(n, 0.3)
    onset_s, offset_s = rng.uniform(0.25, 0.5), rng.uniform(0.4, 0.8)
    t = np.arange(n) / fps
    first, last = idx[0] / fps, idx[-1] / fps
    ramp_in = np.clip((t - (first - 0.6 * onset_s)) / onset_s, 0.0, 1.0)
    ramp_out = np.clip(1.0 - (t - last) / offset_s, 0.0, 1.0)
    course = 0.3 + 0.7 * _smoothstep(np.minimum(ramp_in, ramp_out))  # a trace stays: a held face
    held = smooth(np.where(speech, emph, np.median(emph[idx])), int(0.15 * fps))
    return course * (0.8 + 0.2 * held)


def emotion_weights(emotion: str, intensity: float, env: np.ndarray, closure: np.ndarray) -> np.ndarray:
    """(T, 52) emotion layer: AU apex * intensity * envelope, lip-opening shapes gated by closure."""
    out = np.zeros((len(env), len(ARKIT_INDEX)))
    for shape, w in AU_TABLE[emotion].items():
        col = w * intensity * env
        if shape in LIP_OPENING:
            col = col * (1.0 - closure)
        out[:, ARKIT_INDEX[shape]] = col
    return out


def _smoothstep(x: np.ndarray) -> np.ndarray:
    return x * x * (3.0 - 2.0 * x)
