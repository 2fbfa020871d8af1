"""What every speech encoder shares: frames lo..hi-1 of a file from one window of audio that
starts at frame lo, on the grid of features.py (frame j centred on sample 320 j)."""
from __future__ import annotations

import numpy as np

from .features import HOP


class SpeechEncoderError(ImportError):
    """The packages that run the speech encoder a checkpoint needs are not installed."""


class WindowedEncoder:
    """Base of the speech encoders: subclasses give `window(audio)` (frames of up to
    `max_frames` frames of audio, in one call), `name` and `dims`."""

    name: str
    dims: int
    max_frames: int

    def window(self, audio: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def frames(self, samples: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """(hi - lo, dims) float32; frames past the end of the audio repeat the last one."""
        if not 0 < hi - lo <= self.max_frames:
            raise ValueError(f"frames [{lo}, {hi}) do not fit one {self.max_frames}-frame window")
        out = self.window(samples[lo * HOP:hi * HOP])
        if len(out) < hi - lo:
            out = np.concatenate([out, np.repeat(out[-1:], hi - lo - len(out), 0)])
        return out[:hi - lo]
