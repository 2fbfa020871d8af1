"""generate() and `talkface generate` with the shipped checkpoint on real espeak-ng speech."""
from __future__ import annotations

import numpy as np
import pytest

from talkface_core import generate
from talkface_core.animation import Animation
from talkface_core.audio import load_audio
from talkface_core.blendshapes import ARKIT_NAMES, EMOTION_REGION_NAMES, indices
from talkface_core.cli import main
from talkface_core.pipeline import Cancelled
from talkface_core.model.checkpoint import default_checkpoint, read_config

EMO = indices(EMOTION_REGION_NAMES)


def test_shipped_checkpoint_is_small_and_documented():
    path = default_checkpoint()
    assert path.stat().st_size < 5 * 2**20
    config = read_config(path)
    assert config["training_data"]["use"].startswith("any use")   # the default allows any use
    assert config["output_names"] == list(ARKIT_NAMES)


def test_generate_from_file_at_any_fps(speech_wav):
    seconds = len(load_audio(speech_wav)) / 16000
    for fps in (24.0, 29.97, 60.0):
        anim = generate(speech_wav, fps=fps)
        assert anim.names == ARKIT_NAMES and anim.fps == fps
        assert abs(anim.duration - seconds) < 2 / fps + 0.02
    jaw = anim.channel("jawOpen")
    assert jaw.max() - jaw.min() > 0.2   # the mouth really moves with the speech
    smoothed = generate(speech_wav, fps=60.0, smoothing=1.0)
    for a in (anim, smoothed):   # ARKit: lips close over the jaw, not through it
        assert (a.channel("mouthClose") <= a.channel("jawOpen")).all()


def test_emotions_give_different_faces_on_the_same_audio(speech_wav):
    audio = load_audio(speech_wav)
    runs = {e: generate(audio, emotion=e, intensity=1.0, blinks=False).weights[:, EMO]
            for e in ("neutral", "happy", "sad")}
    for a, b in (("happy", "sad"), ("happy", "neutral"), ("sad", "neutral")):
        assert np.abs(runs[a] - runs[b]).mean() > 0.03, (a, b)
    smile = indices(("mouthSmileLeft", "mouthSmileRight"))
    happy = generate(audio, emotion="happy", intensity=1.0, blinks=False).weights[:, smile].mean()
    sad = generate(audio, emotion="sad", intensity=1.0, blinks=False).weights[:, smile].mean()
    assert happy > sad + 0.1


def test_emotion_shapes_how_the_mouth_moves_and_lips_still_seal(tmp_path):
    """Angry speech opens wider and faster than neutral, sad smaller and slower; /p b m/ still
    close (espeak-ng reports when it says each phone)."""
    from talkface_core.data.espeak import Espeak
    from talkface_core.data.visemes import bilabial_mask
    from talkface_core.training.lip_gap import CLOSED_GAP, lip_gap

    import soundfile

    audio, rate, phones = Espeak.get().synth("Bob bought a map, and Pam made a big maple pie.")
    wav = tmp_path / "bilabials.wav"
    soundfile.write(wav, audio, rate)
    jaw = {}
    for emotion in ("angry", "neutral", "sad"):
        w = generate(wav, emotion=emotion, intensity=1.0, fps=60.0, blinks=False).weights
        j = w[:, ARKIT_NAMES.index("jawOpen")]
        jaw[emotion] = (np.percentile(j, 95), np.abs(np.diff(j)).mean())
        bil = bilabial_mask(phones, len(w), 60.0, "espeak")
        runs = np.split(np.flatnonzero(bil), np.flatnonzero(np.diff(np.flatnonzero(bil)) > 1) + 1)
        closed = [lip_gap(w[max(r[0] - 2, 0):r[-1] + 3]).min() < CLOSED_GAP for r in runs if len(r)]
        assert len(closed) >= 8 and np.mean(closed) >= 0.85, (emotion, closed)
    for i in range(2):   # 0: how wide, 1: how fast
        assert jaw["angry"][i] > 1.1 * jaw["neutral"][i] > 1.2 * jaw["sad"][i], jaw


def test_intensity_grows_emotion_regions_monotonically(speech_wav):
    audio = load_audio(speech_wav)
    base = generate(audio, emotion="happy", intensity=0.0, blinks=False).weights[:, EMO]
    dist = [np.abs(generate(audio, emotion="happy", intensity=s, blinks=False).weights[:, EMO] - base).mean()
            for s in np.linspace(0, 1, 6)]
    assert np.all(np.diff(dist) > 0) and dist[-1] > 0.03


def test_auto_emotion_and_bad_arguments(speech_wav):
    anim = generate(speech_wav, emotion="auto", intensity=1.0)
    assert anim.num_frames > 0
    for kwargs, message in (({"emotion": "bored"}, "emotion"), ({"intensity": 1.5}, "intensity"),
                            ({"style": 10**6}, "style"), ({"output": "x"}, "output"),
                            ({"output_space": "flame"}, "unknown generation option")):
        with pytest.raises(ValueError, match=message):
            generate(speech_wav, **kwargs)


def test_progress_and_cancel():
    audio = np.random.default_rng(0).normal(0, 0.1, 16000 * 70).astype(np.float32)
    seen = []
    generate(audio, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1][0] == seen[-1][1] > 2
    with pytest.raises(Cancelled):
        generate(audio, cancel=lambda: True)


def test_cli_generate_writes_every_format(speech_wav, tmp_path):
    for ext in ("json", "csv", "npz"):
        out = tmp_path / f"out.{ext}"
        assert main(["generate", str(speech_wav), "-o", str(out), "--emotion", "sad", "--fps", "30",
                     "--quiet"]) == 0
        assert Animation.load(out).num_frames > 0
    assert main(["generate", str(tmp_path / "missing.wav"), "-o", str(tmp_path / "x.json"), "--quiet"]) == 2
