"""A local wav2vec2 / HuBERT / WavLM model folder as the speech stream, through `transformers`.

For users who have such a model on disk: it is read with local_files_only and never fetched.
These models' convolutional front end has a stride of 320 samples, so their frames are 20 ms
apart like ours; frame j of the input covers samples [320 j, 320 j + receptive field), so half a
receptive field of silence before the audio centres frame j on sample 320 j, the grid of
log_mel.py. Needs PyTorch and transformers (pip install transformers), which talkface does not
bundle.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path

import numpy as np

from .log_mel import HOP
from .speech_stream import SpeechEncoderError, WindowedEncoder

PREFIX = "hf:"


def stream_name(model_type: str, dims: int) -> str:
    """What a checkpoint records for a local encoder: its architecture and width."""
    return f"{PREFIX}{model_type}-{dims}"


def _receptive_field(kernels: list[int], strides: list[int]) -> int:
    field, jump = 1, 1
    for k, s in zip(kernels, strides):
        field += (k - 1) * jump
        jump *= s
    return field


def model_digest(folder: str | os.PathLike[str]) -> str:
    """Short hash of a model folder's config and weights: names its feature cache."""
    h = hashlib.sha1()
    for p in sorted(Path(folder).glob("*")):
        if p.suffix in (".json", ".safetensors", ".bin") and p.is_file():
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:12]


class HFSpeechEncoder(WindowedEncoder):
    """Last hidden state of a local transformers audio model, one 20 ms frame per frame."""

    def __init__(self, folder: str | os.PathLike[str], device: str = "cpu") -> None:
        folder = Path(folder)
        if not (folder / "config.json").is_file():
            raise ValueError(f"{folder} is not a transformers model folder (it has no config.json)")
        try:
            import torch
            from transformers import AutoModel
        except ImportError:
            raise SpeechEncoderError("a local speech-encoder folder runs through PyTorch and transformers; "
                                     "install them (pip install torch transformers)") from None
        self._torch = torch
        model = AutoModel.from_pretrained(str(folder), local_files_only=True)
        cfg = model.config
        strides, kernels = list(getattr(cfg, "conv_stride", [])), list(getattr(cfg, "conv_kernel", []))
        if not strides or math.prod(strides) != HOP:
            raise ValueError(f"{folder}: {cfg.model_type} makes a frame every "
                             f"{math.prod(strides) or '?'} samples; talkface needs {HOP} (20 ms at "
                             "16 kHz), as wav2vec2/HuBERT/WavLM do")
        self._pad = _receptive_field(kernels, strides) // 2
        extractor = folder / "preprocessor_config.json"
        settings = json.loads(extractor.read_text()) if extractor.is_file() else {}
        self._normalise = settings.get("do_normalize", True)
        self._device = device if device.startswith("cuda") else "cpu"   # "cpu"/"torch-cpu": the CPU
        self._model = model.to(self._device).eval()
        self.dims = int(cfg.hidden_size)
        self.name = stream_name(cfg.model_type, self.dims)

    def _encode(self, audio: np.ndarray, frames: int) -> np.ndarray:
        x = audio
        if self._normalise and len(x):
            x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)   # what its feature extractor does
        x = np.pad(x, (self._pad, self._pad + HOP))
        with self._torch.inference_mode():
            out = self._model(self._torch.from_numpy(x)[None].to(self._device)).last_hidden_state[0]
        return out[:frames].float().cpu().numpy()
