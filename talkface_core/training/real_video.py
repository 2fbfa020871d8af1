"""Teacher and model vs real motion: jawOpen against MediaPipe's ARKit curves of real videos.

For each talking-face clip (audio + per-frame ARKit weights from a video), pocketsphinx first
recognises the words (no transcript is given), then force-aligns them for phone timings; the
teacher labels the audio, and its jawOpen is resampled to the video frame rate and compared
with the video's jawOpen: Pearson r at lags -10..+10 video frames (positive lag = the video's
jaw comes later than the teacher's). The per-frame audio RMS is the baseline the shared
README already measured. The shipped model's jawOpen (generate(), neutral) is compared the same
way: real voices of people no checkpoint was trained on, in real rooms.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..audio import load_audio
from ..blendshapes import ARKIT_INDEX
from ..data.align import AlignmentError, align
from ..data.teacher import FPS, teach

LAGS = range(-10, 11)


def recognise(audio: np.ndarray) -> str:
    """Words pocketsphinx hears with its general en-us language model."""
    from pocketsphinx import Decoder
    decoder = Decoder(samprate=16000, loglevel="FATAL")
    decoder.start_utt()
    decoder.process_raw((np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes(), full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr if hyp is not None else ""


def heard_phones(audio: np.ndarray) -> tuple[str, list[tuple[float, float, str]]]:
    """(the words pocketsphinx hears, their forced-aligned ARPAbet phones; [] when none align)."""
    text = recognise(audio)
    try:
        return text, (align(audio, text) if text else [])
    except AlignmentError:
        return text, []


def lagged_r(a: np.ndarray, b: np.ndarray, lag: int) -> float:
    """r between a[t] and b[t + lag]."""
    if lag >= 0:
        x, y = a[: len(a) - lag], b[lag:]
    else:
        x, y = a[-lag:], b[: len(b) + lag]
    n = min(len(x), len(y))
    x, y = x[:n], y[:n]
    if n < 10 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def compare_clip(flac: Path) -> dict:
    z = np.load(flac.with_suffix(".npz"), allow_pickle=False)
    video_fps = float(z["fps"])
    real = z["weights"][:, list(z["names"]).index("jawOpen")].astype(np.float64)
    audio = load_audio(flac)
    text, phones = heard_phones(audio)
    row: dict = {"clip": flac.stem, "words": len(text.split())}
    row["aligned"] = bool(phones)
    t_video = np.arange(len(real)) / video_fps
    hop = 16000 / video_fps
    curves = {"rms": np.array([np.sqrt(np.mean(audio[int(i * hop):int((i + 1) * hop)] ** 2) + 1e-12)
                               for i in range(len(real))]),
              "model": _model_jaw(audio, video_fps, len(real))}
    if phones:
        weights = teach(audio, phones, "arpabet", emotion="neutral", intensity=0.0, style=0, seed=0,
                        clip_id=flac.stem)
        curves["teacher"] = np.interp(t_video, (np.arange(len(weights)) + 0.5) / FPS,
                                      weights[:, ARKIT_INDEX["jawOpen"]])
    for name, curve in curves.items():
        rs = {lag: lagged_r(curve, real, lag) for lag in LAGS}
        best = max((lag for lag in rs if not np.isnan(rs[lag])), key=lambda k: rs[k], default=0)
        row[f"{name}_r0"] = round(rs[0], 3)
        row[f"{name}_best_r"] = round(rs[best], 3)
        row[f"{name}_best_lag"] = best
    return row


def _model_jaw(audio: np.ndarray, fps: float, frames: int) -> np.ndarray:
    from ..pipeline import generate
    jaw = generate(audio, emotion="neutral", fps=fps, blinks=False).channel("jawOpen")
    return np.pad(jaw, (0, max(frames - len(jaw), 0)), mode="edge")[:frames]


def compare_dir(folder: Path) -> list[dict]:
    return [compare_clip(f) for f in sorted(folder.glob("*.flac"))]
