"""generate(): audio -> Animation. The one entry point that runs the network (the CLI, the Blender
add-on and the benchmarks all call it): request checks, audio, model and speech encoder, the
windowed network, post-processing layers, then the output space."""
from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

from .animation import Animation
from .audio import SAMPLE_RATE, AudioError, check_samples, load_audio
from .devices import resolve_device
from .emotions import AUTO, one_hot
from .model.checkpoint import CheckpointError, load_checkpoint, load_numpy_checkpoint
from .model.log_mel import FEATURE_RATE
from .model.speech_stream import WindowedEncoder
from .model.streaming import Cancelled, Runner, run_windows
from .postprocess import Voice, apply_layers
from .request import GenerationRequest, RequestError

__all__ = ["generate", "Cancelled", "CheckpointError", "load_model"]


@lru_cache(maxsize=4)
def _cached_model(path: str | None, device: str) -> tuple[Runner, dict]:
    return load_model(path, device)


@lru_cache(maxsize=2)
def _cached_encoder(name: str, device: str, folder: str | None) -> WindowedEncoder:
    from .model.speech_encoders import open_encoder

    return open_encoder(name, device, folder)


def load_model(checkpoint: str | os.PathLike[str] | None, device: str = "cpu") -> tuple[Runner, dict]:
    """(model with .predict, config) for a resolved device."""
    if device == "cpu":
        return load_numpy_checkpoint(checkpoint)
    return load_checkpoint(checkpoint, "cpu" if device == "torch-cpu" else device)


def _resolved(path: Path | None) -> str | None:
    return None if path is None else str(path.resolve())


def generate(audio: str | os.PathLike[str] | np.ndarray, request: GenerationRequest | None = None, *,
             progress: Callable[[int, int], None] | None = None,
             cancel: Callable[[], bool] | None = None, **options: object) -> Animation:
    """Facial animation for a voice recording.

    audio: a file path, or float32 mono samples at 16 kHz. request: a GenerationRequest; keyword
    `options` are its fields (emotion, intensity, style, fps, smoothing, blinks, seed, device,
    checkpoint, speech_encoder, output, gaze, head_motion, upper_face, blink_rate, blink_amount)
    and change the request, or build one on the defaults:
    `generate("voice.wav", emotion="sad", fps=30)`. progress(done, total) is called after each
    network window; cancel() is polled between windows and raises Cancelled when it returns True.
    Returns ARKit-52 weights, or FLAME coefficients for output=FlameOutput(model).
    """
    if not isinstance(audio, (str, os.PathLike, np.ndarray)):
        raise AudioError(f"audio must be a file path or a numpy array of samples, got "
                         f"{type(audio).__name__}")
    if request is not None and not isinstance(request, GenerationRequest):
        raise RequestError(f"request must be a GenerationRequest, got {type(request).__name__}")
    if request is None or options:
        request = GenerationRequest.from_options(request, **options)
    mapping = None
    if request.flame is not None:
        from .flame.mapping import arkit_to_flame, mapping_for

        # Read the FLAME model (and its landmarks) before the network runs: a bad file fails at once.
        mapping = mapping_for(request.flame.model, request.flame.landmarks)
    if isinstance(audio, np.ndarray):
        samples = check_samples(audio, SAMPLE_RATE)
    else:
        samples = load_audio(audio)
    device = resolve_device(request.device)
    model, config = _cached_model(_resolved(request.checkpoint), device)
    n_styles = model.cfg.n_styles
    if request.style >= n_styles:
        raise RequestError(f"style must be an integer in [0, {n_styles - 1}] for this checkpoint, "
                           f"got {request.style}")
    speech = (_cached_encoder(model.cfg.speech_encoder, device, _resolved(request.speech_encoder))
              if model.cfg.speech_encoder else None)
    emotion = None if request.emotion == AUTO else one_hot(request.emotion)
    weights = run_windows(model, samples, emotion=emotion, intensity=request.intensity,
                          style=request.style, speech=speech, progress=progress, cancel=cancel)
    anim = apply_layers(Animation(config["output_names"], FEATURE_RATE, weights).resample(request.fps),
                        request, Voice.of(samples, request.seed))
    return anim if mapping is None else arkit_to_flame(anim, mapping)
