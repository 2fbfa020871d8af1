"""Log-mel front end: 16 kHz samples -> 80 log-mel bands at 50 frames a second.

Frame f is centred on sample f * HOP (time f / 50 s), so frame times are exact and any slice of
frames can be computed from a slice of samples: `frame_range` gives the same numbers as the whole
file, which is what lets long audio stream through the network in windows without seams.

Normalisation is per utterance (per-band mean, one global scale): a gain change or a different
microphone tilt adds a constant per band in the log domain, and that constant is removed. The
statistics come from speech frames only (within 20 dB of the loud frames), and the quiet tail is
clipped, so digital silence (TTS) and a noisy room (real recordings) look alike and the amount
of silence around the speech does not shift the features.

Plain numpy (no torch): the same front end serves training and the torch-free runtime that runs
inside Blender when PyTorch is not installed.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..audio import SAMPLE_RATE

HOP = 320            # 20 ms -> 50 frames a second
N_FFT = 512
WIN = 400            # 25 ms analysis window
N_MELS = 80
FEATURE_RATE = SAMPLE_RATE / HOP
WINDOW_FRAMES = 1500  # 30 s at 50 Hz: Whisper's window, and the span the network runs over at once
_LOG_FLOOR = 1e-8    # about -80 dB under full scale: silence does not dominate the statistics
_MIN_SCALE = 0.5
SPEECH_RANGE = math.log(1e2)   # 20 dB below the loud frames (95th percentile of frame energy)
FLOOR = -2.5                   # normalised values below this (silence, noise floor) are clipped


def num_frames(num_samples: int) -> int:
    return num_samples // HOP + 1


def _mel_filterbank() -> np.ndarray:
    """HTK mel triangles (N_MELS x N_FFT/2+1), 20 Hz - 7.6 kHz."""
    def hz_to_mel(f: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def mel_to_hz(m: np.ndarray) -> np.ndarray:
        return 700.0 * (10 ** (m / 2595.0) - 1.0)

    mels = np.linspace(hz_to_mel(np.array(20.0)), hz_to_mel(np.array(7600.0)), N_MELS + 2)
    hz = mel_to_hz(mels)
    bins = np.linspace(0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    lo, mid, hi = hz[:-2, None], hz[1:-1, None], hz[2:, None]
    tri = np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid))
    return np.maximum(tri, 0.0).astype(np.float32)


def _window() -> np.ndarray:
    """Periodic Hann of WIN samples, centred in N_FFT (as an STFT pads a short window)."""
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WIN) / WIN)
    out = np.zeros(N_FFT, dtype=np.float32)
    left = (N_FFT - WIN) // 2
    out[left:left + WIN] = hann
    return out


_FILTERS = _mel_filterbank()
_WINDOW = _window()


def frame_range(samples: np.ndarray, start: int, stop: int) -> np.ndarray:
    """The samples frames [start, stop) need, zero-padded outside the signal."""
    first = start * HOP - N_FFT // 2
    last = (stop - 1) * HOP + N_FFT // 2
    out = np.zeros(last - first, dtype=np.float32)
    lo, hi = max(first, 0), min(last, len(samples))
    if hi > lo:
        out[lo - first:hi - first] = samples[lo:hi]
    return out


def log_mel(segment: np.ndarray) -> np.ndarray:
    """Raw log-mel (frames x N_MELS, float32) of a segment produced by frame_range."""
    frames = np.lib.stride_tricks.sliding_window_view(np.asarray(segment, np.float32), N_FFT)[::HOP]
    spec = np.fft.rfft(frames * _WINDOW, axis=1)
    power = (spec.real ** 2 + spec.imag ** 2).astype(np.float32)
    return np.log(power @ _FILTERS.T + _LOG_FLOOR).astype(np.float32)


@dataclass
class FeatureStats:
    """Running per-band sums over an utterance, so normalisation can be computed in chunks."""
    count: int = 0
    total: np.ndarray | None = None
    total_sq: np.ndarray | None = None

    def add(self, mel: np.ndarray) -> None:
        m = mel.astype(np.float64)
        s, s2 = m.sum(0), (m ** 2).sum(0)
        self.total = s if self.total is None else self.total + s
        self.total_sq = s2 if self.total_sq is None else self.total_sq + s2
        self.count += mel.shape[0]

    def normaliser(self) -> tuple[np.ndarray, np.float32]:
        """(mean per band, one scale): x_norm = (x - mean) / scale."""
        if self.count == 0:
            raise ValueError("no frames to normalise")
        mean = self.total / self.count
        var = np.maximum(self.total_sq / self.count - mean ** 2, 0).mean()
        return mean.astype(np.float32), np.float32(max(math.sqrt(var), _MIN_SCALE))


def frame_energy(mel: np.ndarray) -> np.ndarray:
    return mel.mean(1)


def speech_normaliser(chunks: Callable[[], Iterator[np.ndarray]]) -> tuple[np.ndarray, np.float32]:
    """(mean, scale) of an utterance from its speech frames. `chunks()` yields the raw log-mel in
    pieces and is called twice (energies, then statistics), so memory stays bounded."""
    energy = np.concatenate([frame_energy(m) for m in chunks()])
    threshold = np.quantile(energy, 0.95) - SPEECH_RANGE
    stats = FeatureStats()
    for mel in chunks():
        stats.add(mel[frame_energy(mel) > threshold])
    return stats.normaliser()


def normalise(mel: np.ndarray, mean: np.ndarray, scale: np.float32) -> np.ndarray:
    return np.maximum((mel - mean) / scale, FLOOR).astype(np.float32)


def utterance_features(samples: np.ndarray) -> np.ndarray:
    """Normalised log-mel (frames x N_MELS, float32) of a whole (short) utterance: what training sees."""
    mel = log_mel(frame_range(samples, 0, num_frames(len(samples))))
    return normalise(mel, *speech_normaliser(lambda: iter([mel])))
