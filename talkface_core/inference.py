"""talkface_core.generate: audio -> Animation. The one entry point that runs the network
(the CLI, the Blender add-on and the benchmarks all call it).

Devices: "cpu" runs the numpy forward pass (no PyTorch needed, which is what the Blender extension
ships); "cuda"/"cuda:N" and "torch-cpu" run the PyTorch model; "auto" takes a CUDA GPU when
PyTorch is installed and sees one, else "cpu".
"""
from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from types import ModuleType

import numpy as np

from .animation import Animation
from .audio import SAMPLE_RATE, check_samples, load_audio
from .blendshapes import EMOTIONS
from .model.checkpoint import CheckpointError, load_checkpoint, load_numpy_checkpoint
from .model.features import FEATURE_RATE
from .model.speech_stream import WindowedEncoder
from .model.streaming import Cancelled, Runner, run_windows
from .postprocess import add_blinks, close_lips_over_jaw, smooth

__all__ = ["generate", "Cancelled", "CheckpointError", "load_model", "resolve_device"]

OUTPUT_SPACES = ("arkit52", "flame")


DEVICES = ("auto", "cpu", "torch-cpu", "cuda")


def torch_or_none() -> ModuleType | None:
    """PyTorch if it is installed (it is optional at run time), else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def resolve_device(device: str = "auto") -> str:
    """"cpu", "torch-cpu" or "cuda[:N]"; a clear error for a device this machine lacks."""
    device = str(device)
    torch = torch_or_none() if device != "cpu" else None
    if device == "auto":
        return "cuda" if torch is not None and torch.cuda.is_available() else "cpu"
    if device == "cpu":
        return device
    if device not in DEVICES and not device.startswith("cuda:"):
        raise ValueError(f"device must be one of {', '.join(DEVICES)} (or cuda:N), got {device!r}")
    if torch is None:
        raise ValueError(f"device {device!r} needs PyTorch, which is not installed; use 'cpu'")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but no CUDA GPU is available; use 'cpu' or 'auto'")
    return device


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


def _emotion_vector(emotion: str) -> np.ndarray | None:
    if emotion == "auto":
        return None
    if emotion not in EMOTIONS:
        raise ValueError(f"emotion must be one of {', '.join(EMOTIONS)} or 'auto', got {emotion!r}")
    vec = np.zeros(len(EMOTIONS), dtype=np.float32)
    vec[EMOTIONS.index(emotion)] = 1.0
    return vec


def generate(audio: str | os.PathLike[str] | np.ndarray, emotion: str = "neutral",
             intensity: float = 0.5, style: int = 0, fps: float = 24.0, device: str = "auto",
             output_space: str = "arkit52", flame_model: str | os.PathLike[str] | None = None,
             flame_landmarks: str | os.PathLike[str] | None = None,
             checkpoint: str | os.PathLike[str] | None = None,
             speech_encoder: str | os.PathLike[str] | None = None, smoothing: float = 0.0,
             blinks: bool = True, progress: Callable[[int, int], None] | None = None,
             cancel: Callable[[], bool] | None = None, *, seed: int = 0) -> Animation:
    """Facial animation for a voice recording.

    audio: a file path, or float32 mono samples at 16 kHz. emotion: one of EMOTIONS or "auto"
    (read from the voice). intensity: 0 (neutral face) .. 1 (full emotion). style: a speaking
    style id of the checkpoint. smoothing: 0 (off) .. 1 (0.25 s Savitzky-Golay). blinks: add
    natural blinks (seeded by `seed`). progress(done, total) is called after each window;
    cancel() is polled between windows and raises Cancelled when it returns True.
    output_space "flame" (with flame_model, and flame_landmarks when the model's landmark
    embedding lies elsewhere) maps the ARKit result to FLAME coefficients. speech_encoder: the
    local model folder of a checkpoint trained with one (`talkface train --speech-encoder`).
    """
    if output_space not in OUTPUT_SPACES:
        raise ValueError(f"output_space must be one of {OUTPUT_SPACES}, got {output_space!r}")
    if output_space == "flame" and flame_model is None:
        raise ValueError("output_space='flame' needs flame_model (path to a FLAME model file)")
    intensity = float(intensity)
    if not 0.0 <= intensity <= 1.0:
        raise ValueError(f"intensity must be in [0, 1], got {intensity}")
    emo = _emotion_vector(emotion)
    mapping = None
    if output_space == "flame":
        from .flame_mapping import arkit_to_flame, mapping_for

        # Read the FLAME model (and its landmarks) before the network runs: a bad file fails at once.
        mapping = mapping_for(flame_model, flame_landmarks)
    dev = resolve_device(device)
    model, config = _cached_model(None if checkpoint is None else str(Path(checkpoint).resolve()), dev)
    folder = None if speech_encoder is None else str(Path(speech_encoder).resolve())
    speech = _cached_encoder(model.cfg.speech_encoder, dev, folder) if model.cfg.speech_encoder else None
    n_styles = model.cfg.n_styles
    if not (isinstance(style, (int, np.integer)) and 0 <= style < n_styles):
        raise ValueError(f"style must be an integer in [0, {n_styles - 1}], got {style!r}")

    if isinstance(audio, np.ndarray):
        samples = check_samples(audio, SAMPLE_RATE)
    else:
        samples = load_audio(audio)
    weights = run_windows(model, samples, emotion=emo, intensity=intensity, style=int(style),
                          speech=speech, progress=progress, cancel=cancel)
    anim = Animation(config["output_names"], FEATURE_RATE, weights).resample(fps)
    if smoothing:
        anim = smooth(anim, smoothing)
    if blinks:
        anim = add_blinks(anim, seed)
    anim = close_lips_over_jaw(anim)  # last: smoothing could lift mouthClose over jawOpen again
    if mapping is not None:
        anim = arkit_to_flame(anim, mapping)
    return anim
