"""The network, its front end, streaming over long audio, and checkpoint files."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from talkface_core.emotion_timeline import parse_inline
from talkface_core.model.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from talkface_core.model.log_mel import FEATURE_RATE, frame_range, log_mel, num_frames, utterance_features
from talkface_core.model.network import NetConfig, TalkNet
from talkface_core.model.streaming import Cancelled, run_windows

@pytest.fixture(scope="module")
def model() -> TalkNet:
    torch.manual_seed(0)
    return TalkNet(NetConfig(n_styles=3)).eval()


def _voice(seconds: float, seed: int = 0) -> np.ndarray:
    from talkface_core.commands.bench import speechlike
    return speechlike(seconds, seed)


def test_features_rate_and_gain_invariance():
    x = _voice(3.0)
    f = utterance_features(x)
    assert f.shape == (num_frames(len(x)), 80) and FEATURE_RATE == 50
    # A 20 dB quieter recording gives the same normalised features (up to the noise floor).
    assert np.allclose(f, utterance_features(x * 0.1), atol=0.05)


def test_features_ignore_how_much_silence_surrounds_the_speech():
    x = _voice(3.0)
    quiet = np.zeros(16000 * 3, np.float32)
    noisy = np.random.default_rng(0).normal(0, 1e-3, 16000 * 3).astype(np.float32)
    a = utterance_features(x)
    b = utterance_features(np.concatenate([quiet, x, quiet]))[150:150 + len(a)]
    c = utterance_features(np.concatenate([noisy, x + noisy, noisy]))[150:150 + len(a)]
    assert np.abs(a - b).mean() < 0.05 and np.abs(a - c).mean() < 0.2


def test_frame_slices_equal_whole_file():
    x = _voice(2.0)
    whole = log_mel(frame_range(x, 0, num_frames(len(x))))
    assert np.allclose(whole[30:70], log_mel(frame_range(x, 30, 70)), atol=1e-4)


def test_output_range_and_bounded_context(model):
    mel = torch.randn(1, 400, 80)
    e = torch.eye(7)[[1]]
    y = model(mel, e, torch.zeros(1, dtype=torch.long), torch.tensor([1.0]))
    assert y.shape == (1, 400, 52) and (y >= 0).all() and (y <= 1).all()
    # Changing audio far away does not change this frame: the context bound streaming relies on.
    c = model.cfg.context_frames()
    mel2 = mel.clone()
    mel2[:, 200 + c + 1:] += 3.0
    for emotion in (e, None):
        a = model(mel, emotion, torch.zeros(1, dtype=torch.long), torch.tensor([1.0]))
        b = model(mel2, emotion, torch.zeros(1, dtype=torch.long), torch.tensor([1.0]))
        assert torch.allclose(a[:, :201], b[:, :201], atol=1e-5)
        assert not torch.allclose(a, b)


def test_intensity_zero_is_neutral_and_each_channel_is_monotone(model):
    mel = torch.randn(1, 100, 80)
    s = torch.zeros(1, dtype=torch.long)
    eye = torch.eye(7)
    neutral = model(mel, eye[[0]], s, torch.tensor([1.0]))
    assert torch.allclose(model(mel, eye[[3]], s, torch.tensor([0.0])), neutral)
    ys = torch.stack([model(mel, eye[[1]], s, torch.tensor([v]))[0] for v in np.linspace(0, 1, 6)])
    d = ys.diff(dim=0)
    assert ((d >= -1e-6).all(0) | (d <= 1e-6).all(0)).all()


@pytest.mark.parametrize("emotion", ["keys", "auto"])
def test_long_audio_windows_match_one_pass(model, emotion):
    x = _voice(40.0)
    if emotion == "auto":   # the voice's own reading, window by window
        conditioning = lambda mel: model.predict_emotion(mel) * 0.8  # noqa: E731
    else:                   # keys changing emotion across window joins
        conditioning = parse_inline("sad:0.8@0 happy:0.6@5.1 angry:1@10.3 neutral:0@20").conditioning(
            num_frames(len(x)), FEATURE_RATE)
    kw = dict(conditioning=conditioning, style=1)
    one = run_windows(model, x, window=10**6, **kw)
    calls = []
    win = run_windows(model, x, window=300, overlap=40, progress=lambda d, t: calls.append((d, t)), **kw)
    assert win.shape == one.shape == (num_frames(len(x)), 52)
    assert np.abs(win - one).max() < 1e-4
    # No seam: the largest frame-to-frame step at window joins is no bigger than elsewhere.
    steps = np.abs(np.diff(win, axis=0)).max(1)
    joins = [s - 1 + k for s in range(260, len(win) - 1, 260) for k in range(42)]
    assert steps[joins].max() <= steps.max()
    assert calls[-1][0] == calls[-1][1] and [d for d, _ in calls] == list(range(1, len(calls) + 1))


def test_cancel_stops_between_windows(model):
    seen = []
    with pytest.raises(Cancelled):
        run_windows(model, _voice(30.0), conditioning=model.predict_emotion, style=0, window=200,
                    overlap=20, progress=lambda d, t: seen.append(d), cancel=lambda: len(seen) >= 3)
    assert len(seen) == 3


def test_checkpoint_roundtrip(tmp_path, model):
    path = save_checkpoint(tmp_path / "m", model, {"license": "test", "training_data": {}})
    loaded, config = load_checkpoint(path)
    assert config["output_space"] == "arkit52" and len(config["output_names"]) == 52
    for k, v in model.state_dict().items():
        assert torch.equal(v, loaded.state_dict()[k])


def test_truncated_checkpoint_is_a_clear_error(tmp_path, model):
    path = save_checkpoint(tmp_path / "m", model, {})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(path)


def test_wrong_shape_checkpoint_is_a_clear_error(tmp_path, model):
    path = save_checkpoint(tmp_path / "m", model, {})
    cfg = json.loads(path.with_suffix(".json").read_text())
    cfg["network"]["hidden"] = 64
    path.with_suffix(".json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="wrong shape"):
        load_checkpoint(path)


def test_other_version_and_missing_files(tmp_path, model):
    path = save_checkpoint(tmp_path / "m", model, {})
    cfg = json.loads(path.with_suffix(".json").read_text())
    cfg["version"] = 99
    path.with_suffix(".json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="version 99"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "nothing.safetensors")
    path.with_suffix(".json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_checkpoint(path)
