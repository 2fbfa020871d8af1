"""The add-on's bpy-free parts: the worker job (each clip on its own, with the real engine on real
files), where new clips go and what they are called, and the words of the reports."""
from __future__ import annotations

import pytest

from blender_addon import clip_layout, reports
from blender_addon.job import ClipRequest, Job
from fixtures.speech import espeak
from talkface_core.request import GenerationRequest


def test_one_failing_clip_leaves_the_others_their_results(tmp_path) -> None:
    good = espeak(tmp_path / "good.wav", "Hello Bob.")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all" * 16)
    request = GenerationRequest(fps=24.0, device="cpu")
    clips = [ClipRequest(name, name, str(path), request)
             for name, path in (("one", good), ("bad", bad), ("two", good))]
    job = Job(clips).run_here()
    assert job.done and job.error is None and not job.cancelled
    assert [req.clip_id for req, _ in job.results] == ["one", "two"]
    assert all(anim.num_frames > 10 for _, anim in job.results)
    assert [(req.clip_id, "bad.wav" in message) for req, message in job.errors] == [("bad", True)]


def test_cancel_before_the_run_discards_everything(tmp_path) -> None:
    good = espeak(tmp_path / "good.wav", "Hello Bob.")
    job = Job([ClipRequest("one", "one", str(good), GenerationRequest(fps=24.0, device="cpu"))])
    job.cancel()
    job.run_here()
    assert job.cancelled and job.results == [] and job.errors == []


@pytest.mark.parametrize(("playhead", "length", "spans", "expected"), [
    (1, 10, [], 1),
    (1, 10, [(1, 10)], 11),                    # piles up no more: right after the clip
    (1, 10, [(1, 10), (11, 30)], 31),
    (40, 10, [(1, 10), (11, 30)], 40),         # a free stretch at the playhead: kept
    (25, 10, [(1, 10), (30, 40)], 41),         # 25..34 would run into the clip at 30
    (15, 10, [(1, 10), (30, 40)], 15),         # 15..24 fits in the gap
    (5, 3, [(0, 100), (10, 20)], 101),         # a long clip covering a short one
    (-20, 5, [], 0),                           # never before frame 0
])
def test_free_start(playhead, length, spans, expected) -> None:
    start = clip_layout.free_start(playhead, length, spans)
    assert start == expected
    assert all(last < start or first > start + length - 1 for first, last in spans)


def test_unique_name_follows_blenders_numbering() -> None:
    assert clip_layout.unique_name("speech", set()) == "speech"
    assert clip_layout.unique_name("speech", {"speech"}) == "speech.001"
    assert clip_layout.unique_name("speech", {"speech", "speech.001", "speech.003"}) == "speech.002"


def test_audio_frames_from_the_header(tmp_path) -> None:
    import soundfile as sf

    speech = espeak(tmp_path / "s.wav", "Hello Bob.")
    seconds = sf.info(speech).duration
    assert clip_layout.audio_frames(str(speech), 24.0) == pytest.approx(seconds * 24, abs=1)
    (tmp_path / "text.wav").write_text("hello")
    with pytest.raises(ValueError, match="cannot read .*text.wav as audio"):
        clip_layout.audio_frames(str(tmp_path / "text.wav"), 24.0)


def test_counts_agree_with_their_nouns() -> None:
    assert reports.plural(1, "channel") == "1 channel"
    assert reports.plural(0, "clip") == "0 clips" and reports.plural(2, "clip") == "2 clips"
    assert reports.generated(1, 1, "Head") == "Generated 1 clip on Head"
    assert reports.generated(2, 3, "Head") == "Generated 2 of 3 clips on Head"
    assert reports.listed([str(i) for i in range(10)], 3) == "0, 1, 2 ..."


def test_skipped_channels_once_for_all_clips() -> None:
    lines = reports.skipped_channels({"a": ["tongueOut"], "b": ["tongueOut"], "c": []})
    assert lines == ['1 channel with no shape key skipped (clips "a", "b"): tongueOut']
    lines = reports.skipped_channels({"a": ["x", "y"], "b": ["z"]})
    assert lines == ['2 channels with no shape key skipped (clip "a"): x, y',
                     '1 channel with no shape key skipped (clip "b"): z']
