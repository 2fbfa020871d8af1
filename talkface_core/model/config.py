"""Network hyper-parameters (torch-free: the numpy runtime and checkpoint checks read them too)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..emotions import EMOTIONS
from .log_mel import N_MELS


@dataclass(frozen=True)
class NetConfig:
    n_mels: int = N_MELS
    n_speech: int = 0                # width of the speech encoder's stream after the log-mel (0: none)
    speech_encoder: str = ""         # which encoder makes that stream (whisper_encoder.NAME)
    hidden: int = 96
    emotion_hidden: int = 64
    kernel: int = 3
    content_dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 1, 2)
    emotion_dilations: tuple[int, ...] = (1, 2, 4, 8, 16)
    decoder_dilations: tuple[int, ...] = (1, 2, 4)
    emotion_pool: int = 101          # frames the "auto" emotion reading is averaged over (~2 s)
    n_outputs: int = 52
    n_styles: int = 1
    n_emotions: int = len(EMOTIONS)
    dropout: float = 0.1

    @property
    def n_inputs(self) -> int:
        """Columns of one input frame: normalised log-mel, then the raw speech-encoder stream."""
        return self.n_mels + self.n_speech

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: object) -> NetConfig:
        """From a checkpoint's JSON "network" object; ValueError naming the first field of the
        wrong type (strings for numbers, a list for a number, ...). Unknown fields are ignored."""
        if not isinstance(d, dict):
            raise ValueError(f"network must be an object of hyper-parameters, got {_json_type(d)}")
        values: dict[str, object] = {}
        for f in fields(cls):
            if f.name in d:
                values[f.name] = _checked(f.name, d[f.name], f.default)
        if values.get("kernel", cls.kernel) % 2 == 0:
            raise ValueError(f"network.kernel must be odd, got {values['kernel']}")
        return cls(**values)

    def context_frames(self) -> int:
        """Frames either side that can influence one output frame (conservative bound)."""
        half = (self.kernel - 1) // 2
        content = 1 + sum(half * d for d in self.content_dilations)
        decoder = sum(half * d for d in self.decoder_dilations)
        emotion = 1 + sum(half * d for d in self.emotion_dilations) + self.emotion_pool // 2
        return max(content + decoder, emotion + decoder)


def _json_type(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false",
            type(None): "null"}.get(type(value), repr(value))


def _whole(value: object, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _checked(name: str, value: object, default: object) -> object:
    """`value` for field `name` if it has the type of the field's default."""
    if isinstance(default, tuple):
        if isinstance(value, list) and value and all(_whole(v, 1) for v in value):
            return tuple(value)
        wanted = "a non-empty list of whole numbers >= 1"
    elif isinstance(default, str):
        if isinstance(value, str):
            return value
        wanted = "a string"
    elif isinstance(default, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1:
            return float(value)
        wanted = "a number in [0, 1)"
    else:
        least = 0 if name == "n_speech" else 1
        if _whole(value, least):
            return value
        wanted = f"a whole number >= {least}"
    shown = repr(value) if isinstance(value, (int, float, str)) else _json_type(value)
    raise ValueError(f"network.{name} must be {wanted}, got {shown}")
