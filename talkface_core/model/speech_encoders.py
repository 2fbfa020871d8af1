"""The speech encoders a checkpoint can name (NetConfig.speech_encoder), and how to open one:
the shipped Whisper tiny.en, or a local transformers model folder a user has (hf_encoder.py)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from .hf_encoder import PREFIX, HFSpeechEncoder, model_digest, stream_name
from .speech_stream import WindowedEncoder
from .whisper_encoder import DIMS as WHISPER_DIMS
from .whisper_encoder import NAME as WHISPER
from .whisper_encoder import WhisperEncoder


@dataclass(frozen=True)
class StreamSpec:
    """A speech stream: the name a checkpoint records, its width, the folder its corpus features
    are cached under (CORPUS/features/<key>/), and the model folder for local encoders."""
    name: str
    dims: int
    key: str
    folder: str | None = None

    def open(self, device: str = "cpu") -> WindowedEncoder:
        return open_encoder(self.name, device, self.folder)


WHISPER_SPEC = StreamSpec(WHISPER, WHISPER_DIMS, WHISPER)


def local_spec(folder: str | os.PathLike[str]) -> StreamSpec:
    """The stream of a local transformers model folder, read from its config.json (no loading)."""
    config = Path(folder) / "config.json"
    if not config.is_file():
        raise ValueError(f"{folder} is not a transformers model folder (it has no config.json)")
    cfg = json.loads(config.read_text())
    dims = int(cfg["hidden_size"])
    key = f"hf-{model_digest(folder)}"
    return StreamSpec(stream_name(cfg["model_type"], dims), dims, key, str(folder))


def known(name: str, dims: int) -> bool:
    """Whether this talkface can run the stream a checkpoint names."""
    if name.startswith(PREFIX):
        return name.rsplit("-", 1)[-1] == str(dims)
    return (name, dims) in (("", 0), (WHISPER, WHISPER_DIMS))


def spec_for(name: str, folder: str | os.PathLike[str] | None = None) -> StreamSpec:
    """The stream a checkpoint names; a local encoder needs its folder, holding that model."""
    if name == WHISPER:
        return WHISPER_SPEC
    if not name.startswith(PREFIX):
        raise ValueError(f"unknown speech encoder {name!r}; this talkface knows {WHISPER!r} and "
                         f"local transformers models")
    if folder is None:
        raise ValueError(f"this checkpoint reads a local {name[len(PREFIX):]} speech encoder: pass its "
                         "model folder (speech_encoder=PATH, --speech-encoder PATH)")
    spec = local_spec(folder)
    if spec.name != name:
        raise ValueError(f"{folder} holds a {spec.name[len(PREFIX):]} model; this checkpoint was trained "
                         f"with a {name[len(PREFIX):]} one")
    return spec


def open_encoder(name: str, device: str = "cpu", folder: str | None = None) -> WindowedEncoder:
    if name == WHISPER:
        return WhisperEncoder(device)
    return HFSpeechEncoder(spec_for(name, folder).folder, device)
