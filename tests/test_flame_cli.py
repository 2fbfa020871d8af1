"""`talkface generate --output-space flame --flame-model FILE` end to end: speech in, FLAME
expression and jaw curves out. The pipeline runs on an untrained network; the jaw-motion check
needs the shipped checkpoint (skipped until one is committed)."""
from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from talkface_core import cli
from talkface_core.animation import Animation
from talkface_core.flame_mapping import JAW_CHANNELS
from talkface_core.flame_synthetic import write_synthetic_flame


@pytest.fixture(scope="module")
def untrained(tmp_path_factory):
    """An untrained network in checkpoint format: exercises the pipeline, not the quality."""
    pytest.importorskip("torch")
    from talkface_core.model.checkpoint import save_checkpoint
    from talkface_core.model.network import NetConfig, TalkNet

    path = tmp_path_factory.mktemp("ckpt") / "untrained.safetensors"
    return save_checkpoint(path, TalkNet(NetConfig()).eval(), {"training_data": "none (test)"})


@pytest.fixture(scope="module")
def shipped():
    pytest.importorskip("torch")
    from talkface_core.model.checkpoint import default_checkpoint

    path = default_checkpoint()
    if not path.is_file():
        pytest.skip(f"no shipped checkpoint at {path} yet")
    return path


def _generate(tmp_path, audio, model, checkpoint, capsys) -> Animation:
    out = tmp_path / "flame.json"
    rc = cli.main(["generate", str(audio), "-o", str(out), "--output-space", "flame",
                   "--flame-model", str(model), "--fps", "30", "--quiet", "--device", "cpu",
                   "--checkpoint", str(checkpoint)])
    assert rc == 0, capsys.readouterr().err
    return Animation.load(out)


def test_generate_writes_flame_channels(tmp_path, speech_wav, untrained, capsys):
    model = write_synthetic_flame(tmp_path / "generic_model.npz")
    anim = _generate(tmp_path, speech_wav, model, untrained, capsys)
    assert anim.names[0] == "Exp000" and anim.names[-3:] == JAW_CHANNELS
    assert len(anim.names) == 103 and anim.bounds is None and anim.fps == 30.0
    assert anim.duration == pytest.approx(4.0, abs=1.5)
    assert list(tmp_path.glob("generic_model.talkface-arkit52.*.npz")), "mapping cached"


def test_shipped_model_moves_the_flame_jaw_with_speech(tmp_path, speech_wav, shipped, capsys):
    model = write_synthetic_flame(tmp_path / "generic_model.npz")
    jaw = _generate(tmp_path, speech_wav, model, shipped, capsys).channel("JawRotX")
    # Speech opens and closes the jaw: FLAME's jaw pitch moves by degrees, not noise.
    assert np.ptp(jaw) > np.radians(2.0)


def test_generate_with_a_malicious_model_fails_cleanly(tmp_path, speech_wav, untrained, capsys):
    class Exploit:
        def __reduce__(self):
            return os.system, (f"touch {tmp_path / 'pwned'}",)

    bad = tmp_path / "generic_model.pkl"
    bad.write_bytes(pickle.dumps(Exploit(), protocol=2))
    rc = cli.main(["generate", str(speech_wav), "-o", str(tmp_path / "x.json"), "--output-space",
                   "flame", "--flame-model", str(bad), "--quiet", "--device", "cpu",
                   "--checkpoint", str(untrained)])
    assert rc == 2
    assert "refused to load" in capsys.readouterr().err
    assert not (tmp_path / "pwned").exists()
