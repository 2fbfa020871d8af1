"""generate(): audio -> Animation. The one entry point that runs the network (the CLI, the Blender
add-on and the benchmarks all call it): request checks, audio, model and speech encoder, the
windowed network, post-processing layers, then the output space. read_emotion(): the same audio and
model, the voice's own emotion reading as a few editable keys."""
from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

from .animation import Animation
from .audio import SAMPLE_RATE, AudioError, check_samples, load_audio
from .devices import resolve_device
from .emotion_timeline import EmotionTimeline, TimelineError
from .model.checkpoint import CheckpointError, load_checkpoint, load_numpy_checkpoint
from .model.log_mel import FEATURE_RATE, num_frames
from .model.speech_stream import WindowedEncoder
from .model.streaming import Cancelled, Conditioning, Runner, run_windows
from .model.streaming import read_emotion as read_emotion_frames
from .postprocess import Voice, apply_layers
from .request import GenerationRequest, RequestError
from .voice_reading import DEFAULT_MAX_KEYS, DEFAULT_MIN_SEGMENT_S, check_options, keys_from_reading

__all__ = ["generate", "read_emotion", "Cancelled", "CheckpointError", "load_model"]

Progress = Callable[[int, int], None] | None
Cancel = Callable[[], bool] | None


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


def _request(request: GenerationRequest | None, options: dict) -> GenerationRequest:
    if request is not None and not isinstance(request, GenerationRequest):
        raise RequestError(f"request must be a GenerationRequest, got {type(request).__name__}")
    return GenerationRequest.from_options(request, **options) if request is None or options else request


def _samples(audio: str | os.PathLike[str] | np.ndarray) -> np.ndarray:
    if not isinstance(audio, (str, os.PathLike, np.ndarray)):
        raise AudioError(f"audio must be a file path or a numpy array of samples, got "
                         f"{type(audio).__name__}")
    return check_samples(audio, SAMPLE_RATE) if isinstance(audio, np.ndarray) else load_audio(audio)


def _model(request: GenerationRequest) -> tuple[Runner, dict, WindowedEncoder | None]:
    """The request's model (checked against its style) and the speech encoder it reads."""
    device = resolve_device(request.device)
    model, config = _cached_model(_resolved(request.checkpoint), device)
    n_styles = model.cfg.n_styles
    if request.style >= n_styles:
        raise RequestError(f"style must be an integer in [0, {n_styles - 1}] for this checkpoint, "
                           f"got {request.style}")
    speech = (_cached_encoder(model.cfg.speech_encoder, device, _resolved(request.speech_encoder))
              if model.cfg.speech_encoder else None)
    return model, config, speech


def _check_timeline(request: GenerationRequest, samples: np.ndarray) -> None:
    """Emotion keys must lie within the clip: checked once its audio is read, before any model."""
    if request.timeline is not None:
        try:
            request.timeline.check_within(len(samples) / SAMPLE_RATE)
        except TimelineError as exc:
            raise RequestError(str(exc)) from None


def _conditioning(request: GenerationRequest, model: Runner, samples: np.ndarray) -> Conditioning:
    """The network's emotion input: the request's keys eased over the clip, or for "auto" the
    voice's own reading x intensity, window by window."""
    timeline = request.timeline
    if timeline is None:
        return lambda mel: model.predict_emotion(mel) * request.intensity
    return timeline.conditioning(num_frames(len(samples)), FEATURE_RATE)


def generate(audio: str | os.PathLike[str] | np.ndarray, request: GenerationRequest | None = None, *,
             progress: Progress = None, cancel: Cancel = None, **options: object) -> Animation:
    """Facial animation for a voice recording.

    audio: a file path, or float32 mono samples at 16 kHz. request: a GenerationRequest; keyword
    `options` are its fields (emotion, intensity, style, fps, smoothing, blinks, seed, device,
    checkpoint, speech_encoder, output, gaze, head_motion, upper_face, blink_rate, blink_amount)
    and change the request, or build one on the defaults: `generate("voice.wav", emotion="sad",
    fps=30)`, `generate("voice.wav", emotion="neutral:0.3@0 happy:0.8@1.5")`. progress(done,
    total) is called after each network window; cancel() is polled between windows and raises
    Cancelled when it returns True.
    Returns ARKit-52 weights, or FLAME coefficients for output=FlameOutput(model); its
    emotion_timeline is the request's keys (None for "auto").
    """
    request = _request(request, options)
    mapping = None
    if request.flame is not None:
        from .flame.mapping import arkit_to_flame, mapping_for

        # Read the FLAME model (and its landmarks) before the network runs: a bad file fails at once.
        mapping = mapping_for(request.flame.model, request.flame.landmarks)
    samples = _samples(audio)
    _check_timeline(request, samples)
    model, config, speech = _model(request)
    conditioning = _conditioning(request, model, samples)
    weights = run_windows(model, samples, conditioning=conditioning, style=request.style, speech=speech,
                          progress=progress, cancel=cancel)
    anim = apply_layers(Animation(config["output_names"], FEATURE_RATE, weights).resample(request.fps),
                        request, Voice.of(samples, request.seed))
    if mapping is not None:
        anim = arkit_to_flame(anim, mapping)
    return anim.with_emotion_timeline(request.timeline)


def read_emotion(audio: str | os.PathLike[str] | np.ndarray, request: GenerationRequest | None = None, *,
                 max_keys: int = DEFAULT_MAX_KEYS, min_segment_s: float = DEFAULT_MIN_SEGMENT_S,
                 follow_arousal: bool = False, progress: Progress = None, cancel: Cancel = None,
                 **options: object) -> EmotionTimeline:
    """The voice's own emotion reading as a few editable keys: where one emotion dominates, with
    its intensity (see voice_reading.keys_from_reading). The request (or `options`) picks the
    checkpoint, device and speech encoder; follow_arousal makes each key's intensity follow the
    voice's loudness and pitch range instead of the reading's confidence."""
    request = _request(request, options)
    check_options(max_keys, min_segment_s)
    samples = _samples(audio)
    model, _, speech = _model(request)
    reading = read_emotion_frames(model, samples, speech=speech, progress=progress, cancel=cancel)
    return keys_from_reading(reading, FEATURE_RATE, max_keys=max_keys, min_segment_s=min_segment_s,
                             samples=samples if follow_arousal else None)
