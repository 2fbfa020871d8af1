"""Curves from events placed in seconds, sampled at an animation's frame times (vectorised).

- pulses: a rise-and-fall shape at each event (blinks, brow raises, nods), summed.
- holds: a value held from each event on, reached by a minimum-jerk move (fixations after a
  saccade, head postures after a phrase boundary).
Events keep their sub-frame times, so the same clip moves alike at 24 and 60 fps.
"""
from __future__ import annotations

import numpy as np


def frame_times(n_frames: int, fps: float) -> np.ndarray:
    return np.arange(n_frames) / fps


def rise_fall(t: np.ndarray, rise: float, fall: float) -> np.ndarray:
    """0 -> 1 over `rise` seconds before t = 0, then 1 -> 0 over `fall` seconds (sin² / cos²)."""
    up = np.sin(np.clip(1 + t / rise, 0, 1) * np.pi / 2) ** 2
    down = np.cos(np.clip(t / fall, 0, 1) * np.pi / 2) ** 2
    return np.where(t < 0, up, down)


def pulses(times: np.ndarray, amplitudes: np.ndarray, n_frames: int, fps: float,
           rise: float, fall: float) -> np.ndarray:
    """Sum over events of amplitude * rise_fall(frame time - event time)."""
    out = np.zeros(n_frames)
    times = np.asarray(times, np.float64)
    if not len(times) or not n_frames:
        return out
    first = np.floor((times - rise) * fps).astype(np.int64)
    width = int(np.ceil((rise + fall) * fps)) + 2
    frames = first[:, None] + np.arange(width)[None, :]
    inside = (frames >= 0) & (frames < n_frames)
    shape = rise_fall(frames / fps - times[:, None], rise, fall)
    np.add.at(out, frames[inside], (np.asarray(amplitudes, np.float64)[:, None] * shape)[inside])
    return out


def minimum_jerk(p: np.ndarray) -> np.ndarray:
    """The smooth 0 -> 1 profile of a point-to-point movement (Flash & Hogan 1985)."""
    p = np.clip(p, 0.0, 1.0)
    return p**3 * (10 - 15 * p + 6 * p**2)


def holds(times: np.ndarray, values: np.ndarray, durations: np.ndarray | float, n_frames: int,
          fps: float, initial: np.ndarray | float = 0.0) -> np.ndarray:
    """(n_frames, D): `initial` until the first event; from event k on, a minimum-jerk move of
    durations[k] seconds from the value then reached to values[k], then held. A move cut short by
    the next event starts that one from where it got to."""
    values = np.asarray(values, np.float64).reshape(len(times), -1)
    initial = np.broadcast_to(np.asarray(initial, np.float64), (values.shape[1],))
    t = frame_times(n_frames, fps)
    if not len(times):
        return np.tile(initial, (n_frames, 1))
    times = np.asarray(times, np.float64)
    durations = np.broadcast_to(np.asarray(durations, np.float64), times.shape)
    # Where each move really starts from: the previous move's value at this event's time.
    starts = np.empty_like(values)
    previous = initial
    for k in range(len(times)):       # one step per event (tens a minute), never per frame
        starts[k] = previous
        if k + 1 < len(times):
            done = minimum_jerk((times[k + 1] - times[k]) / max(durations[k], 1e-9))
            previous = starts[k] + (values[k] - starts[k]) * done
    k = np.searchsorted(times, t, side="right") - 1
    before = k < 0
    k = np.maximum(k, 0)
    progress = minimum_jerk((t - times[k]) / np.maximum(durations[k], 1e-9))[:, None]
    out = starts[k] + (values[k] - starts[k]) * progress
    out[before] = initial
    return out
