"""Audio input: any file soundfile reads -> validated float32 mono at 16 kHz in [-1, 1].

Files are read in blocks and resampled as a stream, so an hour of 48 kHz stereo never sits in
memory as float64: only the 16 kHz float32 result (about 230 MB an hour) is kept whole.
"""
from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

SAMPLE_RATE = 16_000
MIN_SAMPLE_RATE = 8_000
MAX_SAMPLE_RATE = 384_000
DEFAULT_MAX_SECONDS = 2 * 3600.0

_BLOCK_FRAMES = 1 << 16
# A peak under one 16-bit step is digital silence, whatever the container claims.
_SILENT_PEAK = 1.0 / 32768
_CLIP_LEVEL = 0.999
_CLIPPED_FRACTION_WARN = 1e-3
_LOW_PEAK_DBFS = -35.0


class AudioError(ValueError):
    """Audio that talkface cannot animate; the message says what is wrong and with which file."""


class AudioWarning(UserWarning):
    """Audio that works but may animate poorly (clipping, very low level)."""


def load_audio(path: str | os.PathLike[str], *, max_seconds: float = DEFAULT_MAX_SECONDS) -> np.ndarray:
    """Read an audio file into float32 mono 16 kHz samples in [-1, 1], or raise AudioError."""
    path = Path(path)
    if not path.exists():
        raise AudioError(f"audio file not found: {path}")
    if not path.is_file():
        raise AudioError(f"not a file: {path}")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioError(f"{path.name} is not an audio file that can be read "
                         f"(wav, flac, ogg, mp3): {exc}") from None
    name = path.name
    _check_header(name, info.samplerate, info.frames, max_seconds)
    try:
        with sf.SoundFile(str(path)) as f:
            blocks = f.blocks(blocksize=_BLOCK_FRAMES, dtype="float32", always_2d=True)
            return _process(name, blocks, info.samplerate)
    except sf.LibsndfileError as exc:
        raise AudioError(f"{name} is damaged and could not be read to the end: {exc}") from None


def check_samples(samples: np.ndarray, sample_rate: float, *,
                  max_seconds: float = DEFAULT_MAX_SECONDS, name: str = "audio") -> np.ndarray:
    """Validate samples held in memory ((n,) or (n, channels)) like load_audio validates a file."""
    samples = np.asarray(samples)
    if samples.dtype.kind not in "fiu":
        raise AudioError(f"{name}: samples must be numbers, not {samples.dtype}")
    if samples.ndim == 1:
        samples = samples[:, None]
    if samples.ndim != 2:
        raise AudioError(f"{name}: samples must be 1-D or (frames, channels), got shape {samples.shape}")
    if samples.dtype.kind in "iu":  # integer PCM: scale to [-1, 1] like soundfile does
        samples = samples.astype(np.float32) / float(np.iinfo(samples.dtype).max)
    if not math.isfinite(sample_rate) or sample_rate != int(sample_rate):
        raise AudioError(f"{name}: sample rate must be a whole number of Hz, got {sample_rate}")
    _check_header(name, int(sample_rate), samples.shape[0], max_seconds)
    blocks = (samples[i:i + _BLOCK_FRAMES] for i in range(0, samples.shape[0], _BLOCK_FRAMES))
    return _process(name, blocks, int(sample_rate))


def _check_header(name: str, rate: int, frames: int, max_seconds: float) -> None:
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise AudioError(f"{name}: sample rate {rate} Hz is outside the supported "
                         f"{MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz")
    if frames <= 0:
        raise AudioError(f"{name} has no samples (zero length)")
    seconds = frames / rate
    if seconds > max_seconds:
        raise AudioError(f"{name} is {_clock(seconds)} long; the limit is {_clock(max_seconds)} "
                         "(split the file, or raise max_seconds)")


def _process(name: str, blocks: Iterable[np.ndarray], rate: int) -> np.ndarray:
    """Mono-mix, check and resample a stream of (n, channels) blocks; keep only the 16 kHz result."""
    peak = 0.0
    clipped = 0
    total = 0

    def checked_mono() -> Iterator[np.ndarray]:
        nonlocal peak, clipped, total
        for block in blocks:
            mono = block.astype(np.float32, copy=False).mean(axis=1, dtype=np.float32)
            if not np.isfinite(mono).all():
                bad = total + int(np.flatnonzero(~np.isfinite(mono))[0])
                raise AudioError(f"{name} contains NaN or infinite samples "
                                 f"(first at {_clock(bad / rate)})")
            magnitude = np.abs(mono)
            peak = max(peak, float(magnitude.max(initial=0.0)))
            clipped += int(np.count_nonzero(magnitude >= _CLIP_LEVEL))
            total += mono.shape[0]
            yield mono

    pieces = list(_resample_stream(checked_mono(), rate))
    if total == 0:
        raise AudioError(f"{name} has no samples (zero length)")
    if peak < _SILENT_PEAK:
        raise AudioError(f"{name} is completely silent: there is no voice to animate")
    if clipped > _CLIPPED_FRACTION_WARN * total:
        warnings.warn(f"{name}: {100 * clipped / total:.2f}% of samples are clipped; "
                      "lip sync may suffer", AudioWarning, stacklevel=3)
    peak_dbfs = 20 * math.log10(peak)
    if peak_dbfs < _LOW_PEAK_DBFS:
        warnings.warn(f"{name}: very low level (peak {peak_dbfs:.0f} dBFS); "
                      "check the recording gain", AudioWarning, stacklevel=3)
    out = np.concatenate(pieces).astype(np.float32, copy=False)
    return np.clip(out, -1.0, 1.0, out=out)


def _resample_stream(blocks: Iterable[np.ndarray], rate: int) -> Iterator[np.ndarray]:
    """Polyphase-resample a mono stream to 16 kHz in chunks whose output equals one-shot resample_poly.

    Chunks start on multiples of `down`, so each lands on an exact output sample, and carry enough
    context on both sides to cover scipy's default filter (half-length 10 * max(up, down) taps at
    the upsampled rate); the context's outputs are trimmed away.
    """
    g = math.gcd(rate, SAMPLE_RATE)
    up, down = SAMPLE_RATE // g, rate // g
    if up == down:
        yield from blocks
        return
    ctx = down * math.ceil((10 * max(up, down) // up + 2) / down)
    step = down * max(1, _BLOCK_FRAMES // down)
    buf = np.zeros(0, np.float32)
    buf_start = 0  # absolute input index of buf[0]
    next_start = 0  # absolute input index of the next chunk to emit (multiple of down)

    def emit(stop: int, final: bool) -> np.ndarray:
        seg_start = max(0, next_start - ctx)
        seg = buf[seg_start - buf_start: (stop + (0 if final else ctx)) - buf_start]
        y = resample_poly(seg, up, down)
        first = (next_start - seg_start) * up // down
        return y[first:] if final else y[first: first + (stop - next_start) * up // down]

    for block in blocks:
        buf = np.concatenate([buf, block])
        while buf_start + buf.shape[0] >= next_start + step + ctx:
            yield emit(next_start + step, final=False).astype(np.float32)
            next_start += step
            keep_from = next_start - ctx - buf_start
            if keep_from > 0:
                buf, buf_start = buf[keep_from:], buf_start + keep_from
    if buf_start + buf.shape[0] > next_start:
        yield emit(buf_start + buf.shape[0], final=True).astype(np.float32)


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
