"""The voice's reading -> keys: segments where one emotion dominates, merged to min length and max
keys; intensity from the reading's confidence or from the voice's arousal."""
from __future__ import annotations

import numpy as np
import pytest

from talkface_core.emotions import EMOTIONS
from talkface_core.voice_reading import keys_from_reading

FPS = 50.0


def _reading(spans: list[tuple[float, str, float]]) -> np.ndarray:
    """Probabilities: for each (seconds, emotion, p) stretch, p on that emotion, the rest spread."""
    rows = []
    for seconds, emotion, p in spans:
        row = np.full(len(EMOTIONS), (1 - p) / (len(EMOTIONS) - 1))
        row[EMOTIONS.index(emotion)] = p
        rows.append(np.repeat(row[None], round(seconds * FPS), 0))
    return np.concatenate(rows)


def test_dominant_stretches_become_keys_at_their_starts():
    reading = _reading([(2.0, "neutral", 0.6), (1.5, "happy", 0.7), (2.5, "angry", 0.5)])
    timeline = keys_from_reading(reading, FPS)
    assert [(k.time_s, k.emotion) for k in timeline.keys] == [(0, "neutral"), (2.0, "happy"), (3.5, "angry")]
    assert [k.intensity for k in timeline.keys] == [0.6, 0.7, 0.5]   # how clearly the voice shows it


def test_short_flickers_merge_into_the_neighbour_that_explains_them():
    reading = _reading([(2.0, "sad", 0.6), (0.3, "fear", 0.4), (2.0, "angry", 0.6)])
    reading[100:115, EMOTIONS.index("angry")] += 0.3   # the flicker's frames lean to angry
    reading /= reading.sum(1, keepdims=True)
    timeline = keys_from_reading(reading, FPS, min_segment_s=1.0)
    assert [(k.time_s, k.emotion) for k in timeline.keys] == [(0, "sad"), (2.0, "angry")]
    kept = keys_from_reading(reading, FPS, min_segment_s=0.1)
    assert [k.emotion for k in kept.keys] == ["sad", "fear", "angry"]


def test_max_keys_keeps_the_best_supported_segments():
    reading = _reading([(1.5, "neutral", 0.5), (1.2, "happy", 0.35), (1.5, "sad", 0.6), (1.5, "angry", 0.7)])
    assert [k.emotion for k in keys_from_reading(reading, FPS, max_keys=3).keys] == ["neutral", "sad", "angry"]
    one = keys_from_reading(reading, FPS, max_keys=1)
    assert len(one.keys) == 1 and one.keys[0].time_s == 0
    with pytest.raises(ValueError, match="max_keys"):
        keys_from_reading(reading, FPS, max_keys=0)
    with pytest.raises(ValueError, match="reading"):
        keys_from_reading(reading[:, :3], FPS)


def test_arousal_makes_a_loud_wide_pitched_stretch_more_intense():
    rate, seconds = 16000, 2.0
    t = np.arange(int(rate * seconds)) / rate
    calm = 0.05 * np.sin(2 * np.pi * 120 * t)                                  # quiet, one pitch
    f0 = 120 * 2 ** (np.sin(2 * np.pi * 1.5 * t))                              # +-1 octave
    excited = 0.5 * np.sin(2 * np.pi * np.cumsum(f0) / rate)                   # loud, sweeping
    samples = np.concatenate([calm, excited]).astype(np.float32)
    reading = _reading([(2.0, "neutral", 0.6), (2.0, "happy", 0.6)])
    confident = keys_from_reading(reading, FPS)
    aroused = keys_from_reading(reading, FPS, samples=samples)
    assert [k.intensity for k in confident.keys] == [0.6, 0.6]
    assert aroused.keys[1].intensity > aroused.keys[0].intensity + 0.4
    with pytest.raises(ValueError, match="different lengths"):
        keys_from_reading(reading, FPS, samples=samples[:rate])
