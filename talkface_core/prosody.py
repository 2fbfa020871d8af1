"""Per-frame prosody of a 16 kHz clip at any frame rate: for the teacher (data/) and for the
post-processing layers that follow the voice at run time (postprocess/voice.py).

Level: RMS in dBFS over 30 ms. Loudness: the level mapped to 0..1 between the clip's quiet floor
and its loud peaks. Speaking: the level within SPEECH_RANGE_DB of those peaks. Pitch: normalised
autocorrelation peak in 70–400 Hz; unvoiced frames get NaN. Emphasis: louder and higher than the
clip's own average. Cheap (vectorised FFTs) and good enough to place accents and pauses.
"""
from __future__ import annotations

import numpy as np
import scipy.fft

from .audio import SAMPLE_RATE

# Speech sits within ~25 dB of its own loud syllables; room noise in real recordings lies lower.
SPEECH_RANGE_DB = 25.0
SILENCE_DBFS = -60.0


def _frames(audio: np.ndarray, n_frames: int, fps: float, win: int) -> np.ndarray:
    """(n_frames, win) float32 windows around the frame centres (zeros beyond the clip)."""
    centres = ((np.arange(n_frames) + 0.5) * SAMPLE_RATE / fps).astype(np.int64)
    padded = np.pad(audio.astype(np.float32), (win, win))
    starts = np.clip(centres, 0, len(audio)) + win - win // 2
    return padded[starts[:, None] + np.arange(win)[None, :]]


def level_db(audio: np.ndarray, n_frames: int, fps: float) -> np.ndarray:
    """RMS level in dBFS per frame, over 30 ms around the frame's centre."""
    frames = _frames(audio, n_frames, fps, int(0.03 * SAMPLE_RATE))
    return 10.0 * np.log10(np.mean(frames**2, axis=1, dtype=np.float64) + 1e-10)


def loudness(audio: np.ndarray, n_frames: int, fps: float) -> np.ndarray:
    """loudness_of the clip's level."""
    return loudness_of(level_db(audio, n_frames, fps))


def loudness_of(db: np.ndarray) -> np.ndarray:
    """0..1 per frame: 0 at the clip's 10th-percentile level (or -60 dBFS), 1 at its 95th."""
    if not len(db):
        return np.zeros(0)
    lo = max(np.percentile(db, 10), SILENCE_DBFS)
    hi = max(np.percentile(db, 95), lo + 10.0)
    return np.clip((db - lo) / (hi - lo), 0.0, 1.0)


def speaking_of(db: np.ndarray) -> np.ndarray:
    """True per frame where the level `db` is within SPEECH_RANGE_DB of the clip's loud peaks
    (its 95th percentile) and above SILENCE_DBFS: relative, so a quiet recording still has its
    pauses."""
    if not len(db):
        return np.zeros(0, bool)
    return db > max(np.percentile(db, 95) - SPEECH_RANGE_DB, SILENCE_DBFS)


def pitch(audio: np.ndarray, n_frames: int, fps: float) -> np.ndarray:
    """F0 in Hz per frame (NaN where unvoiced or silent)."""
    win = int(0.04 * SAMPLE_RATE)
    frames = _frames(audio, n_frames, fps, win)
    frames = frames - frames.mean(axis=1, keepdims=True)
    lag_lo, lag_hi = SAMPLE_RATE // 400, SAMPLE_RATE // 70
    # Zero-padded to a power of two past win + lag_hi: the lags searched never wrap around, so the
    # autocorrelation is the linear one (as with 2 * win) at about half the FFT work.
    size = 1 << int(np.ceil(np.log2(win + lag_hi)))
    spec = scipy.fft.rfft(frames * np.hanning(win).astype(np.float32), n=size, axis=1, workers=-1)
    ac = scipy.fft.irfft(np.abs(spec) ** 2, n=size, axis=1, workers=-1)[:, :lag_hi + 1]
    peak = lag_lo + np.argmax(ac[:, lag_lo:lag_hi], axis=1)
    strength = ac[np.arange(n_frames), peak] / (ac[:, 0] + 1e-12)
    energy = np.mean(frames**2, axis=1, dtype=np.float64)
    voiced = (strength > 0.45) & (energy > 1e-6)
    return np.where(voiced, SAMPLE_RATE / peak, np.nan)


def emphasis(audio: np.ndarray, n_frames: int, fps: float) -> np.ndarray:
    """0..1 per frame: where the voice is louder and higher than its own average (accents)."""
    return emphasis_of(loudness(audio, n_frames, fps), pitch(audio, n_frames, fps), fps)


def emphasis_of(loud: np.ndarray, f0: np.ndarray, fps: float) -> np.ndarray:
    """emphasis() from loudness and pitch already measured (at the same frames)."""
    n_frames = len(loud)
    voiced = ~np.isnan(f0)
    semis = np.zeros(n_frames)
    if voiced.sum() > 3:
        st = 12.0 * np.log2(f0[voiced])
        semis[voiced] = np.clip((st - np.median(st)) / 4.0, -1.0, 1.0)  # +-4 semitones = full range
    raw = 0.6 * loud + 0.4 * np.clip(semis, 0.0, 1.0)
    return np.clip(smooth(raw, int(round(0.12 * fps))), 0.0, 1.0)


def smooth(x: np.ndarray, width: int) -> np.ndarray:
    """Moving average over `width` frames along axis 0 (edges padded with their own values)."""
    if width <= 1:
        return x
    kernel = np.hanning(width + 2)[1:-1]
    kernel /= kernel.sum()
    pad = width // 2
    xp = np.pad(x, [(pad, width - 1 - pad)] + [(0, 0)] * (x.ndim - 1), mode="edge")
    if x.ndim == 1:
        return np.convolve(xp, kernel, mode="valid")
    return np.stack([np.convolve(xp[:, k], kernel, mode="valid") for k in range(x.shape[1])], axis=1)
