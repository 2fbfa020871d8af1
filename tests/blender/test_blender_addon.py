"""The extension as a user meets it: installed from the built zip into a fresh headless Blender.

One Blender session (tests/blender_sessions/addon_flow.py) does the work and reports measurements;
the tests below judge them. A second, fresh session imports the exported FBX.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from fixtures.blender import build_zip, require_bpy, run_session
from fixtures.speech import SENTENCE, run_tool
from talkface_core.blendshapes import ARKIT_NAMES

FPS = 24
BILABIALS = {"b", "p", "m"}
OPEN_VOWELS = ("a", "A", "O", "aI", "aU")


def _speech_with_phones(folder: Path) -> tuple[Path, list[tuple[float, float, str]]]:
    """espeak-ng speech and the engine's own phoneme timings (exact, no aligner)."""
    try:
        from talkface_core.data.espeak import Espeak

        audio, rate, phones = Espeak.get().synth(SENTENCE)
    except (ImportError, OSError, RuntimeError) as exc:
        pytest.skip(f"libespeak-ng not usable for phoneme timings: {exc}")
    path = folder / "speech.wav"
    sf.write(path, audio, rate)
    return path, phones


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> dict:
    require_bpy()
    tmp = tmp_path_factory.mktemp("blender_addon")
    speech, phones = _speech_with_phones(tmp)
    long_speech = tmp / "long.wav"
    run_tool("sox", *([speech] * 8), long_speech)
    results = run_session("addon_flow.py", tmp, zip=build_zip(tmp), speech=speech,
                          long_speech=long_speech, fbx=tmp / "export" / "head.fbx", timeout=480)
    results["phones"] = phones
    results["tmp"] = str(tmp)
    return results


def step(session: dict, name: str) -> dict:
    result = session[name]
    if isinstance(result, dict) and "error" in result:
        pytest.fail(f"Blender step {name!r} raised:\n{result['error']}")
    if isinstance(result, dict) and "skipped" in result:
        pytest.skip(result["skipped"])
    return result


def need_audio(session: dict) -> None:
    if not session["has_audio"]:
        pytest.skip(f"this Blender build ({session['blender']}) has no audio: sound strips cannot exist")


def test_installs_from_zip_and_enables(session: dict) -> None:
    assert session["enabled"]
    assert session["torch_imported"] is False   # everything ran in a Blender without PyTorch


def test_demo_head_has_52_arkit_keys_that_move_the_right_regions(session: dict) -> None:
    head = step(session, "demo_head")
    assert head["names"] == ["Basis", *ARKIT_NAMES]
    assert head["mapped"] == 52
    assert 0.2 < head["height_m"] < 0.5  # a human-sized head
    mark = head["landmarks"]  # metres, Z up
    for name, key in head["keys"].items():
        x, _, z = key["centroid"]
        assert key["max"] > 0.001, f"{name} barely moves ({key['max'] * 1000:.2f} mm)"
        if name.endswith("Left") and not name.startswith(("jaw", "mouthLeft")):
            assert x > 0.005, f"{name} moves the wrong side (x={x:.3f})"
        if name.endswith("Right") and not name.startswith(("jaw", "mouthRight")):
            assert x < -0.005, f"{name} moves the wrong side (x={x:.3f})"
        if name.startswith(("eye", "brow")):
            assert z > mark["eye_z"] - 0.02, f"{name} should act around the eyes/brows (z={z:.3f})"
        if name.startswith(("mouth", "jaw", "tongue")):
            assert z < mark["mouth_z"] + 0.02, f"{name} should act around the mouth/jaw (z={z:.3f})"
        if name.startswith("brow"):
            assert z > mark["eye_z"] + 0.005, f"{name} should move the brows (z={z:.3f})"
    assert head["keys"]["jawOpen"]["max"] > 0.02  # the jaw really opens (metres)


def test_keys_are_written_one_per_frame_within_0_1(session: dict) -> None:
    synthetic = step(session, "synthetic")
    curves = synthetic["before"]["first"]["curves"]
    assert len(curves) == 52
    for path, curve in curves.items():
        assert curve["n"] == 96 and curve["first"] == 20 and curve["last"] == 115, path
        assert curve["frames_consecutive"] and 0.0 <= curve["min"] <= curve["max"] <= 1.0
    # The NLA plays exactly the written values at the scene frame rate.
    assert synthetic["played_jaw"] == pytest.approx(synthetic["expected_jaw"], abs=1e-5)


def test_each_clip_gets_a_track_and_sound_strip_at_its_start(session: dict) -> None:
    state = step(session, "synthetic")["before"]["state"]
    tracks = {t["name"]: t["strips"] for t in state["tracks"]}
    assert tracks["TalkFace: first"] == [{"action": "TF first", "start": 20, "end": 115}]
    assert tracks["TalkFace: second"] == [{"action": "TF second", "start": 300, "end": 347}]
    assert state["range"][1] >= 347
    need_audio(session)
    assert sorted((s["name"], s["start"]) for s in state["sounds"]) == [("first", 20), ("second", 300)]


