"""Emotion keys through generate(), the files and the CLI, on real espeak-ng speech; the voice's
reading as keys. The measures are bench/emotion_timeline_study.py's own (its numbers are in
bench/README.md); here they must hold on one clip."""
from __future__ import annotations

import json

import numpy as np
import pytest

from talkface_core import generate
from talkface_core.animation import Animation
from talkface_core.audio import load_audio
from talkface_core.cli import main
from talkface_core.emotion_timeline import EmotionTimeline, parse_inline, read_track
from talkface_core.pipeline import read_emotion
from talkface_core.request import RequestError

from fixtures.emotion_study import load_study

FPS = 60.0


@pytest.fixture(scope="module")
def study():
    return load_study()


@pytest.fixture(scope="module")
def audio(speech_wav):
    return load_audio(speech_wav)


def _run(audio, emotion, **kw):
    return generate(audio, emotion=emotion, fps=FPS, blinks=False, device="cpu", **kw)


def test_one_key_is_the_plain_emotion(audio):
    plain = _run(audio, "happy", intensity=0.7).weights
    assert np.abs(_run(audio, "happy:0.7@0").weights - plain).max() < 1e-5
    assert np.abs(_run(audio, EmotionTimeline.constant("happy", 0.7)).weights - plain).max() < 1e-5


def test_transitions_land_on_their_keys_without_popping_and_lips_keep_their_shape(audio, study):
    d = len(audio) / 16000
    t1, t2 = round(d / 3, 2), round(2 * d / 3, 2)
    timeline = parse_inline(f"neutral:0.2@0 happy:0.9@{t1} sad:0.8@{t2}")
    keyed = _run(audio, timeline)
    constants = [_run(audio, EmotionTimeline.constant(k.emotion, k.intensity)) for k in timeline.keys]
    y, ys = keyed.weights, [c.weights for c in constants]
    assert keyed.emotion_timeline == timeline
    t = np.arange(len(y)) / FPS
    bounds = [0.0, t1, t2, d]
    for k in (1, 2):
        p = study.progress(y, ys[k - 1], ys[k])
        assert abs(study.midpoint(p, FPS, bounds[k]) - bounds[k]) <= 0.1
        # Away from the change the keyed clip is the constant one: before it, then after it.
        before = (t > bounds[k - 1] + 0.4) & (t < bounds[k] - 0.4)
        after = (t > bounds[k] + 0.4) & (t < bounds[k + 1] - 0.4)
        assert np.abs(p[before]).max() < 0.02 and np.abs(p[after] - 1).max() < 0.02
    slow = keyed.resample(24.0).weights
    assert study.largest_emotion_step(slow, 24.0, [t1, t2], 0.3) < study.lip_step_p999(constants[0].resample(24.0).weights)
    ratios = study.keyed_lip_ratios(y, ys, timeline, FPS, None, None)
    for name in ("gap_mean", "gap_motion", "jaw_mean"):
        assert abs(ratios[name]) < 0.02, (name, ratios)
    # A cut (transition 0) does jump: the measure can tell a pop. Surprise, whose brows and lids
    # are all emotion region (a smile is mostly mouth, and the cheeks follow it held, not cut).
    cut = _run(audio, parse_inline(f"neutral:0.2@0 surprise:0.9@{t1}", transition_s=0.0)).resample(24.0).weights
    eased = _run(audio, parse_inline(f"neutral:0.2@0 surprise:0.9@{t1}")).resample(24.0).weights
    assert study.largest_emotion_step(cut, 24.0, [t1], 0.3) > 1.5 * study.largest_emotion_step(eased, 24.0, [t1], 0.3)


def test_a_blend_lies_between_its_parts_on_every_frame(audio, study):
    happy, sad = (_run(audio, e, intensity=0.8).weights for e in ("happy", "sad"))
    blend = _run(audio, "0.5happy+0.5sad:0.8@0").weights
    assert study.blend_outside(blend, happy, sad) < 2e-3   # held expression only lifts: a max()
    assert np.abs(blend - happy).max() > 0.05 and np.abs(blend - sad).max() > 0.05  # and is neither


def test_a_key_after_the_clip_fails_before_the_network_runs(audio):
    calls = []
    with pytest.raises(RequestError, match=r"emotion key 2 \(sad at 60 s\): outside the clip"):
        generate(audio, emotion="happy:0.5@0 sad:0.5@60", progress=lambda d, t: calls.append(d))
    assert calls == []


def test_files_keep_the_timeline(audio, tmp_path):
    timeline = parse_inline("neutral:0.3@0 0.6happy+0.4surprise:0.6@1.5", transition_s=0.5)
    anim = generate(audio, emotion=timeline, fps=24.0)
    for suffix in ("json", "npz"):
        back = Animation.load(anim.save(tmp_path / f"a.{suffix}"))
        assert back.emotion_timeline == timeline
        assert np.abs(back.weights - anim.weights).max() < 1e-5
    assert Animation.load(anim.save(tmp_path / "a.csv")).emotion_timeline is None   # no place in CSV
    assert generate(audio, emotion="auto").emotion_timeline is None
    doc = json.loads((tmp_path / "a.json").read_text())
    doc["emotion_timeline"]["keys"][1]["intensity"] = 3
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="emotion_timeline is not valid: emotion key 2"):
        Animation.load(tmp_path / "bad.json")


