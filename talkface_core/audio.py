"""Audio input: any file soundfile reads -> validated float32 mono at 16 kHz in [-1, 1].

Files are read in blocks and resampled as a stream, so an hour of 48 kHz stereo never sits in
memory as float64: only the 16 kHz float32 result (about 230 MB an hour) is kept whole.
"""
from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import firwin, resample_poly

SAMPLE_RATE = 16_000
MIN_SAMPLE_RATE = 8_000
MAX_SAMPLE_RATE = 384_000
DEFAULT_MAX_SECONDS = 2 * 3600.0

_BLOCK_FRAMES = 1 << 16
_MAX_CHANNELS = 8       # more "channels" than this over fewer frames: a channels-first array
_MAX_EXACT_FACTOR = 20_000   # resampled exactly up to this up/down factor (a 400k-tap filter)
_MIN_APPROX_CHUNK = 4_096    # outputs per chunk an approximate ratio must allow
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
    """Validate samples held in memory ((n,) or (n, channels)) like load_audio validates a file.
    Integer samples are PCM, scaled as soundfile scales them: signed by 2**(bits - 1), unsigned
    (8-bit WAV) offset by half their range first, so 128 is silence in uint8."""
    if not isinstance(samples, np.ndarray):
        raise AudioError(f"{name}: samples must be a numpy array, got {type(samples).__name__}")
    if samples.dtype.kind not in "fiu":
        raise AudioError(f"{name}: samples must be numbers, not {samples.dtype}")
    if samples.ndim == 1:
        samples = samples[:, None]
    if samples.ndim != 2:
        raise AudioError(f"{name}: samples must be 1-D or (frames, channels), got shape {samples.shape}")
    if samples.shape[0] <= _MAX_CHANNELS < samples.shape[1]:
        raise AudioError(f"{name}: samples of shape {samples.shape} look channels-first; pass "
                         f"(frames, channels), e.g. samples.T of shape {samples.shape[::-1]}")
    if samples.dtype.kind in "iu":
        half = float(2 ** (8 * samples.dtype.itemsize - 1))
        scaled = samples.astype(np.float32)
        if samples.dtype.kind == "u":
            scaled -= half
        samples = np.divide(scaled, half, out=scaled)
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
    """Mono-mix, check and resample a stream of (n, channels) blocks; keep only the 16 kHz result.

    A constant offset (DC) is removed: it is not sound, so a file holding nothing else is
    silent. Its level, like the peak that decides silence, is measured on the way through."""
    clipped = 0
    total = 0
    low, high, summed = math.inf, -math.inf, 0.0

    def checked_mono() -> Iterator[np.ndarray]:
        nonlocal clipped, total, low, high, summed
        for block in blocks:
            mono = block.astype(np.float32, copy=False).mean(axis=1, dtype=np.float32)
            if not np.isfinite(mono).all():
                bad = total + int(np.flatnonzero(~np.isfinite(mono))[0])
                raise AudioError(f"{name} contains NaN or infinite samples "
                                 f"(first at {_clock(bad / rate)})")
            low = min(low, float(mono.min(initial=math.inf)))
            high = max(high, float(mono.max(initial=-math.inf)))
            summed += float(mono.sum(dtype=np.float64))
            clipped += int(np.count_nonzero(np.abs(mono) >= _CLIP_LEVEL))
            total += mono.shape[0]
            yield mono

    pieces = list(_resample_stream(checked_mono(), rate))
    if total == 0:
        raise AudioError(f"{name} has no samples (zero length)")
    offset = summed / total
    peak = max(high - offset, offset - low)
    if peak < _SILENT_PEAK:
        what = "only a constant offset (DC), no sound" if abs(offset) >= _SILENT_PEAK \
            else "completely silent"
        raise AudioError(f"{name} is {what}: there is no voice to animate")
    if clipped > _CLIPPED_FRACTION_WARN * total:
        warnings.warn(f"{name}: {100 * clipped / total:.2f}% of samples are clipped; "
                      "lip sync may suffer", AudioWarning, stacklevel=3)
    peak_dbfs = 20 * math.log10(peak)
    if peak_dbfs < _LOW_PEAK_DBFS:
        warnings.warn(f"{name}: very low level (peak {peak_dbfs:.0f} dBFS); "
                      "check the recording gain", AudioWarning, stacklevel=3)
    out = np.concatenate(pieces).astype(np.float32, copy=False)
    out -= np.float32(offset)
    return np.clip(out, -1.0, 1.0, out=out)


