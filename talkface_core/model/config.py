"""Network hyper-parameters (torch-free: the numpy runtime and checkpoint checks read them too)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

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
    def from_dict(cls, d: dict) -> NetConfig:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        for key in ("content_dilations", "emotion_dilations", "decoder_dilations"):
            if key in known:
                known[key] = tuple(known[key])
        return cls(**known)

    def context_frames(self) -> int:
        """Frames either side that can influence one output frame (conservative bound)."""
        half = (self.kernel - 1) // 2
        content = 1 + sum(half * d for d in self.content_dilations)
        decoder = sum(half * d for d in self.decoder_dilations)
        emotion = 1 + sum(half * d for d in self.emotion_dilations) + self.emotion_pool // 2
        return max(content + decoder, emotion + decoder)
