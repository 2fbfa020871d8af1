"""The expression holds through pauses: between two phrases the emotion's shapes stay where the
speech had them (easing from the level of the phrase before to that of the phrase after),
instead of sagging with every silence as the network's curves do (measured on held-out takes:
an emotion's shapes in pauses at 0.42-0.56 of their level while speaking). Before the first and
after the last phrase the held level eases in and out, so a clip still starts and ends calm.
Only expression shapes: the lips' speech shapes settle separately (rest.py), blinks and gaze
have their own layers."""
from __future__ import annotations

import numpy as np

from ..animation import Animation
from ..emotion_timeline import EmotionTimeline
from .pauses import pause_weight, phrase_index
from .voice import Voice

EXPRESSION = ("browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
              "cheekSquintLeft", "cheekSquintRight", "eyeSquintLeft", "eyeSquintRight",
              "eyeWideLeft", "eyeWideRight", "noseSneerLeft", "noseSneerRight",
              "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
              "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
              "mouthShrugLower")
EASE_IN_S = 0.5      # before the first phrase the expression builds up over this ...
EASE_OUT_S = 0.8     # ... and after the last it relaxes over this, after a short hold
HOLD_AFTER_S = 0.3


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def hold_expression(anim: Animation, voice: Voice, timeline: EmotionTimeline | None = None) -> Animation:
    """timeline: the requested emotion keys; where they change the emotion, the held level
    changes with it."""
    cols = [anim.names.index(n) for n in EXPRESSION if n in anim.names]
    phrases = voice.phrases
    if not cols or not len(phrases) or not anim.num_frames:
        return anim
    n, fps = anim.num_frames, anim.fps
    t = np.arange(n) / fps
    index = phrase_index(voice, n, fps)
    w = anim.weights.copy()
    x = w[:, cols]
    # A phrase's level as a pause sees it: from its last emotion change on (the pause after it)
    # and up to its first (the pause before it), so an emotion that changes mid-phrase is not
    # smeared into the pause. With one emotion both are the phrase's mean.
    changes = np.array([k.time_s for k in timeline.keys[1:]] if timeline else [], dtype=float)
    transition_s = timeline.transition_s if timeline else 0.0
    stretch = np.searchsorted(changes, t, side="right")

    def level(i: int, last: bool) -> np.ndarray:
        inside = index == i
        if not inside.any():
            return x.mean(0)
        pick = stretch[inside].max() if last else stretch[inside].min()
        return x[inside & (stretch == pick)].mean(0)

    after = np.stack([level(i, True) for i in range(len(phrases))])
    before = np.stack([level(i, False) for i in range(len(phrases))])
    # The held level: eased from one phrase's to the next across a pause (or around the emotion
    # change that lies in it, like the keys ease), the first phrase's before speech and the
    # last's after it.
    ends, starts = phrases[:-1, 1], phrases[1:, 0]
    held = np.repeat(before[:1], n, axis=0)
    for i, (end, start) in enumerate(zip(ends, starts)):
        within = changes[(changes > end) & (changes < start)]
        if len(within):
            c = within[0]
            half = max(min(transition_s / 2, c - end, start - c), 1e-6)   # 0 s: a cut
            blend = _smoothstep((t - c + half) / (2 * half))[:, None]
        else:
            blend = _smoothstep((t - end) / max(start - end, 1e-6))[:, None]
        held = np.where((t > end)[:, None], after[i] + blend * (before[i + 1] - after[i]), held)
    strength = np.ones(n)
    first, last = phrases[0, 0], phrases[-1, 1]
    strength = np.where(t < first, _smoothstep((t - first + EASE_IN_S) / EASE_IN_S), strength)
    strength = np.where(t > last, 1.0 - _smoothstep((t - last - HOLD_AFTER_S) / EASE_OUT_S), strength)
    weight = (pause_weight(voice, n, fps) * strength)[:, None]
    # Never below what the network already has there: holding only lifts a sagging expression.
    w[:, cols] = x + weight * np.maximum(held - x, 0.0)
    return anim.with_weights(w)