def _ratio(rate: int) -> tuple[int, int]:
    """(up, down) for resampling `rate` to 16 kHz: exact when its filter is small (every common
    rate: 44100 Hz is 160/441), else the simplest fraction close enough that a chunk of
    _MIN_APPROX_CHUNK outputs drifts by at most half an input sample (383999 Hz: 1/24, not
    16000/383999 with its 7.7-million-tap filter)."""
    g = math.gcd(rate, SAMPLE_RATE)
    up, down = SAMPLE_RATE // g, rate // g
    if max(up, down) <= _MAX_EXACT_FACTOR:
        return up, down
    for limit in (64, 256, 1024, 4096, _MAX_EXACT_FACTOR):
        close = Fraction(SAMPLE_RATE, rate).limit_denominator(limit)
        if _drift(rate, close.numerator, close.denominator) * _MIN_APPROX_CHUNK <= 0.5:
            break
    return close.numerator, close.denominator


def _drift(rate: int, up: int, down: int) -> float:
    """Input samples by which each output sample of ratio up/down strays from rate -> 16 kHz."""
    return abs(rate / SAMPLE_RATE - down / up)


def _lowpass(up: int, down: int) -> np.ndarray:
    """resample_poly's own anti-aliasing filter (Kaiser-windowed sinc, beta 5, 10 zero crossings a
    side, float32 for float32 audio), designed once per file instead of once per chunk."""
    max_rate = max(up, down)
    return firwin(2 * 10 * max_rate + 1, 1.0 / max_rate, window=("kaiser", 5.0)).astype(np.float32)


def _resample_stream(blocks: Iterable[np.ndarray], rate: int) -> Iterator[np.ndarray]:
    """Polyphase-resample a mono stream to 16 kHz in chunks.

    Output sample k belongs at input position k * rate / 16000. Each chunk is anchored at the
    input sample nearest its first output's position and carries enough context on both sides
    to cover the filter (half-length 10 * max(up, down) taps at the upsampled rate); the
    context's outputs are trimmed away. Each chunk is padded with its own mean (padtype "mean"),
    so a constant offset leaves no transient at the ends of the file; elsewhere that moves a
    sample by the chunk's mean times the filter's DC ripple (under 1e-3 of it). With the exact
    ratio every anchor is exact, and the result is one-shot resample_poly's to that precision.
    With an approximate ratio (rates whose exact filter is huge, see _ratio) the anchors
    re-align every chunk: timing stays within one input sample of exact over any length, and
    the pitch is off by the ratio's error (2.6 ppm for 383999 Hz).
    """
    if rate == SAMPLE_RATE:
        yield from blocks
        return
    up, down = _ratio(rate)
    lowpass = _lowpass(up, down)
    ctx = down * math.ceil((10 * max(up, down) // up + 2) / down)   # input samples, k * down
    per_chunk = up * math.ceil(max(_BLOCK_FRAMES, 4 * ctx) / down)   # outputs, k * up
    if up * rate != down * SAMPLE_RATE:
        per_chunk = min(per_chunk, int(0.5 / _drift(rate, up, down)))
    chunk_input = -(-per_chunk * down // up)
    pending: list[np.ndarray] = []
    buf = np.zeros(0, np.float32)
    buf_start = 0   # absolute input index of buf[0]
    received = 0    # input samples read so far
    done = 0        # output samples emitted so far

    def anchor() -> int:   # the input sample nearest output `done`'s position
        return (2 * done * rate + SAMPLE_RATE) // (2 * SAMPLE_RATE)

    def chunk(stop: int, count: int) -> np.ndarray:
        nonlocal buf
        if pending:
            buf = np.concatenate([buf, *pending])
            pending.clear()
        at = anchor()
        seg_start = at - down * min(at // down, ctx // down)
        seg = buf[seg_start - buf_start: stop - buf_start]
        y = resample_poly(seg, up, down, window=lowpass, padtype="mean")
        first = (at - seg_start) * up // down
        piece = y[first: first + count].astype(np.float32, copy=False)
        return np.pad(piece, (0, count - len(piece)))   # past the end (approximate ratio only)

    for block in blocks:
        pending.append(block)
        received += len(block)
        while received >= anchor() + chunk_input + ctx:
            yield chunk(anchor() + chunk_input + ctx, per_chunk)
            done += per_chunk
            drop = anchor() - ctx - buf_start   # the next chunk starts at most ctx before it
            if drop > 0:
                buf, buf_start = buf[drop:], buf_start + drop
    total = -(-received * SAMPLE_RATE // rate)   # as resample_poly: ceil(n * up / down)
    while done < total:
        count = min(per_chunk, total - done)
        yield chunk(received, count)
        done += count


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
