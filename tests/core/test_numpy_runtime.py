"""The torch-free runtime: numpy forward pass == PyTorch model, and generate() without PyTorch."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from talkface_core import generate
from talkface_core.audio import load_audio
from talkface_core.emotion_timeline import parse_inline
from talkface_core.model.checkpoint import (CheckpointError, load_checkpoint, load_numpy_checkpoint,
                                            save_checkpoint)
from talkface_core.training.dataset import with_speech
from talkface_core.model.log_mel import FEATURE_RATE, utterance_features
from talkface_core.model.speech_encoders import open_encoder
from talkface_core.model.network import NetConfig, TalkNet
from talkface_core.model.numpy_net import expected_shapes


@pytest.mark.parametrize("cfg", [NetConfig(), NetConfig(hidden=32, emotion_hidden=16, n_styles=5,
                                                        content_dilations=(1, 3), kernel=5),
                                 NetConfig(n_speech=384, speech_encoder="whisper-tiny.en")])
def test_expected_shapes_are_the_torch_state_dict(cfg):
    assert expected_shapes(cfg) == {k: tuple(v.shape) for k, v in TalkNet(cfg).state_dict().items()}


@pytest.mark.parametrize("emotion", ["keys", "auto"])
def test_numpy_forward_equals_torch_on_real_speech(speech_wav, emotion):
    samples = load_audio(speech_wav)
    mel = utterance_features(samples)
    torch_model, _ = load_checkpoint(None)
    numpy_model, _ = load_numpy_checkpoint(None)
    if torch_model.cfg.n_speech:   # the shipped checkpoints also read the Whisper stream
        stream = open_encoder(torch_model.cfg.speech_encoder).frames(samples, 0, len(mel))
        mel = with_speech(torch.from_numpy(mel), stream).numpy()
    if emotion == "auto":   # the voice's own reading, per frame, from each runtime's classifier
        reading = torch_model.predict_emotion(mel)
        assert np.abs(reading - numpy_model.predict_emotion(mel)).max() < 1e-4
        conditioning = reading * 0.8
    else:                   # emotion keys: a change from neutral to happy to a blend mid-clip
        conditioning = parse_inline("neutral:0.2@0 happy:0.8@1 0.5sad+0.5fear:0.6@2.5").conditioning(
            len(mel), FEATURE_RATE)
    for style in (0, torch_model.cfg.n_styles - 1):
        a = torch_model.predict(mel, conditioning, style)
        b = numpy_model.predict(mel, conditioning, style)
        assert a.shape == b.shape == (len(mel), 52)
        assert np.abs(a - b).max() < 1e-4


def test_generate_runs_without_pytorch(speech_wav, tmp_path):
    """What the Blender extension does: PyTorch is not installed, generate() still works."""
    out = tmp_path / "anim.npz"
    script = f"""
import importlib.abc, sys

class NoTorch(importlib.abc.MetaPathFinder):   # as if PyTorch were not installed
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError("No module named 'torch'")

sys.meta_path.insert(0, NoTorch())
from talkface_core import generate
anim = generate({str(speech_wav)!r}, emotion="happy", intensity=0.7, fps=30, blinks=False)
anim.save({str(out)!r})
try:
    generate({str(speech_wav)!r}, device="cuda")
except ValueError as exc:
    print(exc)
print("torch loaded:", any(m.split(".")[0] == "torch" for m in sys.modules))
print("corpus/training code loaded:", sorted(m for m in sys.modules
                                             if m.startswith(("talkface_core.training", "talkface_core.data"))))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "needs PyTorch" in proc.stdout and "torch loaded: False" in proc.stdout
    assert "corpus/training code loaded: []" in proc.stdout  # the runtime stands apart from training
    with np.load(out) as z:
        without = z["weights"]
    with_torch = generate(speech_wav, emotion="happy", intensity=0.7, fps=30, blinks=False,
                          device="torch-cpu").weights
    assert without.shape == with_torch.shape
    assert np.abs(without - with_torch).max() < 1e-4


def test_non_finite_weights_are_refused(tmp_path):
    model = TalkNet(NetConfig(n_styles=2))
    with torch.no_grad():
        model.base_head.bias[3] = float("nan")
    path = save_checkpoint(tmp_path / "m", model, {})
    json.loads(path.with_suffix(".json").read_text())  # the config itself is fine
    with pytest.raises(CheckpointError, match="NaN"):
        load_numpy_checkpoint(path)
