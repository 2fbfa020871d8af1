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

from ..blendshapes import ARKIT_INDEX, ARKIT_NAMES
from ..emotions import EMOTIONS
from .config import NetConfig
from .numpy_net import NumpyTalkNet, expected_shapes
from .speech_encoders import known
from .streaming import check_receptive_field

if TYPE_CHECKING:
    import torch

    from .network import TalkNet

FORMAT = "talkface.checkpoint"
VERSION = 1
WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
DEFAULT_NAME = "talkface_default"
OUTPUT_SPACE = "arkit52"
MAX_CONFIG_BYTES = 16 << 20   # the shipped config is 3.5 KB; its training-clip list lives apart


class CheckpointError(ValueError):
    """A checkpoint that is missing, damaged, or made for another version/shape."""


def default_checkpoint() -> Path:
    return WEIGHTS_DIR / f"{DEFAULT_NAME}.safetensors"


def _given(path: str | os.PathLike[str]) -> Path:
    """The tensors file a checkpoint path names (either file of the pair, or the bare name)."""
    p = Path(path)
    return (p.with_suffix("") if p.suffix in (".safetensors", ".json") else p).with_suffix(
        ".safetensors")


def _paths(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """(tensors, config) of a checkpoint. A symlinked tensors file is followed, and its config
    is the JSON beside the file the link points to: the one written with those tensors, so a
    `latest.safetensors` link into a training run needs no second link for its JSON (and a JSON
    lying beside the link is not read)."""
    tensors = _given(path)
    if tensors.is_symlink():
        tensors = tensors.resolve()
    return tensors, tensors.with_suffix(".json")


def save_checkpoint(path: str | os.PathLike[str], model: TalkNet, info: dict[str, Any]) -> Path:
    """Write tensors + config; `info` adds training data summary, license, recipe."""
    from safetensors.torch import save_file
    tensors_path, config_path = _paths(path)
    tensors_path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().float().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(tensors_path), metadata={"format": FORMAT, "version": str(VERSION)})
    config = {"format": FORMAT, "version": VERSION, "output_space": OUTPUT_SPACE,
              "output_names": list(ARKIT_NAMES), "emotions": list(EMOTIONS),
              "network": model.cfg.to_dict(), **info}
    config_path.write_text(json.dumps(config, indent=1) + "\n")
    return tensors_path


def read_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checkpoint's JSON config, its schema checked (CheckpointError naming the first wrong
    field: a wrong JSON type, nesting, an unknown output channel, ...)."""
    tensors_path, config_path = _paths(path)
    if not config_path.is_file():
        link = _given(path)
        via = (f"; {link.name} is a link to {tensors_path}, and a checkpoint's config is read "
               "beside the file its link points to") if link != tensors_path else ""
        raise CheckpointError(f"checkpoint config not found: {config_path} "
                              f"(a checkpoint is {tensors_path.name} plus {config_path.name}{via})")
    name = config_path.name
    if config_path.stat().st_size > MAX_CONFIG_BYTES:
        raise CheckpointError(f"{name} is larger than any checkpoint config "
                              f"({config_path.stat().st_size} bytes)")
    try:
        config = json.loads(config_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{name} is not valid JSON: {exc}") from None
    except RecursionError:
        raise CheckpointError(f"{name} is nested too deeply to be a checkpoint config") from None
    _check_schema(config, name)
    return config


def _check_schema(config: object, name: str) -> None:
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise CheckpointError(f"{name} is not a talkface checkpoint config")
    version = config.get("version")
    if isinstance(version, bool) or version != VERSION:
        raise CheckpointError(f"{name} is checkpoint version {version!r}; this talkface reads "
                              f"version {VERSION}: retrain or update talkface")
    if config.get("output_space", OUTPUT_SPACE) != OUTPUT_SPACE:
        raise CheckpointError(f"{name}: output_space {config['output_space']!r} is not one this "
                              f"talkface generates ({OUTPUT_SPACE!r})")
    if config.get("emotions") != list(EMOTIONS):
        raise CheckpointError(f"{name} was trained with emotions {config.get('emotions')!r}, "
                              f"expected {list(EMOTIONS)}")
    try:
        cfg = NetConfig.from_dict(config.get("network"))
    except ValueError as exc:
        raise CheckpointError(f"{name}: {exc}") from None
    names = config.get("output_names")
    if not isinstance(names, list) or len(names) != cfg.n_outputs:
        raise CheckpointError(f"{name}: output_names must be a list of the network's "
                              f"{cfg.n_outputs} output channels")
    unknown = [n for n in names if not isinstance(n, str) or n not in ARKIT_INDEX]
    if unknown or len(set(names)) != len(names):
        raise CheckpointError(f"{name}: output_names must be distinct ARKit blendshape names; "
                              f"found {unknown[0]!r}" if unknown else
                              f"{name}: output_names must be distinct ARKit blendshape names")


def read_state(path: str | os.PathLike[str] | None = None
               ) -> tuple[dict[str, np.ndarray], NetConfig, dict[str, Any]]:
    """(tensors as numpy arrays, network config, checkpoint config), checked against each other.
    None reads the shipped default checkpoint."""
    given = path if path is not None else default_checkpoint()
    tensors_path, _ = _paths(given)
    config = read_config(given)
    if not tensors_path.is_file():
        raise CheckpointError(f"checkpoint weights not found: {tensors_path}")
    try:
        state = load_file(str(tensors_path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{tensors_path.name} is damaged or not a safetensors file "
                              f"({exc}); re-download or retrain it") from None
    cfg = NetConfig.from_dict(config["network"])   # checked by read_config
    expected = expected_shapes(cfg)
    if not known(cfg.speech_encoder, cfg.n_speech):
        raise CheckpointError(f"{tensors_path.name} reads speech encoder {cfg.speech_encoder!r} "
                              f"({cfg.n_speech} numbers a frame), which this talkface cannot run: "
                              "update talkface or retrain")
    if cfg.speech_encoder:
        try:
            check_receptive_field(cfg)
        except ValueError as exc:
            raise CheckpointError(f"{tensors_path.name}: {exc}: retrain it with a smaller "
                                  "emotion_pool or dilations") from None
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
