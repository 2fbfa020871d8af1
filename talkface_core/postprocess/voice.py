"""Voice: what the post-processing layers know about the recording they animate.

Measured once per clip by generate(), at ANALYSIS_FPS whatever the output frame rate, so a clip
moves the same way at 24 and at 60 fps: loudness, pitch in semitones against the clip's own
median, where the person speaks, the phrases between pauses, the accented syllables, and the clip's
seed. Layers place their events in seconds and sample them at the animation's frame times.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
from scipy.signal import find_peaks

from .. import prosody
from ..audio import SAMPLE_RATE

# 20 ms steps: finer than any event placed from it (syllables, pauses, accents), and half the
# cost of 10 ms on a long clip (the pitch tracker is the runtime's dearest layer input).
ANALYSIS_FPS = 50.0
# A silence this long ends a phrase: 250 ms is the usual floor of juncture (not articulatory)
# pauses since Goldman-Eisler (1968); stop closures inside words last under ~150 ms.
MIN_PAUSE_S = 0.25
MIN_PHRASE_S = 0.15       # shorter bursts (a click, a breath) are not a phrase
# Accents: peaks of the emphasis curve (louder and higher than the clip's average) at least a
# syllable apart (~4-5 syllables/s in conversational English), above ACCENT_MIN.
ACCENT_MIN = 0.45
ACCENT_SPACING_S = 0.25

# Each layer draws from its own stream of the clip's seed: changing one layer's options never
# changes another layer's choices.
STREAMS = {"head": 1, "gaze": 2, "blinks": 3, "face": 4}


def audio_digest(samples: np.ndarray) -> int:
    """A 64-bit hash of the recording's content: its 16 kHz samples as 16-bit integers (a 16 kHz
    16-bit file hashes the same on every machine; resampled audio can differ where resamplers do)."""
    pcm = np.round(np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    return int.from_bytes(hashlib.blake2b(pcm.tobytes(), digest_size=8).digest(), "little")


def _runs(mask: np.ndarray) -> np.ndarray:
    """(k, 2) start/end indices (end exclusive) of the True runs of a boolean array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.stack([np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)], axis=1)


@dataclass(frozen=True)
class Voice:
    """Prosody of one clip at ANALYSIS_FPS, and its seed.

    seed: the request's seed mixed with a hash of the audio content, so two clips never share
    their gaze, blink or head-motion choices while one clip regenerates identically.
    """

    duration: float
    loudness: np.ndarray                  # 0..1 per analysis frame
    semitones: np.ndarray                 # F0 against the clip's voiced median; NaN unvoiced
    speaking: np.ndarray                  # bool per analysis frame
    emphasis: np.ndarray                  # 0..1 per analysis frame
    seed: tuple[int, int] = (0, 0)        # (request seed, audio digest)
    phrases: np.ndarray = field(init=False)   # (k, 2) start/end seconds of speech between pauses

    def __post_init__(self) -> None:
        object.__setattr__(self, "phrases", self._phrases())

    @classmethod
    def of(cls, samples: np.ndarray, seed: int = 0) -> Voice:
        """Measure a 16 kHz recording."""
        duration = len(samples) / SAMPLE_RATE
        n = max(round(duration * ANALYSIS_FPS), 1)
        db = prosody.level_db(samples, n, ANALYSIS_FPS)     # once: loudness and speaking share it
        f0 = prosody.pitch(samples, n, ANALYSIS_FPS)
        voiced = ~np.isnan(f0)
        semitones = np.full(n, np.nan)
        if voiced.any():
            st = 12.0 * np.log2(f0[voiced])
            semitones[voiced] = st - np.median(st)
        loudness = prosody.loudness_of(db)
        return cls(duration, loudness, semitones, prosody.speaking_of(db),
                   prosody.emphasis_of(loudness, f0, ANALYSIS_FPS), (int(seed), audio_digest(samples)))

    @classmethod
    def silent(cls, duration: float, seed: int = 0) -> Voice:
        """No voice at all (layers still place their behaviour: gaze, blinks)."""
        n = max(round(duration * ANALYSIS_FPS), 1)
        zeros = np.zeros(n)
        return cls(duration, zeros, np.full(n, np.nan), zeros.astype(bool), zeros, (int(seed), 0))

    @property
    def times(self) -> np.ndarray:
        return (np.arange(len(self.loudness)) + 0.5) / ANALYSIS_FPS

    def rng(self, stream: str) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([*self.seed, STREAMS[stream]]))

    def _phrases(self) -> np.ndarray:
        # Bridge silences shorter than a pause, then drop bursts too short to be speech.
        speech = self.speaking.copy()
        for a, b in _runs(~speech):
            if a > 0 and b < len(speech) and (b - a) / ANALYSIS_FPS < MIN_PAUSE_S:
                speech[a:b] = True
        runs = _runs(speech)
        runs = runs[(runs[:, 1] - runs[:, 0]) / ANALYSIS_FPS >= MIN_PHRASE_S]
        return runs.astype(np.float64).reshape(-1, 2) / ANALYSIS_FPS

    def accents(self) -> tuple[np.ndarray, np.ndarray]:
        """(times s, strength 0..1) of accented syllables: emphasis peaks while speaking and
        voiced; strength 0 at ACCENT_MIN, 1 at the curve's top."""
        peaks, props = find_peaks(self.emphasis, height=ACCENT_MIN,
                                  distance=max(int(ACCENT_SPACING_S * ANALYSIS_FPS), 1))
        keep = self.speaking[peaks] & ~np.isnan(self.semitones[peaks])
        peaks, height = peaks[keep], props["peak_heights"][keep]
        strength = np.clip((height - ACCENT_MIN) / (1.0 - ACCENT_MIN), 0.0, 1.0)
        return self.times[peaks], strength

    def in_phrase(self) -> np.ndarray:
        """True per analysis frame inside a phrase."""
        inside = np.zeros(len(self.times), bool)
        for start, end in self.phrases:
            inside[int(start * ANALYSIS_FPS):int(end * ANALYSIS_FPS)] = True
        return inside

    def intonation(self, smooth_s: float = 0.3, limit: float = 6.0) -> np.ndarray:
        """The pitch contour in semitones (clipped to +-limit): bridged across unvoiced sounds
        inside phrases, 0 in pauses, smoothed over smooth_s."""
        voiced = ~np.isnan(self.semitones)
        contour = np.zeros(len(self.times))
        if voiced.any():
            contour = np.interp(self.times, self.times[voiced], self.semitones[voiced])
        contour = np.where(self.in_phrase(), np.clip(contour, -limit, limit), 0.0)
        return prosody.smooth(contour, int(round(smooth_s * ANALYSIS_FPS)))

    def at(self, values: np.ndarray, frame_times: np.ndarray) -> np.ndarray:
        """An analysis-rate curve sampled at output frame times (linear)."""
        return np.interp(frame_times, self.times, values)
