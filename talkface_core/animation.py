"""Animation: named channels sampled at a frame rate, with resampling and file formats.

Frame i sits at time i / fps. Resampling computes every target time as j / fps (never by adding
a frame step), so a 29.97 fps clip an hour long stays in phase with the audio to the last frame.
"""
from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .blendshapes import ARKIT_NAMES

FORMAT = "talkface.animation"
FORMAT_VERSION = 1
MAX_FPS = 1000.0
_OUT_OF_RANGE_TOLERANCE = 1e-4

# Live Link Face writes the 52 ARKit names capitalised, then 9 head/eye rotation columns.
LIVE_LINK_EXTRA = ("HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
                   "RightEyeYaw", "RightEyePitch", "RightEyeRoll")
# Frame rates editors use; a rate measured from timecodes snaps to one of these when it is this close.
COMMON_FPS = (23.976, 24.0, 25.0, 29.97, 30.0, 48.0, 50.0, 59.94, 60.0, 90.0, 120.0)
_FPS_SNAP = 5e-4


class AnimationError(ValueError):
    """An animation that is malformed, or a file that does not hold one."""


class Animation:
    """Weights (frames x channels) for named channels at `fps`.

    `bounds` is the valid value range ((0, 1) for blendshapes; None for unbounded channels such as
    FLAME coefficients). Values outside it are clipped (model output overshoots slightly), or raise
    AnimationError when `strict` is set (for data read from a user's file).
    """

    def __init__(self, names: Sequence[str], fps: float, weights: np.ndarray, *,
                 bounds: tuple[float, float] | None = (0.0, 1.0), strict: bool = False) -> None:
        names = tuple(str(n) for n in names)
        if len(set(names)) != len(names):
            raise AnimationError("channel names must be unique")
        fps = float(fps)
        if not (math.isfinite(fps) and 0.0 < fps <= MAX_FPS):
            raise AnimationError(f"fps must be in (0, {MAX_FPS:g}], got {fps}")
        weights = np.asarray(weights, dtype=np.float32)
        if weights.ndim != 2 or weights.shape[1] != len(names):
            raise AnimationError(f"weights must be (frames, {len(names)}), got {weights.shape}")
        if not np.isfinite(weights).all():
            raise AnimationError("weights contain NaN or infinite values")
        if bounds is not None and weights.size:
            lo, hi = bounds
            if strict and (weights.min() < lo - _OUT_OF_RANGE_TOLERANCE
                           or weights.max() > hi + _OUT_OF_RANGE_TOLERANCE):
                raise AnimationError(f"weights must lie in [{lo}, {hi}], found "
                                     f"[{weights.min():.4g}, {weights.max():.4g}]")
            weights = np.clip(weights, lo, hi)
        self.names = names
        self.fps = fps
        self.weights = weights
        self.bounds = bounds

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
        return Animation(self.names, self.fps, weights, bounds=self.bounds)

    def resample(self, fps: float) -> Animation:
        """The same motion at another frame rate, by linear interpolation at exact frame times."""
        fps = float(fps)
        if not (math.isfinite(fps) and 0.0 < fps <= MAX_FPS):
            raise AnimationError(f"fps must be in (0, {MAX_FPS:g}], got {fps}")
        if fps == self.fps or self.num_frames == 0:
            return Animation(self.names, fps, self.weights, bounds=self.bounds)
        count = max(1, round(self.num_frames * fps / self.fps))
        # Source position of target frame j, computed directly from j: no accumulated step error.
        pos = np.arange(count, dtype=np.float64) * (self.fps / fps)
        pos = np.minimum(pos, self.num_frames - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, self.num_frames - 1)
        frac = (pos - lo)[:, None].astype(np.float32)
        w = self.weights
        return Animation(self.names, fps, w[lo] * (1 - frac) + w[hi] * frac, bounds=self.bounds)

    # -- files -------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write by extension: .json (talkface), .csv (Live Link Face layout), .npz."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".json":
            doc = {"format": FORMAT, "version": FORMAT_VERSION, "fps": self.fps,
                   "names": list(self.names), "bounds": self.bounds,
                   "frames": [[round(float(v), 6) for v in row] for row in self.weights]}
            path.write_text(json.dumps(doc, separators=(",", ":")))
        elif suffix == ".csv":
            _write_live_link_csv(self, path)
        elif suffix == ".npz":
            np.savez_compressed(path, weights=self.weights, names=np.array(self.names),
                                fps=np.float64(self.fps),
                                bounds=np.array(self.bounds if self.bounds else (), np.float64))
        else:
            raise AnimationError(f"unknown animation format {suffix!r}: use .json, .csv or .npz")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, fps: float | None = None) -> Animation:
        """Read a file written by save() (or by Live Link Face, for .csv).

        CSV files carry no frame rate: it is measured from the timecodes unless `fps` is given.
        """
        path = Path(path)
        if not path.is_file():
            raise AnimationError(f"animation file not found: {path}")
        suffix = path.suffix.lower()
        try:
            if suffix == ".json":
                doc = json.loads(path.read_text())
                if doc.get("format") != FORMAT:
                    raise AnimationError(f"{path.name} is not a talkface animation")
                bounds = tuple(doc["bounds"]) if doc.get("bounds") else None
                frames = np.array(doc["frames"], dtype=np.float32).reshape(-1, len(doc["names"]))
                return cls(doc["names"], doc["fps"], frames, bounds=bounds, strict=True)
            if suffix == ".csv":
                return _read_live_link_csv(path, fps)
            if suffix == ".npz":
                with np.load(path, allow_pickle=False) as data:
                    b = data["bounds"]
                    return cls([str(n) for n in data["names"]], float(data["fps"]), data["weights"],
                               bounds=(float(b[0]), float(b[1])) if b.size else None, strict=True)
        except AnimationError:
            raise
        except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
            raise AnimationError(f"{path.name} is not a readable animation: {exc}") from None
        raise AnimationError(f"unknown animation format {suffix!r}: use .json, .csv or .npz")


