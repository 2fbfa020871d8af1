"""Head motion from the voice: nods on accents, postures at phrase boundaries, the amount."""
from __future__ import annotations

import numpy as np
from fixtures.speech import espeak

from talkface_core.animation import Animation
from talkface_core.audio import SAMPLE_RATE, load_audio
from talkface_core.blendshapes import ARKIT_NAMES
from talkface_core.postprocess import add_head_motion
from talkface_core.postprocess.head_motion import (
    HEAD_NAMES,
    NOD_DEG,
    POSTURE_LEAD_S,
    POSTURE_MOVE_S,
)
from talkface_core.postprocess.rotation_channels import rotation
from talkface_core.postprocess.voice import Voice

FPS = 30.0


def still(seconds: float) -> Animation:
    return Animation(ARKIT_NAMES, FPS, np.zeros((int(round(seconds * FPS)), 52)))


def test_zero_amount_is_a_still_head(speech_wav):
    voice = Voice.of(load_audio(speech_wav))
    out = add_head_motion(still(voice.duration), voice, 0.0)
    assert out.rotation_names == HEAD_NAMES and not out.rotations.any()


def test_head_nods_on_accents(tmp_path):
    text = ('<speak>I said <prosody pitch="+80%" volume="+80%">NOW</prosody>, and then we '
            '<prosody pitch="+80%" volume="+80%">ALL</prosody> went home.</speak>')
    voice = Voice.of(load_audio(espeak(tmp_path / "accents.wav", text, ssml=True)))
    times, strength = voice.accents()
    strong = times[strength > 0.5]
    assert len(strong) >= 1

    class Unaccented(Voice):   # the same voice with its accents taken away
        def accents(self):
            return np.zeros(0), np.zeros(0)

    plain = Unaccented(voice.duration, voice.loudness, voice.semitones, voice.speaking,
                       voice.emphasis, voice.seed)
    # What the accents add to the head's pitch, apart from its postures and intonation (which
    # follow the clip's seed): the chin dips on each stress and comes back.
    nod = (rotation(add_head_motion(still(voice.duration), voice, 1.0), "HeadPitch")
           - rotation(add_head_motion(still(voice.duration), plain, 1.0), "HeadPitch"))

    def at(t: float) -> float:
        return float(np.interp(t, np.arange(len(nod)) / FPS, nod))

    for t, s in zip(times[strength > 0.5], strength[strength > 0.5]):
        dip = max(at(t + d) for d in np.arange(-0.05, 0.16, 0.01)) - (at(t - 0.45) + at(t + 0.55)) / 2
        assert dip > 0.5 * NOD_DEG * s, (t, dip)


def test_postures_change_at_phrase_boundaries_and_scale_with_amount(speech_wav, other_speech_wav):
    a, b = load_audio(speech_wav), load_audio(other_speech_wav)
    samples = np.concatenate([a, np.zeros(SAMPLE_RATE, np.float32), b])
    voice = Voice.of(samples)
    anim = add_head_motion(still(voice.duration), voice, 1.0)
    yaw, roll = rotation(anim, "HeadYaw"), rotation(anim, "HeadRoll")
    assert 0.5 < np.abs(yaw).max() < 15 and np.abs(roll).max() < 10
    frame_t = np.arange(anim.num_frames) / FPS
    starts = voice.phrases[:, 0] - POSTURE_LEAD_S
    moving = ((frame_t[:, None] >= starts) & (frame_t[:, None] <= starts + POSTURE_MOVE_S + 1.5 / FPS)).any(axis=1)
    turning = np.abs(np.diff(yaw, prepend=yaw[0]))
    assert turning[~moving].max() < 1e-3            # yaw turns only as a phrase begins
    twice = add_head_motion(still(voice.duration), voice, 2.0)
    assert np.allclose(twice.rotations, 2 * anim.rotations, atol=1e-4)
    again = add_head_motion(still(voice.duration), voice, 1.0)
    assert np.array_equal(again.rotations, anim.rotations)    # seeded
    assert not np.allclose(add_head_motion(still(voice.duration), Voice.of(samples, 9), 1.0).rotations,
                           anim.rotations)
