"""Checkpoint files: NAME.safetensors (tensors) + NAME.json (config), validated on load.

The JSON config carries the format version, the output space and its channel names, the network
hyper-parameters, a summary of the training data and the license that follows from it. Loading
checks all of it against the tensors and raises CheckpointError with a message a user can act on.
Reading and checking need no PyTorch: `load_numpy_checkpoint` serves the torch-free runtime.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file

from ..blendshapes import ARKIT_NAMES
from ..emotions import EMOTIONS
from .config import NetConfig
from .numpy_net import NumpyTalkNet, expected_shapes
from .speech_encoders import known

if TYPE_CHECKING:
    import torch

    from .network import TalkNet

FORMAT = "talkface.checkpoint"
VERSION = 1
WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
DEFAULT_NAME = "talkface_default"


class CheckpointError(ValueError):
    """A checkpoint that is missing, damaged, or made for another version/shape."""


def default_checkpoint() -> Path:
    return WEIGHTS_DIR / f"{DEFAULT_NAME}.safetensors"


def _paths(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    p = Path(path)
    if p.suffix in (".safetensors", ".json"):
        p = p.with_suffix("")
    return p.with_suffix(".safetensors"), p.with_suffix(".json")


def save_checkpoint(path: str | os.PathLike[str], model: TalkNet, info: dict[str, Any]) -> Path:
    """Write tensors + config; `info` adds training data summary, license, recipe."""
    from safetensors.torch import save_file
    tensors_path, config_path = _paths(path)
    tensors_path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().float().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(tensors_path), metadata={"format": FORMAT, "version": str(VERSION)})
    config = {"format": FORMAT, "version": VERSION, "output_space": "arkit52",
              "output_names": list(ARKIT_NAMES), "emotions": list(EMOTIONS),
              "network": model.cfg.to_dict(), **info}
    config_path.write_text(json.dumps(config, indent=1) + "\n")
    return tensors_path


def read_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    tensors_path, config_path = _paths(path)
    if not config_path.is_file():
        raise CheckpointError(f"checkpoint config not found: {config_path} "
                              f"(a checkpoint is {tensors_path.name} plus {config_path.name})")
    try:
        config = json.loads(config_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{config_path.name} is not valid JSON: {exc}") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise CheckpointError(f"{config_path.name} is not a talkface checkpoint config")
    if config.get("version") != VERSION:
        raise CheckpointError(f"{config_path.name} is checkpoint version {config.get('version')}; "
                              f"this talkface reads version {VERSION}: retrain or update talkface")
    if list(config.get("emotions", [])) != list(EMOTIONS):
        raise CheckpointError(f"{config_path.name} was trained with emotions {config.get('emotions')}, "
                              f"expected {list(EMOTIONS)}")
    names = config.get("output_names")
    if not isinstance(names, list) or len(names) != config.get("network", {}).get("n_outputs"):
        raise CheckpointError(f"{config_path.name}: output_names do not match the network's outputs")
    return config


def read_state(path: str | os.PathLike[str] | None = None
               ) -> tuple[dict[str, np.ndarray], NetConfig, dict[str, Any]]:
    """(tensors as numpy arrays, network config, checkpoint config), checked against each other.
    None reads the shipped default checkpoint."""
    tensors_path, _ = _paths(path if path is not None else default_checkpoint())
    config = read_config(tensors_path)
    if not tensors_path.is_file():
        raise CheckpointError(f"checkpoint weights not found: {tensors_path}")
    try:
        state = load_file(str(tensors_path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{tensors_path.name} is damaged or not a safetensors file "
                              f"({exc}); re-download or retrain it") from None
    try:
        cfg = NetConfig.from_dict(config["network"])
        expected = expected_shapes(cfg)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{tensors_path.name}: bad network config: {exc}") from None
    if not known(cfg.speech_encoder, cfg.n_speech):
        raise CheckpointError(f"{tensors_path.name} reads speech encoder {cfg.speech_encoder!r} "
                              f"({cfg.n_speech} numbers a frame), which this talkface cannot run: "
                              "update talkface or retrain")
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [f"{k} {tuple(state[k].shape)} != {v}"
             for k, v in expected.items() if k in state and tuple(state[k].shape) != v]
    if missing or unexpected or wrong:
        detail = "; ".join(filter(None, [
            f"missing {', '.join(missing[:3])}" if missing else "",
            f"unexpected {', '.join(unexpected[:3])}" if unexpected else "",
            f"wrong shape {', '.join(wrong[:3])}" if wrong else ""]))
        raise CheckpointError(f"{tensors_path.name} does not match its config ({detail})")
    if not all(np.isfinite(v).all() for v in state.values()):
        raise CheckpointError(f"{tensors_path.name} holds NaN or infinite weights; retrain it")
    return state, cfg, config


def load_checkpoint(path: str | os.PathLike[str] | None = None,
                    device: str | torch.device = "cpu") -> tuple[TalkNet, dict[str, Any]]:
    """(PyTorch model in eval mode, config). None loads the shipped default checkpoint."""
    import torch

    from .network import TalkNet

    state, cfg, config = read_state(path)
    model = TalkNet(cfg)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    return model.to(device).eval(), config


def load_numpy_checkpoint(path: str | os.PathLike[str] | None = None
                          ) -> tuple[NumpyTalkNet, dict[str, Any]]:
    """(numpy model, config): the same checkpoint without PyTorch."""
    state, cfg, config = read_state(path)
    return NumpyTalkNet(cfg, state), config
