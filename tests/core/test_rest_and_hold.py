"""Between phrases the lips come to rest and the expression holds; both sides move alike.
Real espeak-ng speech: two sentences with a second of silence between them."""
from __future__ import annotations

import numpy as np
import pytest

from fixtures.speech import espeak
from talkface_core import generate
from talkface_core.audio import SAMPLE_RATE, load_audio
from talkface_core.postprocess import Voice, balance_sides, hold_expression, settle_lips
from talkface_core.postprocess.held_expression import EXPRESSION
from talkface_core.postprocess.pauses import SETTLE_END_S, pause_weight
from talkface_core.postprocess.symmetry import BILATERAL

FPS = 50.0


@pytest.fixture(scope="module")
def two_phrases(tmp_path_factory) -> np.ndarray:
    tmp = tmp_path_factory.mktemp("phrases")
    first = load_audio(espeak(tmp / "a.wav", "Happy people smile when they talk."))
    second = load_audio(espeak(tmp / "b.wav", "Then they smile again, much wider."))
    return np.concatenate([first, np.zeros(SAMPLE_RATE, np.float32), second])


def _regions(voice: Voice, n: int):
    t = np.arange(n) / FPS
    (s0, e0), (s1, e1) = voice.phrases[0], voice.phrases[-1]
    speaking = np.zeros(n, bool)
    for start, end in voice.phrases:
        speaking |= (t >= start) & (t <= end)
    settled = (t > e0 + 0.3) & (t < s1 - 0.15)
    return speaking, settled


def test_lips_meet_in_the_pause_and_open_for_speech(two_phrases):
    voice = Voice.of(two_phrases)
    assert len(voice.phrases) == 2, voice.phrases
    anim = generate(two_phrases, emotion="neutral", fps=FPS, device="cpu", blinks=False)
    speaking, settled = _regions(voice, anim.num_frames)
    gap = anim.channel("jawOpen") - anim.channel("mouthClose")
    assert np.all(gap[settled] <= 0.02), gap[settled].max()
    assert gap[speaking].max() > 0.2, "speech still opens the mouth"
    # The layer alone: nothing changes while speaking.
    raw = anim.with_weights(np.random.default_rng(0).uniform(0, 0.6, anim.weights.shape))
    rested = settle_lips(raw, voice)
    weight = pause_weight(voice, anim.num_frames, FPS)
    assert np.array_equal(rested.weights[weight == 0], raw.weights[weight == 0])
    assert weight[settled].min() == 1.0 and SETTLE_END_S < 0.3


def test_the_expression_holds_through_the_pause(two_phrases):
    voice = Voice.of(two_phrases)
    anim = generate(two_phrases, emotion="happy", intensity=0.8, fps=FPS, device="cpu", blinks=False)
    speaking, settled = _regions(voice, anim.num_frames)
    smile = anim.channel("mouthSmileLeft")
    assert 0.8 <= smile[settled].mean() / smile[speaking].mean() <= 1.25
    # The layer only lifts a sagging expression, and only the expression shapes.
    raw = anim.with_weights(np.where(speaking[:, None], 0.5, 0.1).astype(np.float32) * np.ones((1, 52)))
    held = hold_expression(raw, voice)
    cols = [raw.names.index(n) for n in EXPRESSION]
    assert np.allclose(held.weights[settled][:, cols], 0.5, atol=1e-3)
    others = [i for i in range(52) if i not in cols]
    assert np.array_equal(held.weights[:, others], raw.weights[:, others])
    assert np.all(held.weights >= raw.weights - 1e-7)


def test_both_sides_move_alike(two_phrases):
    anim = generate(two_phrases, emotion="happy", intensity=0.8, fps=FPS, device="cpu")
    for side in BILATERAL:
        np.testing.assert_array_equal(anim.channel(f"{side}Left"), anim.channel(f"{side}Right"))
    lopsided = anim.with_weights(np.zeros_like(anim.weights))
    w = lopsided.weights.copy()
    w[:, lopsided.names.index("jawLeft")] = 0.3   # sideways motion is not mirrored away
    w[:, lopsided.names.index("mouthSmileLeft")] = 0.4
    out = balance_sides(lopsided.with_weights(w))
    assert np.allclose(out.channel("mouthSmileRight"), 0.2) and np.allclose(out.channel("jawLeft"), 0.3)
