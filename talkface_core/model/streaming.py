"""Run the network over audio of any length in overlapping windows, in bounded memory.

Pass 1 reads the features window by window (twice: frame energies, then speech statistics) to
get the utterance normaliser. Pass 2 runs each
window with `context` extra frames either side (cut off again), and cross-fades consecutive
windows over `overlap` frames. The network's receptive field is smaller than the context, so each
kept frame equals what one pass over the whole file would give, and the cross-fade blends two
nearly identical curves: no seam, whatever the window size.

The model is anything with `cfg` (NetConfig), `predict(mel, conditioning, style)` and
`predict_emotion(mel)`: TalkNet (PyTorch, CPU or GPU) or NumpyTalkNet (no PyTorch needed).
`run_windows` gives the animation; `read_emotion` the voice's own emotion reading per frame.

A checkpoint that also reads a speech encoder's stream gets it per window from `speech`, one
encoder call per window (context included), so windows shrink to fit the encoder's 30 s. Those
features depend a little on the window they were computed in (Whisper attends over its whole
window), so two windows disagree slightly where they overlap; the cross-fade blends them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, Union

import numpy as np

from .config import NetConfig
from .log_mel import WINDOW_FRAMES, frame_range, log_mel, normalise, num_frames, speech_normaliser
from .speech_stream import WindowedEncoder

OVERLAP_FRAMES = 50      # 1 s cross-fade


class Runner(Protocol):
    cfg: NetConfig

    def predict(self, mel: np.ndarray, conditioning: np.ndarray, style: int) -> np.ndarray: ...

    def predict_emotion(self, mel: np.ndarray) -> np.ndarray: ...


# The emotion input over a clip: (frames, n_emotions) emotion x intensity at the feature rate, or
# a function of a window's network input giving it for that window (the voice's own reading).
Conditioning = Union[np.ndarray, Callable[[np.ndarray], np.ndarray]]


class Cancelled(Exception):
    """The caller's cancel() returned True; generation stopped between windows."""


def check_receptive_field(cfg: NetConfig, max_frames: int = WINDOW_FRAMES,
                          overlap: int = OVERLAP_FRAMES) -> None:
    """ValueError unless the frames the network sees either side of a frame (its context, with
    the emotion_pool's half) leave room, in one `max_frames` speech-encoder window, for a window
    of at least two cross-fades."""
    context = cfg.context_frames() + 1
    if max_frames - 2 * context < 2 * overlap:
        raise ValueError(
            f"the network sees {context - 1} frames either side of each frame (emotion_pool "
            f"{cfg.emotion_pool}, dilations {list(cfg.content_dilations)} / "
            f"{list(cfg.emotion_dilations)} / {list(cfg.decoder_dilations)}); a {max_frames}-frame "
            f"window with {overlap}-frame cross-fades allows at most "
            f"{(max_frames - 2 * overlap) // 2 - 1}")


def _spans(total: int, window: int, overlap: int) -> list[tuple[int, int]]:
    step = window - overlap
    starts = range(0, max(total - overlap, 1), step)
    return [(s, min(s + window, total)) for s in starts]


def _check(cancel: Callable[[], bool] | None) -> None:
    if cancel is not None and cancel():
        raise Cancelled("generation cancelled")


def _stats_chunks(samples: np.ndarray, total: int, window: int) -> Iterator[np.ndarray]:
    for start in range(0, total, window):
        yield log_mel(frame_range(samples, start, min(start + window, total)))


