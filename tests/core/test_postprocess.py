"""Smoothing and the lip-closure convention (blinks, gaze, head and the upper face: their own files)."""
from __future__ import annotations

import numpy as np
import pytest

from talkface_core.animation import Animation
from talkface_core.blendshapes import ARKIT_INDEX, ARKIT_NAMES
from talkface_core.training.lip_gap import lip_gap
from talkface_core.postprocess import close_lips_over_jaw, smooth


def _anim(seconds=60.0, fps=30.0, seed=0):
    rng = np.random.default_rng(seed)
    w = np.clip(0.3 + 0.05 * rng.normal(size=(int(seconds * fps), 52)), 0, 1)
    return Animation(ARKIT_NAMES, fps, w)


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
