"""Voice: prosody, phrases, accents and the per-clip seed, measured on real espeak-ng speech."""
from __future__ import annotations

import numpy as np
from fixtures.speech import espeak

from talkface_core.audio import SAMPLE_RATE, load_audio
from talkface_core.postprocess.voice import MIN_PAUSE_S, Voice

EMPHASISED = ('<speak>I want the <prosody pitch="+80%" volume="+80%">red</prosody> ball and the '
              'blue box today.</speak>')
PLAIN = "<speak>I want the red ball and the blue box today.</speak>"


def test_phrases_split_at_pauses_and_not_inside_words(speech_wav, other_speech_wav):
    a, b = load_audio(speech_wav), load_audio(other_speech_wav)
    gap = np.zeros(int(0.8 * SAMPLE_RATE), np.float32)
    voice = Voice.of(np.concatenate([a, gap, b]))
    phrases = voice.phrases
    pauses = phrases[1:, 0] - phrases[:-1, 1]
    # espeak-ng pauses at commas too (a phrase boundary); the longest pause is the inserted one.
    assert 2 <= len(phrases) <= 4, phrases
    assert pauses.min() >= MIN_PAUSE_S
    k = int(np.argmax(pauses))
    assert 0.78 < pauses[k] < 1.6   # the gap, plus the silence espeak-ng leaves around speech
    end_of_a = len(a) / SAMPLE_RATE
    assert end_of_a - 0.6 < phrases[k, 1] <= end_of_a + 0.05   # espeak-ng trails ~0.4 s of silence


def test_the_emphasised_word_is_the_strongest_accent(tmp_path):
    loud = Voice.of(load_audio(espeak(tmp_path / "loud.wav", EMPHASISED, ssml=True)))
    plain = Voice.of(load_audio(espeak(tmp_path / "plain.wav", PLAIN, ssml=True)))
    times, strength = loud.accents()
    red = times[np.argmax(strength)]
    # "red" is the fourth word; it comes about a quarter of the way in, and stands out more than
    # any accent of the plain reading does.
    assert 0.15 < red / loud.duration < 0.4, (times, strength)
    assert strength.max() > plain.accents()[1].max() + 0.1


def test_seed_is_per_clip_and_reproducible(speech_wav, other_speech_wav):
    a, b = load_audio(speech_wav), load_audio(other_speech_wav)
    assert Voice.of(a, 3).seed == Voice.of(a.copy(), 3).seed
    assert Voice.of(a, 3).seed != Voice.of(b, 3).seed
    assert Voice.of(a, 3).seed != Voice.of(a, 4).seed


def test_intonation_is_zero_in_pauses_and_follows_pitch_in_speech(speech_wav):
    a = load_audio(speech_wav)
    voice = Voice.of(np.concatenate([a, np.zeros(SAMPLE_RATE, np.float32)]))
    contour = voice.intonation()
    assert np.all(np.isfinite(contour))
    assert np.abs(contour[voice.times > voice.duration - 0.6]).max() < 1e-6
    assert contour[voice.in_phrase()].std() > 0.5   # espeak's intonation moves by semitones
