"""The face above the lips: brows on accents, Duchenne cheeks, disgust's sneer, the jaw's drift."""
from __future__ import annotations

import numpy as np
import pytest
from fixtures.speech import espeak
from scipy.ndimage import median_filter

from talkface_core.animation import Animation
from talkface_core.audio import load_audio
from talkface_core.blendshapes import ARKIT_INDEX, ARKIT_NAMES
from talkface_core.postprocess import (
    add_brow_raises,
    add_expression_links,
    add_jaw_sideways,
)
from talkface_core.postprocess.expression_links import CHEEK_PER_SMILE
from talkface_core.postprocess.voice import Voice

FPS = 30.0
SENTENCE = "<speak>I want the {} ball and the blue box today.</speak>"
RED = '<prosody pitch="+80%" volume="+80%">red</prosody>'


def still(seconds: float) -> Animation:
    return Animation(ARKIT_NAMES, FPS, np.zeros((int(round(seconds * FPS)), 52)))


@pytest.fixture(scope="module")
def readings(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("brows")
    return {name: Voice.of(load_audio(espeak(tmp / f"{name}.wav", SENTENCE.format(word), ssml=True)))
            for name, word in (("emphasised", RED), ("plain", "red"))}


def test_brows_rise_at_the_pitch_peak_more_than_elsewhere(readings):
    voice = readings["emphasised"]
    brow = add_brow_raises(still(voice.duration), voice, 1.0).channel("browInnerUp")
    # The F0 peak: the highest 0.1 s of voicing (a median filter drops the tracker's octave slips).
    f0 = median_filter(np.nan_to_num(voice.semitones, nan=-50.0), size=11)
    t = np.arange(len(brow)) / FPS
    high = np.abs(t - voice.times[np.argmax(f0)]) < 0.25
    assert brow[high].max() > 0.3
    assert brow[high].max() > 1.3 * brow[~high].max(), (brow[high].max(), brow[~high].max())
    assert brow[high].mean() > 3 * brow[~high].mean()
    plain = readings["plain"]
    plain_brow = add_brow_raises(still(plain.duration), plain, 1.0).channel("browInnerUp")
    assert brow.max() > plain_brow.max() + 0.1                # emphasis raises them higher
    wide = add_brow_raises(still(voice.duration), voice, 1.0).channel("eyeWideLeft")
    assert np.corrcoef(wide, brow)[0, 1] > 0.99 and 0 < wide.max() < brow.max()


def test_brow_amount_scales_and_zero_is_off(readings):
    voice = readings["emphasised"]
    one = add_brow_raises(still(voice.duration), voice, 1.0).channel("browOuterUpLeft")
    half = add_brow_raises(still(voice.duration), voice, 0.5).channel("browOuterUpLeft")
    assert np.allclose(half, one / 2, atol=1e-6)
    anim = still(voice.duration)
    assert add_brow_raises(anim, voice, 0.0) is anim
    assert np.array_equal(one, add_brow_raises(still(voice.duration), voice, 1.0).channel("browOuterUpRight"))


def test_cheeks_follow_smiles_each_side():
    anim = still(2.0)
    w = anim.weights.copy()
    w[:, ARKIT_INDEX["mouthSmileLeft"]] = np.linspace(0, 0.8, anim.num_frames)
    out = add_expression_links(anim.with_weights(w), "happy", 0.8, 1.0)
    left, right = out.channel("cheekSquintLeft"), out.channel("cheekSquintRight")
    assert np.corrcoef(left, w[:, ARKIT_INDEX["mouthSmileLeft"]])[0, 1] > 0.999
    assert left.max() > 0.4 and right.max() == 0       # no smile on the right: no right cheek
    assert 0 < out.channel("eyeSquintLeft").max() < left.max()
    assert out.channel("noseSneerLeft").max() == 0       # happy is not disgust


def test_cheeks_follow_a_held_smile_not_each_spread_vowel():
    """/i e/ spread the lips (mouthSmile) for a tenth of a second at a time: the cheeks stay."""
    anim = still(3.0)
    t = np.arange(anim.num_frames) / anim.fps
    w = anim.weights.copy()
    spread = 0.3 * (((t + 0.2) % 0.4) < 0.12)      # a spread vowel every 0.4 s, from 0.2 s
    held = np.where(t > 1.5, 0.5, 0.0)             # then a smile that stays
    w[:, ARKIT_INDEX["mouthSmileLeft"]] = spread + held
    cheek = add_expression_links(anim.with_weights(w), "neutral", 0.5, 1.0).channel("cheekSquintLeft")
    assert cheek[t < 1.2].max() < 0.02                        # vowels alone: no cheeks
    assert abs(cheek[(t > 2.2) & (t < 2.6)].mean() - CHEEK_PER_SMILE * 0.5) < 0.05
    assert np.abs(np.diff(cheek)).max() < 0.05                # and it rises without a step


@pytest.mark.parametrize("emotion", ["disgust", "neutral", "angry", "auto"])
def test_nose_sneers_only_in_disgust(emotion):
    out = add_expression_links(still(3.0), emotion, 0.8, 1.0)
    sneer = out.channel("noseSneerLeft")
    if emotion != "disgust":
        assert sneer.max() == 0
        return
    assert np.array_equal(sneer, out.channel("noseSneerRight"))
    assert sneer[0] == 0 and sneer[-1] < 0.01              # eased in and out at the clip's ends
    middle = sneer[len(sneer) // 3: 2 * len(sneer) // 3]
    assert middle.min() == pytest.approx(0.4, abs=1e-6)   # held steady: 0.5 x intensity 0.8


def test_jaw_loops_sideways_with_the_opening_to_both_sides(speech_wav):
    voice = Voice.of(load_audio(speech_wav))
    anim = still(voice.duration)
    w = anim.weights.copy()
    t = np.arange(anim.num_frames) / FPS
    # Slow openings (one a second), whole ones: closed at both ends.
    w[:, ARKIT_INDEX["jawOpen"]] = 0.6 * np.sin(np.pi * t) ** 2 * (t < np.floor(t[-1]) - 1)
    out = add_jaw_sideways(anim.with_weights(w), voice, 1.0)
    for prefix in ("jaw", "mouth"):
        left, right = out.channel(f"{prefix}Left"), out.channel(f"{prefix}Right")
        assert min(left.max(), right.max()) > 0.002                 # both sides, in turn
        assert not ((left > 0) & (right > 0)).any()
        assert abs(np.log(left.mean() / right.mean())) < 0.1          # symmetric over the clip
        assert max(left.std(), right.std()) < 0.014                   # small, as in real faces
    opening = np.gradient(w[:, ARKIT_INDEX["jawOpen"]]) > 0.01
    side = out.channel("mouthLeft") > 0
    assert abs(np.mean(side[opening]) - 0.5) > 0.4                    # one side while opening
    assert add_jaw_sideways(anim.with_weights(w), voice, 0.0).channel("mouthLeft").max() == 0
