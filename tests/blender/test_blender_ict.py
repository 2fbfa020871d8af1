"""The extension on a realistic ARKit head (../shared/data/heads/ict_arkit.blend)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fixtures.blender import build_zip, require_bpy, run_session
from fixtures.speech import espeak


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> dict:
    require_bpy()
    blend = shared_data / "heads" / "ict_arkit.blend"
    if not blend.is_file():
        pytest.skip(f"{blend} not found")
    tmp = tmp_path_factory.mktemp("blender_ict")
    speech = espeak(tmp / "speech.wav", "Mom made a pie, but Bob ate the apple pie.")
    return run_session("ict_head.py", tmp, zip=build_zip(tmp), blend=blend, speech=speech,
                       fbx=tmp / "ict.fbx")


def result(session: dict, name: str) -> dict:
    value = session[name]
    if "error" in value:
        pytest.fail(value["error"])
    if "skipped" in value:
        pytest.skip(value["skipped"])
    return value


def test_all_52_channels_detected(session: dict) -> None:
    assert result(session, "detect")["mapped"] == 52


def test_keys_play_and_really_open_the_jaw(session: dict) -> None:
    keys = result(session, "keyframes")
    assert keys["curves"] == 52
    assert keys["max_move"] > 0.03 * keys["height"]  # the jaw opens visibly...
    assert keys["movers_down"] < 0  # ...downwards...
    assert keys["movers_z"] < keys["blink_z"]  # ...below the eyes
    assert keys["blink_x"] > 0  # eyeBlinkLeft closes the character's left eye (+x)


def test_generated_speech_opens_and_closes_the_mouth(session: dict) -> None:
    values = result(session, "generate")["values"]
    assert len(values) == 52
    jaw = np.array(values["jawOpen"])
    assert jaw.max() - jaw.min() > 0.2
    assert all(0 <= min(v) and max(v) <= 1 for v in values.values())


def test_fbx_export_of_a_dense_head(session: dict) -> None:
    assert result(session, "export")["size"] > 1_000_000
