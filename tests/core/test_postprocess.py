"""Smoothing, blinks and intensity shaping."""
from __future__ import annotations

import numpy as np
import pytest

from talkface_core.animation import Animation
from talkface_core.blendshapes import ARKIT_INDEX, ARKIT_NAMES
from talkface_core.training.lip_gap import lip_gap
from talkface_core.postprocess import add_blinks, close_lips_over_jaw, smooth
from talkface_core.postprocess.blinks import blink_times

BLINK = ARKIT_INDEX["eyeBlinkLeft"]


def _anim(seconds=60.0, fps=30.0, seed=0):
    rng = np.random.default_rng(seed)
    w = np.clip(0.3 + 0.05 * rng.normal(size=(int(seconds * fps), 52)), 0, 1)
    w[:, BLINK] = w[:, ARKIT_INDEX["eyeBlinkRight"]] = 0
    return Animation(ARKIT_NAMES, fps, w)


def test_blinks_have_human_timing_and_are_seeded():
    times = blink_times(600.0, seed=1)
    gaps = np.diff(times)
    assert 10 <= len(times) / 10 <= 25          # 10-25 blinks a minute
    assert gaps.min() >= 1.0 and gaps.std() > 0.5
    assert np.array_equal(times, blink_times(600.0, seed=1))
    assert not np.array_equal(times, blink_times(600.0, seed=2))


def test_blinks_close_the_eyes_briefly():
    anim = add_blinks(_anim(), seed=0)
    lid = anim.channel("eyeBlinkLeft")
    assert lid.max() > 0.95 and (lid > 0.5).mean() < 0.1
    assert np.array_equal(lid, anim.channel("eyeBlinkRight"))


def test_no_blink_over_existing_blinks():
    anim = _anim(20.0)
    w = anim.weights.copy()
    w[:, BLINK] = 0.5   # the character already has its eyes half shut throughout
    out = add_blinks(anim.with_weights(w), seed=0)
    assert np.array_equal(out.channel("eyeBlinkLeft"), w[:, BLINK])


def test_smoothing_reduces_jitter_and_keeps_length():
    anim = _anim(5.0)
    s = smooth(anim, 1.0)
    assert s.num_frames == anim.num_frames
    assert np.abs(np.diff(s.weights, 2, axis=0)).mean() < 0.3 * np.abs(np.diff(anim.weights, 2, axis=0)).mean()
    assert smooth(anim, 0.0) is anim
    with pytest.raises(ValueError):
        smooth(anim, 2.0)


def test_mouth_close_never_exceeds_jaw_and_lip_gap_is_kept():
    anim = _anim(5.0)
    w = anim.weights.copy()
    w[::7, ARKIT_INDEX["mouthClose"]] = 0.9     # a bilabial with the jaw nearly shut
    w[::7, ARKIT_INDEX["jawOpen"]] = 0.05
    anim = anim.with_weights(w)
    out = close_lips_over_jaw(anim)
    assert (out.channel("mouthClose") <= out.channel("jawOpen")).all()
    assert out.channel("mouthClose")[0] == pytest.approx(0.05)
    assert np.allclose(lip_gap(out.weights), lip_gap(anim.weights))
    other = [i for i, n in enumerate(ARKIT_NAMES) if n != "mouthClose"]
    assert np.array_equal(out.weights[:, other], anim.weights[:, other])


def test_real_captures_follow_the_mouth_close_convention(shared_data):
    """The rule close_lips_over_jaw enforces holds in real ARKit curves (MediaPipe on talkvid)."""
    files = sorted((shared_data / "talkvid").glob("*.npz"))
    if not files:
        pytest.skip("no talkvid clips in ../shared/data")
    for f in files:
        z = np.load(f)
        names = [str(n) for n in z["names"]]
        w = z["weights"]
        assert (w[:, names.index("mouthClose")] <= w[:, names.index("jawOpen")] + 0.05).all(), f.name
