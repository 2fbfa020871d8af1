"""Audio augmentation for real recording conditions.

degrade(): noise at an SNR, room reverb, a band limit (phone or laptop mic), gain, and a
sample-rate round trip — the labels stay valid because timing is untouched. Usable at
training time on any 16 kHz clip.
change_speed(): a slight tempo change (resampling, so pitch moves with it); the caller scales
phone timings by the returned factor and re-runs the teacher (build.py does).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy.signal import butter, fftconvolve, resample_poly, sosfilt

from ..audio import SAMPLE_RATE

SNR_DB = (5.0, 10.0, 20.0, 30.0)
BANDS_HZ = {"phone": (300.0, 3400.0), "laptop": (150.0, 7000.0)}
ROUND_TRIP_RATES = (8000, 11025, 22050, 44100)


def add_noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """White or brown-ish (room hum) noise at `snr_db` below the speech power."""
    noise = rng.normal(0.0, 1.0, len(audio))
    if rng.random() < 0.5:
        noise = np.cumsum(noise)
        noise -= np.convolve(noise, np.ones(400) / 400, mode="same")  # no DC drift
    power = float(np.mean(audio.astype(np.float64) ** 2)) + 1e-12
    noise *= np.sqrt(power / (np.mean(noise**2) + 1e-12) / 10 ** (snr_db / 10))
    return audio + noise


def reverb(audio: np.ndarray, rt60_s: float, wet: float, rng: np.random.Generator) -> np.ndarray:
    """Exponentially decaying noise as a room impulse response (RT60 = -60 dB time)."""
    n = int(rt60_s * SAMPLE_RATE)
    ir = rng.normal(0.0, 1.0, n) * np.exp(-6.9 * np.arange(n) / n)
    ir[0] = 0.0
    ir /= np.sqrt(np.sum(ir**2)) + 1e-12
    wet_signal = fftconvolve(audio, ir)[: len(audio)]
    return (1.0 - wet) * audio + wet * wet_signal


def band_limit(audio: np.ndarray, band: str) -> np.ndarray:
    lo, hi = BANDS_HZ[band]
    sos = butter(4, [lo, hi], btype="bandpass", fs=SAMPLE_RATE, output="sos")
    return sosfilt(sos, audio)


def round_trip(audio: np.ndarray, rate: int) -> np.ndarray:
    ratio = Fraction(rate, SAMPLE_RATE)
    down = resample_poly(audio, ratio.numerator, ratio.denominator)
    return resample_poly(down, ratio.denominator, ratio.numerator)[: len(audio)]


def degrade(audio: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """A random mix of conditions; returns the audio (float32, peak <= 0.99) and what was done."""
    done: dict = {}
    out = audio.astype(np.float64)
    if rng.random() < 0.5:
        done["reverb_rt60"] = round(float(rng.uniform(0.2, 0.8)), 2)
        out = reverb(out, done["reverb_rt60"], float(rng.uniform(0.2, 0.5)), rng)
    if rng.random() < 0.4:
        done["band"] = str(rng.choice(list(BANDS_HZ)))
        out = band_limit(out, done["band"])
    if rng.random() < 0.4:
        done["round_trip_hz"] = int(rng.choice(ROUND_TRIP_RATES))
        out = round_trip(out, done["round_trip_hz"])
    if rng.random() < 0.7 or not done:
        done["snr_db"] = float(rng.choice(SNR_DB))
        out = add_noise(out, done["snr_db"], rng)
    done["gain_db"] = round(float(rng.uniform(-18.0, 3.0)), 1)
    out *= 10 ** (done["gain_db"] / 20)
    peak = np.abs(out).max()
    if peak > 0.99:
        out *= 0.99 / peak
    return out.astype(np.float32), done


def change_speed(audio: np.ndarray, factor: float) -> np.ndarray:
    """Play `factor` times faster (0.9..1.1 is natural); durations scale by 1/factor."""
    ratio = Fraction(factor).limit_denominator(50)
    return resample_poly(audio, ratio.denominator, ratio.numerator).astype(np.float32)