def _stream(model: Runner, samples: np.ndarray, per_window: Callable[[np.ndarray, int, int], np.ndarray],
            width: int, speech: WindowedEncoder | None, window: int, overlap: int,
            progress: Callable[[int, int], None] | None, cancel: Callable[[], bool] | None) -> np.ndarray:
    """(frames, width) float32 at the feature rate: per_window(network input, lo, hi) for each
    window of frames lo..hi (context included), cut to its span and cross-faded."""
    if bool(model.cfg.n_speech) != (speech is not None):
        raise ValueError(f"this checkpoint needs speech encoder {model.cfg.speech_encoder!r}"
                         if model.cfg.n_speech else "this checkpoint reads log-mel only; pass no speech encoder")
    context = model.cfg.context_frames() + 1
    if speech is not None:
        check_receptive_field(model.cfg, speech.max_frames, overlap)
        window = min(window, speech.max_frames - 2 * context)
    if overlap * 2 > window:
        raise ValueError("overlap must be at most half the window")
    total = num_frames(len(samples))
    spans = _spans(total, window, overlap)
    n_stats = -(-total // window)
    steps = 2 * n_stats + len(spans)
    done = 0

    def chunks() -> Iterator[np.ndarray]:
        nonlocal done
        for mel in _stats_chunks(samples, total, window):
            _check(cancel)
            yield mel
            done += 1
            if progress:
                progress(done, steps)

    mean, scale = speech_normaliser(chunks)

    out = np.zeros((total, width), dtype=np.float32)
    fade_in = np.linspace(0.0, 1.0, overlap + 2, dtype=np.float32)[1:-1, None]
    prev_end = 0
    for start, stop in spans:
        _check(cancel)
        lo, hi = max(start - context, 0), min(stop + context, total)
        mel = normalise(log_mel(frame_range(samples, lo, hi)), mean, scale)
        if speech is not None:
            mel = np.concatenate([mel, speech.frames(samples, lo, hi)], 1)
        y = per_window(mel, lo, hi)[start - lo:stop - lo]
        seam = min(prev_end - start, stop - start)
        if seam > 0:  # cross-fade the frames the previous window already wrote
            ramp = fade_in if seam == overlap else np.linspace(0, 1, seam + 2, dtype=np.float32)[1:-1, None]
            out[start:start + seam] = out[start:start + seam] * (1 - ramp) + y[:seam] * ramp
            out[start + seam:stop] = y[seam:]
        else:
            out[start:stop] = y
        prev_end = stop
        done += 1
        if progress:
            progress(done, steps)
    return out


def run_windows(model: Runner, samples: np.ndarray, *, conditioning: Conditioning, style: int,
                speech: WindowedEncoder | None = None, window: int = WINDOW_FRAMES,
                overlap: int = OVERLAP_FRAMES, progress: Callable[[int, int], None] | None = None,
                cancel: Callable[[], bool] | None = None) -> np.ndarray:
    """(frames, n_outputs) float32 weights at the feature rate. conditioning: the emotion input
    (see Conditioning; emotion_timeline.EmotionTimeline.conditioning makes the array). speech: the
    encoder the checkpoint names (model.cfg.speech_encoder), required exactly when it names one."""
    if not callable(conditioning):
        conditioning = np.asarray(conditioning, dtype=np.float32)
        expected = (num_frames(len(samples)), model.cfg.n_emotions)
        if conditioning.shape != expected:
            raise ValueError(f"conditioning must be {expected} (frames, emotions), got {conditioning.shape}")

    def weights(mel: np.ndarray, lo: int, hi: int) -> np.ndarray:
        emotion = conditioning(mel) if callable(conditioning) else conditioning[lo:hi]
        return model.predict(mel, emotion, style)

    return _stream(model, samples, weights, model.cfg.n_outputs, speech, window, overlap, progress, cancel)


def read_emotion(model: Runner, samples: np.ndarray, *, speech: WindowedEncoder | None = None,
                 window: int = WINDOW_FRAMES, overlap: int = OVERLAP_FRAMES,
                 progress: Callable[[int, int], None] | None = None,
                 cancel: Callable[[], bool] | None = None) -> np.ndarray:
    """(frames, n_emotions) float32: the voice's own emotion probabilities (the network's
    classifier, smoothed over ~2 s) at the feature rate."""
    return _stream(model, samples, lambda mel, _lo, _hi: model.predict_emotion(mel), model.cfg.n_emotions,
                   speech, window, overlap, progress, cancel)
