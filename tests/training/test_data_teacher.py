"""The teacher on real espeak-ng speech: closures on bilabials, jaw follows vowel openness,
the emotion layer grows with intensity and moves with the voice."""
from __future__ import annotations

import numpy as np
import pytest

from talkface_core.blendshapes import ARKIT_INDEX
from talkface_core.emotions import EMOTIONS
from talkface_core.data.emotion import AU_TABLE
from talkface_core.data.sources import tts
from talkface_core.data.teacher import FPS, teach
from talkface_core.data.visemes import VOWEL_OPENNESS, bilabial_mask, segments

CLOSE, JAW = ARKIT_INDEX["mouthClose"], ARKIT_INDEX["jawOpen"]
TEXTS = ("Bob bought a map, then Pam made a big maple pie by the pool.",
         "Mom, maybe the bottom of the tub is bumpy; what a problem!",
         "Father saw a huge blue moon above the palm trees, but Emma was asleep.")


def _job(text: str, emotion: str, intensity: float, voice: int) -> dict:
    return {"id": f"t_{voice}_{emotion}", "source": "tts", "text": text, "voice": voice,
            "emotion": emotion, "intensity": intensity, "sentence": "t", "lead_s": 0.3, "tail_s": 0.3}


@pytest.fixture(scope="module")
def clips() -> list[tuple[object, np.ndarray]]:
    out = []
    for i, text in enumerate(TEXTS):
        for emotion in ("neutral", "surprise", "angry", "happy"):
            r = tts.render(_job(text, emotion, 1.0, (3 * i + len(emotion)) % len(tts.VOICES)))
            w = teach(r.audio, r.phones, r.phone_set, emotion=emotion, intensity=1.0,
                      style=r.meta["style"], seed=7, clip_id=f"{i}{emotion}")
            out.append((r, w))
    return out


def test_lips_close_on_every_bilabial(clips) -> None:
    checked = 0
    for r, w in clips:
        for start, end, cls in segments(r.phones, r.phone_set):
            if cls != "PBM":
                continue
            lo = max(int(start * FPS) - 1, 0)
            hi = min(int(np.ceil(end * FPS)) + 1, len(w))
            window = w[lo:hi]
            closed = (window[:, CLOSE] > 0.6) & (window[:, JAW] < 0.15)
            assert closed.any(), (r.meta["text"], start, end, window[:, [CLOSE, JAW]])
            checked += 1
    assert checked > 30


def test_bilabial_mask_marks_closed_frames(clips) -> None:
    r, w = clips[0]
    mask = bilabial_mask(r.phones, len(w), FPS, r.phone_set)
    assert mask.sum() >= 8
    assert w[mask, CLOSE].mean() > 0.7 and w[~mask, CLOSE].mean() < 0.3


def test_espeak_timings_match_the_audio(clips) -> None:
    """Stop closures are quiet in the audio exactly where espeak's events put /p b/."""
    ratios = []
    for r, _ in clips:
        rms = lambda a, b: float(np.sqrt(np.mean(r.audio[int(a * 16000):int(b * 16000)] ** 2) + 1e-12))
        for k, (start, end, phone) in enumerate(r.phones[:-1]):
            nxt = r.phones[k + 1]
            if phone in ("p", "b") and nxt[2][0] in "aAeEiIoOuUV@03" and end - start > 0.03:
                ratios.append(rms(start, start + 0.5 * (end - start)) / rms(*nxt[:2]))
    assert len(ratios) > 10
    assert np.median(ratios) < 0.35


def test_jaw_tracks_vowel_openness(clips) -> None:
    openness, jaw = [], []
    for r, w in clips:
        for start, end, cls in segments(r.phones, r.phone_set):
            if cls in VOWEL_OPENNESS and end - start > 0.06:
                frames = w[int(start * FPS):int(np.ceil(end * FPS)), JAW]
                openness.append(VOWEL_OPENNESS[cls])
                jaw.append(frames.max())
    rank = lambda x: np.argsort(np.argsort(x))
    rho = np.corrcoef(rank(openness), rank(jaw))[0, 1]
    assert len(jaw) > 40 and rho > 0.5, rho


@pytest.mark.parametrize("emotion", [e for e in EMOTIONS if e != "neutral"])
def test_emotion_layer_rises_with_intensity_and_moves(clips, emotion: str) -> None:
    r, _ = clips[0]
    cols = [ARKIT_INDEX[n] for n in AU_TABLE[emotion]]
    layer = {}
    for intensity in (0.0, 0.3, 1.0):
        w = teach(r.audio, r.phones, r.phone_set, emotion=emotion, intensity=intensity,
                  style=0, seed=1, clip_id="same")
        layer[intensity] = w[:, cols]
    gain_low = (layer[0.3] - layer[0.0]).mean()
    gain_high = (layer[1.0] - layer[0.0]).mean()
    assert 0.02 < gain_low < gain_high
    # Not a constant offset: the added expression varies over the clip (onset, emphasis).
    assert (layer[1.0] - layer[0.0]).sum(axis=1).std() > 0.05


