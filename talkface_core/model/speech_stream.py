"""What every speech encoder shares: frames lo..hi-1 of a file from one window of audio that
starts at frame lo, on the grid of log_mel.py (frame j centred on sample 320 j), and a whole clip
in consecutive windows."""
from __future__ import annotations

import numpy as np

from .log_mel import HOP, WINDOW_FRAMES, num_frames


class SpeechEncoderError(ImportError):
    """The packages that run the speech encoder a checkpoint needs are not installed."""


class WindowedEncoder:
    """Base of the speech encoders: subclasses give `_encode(audio, frames)` (one call on at
    most `max_frames` frames of audio), `name` and `dims`."""

    name: str
    dims: int
    max_frames: int = WINDOW_FRAMES

    def _encode(self, audio: np.ndarray, frames: int) -> np.ndarray:
        raise NotImplementedError

    def window(self, audio: np.ndarray) -> np.ndarray:
        """(frames of `audio`, dims) float32 for up to max_frames frames of audio, in one call."""
        if len(audio) > self.max_frames * HOP:
            raise ValueError(f"a window holds at most {self.max_frames * HOP} samples, got {len(audio)}")
        return self._encode(np.asarray(audio, np.float32), min(num_frames(len(audio)), self.max_frames))

    def frames(self, samples: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """(hi - lo, dims) float32; frames past the end of the audio repeat the last one."""
        if not 0 < hi - lo <= self.max_frames:
            raise ValueError(f"frames [{lo}, {hi}) do not fit one {self.max_frames}-frame window")
        out = self.window(samples[lo * HOP:hi * HOP])
        if len(out) < hi - lo:
            out = np.concatenate([out, np.repeat(out[-1:], hi - lo - len(out), 0)])
        return out[:hi - lo]

    def whole(self, samples: np.ndarray) -> np.ndarray:
        """A whole clip alone, in consecutive windows: (num_frames, dims) float32."""
        total, step = num_frames(len(samples)), self.max_frames
        return np.concatenate([self.frames(samples, lo, min(lo + step, total))
                               for lo in range(0, total, step)])
