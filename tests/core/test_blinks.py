"""Blinks: rate, per-clip timing, where they gather (phrase ends, gaze shifts), lid shape."""
from __future__ import annotations

import numpy as np
import pytest

from talkface_core.animation import Animation
from talkface_core.audio import load_audio
from talkface_core.blendshapes import ARKIT_INDEX, ARKIT_NAMES
from talkface_core.postprocess import add_blinks, add_gaze
from talkface_core.postprocess.blinks import MIN_GAP_S, blink_times
from talkface_core.postprocess.gaze import fixations
from talkface_core.postprocess.rotation_channels import rotation
from talkface_core.postprocess.voice import ANALYSIS_FPS, Voice
from talkface_core.training.realism import blink_count

FPS = 30.0


def still(seconds: float) -> Animation:
    return Animation(ARKIT_NAMES, FPS, np.zeros((int(seconds * FPS), 52)))


def phrased_voice(seconds: float, seed: int) -> Voice:
    n = int(seconds * ANALYSIS_FPS)
    t = np.arange(n) / ANALYSIS_FPS
    speaking = (t % 5.0) < 3.8                 # 3.8 s phrases, 1.2 s pauses
    return Voice(seconds, speaking * 0.8, np.where(speaking, 0.0, np.nan), speaking,
                 np.zeros(n), (seed, 0))


@pytest.mark.parametrize("rate", [17.0, 26.0, 40.0])
def test_the_requested_rate_is_kept(rate):
    times = blink_times(still(10), Voice.silent(900.0, seed=1), rate)
    assert abs(len(times) / 15.0 - rate) < 0.12 * rate
    assert np.diff(times).min() >= MIN_GAP_S - 1e-9
    assert np.diff(times).std() > 0.4          # irregular, as people are


def test_clips_never_blink_on_the_same_frames(speech_wav, other_speech_wav):
    a, b = load_audio(speech_wav), load_audio(other_speech_wav)
    a, b = np.tile(a, 6), np.tile(b, 6)[:len(a) * 6]      # ~25 s each, several blinks
    anim = still(len(a) / 16000)

    def frames(voice: Voice) -> set[int]:
        lid = add_blinks(anim, voice).channel("eyeBlinkLeft")
        return set(np.flatnonzero(lid > 0.5))

    first = frames(Voice.of(a))
    assert len(first) > 10
    assert frames(Voice.of(a)) == first                      # the same clip: the same blinks
    # Different clips (or seeds) blink independently: two independent blink trains still share a
    # frame now and then, so the share is averaged over several (one pair alone ranged 0-20 %).
    others = [frames(Voice.of(b))] + [frames(Voice.of(a, seed=s)) for s in range(1, 6)]
    assert np.mean([len(first & other) / len(first) for other in others]) < 0.15


def test_blinks_gather_after_phrases_and_gaze_shifts():
    voice = phrased_voice(1800.0, seed=4)
    times = blink_times(still(10), voice, 26.0)
    ends = voice.phrases[:, 1]
    after_end = ((times[:, None] >= ends) & (times[:, None] < ends + 0.5)).any(axis=1)
    window_share = len(ends) * 0.5 / voice.duration
    assert after_end.mean() > 1.8 * window_share, (after_end.mean(), window_share)

    silent = Voice.silent(1800.0, seed=4)
    times = blink_times(add_gaze(still(1800.0), silent, 1.0), silent, 26.0)
    starts, targets = fixations(silent)
    amplitude = np.linalg.norm(np.diff(targets, axis=0), axis=1)

    def blinked_near(moments: np.ndarray) -> float:
        return float((np.abs(times[:, None] - moments[None, :] - 0.1) < 0.25).any(axis=0).mean())

    large = blinked_near(starts[1:][amplitude > 8])
    assert large > blinked_near(starts[1:][amplitude < 3])
    assert large > 1.4 * blinked_near(np.linspace(0, 1800, 5000))     # chance


def test_lids_close_fast_open_slowly_to_the_amount():
    voice = Voice.silent(120.0, seed=2)
    lid = add_blinks(still(120), voice).channel("eyeBlinkLeft")
    assert lid.max() > 0.95 and (lid > 0.5).mean() < 0.1
    assert np.array_equal(lid, add_blinks(still(120), voice).channel("eyeBlinkRight"))
    peak = int(np.argmax(lid))
    start = peak - np.flatnonzero(lid[peak::-1] < 0.05)[0]
    end = peak + np.flatnonzero(lid[peak:] < 0.05)[0]
    assert (end - peak) > 1.5 * (peak - start)
    half = add_blinks(still(120), voice, amount=0.5).channel("eyeBlinkLeft")
    assert 0.45 < half.max() <= 0.5 + 1e-6
    assert blink_count(add_blinks(still(120), voice, amount=0.4).weights) == 0


def test_no_blink_over_closed_eyes_and_rate_zero_is_off():
    anim = still(20.0)
    w = anim.weights.copy()
    w[:, ARKIT_INDEX["eyeBlinkLeft"]] = 0.5     # the character already has its eyes half shut
    out = add_blinks(anim.with_weights(w), Voice.silent(20.0))
    assert np.array_equal(out.channel("eyeBlinkLeft"), w[:, ARKIT_INDEX["eyeBlinkLeft"]])
    assert add_blinks(anim, Voice.silent(20.0), rate=0.0).weights.max() == 0


def test_the_eyes_dip_during_a_blink():
    voice = Voice.silent(60.0, seed=3)
    anim = add_gaze(still(60), voice, 1.0)
    blinked = add_blinks(anim, voice)
    lid = blinked.channel("eyeBlinkLeft")
    dip = rotation(blinked, "LeftEyePitch") - rotation(anim, "LeftEyePitch")
    assert np.allclose(dip, 3.0 * lid, atol=1e-4)                     # down, with the lid
    nasal = rotation(blinked, "RightEyeYaw") - rotation(anim, "RightEyeYaw")
    assert np.allclose(nasal, 1.5 * lid, atol=1e-4)                    # the right eye turns left
