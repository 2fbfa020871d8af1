"""A local transformers speech model (wav2vec2 here, tiny and randomly initialised, saved by the
test itself) as the speech stream: loading, frame grid, refusals. Never fetched."""
from __future__ import annotations

import numpy as np
import pytest

from fixtures.tiny_wav2vec2 import save_tiny_wav2vec2
from talkface_core.audio import load_audio
from talkface_core.model.log_mel import num_frames
from talkface_core.model.hf_encoder import HFSpeechEncoder
from talkface_core.model.speech_encoders import local_spec, spec_for

pytest.importorskip("transformers", reason="transformers runs local speech encoders")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return save_tiny_wav2vec2(tmp_path_factory.mktemp("wav2vec2"))


def test_local_model_gives_one_frame_per_feature_frame(tiny, speech_wav):
    samples = load_audio(speech_wav)
    enc = HFSpeechEncoder(tiny)
    assert enc.name == "hf:wav2vec2-32" == local_spec(tiny).name and enc.dims == 32
    t = num_frames(len(samples))
    out = enc.frames(samples, 0, t)
    assert out.shape == (t, 32) and np.isfinite(out).all()
    assert np.array_equal(out, enc.frames(samples, 0, t))            # deterministic (eval mode)
    assert np.abs(out[10:-10] - out[10:-10].mean(0)).mean() > 1e-3    # it follows the audio


def test_local_spec_names_its_cache_by_the_model_files(tiny, tmp_path):
    other = save_tiny_wav2vec2(tmp_path / "other", hidden=48)
    assert local_spec(tiny).key != local_spec(other).key
    assert local_spec(tiny).key == local_spec(tiny).key


def test_refusals_are_specific(tiny, tmp_path):
    with pytest.raises(ValueError, match="no config.json"):
        HFSpeechEncoder(tmp_path)
    coarse = save_tiny_wav2vec2(tmp_path / "coarse", stride=(5, 2, 2, 2, 2, 2))
    with pytest.raises(ValueError, match="every 160 samples"):
        HFSpeechEncoder(coarse)
    with pytest.raises(ValueError, match="pass its model folder"):
        spec_for("hf:wav2vec2-32")
    with pytest.raises(ValueError, match="holds a wav2vec2-32 model"):
        spec_for("hf:hubert-768", tiny)