def test_same_seed_same_teacher_different_clip_different_blinks(clips) -> None:
    r, _ = clips[0]
    kw = dict(emotion="happy", intensity=0.5, style=2, seed=3)
    a = teach(r.audio, r.phones, r.phone_set, clip_id="x", **kw)
    b = teach(r.audio, r.phones, r.phone_set, clip_id="x", **kw)
    c = teach(r.audio, r.phones, r.phone_set, clip_id="y", **kw)
    assert np.array_equal(a, b)
    blink = ARKIT_INDEX["eyeBlinkLeft"]
    assert not np.array_equal(a[:, blink], c[:, blink])
    assert a[:, blink].max() > 0.8  # blinks happen in a few seconds of speech


def test_both_sides_of_the_face_move_alike(clips) -> None:
    """The network learnt a lopsided smile from a teacher with sided resting faces; now every
    mirror pair is equal in every emotion and style."""
    pairs = [(i, ARKIT_INDEX[n.replace("Left", "Right")]) for n, i in ARKIT_INDEX.items()
             if n.endswith("Left") and not n.startswith(("eyeLook", "jaw", "mouthLeft"))]
    r, _ = clips[0]
    for style in range(0, 64, 9):
        for emotion in EMOTIONS:
            w = teach(r.audio, r.phones, r.phone_set, emotion=emotion, intensity=1.0, style=style,
                      seed=4, clip_id="sides")
            for left, right in pairs:
                np.testing.assert_allclose(w[:, left], w[:, right], atol=1e-6)


def test_lips_meet_at_rest_after_speech(clips) -> None:
    for r, _ in clips[::4]:
        audio = np.concatenate([r.audio, np.zeros(16000, np.float32)])   # a second of silence
        w = teach(audio, r.phones, r.phone_set, emotion="neutral", intensity=0.5, style=3,
                  seed=2, clip_id="rest")
        last = max(end for _, end, phone in r.phones if segments([(0, 1, phone)], r.phone_set)[0][2] != "sil")
        rest = w[int((last + 0.3) * FPS):]
        assert len(rest) > 30
        assert (rest[:, JAW] - rest[:, CLOSE]).max() <= 0.02


def test_expression_holds_through_a_pause(clips) -> None:
    """Two sentences with a second of silence between: the smile's cheeks stay up in the pause."""
    (a, _), (b, _) = clips[3], clips[7]
    gap = np.zeros(16000, np.float32)
    shift = (len(a.audio) + len(gap)) / 16000
    audio = np.concatenate([a.audio, gap, b.audio])
    phones = list(a.phones) + [(s + shift, e + shift, p) for s, e, p in b.phones]
    w = teach(audio, phones, a.phone_set, emotion="happy", intensity=1.0, style=5, seed=1, clip_id="hold")
    cheek = w[:, ARKIT_INDEX["cheekSquintLeft"]]
    t = (np.arange(len(w)) + 0.5) / FPS
    pause = (t > len(a.audio) / 16000 + 0.3) & (t < shift - 0.3)
    speaking = np.zeros(len(w), bool)
    for s, e, cls in segments(phones, a.phone_set):
        if cls != "sil":
            speaking |= (t >= s) & (t < e)
    ratio = cheek[pause].mean() / cheek[speaking].mean()
    assert 0.8 <= ratio <= 1.25, ratio


def test_emotion_shapes_articulation_and_lips_still_seal(clips) -> None:
    """Angry speech opens wider and moves faster than neutral, sad smaller and slower; /p b m/
    close whatever the emotion."""
    for r, _ in clips[::4]:
        jaw = {}
        for emotion in ("angry", "neutral", "sad"):
            w = teach(r.audio, r.phones, r.phone_set, emotion=emotion, intensity=1.0, style=8,
                      seed=3, clip_id="art")
            jaw[emotion] = (w[:, JAW].max(), np.abs(np.diff(w[:, JAW])).mean())
            for start, end, cls in segments(r.phones, r.phone_set):
                if cls == "PBM":
                    window = w[max(int(start * FPS) - 1, 0):int(np.ceil(end * FPS)) + 1]
                    assert ((window[:, CLOSE] > 0.6) & (window[:, JAW] < 0.15)).any(), emotion
        for i in range(2):   # 0: how wide, 1: how fast
            assert jaw["angry"][i] > 1.05 * jaw["neutral"][i] > 1.1 * jaw["sad"][i], jaw