def test_regenerating_replaces_only_that_clips_action(session: dict) -> None:
    synthetic = step(session, "synthetic")
    after = synthetic["after"]
    assert len(after["first"]) == 1  # the old action is gone, not left behind
    curve = next(iter(after["first"][0]["curves"].values()))
    assert curve["n"] == 48 and curve["first"] == 20  # 60 frames at 30 fps -> 48 at 24 fps
    assert "TF first" not in after["state"]["actions"]
    assert after["second_action_kept"]
    assert [t["name"] for t in after["state"]["tracks"]] == [t["name"] for t in synthetic["before"]["state"]["tracks"]]
    need_audio(session)
    assert len(after["state"]["sounds"]) == 2


def test_users_own_animation_is_never_touched(session: dict) -> None:
    synthetic = step(session, "synthetic")
    assert synthetic["still_active"] and synthetic["user_keys"] == 2
    assert synthetic["user_track_kept"]


def test_generate_from_speech_writes_52_curves_over_the_clip(session: dict) -> None:
    gen = step(session, "generate")
    assert gen["result"] == ["FINISHED"] and gen["n_actions"] == 1
    curves = gen["stats"]["curves"]
    assert len(curves) == 52
    duration = sf.info(Path(session["tmp"]) / "speech.wav").duration
    for path, curve in curves.items():
        assert curve["first"] == 10 and curve["frames_consecutive"], path
        assert abs(curve["n"] - duration * FPS) <= 2, (path, curve["n"], duration * FPS)
        assert 0.0 <= curve["min"] <= curve["max"] <= 1.0
    assert any(c["max"] - c["min"] > 0.2 for p, c in curves.items() if "jawOpen" in p)
    assert gen["state"]["range"][1] >= 10 + duration * FPS - 2
    need_audio(session)
    sounds = gen["state"]["sounds"]
    assert [(s["name"], s["start"]) for s in sounds if s["name"] == "speech"] == [("speech", 10)]


def test_lips_close_on_bilabials_and_open_on_vowels(session: dict) -> None:
    gen = step(session, "generate")
    gaps = np.maximum(np.array(gen["gaps"]), 0.0)  # lips overlapping = closed

    def gap_near(t: float, pick) -> float:
        i = round(t * FPS)
        return float(pick(gaps[max(0, i - 1):i + 2]))

    bilabial = [gap_near((s + e) / 2, np.min) for s, e, p in session["phones"] if p in BILABIALS]
    vowels = [gap_near((s + e) / 2, np.max) for s, e, p in session["phones"] if p.startswith(OPEN_VOWELS)]
    assert len(bilabial) >= 4 and len(vowels) >= 3
    assert np.median(bilabial) < 0.35 * np.median(vowels), (bilabial, vowels)


def test_undo_restores_and_regenerate_keeps_one_action(session: dict) -> None:
    undo = step(session, "undo_regenerate")
    assert undo["actions_after_undo"] == 0
    assert len(undo["after_regenerate"]) == 1 and len(undo["after_again"]) == 1
    assert undo["tracks"].count("TalkFace: speech") == 1


def test_cancel_stops_generation_and_writes_nothing(session: dict) -> None:
    cancel = step(session, "cancel")
    assert cancel["cancelled"] and cancel["results"] == 0 and cancel["job_error"] is None
    assert cancel["progress_at_cancel"] < 1.0
    assert cancel["latency"] < 2.0
    assert cancel["actions_unchanged"]


def test_renamed_rig_maps_and_missing_keys_are_skipped(session: dict) -> None:
    renamed = step(session, "renamed_rig")
    expected = {c: renamed["expected"].get(c, "") for c in ARKIT_NAMES}
    assert renamed["mapping"] == expected
    assert sorted(renamed["skipped_channels"]) == ["cheekPuff", "tongueOut"]
    assert renamed["curves"] == 50


def test_mesh_without_shape_keys_gets_a_clear_message(session: dict) -> None:
    messages = step(session, "no_shape_keys")
    for op in ("talkface.generate", "talkface.detect_rig"):
        assert messages[op] is not None and "has no shape keys" in messages[op]


def test_fbx_round_trip_keeps_shape_key_animation(session: dict) -> None:
    exported = step(session, "export_fbx")
    tmp = Path(session["tmp"])
    fbx = tmp / "export" / "head.fbx"
    assert fbx.is_file() and (tmp / "export" / "speech.wav").is_file()  # audio beside it
    names = ["jawOpen", "mouthClose", "eyeBlinkLeft", "mouthSmileRight"]
    imported = run_session("fbx_import.py", tmp / "export", fbx=fbx, names=names, frames=exported["frames"])
    result = imported["import"]
    assert "error" not in result, result.get("error")
    assert result["shape_keys"] == 53
    assert result["armatures"] == ["Rig"] and result["mesh_parent"] == "Rig"  # the rig came along
    moving = 0
    for frame, values in exported["values"].items():
        for name in names:
            assert result["values"][frame][name] == pytest.approx(values[name], abs=2e-3), (frame, name)
            moving += values[name] > 0.05
    assert moving > 20  # the comparison is about real motion, not zeros
    # The head bone's turn (the clip's head motion) survives the round trip too.
    turns = exported["head_turn"]
    assert max(turns.values()) > 4.0
    for frame, degrees in turns.items():
        assert result["head_turn"][frame] == pytest.approx(degrees, abs=0.2), frame