def _live_link_name(name: str) -> str:
    return name[0].upper() + name[1:]


def _timecode(seconds: float, fps: float) -> str:
    """HH:MM:SS:FF.fff with FF counted at the nominal (whole) rate and .fff the sub-frame part."""
    nominal = round(fps)
    ticks = round(seconds * nominal * 1000)  # thousandths of a nominal frame: no rounding carry bugs
    frames, sub = divmod(ticks, 1000)
    whole, ff = divmod(frames, nominal)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}:{ff:02d}.{sub:03d}"


def _timecode_seconds(code: str, nominal: int) -> float:
    h, m, s, f = code.split(":")
    return int(h) * 3600 + int(m) * 60 + int(s) + float(f) / nominal


def _write_live_link_csv(anim: Animation, path: Path) -> None:
    if tuple(anim.names) != ARKIT_NAMES:
        raise AnimationError("Live Link Face CSV holds the 52 ARKit blendshapes only; "
                             "save other output spaces as .json or .npz")
    header = ["Timecode", "BlendShapeCount", *(_live_link_name(n) for n in ARKIT_NAMES),
              *LIVE_LINK_EXTRA]
    count = len(ARKIT_NAMES) + len(LIVE_LINK_EXTRA)
    extra = ["0"] * len(LIVE_LINK_EXTRA)
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(header)
        for i, row in enumerate(anim.weights):
            out.writerow([_timecode(i / anim.fps, anim.fps), count,
                          *(f"{v:.6g}" for v in row), *extra])


def _read_live_link_csv(path: Path, fps: float | None) -> Animation:
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0][:2] != ["Timecode", "BlendShapeCount"]:
        raise AnimationError(f"{path.name} is not a Live Link Face CSV (no Timecode header)")
    column = {name: i for i, name in enumerate(rows[0])}
    missing = [n for n in ARKIT_NAMES if _live_link_name(n) not in column]
    if missing:
        raise AnimationError(f"{path.name} lacks blendshape columns: {', '.join(missing[:5])}")
    body = [r for r in rows[1:] if r]
    cols = [column[_live_link_name(n)] for n in ARKIT_NAMES]
    weights = np.array([[float(r[c]) for c in cols] for r in body], dtype=np.float32)
    if fps is None:
        fps = _fps_from_timecodes([r[0] for r in body], path.name)
    return Animation(ARKIT_NAMES, fps, weights.reshape(-1, len(ARKIT_NAMES)), strict=True)


def _fps_from_timecodes(codes: list[str], name: str) -> float:
    if len(codes) < 2:
        raise AnimationError(f"{name}: too few frames to measure the frame rate; pass fps")
    # The nominal rate is the largest frame field + 1 only on long files; try each candidate.
    frame_fields = [float(c.split(":")[3]) for c in codes]
    for nominal in sorted({round(f) for f in COMMON_FPS}):
        if max(frame_fields) >= nominal:
            continue
        times = np.array([_timecode_seconds(c, nominal) for c in codes])
        steps = np.diff(times)
        if (steps <= 0).any():
            continue
        measured = (len(times) - 1) / (times[-1] - times[0])
        if round(measured) != nominal:
            continue
        closest = min(COMMON_FPS, key=lambda c: abs(c - measured))
        return closest if abs(closest - measured) <= _FPS_SNAP * closest else float(measured)
    raise AnimationError(f"{name}: cannot tell the frame rate from its timecodes; pass fps")
