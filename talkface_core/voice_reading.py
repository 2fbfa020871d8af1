"""The voice's own emotion reading (the network's classifier, frame by frame) -> a few editable keys.

Segments where one emotion dominates: the per-frame winner, then the weakest segment is merged
into the neighbour that explains its frames better (the one whose emotion its frames give more
probability) until every segment lasts at least `min_segment_s` and there are at most `max_keys`.
Each segment becomes a key at its start (the first at 0 s) with the intensity the voice shows it:
the mean probability of its emotion over the segment, or, with arousal, how loud and how varied
in pitch the voice is there.
"""
from __future__ import annotations

import numpy as np

from .audio import SAMPLE_RATE
from .emotion_timeline import DEFAULT_TRANSITION_S, EmotionKey, EmotionTimeline
from .emotions import EMOTIONS
from .prosody import loudness, pitch

DEFAULT_MAX_KEYS = 4
DEFAULT_MIN_SEGMENT_S = 1.0
ROUND_S, ROUND_INTENSITY = 0.01, 0.05   # keys an animator reads and edits: no false precision
AROUSAL_PITCH_RANGE_ST = 12.0           # an octave of pitch range within a segment = full arousal
_Segment = list[int]                    # [start frame, end frame (exclusive), emotion index]


def _runs(labels: np.ndarray) -> list[_Segment]:
    edges = np.flatnonzero(np.diff(labels)) + 1
    starts = [0, *edges.tolist()]
    ends = [*edges.tolist(), len(labels)]
    return [[a, b, int(labels[a])] for a, b in zip(starts, ends)]


def _coalesce(segments: list[_Segment]) -> list[_Segment]:
    out: list[_Segment] = []
    for seg in segments:
        if out and out[-1][2] == seg[2]:
            out[-1][1] = seg[1]
        else:
            out.append(list(seg))
    return out


def segments(reading: np.ndarray, min_frames: int, max_segments: int) -> list[_Segment]:
    """Dominant-emotion segments of a (T, n_emotions) reading, merged as the module text says."""
    segs = _runs(reading.argmax(1))
    while len(segs) > 1:
        # Support of a segment: the probability mass its own emotion holds over its frames.
        support = [reading[a:b, e].sum() for a, b, e in segs]
        short = [i for i, (a, b, _) in enumerate(segs) if b - a < min_frames]
        if short:
            i = min(short, key=support.__getitem__)
        elif len(segs) > max_segments:
            i = int(np.argmin(support))
        else:
            break
        a, b, _ = segs[i]
        neighbours = [segs[j][2] for j in (i - 1, i + 1) if 0 <= j < len(segs)]
        segs[i][2] = max(neighbours, key=lambda e: reading[a:b, e].sum())
        segs = _coalesce(segs)
    return segs


def _segment_arousal(loud: np.ndarray, f0: np.ndarray) -> float:
    """0..1: half the segment's mean loudness, half its pitch range (10th-90th percentile, in
    semitones, an octave = 1) over its voiced frames."""
    voiced = ~np.isnan(f0)
    if voiced.sum() < 3:
        return float(0.5 * loud.mean())
    semitones = 12.0 * np.log2(f0[voiced])
    spread = np.percentile(semitones, 90) - np.percentile(semitones, 10)
    return float(0.5 * loud[voiced].mean() + 0.5 * min(spread / AROUSAL_PITCH_RANGE_ST, 1.0))


def _rounded(value: float, step: float) -> float:
    return round(round(value / step) * step, 6)


def check_options(max_keys: int, min_segment_s: float) -> None:
    """ValueError for options no reading can meet (checked before the network runs)."""
    if isinstance(max_keys, bool) or not isinstance(max_keys, int) or max_keys < 1:
        raise ValueError(f"max_keys must be an integer of at least 1, got {max_keys!r}")
    if not isinstance(min_segment_s, (int, float)) or not 0 <= min_segment_s < float("inf"):
        raise ValueError(f"min_segment_s must be 0 or more seconds, got {min_segment_s!r}")


def keys_from_reading(reading: np.ndarray, fps: float, *, max_keys: int = DEFAULT_MAX_KEYS,
                      min_segment_s: float = DEFAULT_MIN_SEGMENT_S, samples: np.ndarray | None = None,
                      transition_s: float = DEFAULT_TRANSITION_S) -> EmotionTimeline:
    """Keys for a (T, n_emotions) reading at `fps`. samples (16 kHz) given: intensity follows the
    voice's arousal instead of the reading's confidence."""
    check_options(max_keys, min_segment_s)
    reading = np.asarray(reading, dtype=np.float64)
    if reading.ndim != 2 or reading.shape[1] != len(EMOTIONS) or not len(reading):
        raise ValueError(f"a reading is (frames > 0, {len(EMOTIONS)}) probabilities, got {reading.shape}")
    segs = segments(reading, max(1, round(min_segment_s * fps)), max_keys)
    if samples is not None:
        expected = len(reading) / fps * SAMPLE_RATE
        if abs(len(samples) - expected) > SAMPLE_RATE / fps + 1:
            raise ValueError("samples and reading cover different lengths")
        loud, f0 = loudness(samples, len(reading), fps), pitch(samples, len(reading), fps)
    keys = []
    for a, b, e in segs:
        level = (_segment_arousal(loud[a:b], f0[a:b]) if samples is not None
                 else float(reading[a:b, e].mean()))
        keys.append(EmotionKey(_rounded(a / fps, ROUND_S), EMOTIONS[e],
                               min(max(_rounded(level, ROUND_INTENSITY), 0.0), 1.0)))
    return EmotionTimeline(tuple(keys), transition_s)
