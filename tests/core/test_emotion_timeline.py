"""Emotion keys: the inline form, track files, the checks that name the bad key, and the easing."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from talkface_core.emotion_timeline import (EmotionKey, EmotionTimeline, TimelineError, parse_inline,
                                            read_track, write_track)
from talkface_core.emotions import EMOTIONS
from talkface_core.request import GenerationRequest, RequestError

EXAMPLE = "neutral:0.3@0 happy:0.8@1.5 0.6happy+0.4surprise:0.6@3 sad:0.7@5"


def test_inline_form_parses_and_formats_back():
    timeline = parse_inline(EXAMPLE)
    assert [k.time_s for k in timeline.keys] == [0.0, 1.5, 3.0, 5.0]
    assert dict(timeline.keys[2].weights) == pytest.approx({"happy": 0.6, "surprise": 0.4})
    assert [k.intensity for k in timeline.keys] == [0.3, 0.8, 0.6, 0.7]
    assert timeline.transition_s == 0.3
    assert timeline.inline() == EXAMPLE
    assert parse_inline(timeline.inline()) == timeline


@pytest.mark.parametrize("text, names", [
    ("neutral:0.3@0 hapy:0.8@1.5", ("key 2", "'hapy:0.8@1.5'", "emotion must be one of")),
    ("neutral:0.3@0 happy:1.4@1.5", ("key 2", "intensity must be in [0, 1]", "1.4")),
    ("neutral:0.3@0 happy:0.8@2 sad:0.7@1", ("key 3", "sad at 1 s", "times must increase")),
    ("happy:0.8@1 happy:0.5@1", ("key 2", "times must increase")),
    ("0.6happy+0.6sad:0.5@0", ("key 1", "sum to 1", "1.2")),
    ("happy+sad:0.5@0", ("key 1", "blend like 0.6happy+0.4surprise")),
    ("neutral:0.3@0 happy@2", ("key 2", "EMOTION:INTENSITY@SECONDS")),
    ("neutral:0.3@-1", ("key 1", "0 s or later")),
    ("neutral:0.3@x", ("key 1", "time must be a number")),
])
def test_bad_keys_get_a_message_naming_the_key(text, names):
    with pytest.raises(TimelineError) as exc:
        parse_inline(text)
    for part in names:
        assert part in str(exc.value)
    with pytest.raises(RequestError) as exc:   # the request refuses it the same way
        GenerationRequest(emotion=text)
    assert names[0] in str(exc.value)


def test_time_outside_the_clip_names_the_key():
    timeline = parse_inline(EXAMPLE)
    timeline.check_within(5.0)
    with pytest.raises(TimelineError, match=r"key 4 \(sad at 5 s\): outside the clip, which is 4.2 s long"):
        timeline.check_within(4.2)


def test_request_takes_a_name_auto_or_keys():
    assert GenerationRequest(emotion="sad", intensity=0.7).timeline == EmotionTimeline.constant("sad", 0.7)
    assert GenerationRequest(emotion="auto").timeline is None
    keyed = GenerationRequest(emotion=EXAMPLE)
    assert keyed.emotion == keyed.timeline == parse_inline(EXAMPLE)
    assert GenerationRequest(emotion=parse_inline(EXAMPLE)) == keyed
    with pytest.raises(RequestError, match="or give emotion keys"):
        GenerationRequest(emotion="bored")
    with pytest.raises(RequestError, match="emotion must be"):
        GenerationRequest(emotion=3)


def test_keys_built_in_python_are_checked_too():
    with pytest.raises(TimelineError, match="needs at least one key"):
        EmotionTimeline(())
    with pytest.raises(TimelineError, match="transition must be in"):
        EmotionTimeline((EmotionKey(0, "happy", 0.5),), transition_s=-1)
    with pytest.raises(TimelineError, match="weight of happy must be in"):
        EmotionKey(0, {"happy": 1.5, "sad": -0.5}, 0.5)
    with pytest.raises(TimelineError, match="'auto'"):
        EmotionKey(0, "auto", 0.5)   # auto is a reading, not a key's emotion
    key = EmotionKey(1, {"sad": 0.33, "happy": 0.33, "fear": 0.34}, 0.5)
    assert list(key.weights) == ["happy", "sad", "fear"] and sum(key.weights.values()) == pytest.approx(1)
    assert key.dominant == "fear" and hash(key) == hash(EmotionKey(1, dict(key.weights), 0.5))


def _midpoint(curve: np.ndarray, fps: float) -> float:
    """Time where a rising 0 -> 1 curve crosses one half (linear between frames)."""
    i = int(np.flatnonzero(curve >= 0.5)[0])
    return (i - 1 + (0.5 - curve[i - 1]) / (curve[i] - curve[i - 1])) / fps


def test_easing_is_a_smoothstep_centred_on_each_key():
    fps = 1000.0
    timeline = parse_inline("neutral:0@0 happy:1@1 sad:0.5@2", transition_s=0.4)
    c = timeline.conditioning(3000, fps)
    happy, sad = c[:, EMOTIONS.index("happy")], c[:, EMOTIONS.index("sad")]
    assert _midpoint(happy[:1500], fps) == pytest.approx(1.0, abs=1e-3)
    assert _midpoint(sad / 0.5, fps) == pytest.approx(2.0, abs=1e-3)
    t = np.arange(3000) / fps
    assert np.allclose(happy[t <= 0.8], 0, atol=1e-9) and np.allclose(happy[(t >= 1.2) & (t <= 1.8)], 1)
    steps = np.abs(np.diff(happy))
    assert steps.max() == pytest.approx(1.5 / (0.4 * fps), rel=0.01)   # smoothstep's steepest slope
    assert c[-1] == pytest.approx(np.eye(len(EMOTIONS))[EMOTIONS.index("sad")] * 0.5)
    cut = parse_inline("neutral:0@0 happy:1@1", transition_s=0).conditioning(3000, fps)[:, 1]
    assert (cut[t < 1] == 0).all() and (cut[t >= 1] == 1).all()


def test_keys_closer_than_the_transition_still_change_on_their_time():
    fps = 1000.0
    c = parse_inline("neutral:0@0 happy:1@1 sad:1@1.1").conditioning(2000, fps)
    assert _midpoint(c[:1050, 1], fps) == pytest.approx(1.0, abs=1e-3)
    assert _midpoint(c[:, 2], fps) == pytest.approx(1.1, abs=1e-3)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.05, 3.0), st.sampled_from(EMOTIONS), st.floats(0, 1)),
                min_size=1, max_size=6),
       st.floats(0, 1.0))
def test_conditioning_stays_between_neighbouring_keys(spec, transition):
    times = np.cumsum([gap for gap, _, _ in spec])
    keys = tuple(EmotionKey(float(t), e, i) for t, (_, e, i) in zip(times, spec))
    timeline = EmotionTimeline(keys, transition)
    fps = 50.0
    c = timeline.conditioning(int(times[-1] * fps) + 20, fps)
    values = np.stack([k.vector() * k.intensity for k in keys])
    assert np.isfinite(c).all()
    assert (c >= values.min(0) - 1e-6).all() and (c <= values.max(0) + 1e-6).all()
    assert c.sum(1) == pytest.approx(np.clip(c.sum(1), 0, 1))   # emotion x intensity: a mass <= 1


def test_track_files_round_trip_and_name_the_bad_key(tmp_path):
    timeline = parse_inline(EXAMPLE, transition_s=0.5)
    for suffix in (".json", ".csv"):
        path = write_track(timeline, tmp_path / f"track{suffix}")
        back = read_track(path)
        assert back.keys == timeline.keys
        assert back.transition_s == (0.5 if suffix == ".json" else 0.3)   # CSV holds only keys
        assert read_track(path, transition_s=0.1).transition_s == 0.1
    assert "0.6happy+0.4surprise" in (tmp_path / "track.csv").read_text()
    bad = tmp_path / "bad.csv"
    bad.write_text("time_s,emotion,intensity\n0,neutral,0.3\n1.5,happy,2\n")
    with pytest.raises(TimelineError, match=r"bad.csv: emotion key 2 \(line 3\): intensity"):
        read_track(bad)
    bad.write_text("seconds,emotion\n0,neutral\n")
    with pytest.raises(TimelineError, match="header time_s,emotion,intensity"):
        read_track(bad)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text(json.dumps([{"time_s": 0, "emotion": "neutral", "intensity": 0.3},
                                    {"time_s": 1, "emotion": {"happy": 0.7, "sad": 0.7}, "intensity": 0.5}]))
    with pytest.raises(TimelineError, match=r"bad.json: emotion key 2 \(at 1 s\): the weights of a blend"):
        read_track(bad_json)
    with pytest.raises(TimelineError, match="use a .json or .csv"):
        read_track(tmp_path / "track.txt")
    with pytest.raises(TimelineError, match="missing.json"):
        read_track(tmp_path / "missing.json")
