"""Checkpoint configs of the wrong shape, and symlinked checkpoints (no PyTorch needed): each
wrong JSON type is a CheckpointError naming the field, not a TypeError or RecursionError."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from talkface_core import generate
from talkface_core.model.checkpoint import (CheckpointError, default_checkpoint,
                                            load_numpy_checkpoint, read_config)

SHIPPED = json.loads(default_checkpoint().with_suffix(".json").read_text())


def _checkpoint(folder: Path, config: dict | str, name: str = "model") -> Path:
    """The shipped tensors with `config` (a dict, or raw JSON text) beside them."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.safetensors"
    shutil.copy(default_checkpoint(), path)
    text = config if isinstance(config, str) else json.dumps(config)
    path.with_suffix(".json").write_text(text)
    return path


def _network(**changes: object) -> dict:
    return dict(SHIPPED, network=dict(SHIPPED["network"], **changes))


@pytest.mark.parametrize("config, message", [
    (dict(SHIPPED, emotions=None), r"trained with emotions None"),
    (dict(SHIPPED, network=[]), r"network must be an object of hyper-parameters, got a list"),
    (dict(SHIPPED, network=None), r"network must be an object .* got null"),
    (_network(hidden="96"), r"network.hidden must be a whole number >= 1, got '96'"),
    (_network(n_outputs="52"), r"network.n_outputs must be a whole number >= 1, got '52'"),
    (_network(emotion_pool=True), r"network.emotion_pool must be a whole number >= 1, got True"),
    (_network(content_dilations="1248"), r"network.content_dilations must be a non-empty list"),
    (_network(content_dilations=[1, [2]]), r"network.content_dilations must be"),
    (_network(dropout="0.1"), r"network.dropout must be a number in \[0, 1\)"),
    (_network(speech_encoder=384), r"network.speech_encoder must be a string, got 384"),
    (_network(kernel=4), r"network.kernel must be odd"),
    (dict(SHIPPED, output_names=list(range(52))), r"distinct ARKit blendshape names; found 0"),
    (dict(SHIPPED, output_names=[[1]] * 52), r"distinct ARKit blendshape names; found \[1\]"),
    (dict(SHIPPED, output_names=SHIPPED["output_names"][:51] + ["jawOpen"]),
     "distinct ARKit blendshape names"),
    (dict(SHIPPED, output_names="jawOpen"), "output_names must be a list"),
    (dict(SHIPPED, version=True), r"checkpoint version True"),
    (dict(SHIPPED, output_space="flame"), r"output_space 'flame' is not one"),
    ([SHIPPED], r"is not a talkface checkpoint config"),
])
def test_wrong_json_types_are_checkpoint_errors(tmp_path, config, message):
    path = _checkpoint(tmp_path, config)
    with pytest.raises(CheckpointError, match=message):
        load_numpy_checkpoint(path)


def test_deep_nesting_is_a_checkpoint_error(tmp_path):
    """100000 nested lists made json raise RecursionError."""
    text = json.dumps(SHIPPED)[:-1] + ', "notes": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(CheckpointError, match="nested too deeply"):
        load_numpy_checkpoint(_checkpoint(tmp_path, text))


def test_a_receptive_field_wider_than_the_encoder_window_is_named(tmp_path):
    """A huge emotion_pool was reported as "overlap must be at most half the window" once
    generation had begun; now the checkpoint is refused on load, naming emotion_pool."""
    path = _checkpoint(tmp_path, _network(emotion_pool=100_001))
    with pytest.raises(CheckpointError, match=r"sees 50039 frames either side .*emotion_pool "
                                              r"100001.* at most 699"):
        load_numpy_checkpoint(path)
    audio = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
    with pytest.raises(CheckpointError, match="emotion_pool"):
        generate(audio, checkpoint=path, device="cpu")


def test_a_symlinked_checkpoint_reads_the_config_beside_its_target(tmp_path):
    """Decided: a link's config is the JSON beside the file it points to, the one written with
    those tensors. Every way in (read_config, load_numpy_checkpoint, generate) reads that one,
    and a JSON lying beside the link is not read."""
    target = _checkpoint(tmp_path / "runs" / "7", SHIPPED)
    link = tmp_path / "latest.safetensors"
    link.symlink_to(target)
    assert read_config(link) == SHIPPED
    _, config = load_numpy_checkpoint(link)
    assert config == SHIPPED
    link.with_suffix(".json").write_text(json.dumps(dict(SHIPPED, version=99)))   # ignored
    assert read_config(link)["version"] == 1
    audio = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
    assert generate(audio, checkpoint=link, device="cpu", blinks=False).num_frames > 0
    target.with_suffix(".json").unlink()
    with pytest.raises(CheckpointError, match=r"latest.safetensors is a link to .*model"
                                              r".safetensors, and a checkpoint's config is read "
                                              "beside the file its link points to"):
        load_numpy_checkpoint(link)
