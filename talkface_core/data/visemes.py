"""Viseme classes as articulation targets with Cohen–Massaro dominance, and the bilabial mask.

Each class has a target for ten articulatory parameters (PARAMS) and a dominance for the jaw
and for the lips separately (JALI's split: a /b/ between two open vowels must close the lips
while the jaw may stay a little open). Big dominance = the phone wins over its neighbours
(bilabials, labiodentals); small = it takes its shape from them (h, schwa, t/d/n).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .phonesets import viseme_of

PARAMS: tuple[str, ...] = ("jaw", "close", "press", "funnel", "pucker", "spread", "tuck", "upper",
                           "lower", "tongue")
JAW_PARAMS = ("jaw",)  # the rest are lip/tongue parameters

# class: (targets by parameter name (unlisted = 0), jaw dominance, lip dominance)
VISEMES: dict[str, tuple[dict[str, float], float, float]] = {
    "sil": ({"jaw": 0.02, "close": 0.03}, 0.6, 0.6),  # at rest the lips meet (mouthClose >= jawOpen)
    "PBM": ({"jaw": 0.02, "close": 1.0, "press": 0.55}, 8.0, 40.0),
    "FV":  ({"jaw": 0.08, "tuck": 0.65, "upper": 0.35}, 3.0, 12.0),
    "TH":  ({"jaw": 0.16, "tongue": 0.55, "lower": 0.12}, 2.0, 5.0),
    "TD":  ({"jaw": 0.18, "lower": 0.1, "spread": 0.1}, 0.8, 0.4),
    "SZ":  ({"jaw": 0.07, "spread": 0.35, "upper": 0.1}, 3.0, 2.5),
    "SH":  ({"jaw": 0.1, "funnel": 0.55, "pucker": 0.25, "upper": 0.2}, 2.5, 4.0),
    "KG":  ({"jaw": 0.2, "lower": 0.05}, 0.8, 0.3),
    "HH":  ({"jaw": 0.25}, 0.3, 0.2),
    "R":   ({"jaw": 0.15, "pucker": 0.35, "funnel": 0.2}, 1.0, 1.5),
    "W":   ({"jaw": 0.08, "pucker": 0.85, "funnel": 0.3}, 1.5, 5.0),
    "Y":   ({"jaw": 0.12, "spread": 0.3}, 1.0, 1.0),
    "AA":  ({"jaw": 0.65, "lower": 0.3, "upper": 0.05}, 1.5, 1.0),
    "AE":  ({"jaw": 0.55, "lower": 0.3, "spread": 0.25, "upper": 0.1}, 1.5, 1.0),
    "AH":  ({"jaw": 0.35, "lower": 0.15}, 1.0, 0.5),
    "EH":  ({"jaw": 0.4, "lower": 0.2, "spread": 0.3}, 1.2, 1.0),
    "IY":  ({"jaw": 0.14, "spread": 0.5, "lower": 0.05}, 1.2, 1.2),
    "ER":  ({"jaw": 0.25, "pucker": 0.3, "funnel": 0.25}, 1.0, 1.2),
    "AO":  ({"jaw": 0.5, "funnel": 0.5, "pucker": 0.2, "lower": 0.15}, 1.5, 1.5),
    "OW":  ({"jaw": 0.35, "funnel": 0.6, "pucker": 0.45}, 1.3, 2.0),
    "UW":  ({"jaw": 0.12, "pucker": 0.9, "funnel": 0.4}, 1.2, 2.5),
}
VOWEL_OPENNESS: dict[str, float] = {c: VISEMES[c][0]["jaw"] for c in
                                    ("AA", "AE", "AH", "EH", "IY", "ER", "AO", "OW", "UW")}

# How far (s) past its own edges a phone's dominance has decayed to 1/4 (the weak end of the
# scale): strong phones fall off faster, so a /b/ closes sharply instead of smearing closure.
REACH_S = 0.06


def segments(phones: Sequence[tuple[float, float, str]], phone_set: str) -> list[tuple[float, float, str]]:
    """Phones -> viseme segments (start, end, class), with diphthongs split at their middle."""
    out: list[tuple[float, float, str]] = []
    for start, end, phone in phones:
        if end <= start:
            continue
        parts = viseme_of(phone, phone_set).split("+")
        step = (end - start) / len(parts)
        out.extend((start + i * step, start + (i + 1) * step, cls) for i, cls in enumerate(parts))
    return out


def targets_and_dominance(segs: Sequence[tuple[float, float, str]], n_frames: int, fps: float,
                          reach_s: float = REACH_S) -> np.ndarray:
    """Cohen–Massaro blend: (n_frames, len(PARAMS)) articulation, before gains and loudness.
    A longer `reach_s` blends neighbours further into each other: slower, smaller gestures."""
    t = (np.arange(n_frames) + 0.5) / fps
    if not segs:
        return np.tile(_target("sil"), (n_frames, 1))
    num = np.zeros((n_frames, len(PARAMS)))
    den = np.zeros((n_frames, len(PARAMS)))
    jaw_mask = np.array([p in JAW_PARAMS for p in PARAMS])
    for start, end, cls in segs:
        _, jaw_dom, lip_dom = VISEMES[cls]
        centre, half = 0.5 * (start + end), 0.5 * (end - start)
        # Flat at full dominance inside the phone, exponential decay outside it.
        outside = np.maximum(np.abs(t - centre) - half, 0.0)
        alpha = np.where(jaw_mask, jaw_dom, lip_dom)
        tau = reach_s / np.log(4.0 * np.maximum(alpha, 1.0))
        dom = alpha[None, :] * np.exp(-outside[:, None] / tau[None, :])
        num += dom * _target(cls)[None, :]
        den += dom
    # The rest pose competes weakly everywhere, so long gaps between phones relax.
    num += 0.05 * _target("sil")[None, :]
    den += 0.05
    return num / den


def _target(cls: str) -> np.ndarray:
    values = VISEMES[cls][0]
    return np.array([values.get(p, 0.0) for p in PARAMS])


def bilabial_mask(phones: Sequence[tuple[float, float, str]], n_frames: int, fps: float,
                  phone_set: str = "arpabet") -> np.ndarray:
    """Boolean (n_frames,) mask: True on frames whose centre lies inside a /p b m/ phone.

    Phones are (start s, end s, symbol); pass phone_set "espeak" or "sampa_de" for those corpora
    (the clip's npz stores its phone set in `phone_set`). A phone shorter than a frame still marks
    the frame nearest its middle, so no closure is ever missed.
    """
    mask = np.zeros(n_frames, dtype=bool)
    for start, end, cls in segments(phones, phone_set):
        if cls != "PBM":
            continue
        lo, hi = int(math.ceil(start * fps - 0.5)), int(math.ceil(end * fps - 0.5))
        if hi <= lo:
            lo, hi = int((start + end) * 0.5 * fps), int((start + end) * 0.5 * fps) + 1
        mask[max(lo, 0):min(hi, n_frames)] = True
    return mask
