"""GenerationRequest: every option of one generation, validated once when it is made.

The CLI, the Blender add-on and generate() all build one, so an option means the same everywhere
and a bad value is refused before any audio is read or model loaded. Checks that need the model
(the style id's range) happen when it is loaded.
"""
from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass, fields
from pathlib import Path

from .devices import check_device_name
from .emotion_timeline import EmotionTimeline, TimelineError, looks_inline, parse_inline
from .emotions import AUTO, check_emotion

ARKIT = "arkit52"       # output: ARKit-52 blendshape weights
MIN_FPS, MAX_FPS = 1.0, 240.0
MAX_AMOUNT = 2.0        # gaze, head_motion, upper_face: 1 = natural, 2 = twice as much
MAX_BLINK_RATE = 60.0   # blinks a minute


class RequestError(ValueError):
    """An option of a generation request that cannot work; the message names the option."""


def _number(name: str, value: object, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise RequestError(f"{name} must be a number in [{lo:g}, {hi:g}], got {value!r}")
    if not lo <= value <= hi:
        raise RequestError(f"{name} must be in [{lo:g}, {hi:g}], got {value:g}")
    return float(value)


def _natural(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise RequestError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def _path(name: str, value: object, *, folder: bool = False) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise RequestError(f"{name} must be a path, got {value!r}")
    path = Path(value)
    if folder and not path.is_dir():
        raise RequestError(f"{name}: folder not found: {path}")
    if not folder and not path.is_file():
        raise RequestError(f"{name}: file not found: {path}")
    return path


def _emotion(value: object) -> str | EmotionTimeline:
    """A name, "auto", or emotion keys (an EmotionTimeline, or its inline form parsed)."""
    if isinstance(value, EmotionTimeline):
        return value
    if not isinstance(value, str):
        raise RequestError(f"emotion must be a name, emotion keys or an EmotionTimeline, got {value!r}")
    if looks_inline(value):
        try:
            return parse_inline(value)
        except TimelineError as exc:
            raise RequestError(str(exc)) from None
    try:
        return check_emotion(value.strip())
    except ValueError as exc:
        raise RequestError(f"{exc}; or give emotion keys like 'neutral:0.3@0 happy:0.8@1.5'") from None


@dataclass(frozen=True)
class FlameOutput:
    """FLAME output: the user's FLAME model file, and its landmark embedding file when the model
    holds none and none lies beside it."""

    model: Path
    landmarks: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "model", _path("flame model", self.model))
        object.__setattr__(self, "landmarks", _path("flame landmarks", self.landmarks))


@dataclass(frozen=True)
class GenerationRequest:
    """What to generate from one voice recording.

    emotion: one of EMOTIONS, "auto" (read from the voice), or emotion keys: an EmotionTimeline or
    its inline form "neutral:0.3@0 happy:0.8@1.5" (kept as the EmotionTimeline it parses to).
    intensity: 0 (neutral face) .. 1, for a named emotion or "auto" (keys carry their own).
    style: a speaking-style id of the checkpoint (0 = generic). fps: output frame rate (1-240).
    smoothing: 0 (off) .. 1 (0.25 s Savitzky-Golay). blinks: add natural blinks, seeded by `seed`.
    device: "auto", "cpu" (numpy, no PyTorch), "torch-cpu" or "cuda[:N]". checkpoint: a
    .safetensors file (None: the shipped one). speech_encoder: the local model folder of a
    checkpoint trained with one. output: ARKIT, or FlameOutput(model file) for FLAME coefficients.

    The face beyond the lips (post-processing driven by the voice and by seeded behaviour; each
    amount 0 = off, 1 = natural, up to 2): gaze (saccades, eyeLook* and eye rotations), head_motion
    (HeadYaw/Pitch/Roll), upper_face (brow raises on accents, Duchenne cheeks, disgust's sneer, the
    jaw's sideways drift). blink_rate: blinks a minute (26: in conversation), blink_amount: how
    far the lids close (0..1). seed mixes with a hash of the audio: each clip moves its own way.
    """

    emotion: str | EmotionTimeline = "neutral"
    intensity: float = 0.5
    style: int = 0
    fps: float = 24.0
    smoothing: float = 0.0
    blinks: bool = True
    seed: int = 0
    device: str = "auto"
    checkpoint: Path | None = None
    speech_encoder: Path | None = None
    output: str | FlameOutput = ARKIT
    gaze: float = 1.0
    head_motion: float = 1.0
    upper_face: float = 1.0
    blink_rate: float = 26.0
    blink_amount: float = 1.0

    def __post_init__(self) -> None:
        def set_(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        try:
            set_("emotion", _emotion(self.emotion))
            check_device_name(self.device)
        except ValueError as exc:
            raise RequestError(str(exc)) from None
        set_("intensity", _number("intensity", self.intensity, 0.0, 1.0))
        set_("style", _natural("style", self.style))
        set_("fps", _number("fps", self.fps, MIN_FPS, MAX_FPS))
        set_("smoothing", _number("smoothing", self.smoothing, 0.0, 1.0))
        if not isinstance(self.blinks, bool):
            raise RequestError(f"blinks must be True or False, got {self.blinks!r}")
        set_("seed", _natural("seed", self.seed))
        set_("checkpoint", _path("checkpoint", self.checkpoint))
        set_("speech_encoder", _path("speech encoder", self.speech_encoder, folder=True))
        if self.output != ARKIT and not isinstance(self.output, FlameOutput):
            raise RequestError(f"output must be {ARKIT!r} or a FlameOutput, got {self.output!r}")
        for name in ("gaze", "head_motion", "upper_face"):
            set_(name, _number(name, getattr(self, name), 0.0, MAX_AMOUNT))
        set_("blink_rate", _number("blink_rate", self.blink_rate, 0.0, MAX_BLINK_RATE))
        set_("blink_amount", _number("blink_amount", self.blink_amount, 0.0, 1.0))

    @property
    def timeline(self) -> EmotionTimeline | None:
        """The emotion keys the network follows (one key for a named emotion); None for "auto"."""
        if isinstance(self.emotion, EmotionTimeline):
            return self.emotion
        return None if self.emotion == AUTO else EmotionTimeline.constant(self.emotion, self.intensity)

    @property
    def flame(self) -> FlameOutput | None:
        return self.output if isinstance(self.output, FlameOutput) else None

    @classmethod
    def from_options(cls, base: GenerationRequest | None = None, **options: object) -> GenerationRequest:
        """`base` (or the defaults) with some options changed; an unknown option is an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise RequestError(f"unknown generation option(s) {', '.join(unknown)}; "
                               f"known: {', '.join(sorted(known))}")
        values = {f.name: getattr(base, f.name) for f in fields(cls)} if base else {}
        return cls(**{**values, **options})
