"""Training settings: what `talkface train` reads (TrainConfig) and the front ends a network can hear."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..model.speech_encoders import WHISPER_SPEC, StreamSpec, local_spec

LOSS_WEIGHTS = {"rec": 1.0, "vel": 1.0, "cross": 0.5, "cls": 0.1, "closure": 5.0}
FRONT_ENDS = ("logmel+whisper", "logmel")   # what the network reads (bench/frontend_study.py chose)


@dataclass
class TrainConfig:
    data: str
    out: str
    steps: int = 3000
    batch: int = 16
    crop: int = 128                     # frames (2.56 s)
    lr: float = 2e-3
    warmup: int = 100
    seed: int = 0
    research: bool = False              # also train on non-commercial / research-only clips
    device: str = "auto"
    save_every: int = 200
    max_clips: int = 0                  # 0 = all (a small number makes quick smoke runs)
    degraded_copies: int = 1            # extra copies per clip through noise/reverb/band/gain
    front_end: str = FRONT_ENDS[0]
    speech_encoder: str = ""            # a local transformers model folder, in Whisper's place
    hidden: int = 96
    net: dict = field(default_factory=dict)


def stream_spec(cfg: TrainConfig) -> StreamSpec | None:
    """The speech stream the network reads beside the log-mel, if any."""
    if cfg.front_end not in FRONT_ENDS:
        raise ValueError(f"front end must be one of {', '.join(FRONT_ENDS)}, got {cfg.front_end!r}")
    if cfg.front_end == "logmel":
        if cfg.speech_encoder:
            raise ValueError("a speech encoder folder needs the front end logmel+whisper "
                             "(it takes Whisper's place)")
        return None
    return local_spec(cfg.speech_encoder) if cfg.speech_encoder else WHISPER_SPEC
