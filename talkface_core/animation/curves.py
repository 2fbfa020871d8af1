"""Animation: weight channels (and optional rotation channels, degrees) sampled at a frame rate.

Frame i sits at time i / fps. Resampling computes every target time as j / fps (never by adding
a frame step), so a 29.97 fps clip an hour long stays in phase with the audio to the last frame.
"""
from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .channels import ARKIT52, ROTATION_NAMES, ChannelSet

if TYPE_CHECKING:
    from ..emotion_timeline import EmotionTimeline

MAX_FPS = 1000.0
_OUT_OF_RANGE_TOLERANCE = 1e-4


class AnimationError(ValueError):
    """An animation that is malformed, or a file that does not hold one."""


def check_fps(fps: float) -> float:
    fps = float(fps)
    if not (math.isfinite(fps) and 0.0 < fps <= MAX_FPS):
        raise AnimationError(f"fps must be in (0, {MAX_FPS:g}], got {fps}")
    return fps


def _float32(values: object, what: str) -> np.ndarray:
    """`values` as finite float32. The error names the first bad value and where it is: a finite
    number beyond float32's range (a huge integer) is not reported as NaN or infinite."""
    raw = np.asarray(values)
    try:
        with np.errstate(over="ignore"):
            out = raw.astype(np.float32)
    except (TypeError, ValueError, OverflowError):
        raise AnimationError(f"{what} must be numbers, got {raw.dtype} values") from None
    bad = np.flatnonzero(~np.isfinite(out))
    if bad.size:
        value = raw.flat[bad[0]]
        where = f"at {np.unravel_index(bad[0], raw.shape)}" if raw.ndim else ""
        if isinstance(value, (int, np.integer)) or np.isfinite(float(value)):
            raise AnimationError(f"{what} hold {value} {where}, beyond float32's range "
                                 f"(+-{np.finfo(np.float32).max:.3g})")
        raise AnimationError(f"{what} contain NaN or infinite values (first {where})")
    return out


class Animation:
    """Weights (frames x channels) for named channels of one ChannelSet at `fps`, plus optional
    rotation channels (frames x rotation_names, degrees, unbounded).

    Weights outside the channel set's bounds are clipped (model output overshoots slightly), or
    raise AnimationError when `strict` is set (for data read from a user's file).
    emotion_timeline: the emotion keys it was generated with (metadata the files keep), or None.
    """

    def __init__(self, names: Sequence[str], fps: float, weights: np.ndarray, *,
                 channels: ChannelSet = ARKIT52, strict: bool = False,
                 rotation_names: Sequence[str] = (), rotations: np.ndarray | None = None,
                 emotion_timeline: EmotionTimeline | None = None) -> None:
        names = tuple(str(n) for n in names)
        if len(set(names)) != len(names):
            raise AnimationError("channel names must be unique")
        fps = check_fps(fps)
        weights = _float32(weights, "weights")
        if weights.ndim != 2 or weights.shape[1] != len(names):
            raise AnimationError(f"weights must be (frames, {len(names)}), got {weights.shape}")
        if channels.bounds is not None and weights.size:
            lo, hi = channels.bounds
            if strict and (weights.min() < lo - _OUT_OF_RANGE_TOLERANCE
                           or weights.max() > hi + _OUT_OF_RANGE_TOLERANCE):
                raise AnimationError(f"weights must lie in [{lo}, {hi}], found "
                                     f"[{weights.min():.4g}, {weights.max():.4g}]")
            weights = np.clip(weights, lo, hi)
        rotation_names = tuple(str(n) for n in rotation_names)
        unknown = [n for n in rotation_names if n not in ROTATION_NAMES]
        if unknown or len(set(rotation_names)) != len(rotation_names):
            raise AnimationError(f"rotation channels must be distinct names of {', '.join(ROTATION_NAMES)}"
                                 f"; got {', '.join(rotation_names)}")
        rotations = (np.zeros((weights.shape[0], 0), np.float32) if rotations is None
                     else _float32(rotations, "rotations"))
        if rotations.shape != (weights.shape[0], len(rotation_names)):
            raise AnimationError(f"rotations must be ({weights.shape[0]}, {len(rotation_names)}), "
                                 f"got {rotations.shape}")
        self.names = names
        self.fps = fps
        self.weights = weights
        self.channels = channels
        self.rotation_names = rotation_names
        self.rotations = rotations
        self.emotion_timeline = emotion_timeline

    @property
    def bounds(self) -> tuple[float, float] | None:
        return self.channels.bounds

    @property
    def num_frames(self) -> int:
        return self.weights.shape[0]

    @property
    def duration(self) -> float:
        """Seconds covered: each frame lasts 1/fps."""
        return self.num_frames / self.fps

    def channel(self, name: str) -> np.ndarray:
        return self.weights[:, self.names.index(name)]

    def with_weights(self, weights: np.ndarray) -> Animation:
        return Animation(self.names, self.fps, weights, channels=self.channels,
                         rotation_names=self.rotation_names, rotations=self.rotations,
                         emotion_timeline=self.emotion_timeline)

    def with_rotations(self, names: Sequence[str], rotations: np.ndarray) -> Animation:
        return Animation(self.names, self.fps, self.weights, channels=self.channels,
                         rotation_names=names, rotations=rotations, emotion_timeline=self.emotion_timeline)

    def with_emotion_timeline(self, timeline: EmotionTimeline | None) -> Animation:
        return Animation(self.names, self.fps, self.weights, channels=self.channels,
                         rotation_names=self.rotation_names, rotations=self.rotations,
                         emotion_timeline=timeline)

    def resample(self, fps: float) -> Animation:
        """The same motion at another frame rate, by linear interpolation at exact frame times."""
        fps = check_fps(fps)
        if fps == self.fps or self.num_frames == 0:
            return Animation(self.names, fps, self.weights, channels=self.channels,
                             rotation_names=self.rotation_names, rotations=self.rotations,
                             emotion_timeline=self.emotion_timeline)
        count = max(1, round(self.num_frames * fps / self.fps))
        # Source position of target frame j, computed directly from j: no accumulated step error.
        pos = np.arange(count, dtype=np.float64) * (self.fps / fps)
        pos = np.minimum(pos, self.num_frames - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, self.num_frames - 1)
        frac = (pos - lo)[:, None].astype(np.float32)

        def at(values: np.ndarray) -> np.ndarray:
            return values[lo] * (1 - frac) + values[hi] * frac

        return Animation(self.names, fps, at(self.weights), channels=self.channels,
                         rotation_names=self.rotation_names, rotations=at(self.rotations),
                         emotion_timeline=self.emotion_timeline)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write by extension: .json (talkface), .csv (Live Link Face layout), .npz."""
        from .files import save

        return save(self, Path(path))

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, fps: float | None = None) -> Animation:
        """Read a file written by save() (or by Live Link Face, for .csv). CSV files carry no
        frame rate: it is measured from the timecodes unless `fps` is given."""
        from .files import load

        return load(Path(path), fps=fps)