def test_cli_takes_keys_inline_and_from_a_track(speech_wav, tmp_path, capsys):
    out = tmp_path / "keys.json"
    keys = "neutral:0.3@0 happy:0.8@1 0.6happy+0.4surprise:0.6@2"
    assert main(["generate", str(speech_wav), "-o", str(out), "--emotion", keys, "--quiet"]) == 0
    assert json.loads(out.read_text())["emotion_timeline"] == parse_inline(keys).to_dict()
    track = tmp_path / "track.csv"
    track.write_text("time_s,emotion,intensity\n0,sad,0.4\n1.2,angry,0.9\n")
    assert main(["generate", str(speech_wav), "-o", str(out), "--emotion-track", str(track),
                 "--transition", "0.6", "--quiet"]) == 0
    assert Animation.load(out).emotion_timeline == read_track(track, transition_s=0.6)
    assert main(["generate", str(speech_wav), "-o", str(out), "--emotion", "happy", "--intensity", "0.7",
                 "--quiet"]) == 0
    assert Animation.load(out).emotion_timeline == EmotionTimeline.constant("happy", 0.7)
    capsys.readouterr()
    for args, message in (
            (["--emotion", "neutral:0.3@0 hapy:0.8@1"], "emotion key 2 ('hapy:0.8@1'): emotion must be one of"),
            (["--emotion", "neutral:0.3@0 happy:0.8@99"], "emotion key 2 (happy at 99 s): outside the clip"),
            (["--emotion", "sad", "--emotion-track", str(track)], "not both"),
            (["--emotion", "sad", "--transition", "0.5"], "--transition eases between emotion keys")):
        bad = tmp_path / "bad.json"
        assert main(["generate", str(speech_wav), "-o", str(bad), *args, "--quiet"]) == 2
        assert message in capsys.readouterr().err
        assert not bad.exists()


def test_read_from_voice_gives_a_few_keys_generate_takes(speech_wav, tmp_path, capsys):
    d = len(load_audio(speech_wav)) / 16000
    for kw in ({}, {"max_keys": 1}, {"max_keys": 6, "min_segment_s": 0.2, "follow_arousal": True}):
        timeline = read_emotion(speech_wav, device="cpu", **kw)
        assert 1 <= len(timeline.keys) <= kw.get("max_keys", 4)
        assert timeline.keys[0].time_s == 0 and timeline.keys[-1].time_s < d
        gaps = np.diff([k.time_s for k in timeline.keys])
        assert (gaps >= kw.get("min_segment_s", 1.0) - 0.02).all()
        assert all(len(k.weights) == 1 and 0 <= k.intensity <= 1 for k in timeline.keys)
    track = tmp_path / "read.json"
    assert main(["emotions", str(speech_wav), "-o", str(track), "--device", "cpu"]) == 0
    printed = capsys.readouterr().out.strip()
    assert parse_inline(printed) == read_track(track)
    out = tmp_path / "from_reading.json"
    assert main(["generate", str(speech_wav), "-o", str(out), "--emotion", printed, "--quiet"]) == 0
    assert main(["emotions", str(speech_wav), "--max-keys", "0"]) == 2
    assert "--max-keys must be at least 1" in capsys.readouterr().err
    calls = []
    with pytest.raises(ValueError, match="min_segment_s must be 0 or more"):   # before the network
        read_emotion(speech_wav, min_segment_s=-1, progress=lambda d, t: calls.append(d))
    assert calls == []


def test_layers_follow_the_keys_the_expression_held_in_pauses_and_the_sneer(audio):
    from talkface_core.blendshapes import indices
    from talkface_core.postprocess import Voice

    gap = np.zeros(int(16000 * 1.2), np.float32)
    two = np.concatenate([audio, gap, audio])   # two phrases with a 1.2 s pause between
    phrases = Voice.of(two).phrases
    end, start = phrases[phrases[:, 1] < len(audio) / 16000 + 0.2][-1, 1], phrases[-1, 0]
    assert start - end > 0.8
    smile = indices(("mouthSmileLeft", "mouthSmileRight"))
    sad = _run(two, "sad", intensity=1.0).weights[:, smile].mean(1)
    t = np.arange(len(sad)) / FPS
    happy = _run(two, "happy", intensity=1.0).weights[:, smile].mean(1)
    pause = (t > end + 0.3) & (t < start - 0.2)
    # Happy turns sad before the phrase ends: the pause holds sad, not the phrase's mix (which
    # would sit half way). Not exactly sad's: the smile also spreads the lips on /i e/, so a level
    # measured over the phrase's last words differs a little from one over the whole phrase.
    mid_phrase = _run(two, f"happy:1@0 sad:1@{end - 0.8:.2f}").weights[:, smile].mean(1)
    contrast = (happy - sad)[pause].min()
    assert contrast > 0.3 and np.abs(mid_phrase[pause] - sad[pause]).max() < 0.1 * contrast
    # A key in the pause: the held expression changes there, like the keys.
    key_s = round((end + start) / 2, 2)
    in_pause = _run(two, f"happy:1@0 sad:1@{key_s}").weights[:, smile].mean(1)
    i = int(round(key_s * FPS))
    assert abs(in_pause[i] - (happy[i] + sad[i]) / 2) < 0.1 * (happy[i] - sad[i])
    # The nose sneers where the keys ask for disgust, as a plain disgust would.
    d = len(audio) / 16000
    sneer = _run(audio, f"neutral:0.5@0 disgust:0.3@{d / 2:.2f}").channel("noseSneerLeft")
    plain = _run(audio, "disgust", intensity=0.3).channel("noseSneerLeft")   # the layer lifts it
    ta = np.arange(len(sneer)) / FPS
    assert sneer[(ta > 0.5) & (ta < d / 2 - 0.4)].max() < 0.05
    disgusted = (ta > d / 2 + 0.3) & (ta < d - 0.5)
    assert np.abs(sneer - plain)[disgusted].max() < 0.01
