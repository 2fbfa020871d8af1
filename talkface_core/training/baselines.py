"""Two reference methods every checkpoint is compared against, measured in the same run:
the mean pose (no motion at all) and a loudness-driven jaw flap (what simple lip-sync tools do)."""
from __future__ import annotations

import numpy as np

from ..blendshapes import ARKIT_INDEX
from ..model.log_mel import HOP, N_FFT, num_frames

_JAW = ARKIT_INDEX["jawOpen"]
# Shapes that part the lips: a loudness-driven mouth opens them with the jaw and shuts them in
# quiet frames (at a fixed mean pose they would hold the lips apart through every /p b m/).
_PARTING = [ARKIT_INDEX[n] for n in ("mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft",
                                     "mouthUpperUpRight", "mouthFunnel")]


def frame_loudness(samples: np.ndarray) -> np.ndarray:
    """RMS per feature frame (same centres as the log-mel frames), scaled to 0..1 by the
    utterance's 95th percentile so gain does not matter."""
    n = num_frames(len(samples))
    padded = np.pad(samples, (N_FFT // 2, N_FFT // 2))
    idx = np.arange(n)[:, None] * HOP + np.arange(N_FFT)[None, :]
    rms = np.sqrt((padded[np.minimum(idx, len(padded) - 1)] ** 2).mean(1))
    ref = np.percentile(rms, 95)
    return np.clip(rms / ref, 0, 1) if ref > 0 else np.zeros(n)


def mean_pose(mean: np.ndarray, frames: int) -> np.ndarray:
    return np.repeat(mean[None].astype(np.float32), frames, 0)


def jaw_flap(samples: np.ndarray, mean: np.ndarray, jaw_peak: float) -> np.ndarray:
    """Mean pose with jawOpen following loudness, peaking at the training data's typical peak,
    and the lip-parting shapes following it too (keeping their mean values on average)."""
    out = mean_pose(mean, num_frames(len(samples)))
    loud = frame_loudness(samples)
    out[:, _JAW] = loud * jaw_peak
    out[:, _PARTING] = np.clip(mean[_PARTING] * (loud / max(loud.mean(), 1e-6))[:, None], 0, 1)
    return out
