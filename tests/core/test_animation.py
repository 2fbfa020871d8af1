"""Animation: validation, drift-free resampling, and JSON / Live Link Face CSV / NPZ files."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

from talkface_core.animation import FLAME, ROTATION_NAMES, VALUES, Animation, AnimationError
from talkface_core.blendshapes import ARKIT_NAMES, MIRROR, MIRROR_PAIRS, GROUPS

FPS = (24, 25, 29.97, 30, 50, 60)


def random_animation(fps: float = 60.0, frames: int = 240, seed: int = 0) -> Animation:
    return Animation(ARKIT_NAMES, fps, np.random.default_rng(seed).random((frames, 52)))


def test_blendshape_vocabulary() -> None:
    assert len(ARKIT_NAMES) == 52 and ARKIT_NAMES[17] == "jawOpen" and ARKIT_NAMES[-1] == "tongueOut"
    assert MIRROR["mouthSmileLeft"] == "mouthSmileRight" and MIRROR["jawOpen"] == "jawOpen"
    assert len(MIRROR_PAIRS) == 20 and all(MIRROR[b] == a for a, b in MIRROR_PAIRS)
    assert GROUPS["brows"] == ("browDownLeft", "browDownRight", "browInnerUp",
                               "browOuterUpLeft", "browOuterUpRight")


@pytest.mark.parametrize("names, fps, weights, message", [
    (ARKIT_NAMES, 30, np.zeros((10, 51)), "weights must be"),
    (ARKIT_NAMES, 30, np.zeros(52), "weights must be"),
    (ARKIT_NAMES, 0, np.zeros((10, 52)), "fps"),
    (ARKIT_NAMES, float("nan"), np.zeros((10, 52)), "fps"),
    (("a", "a"), 30, np.zeros((10, 2)), "unique"),
    (ARKIT_NAMES, 30, np.full((10, 52), np.nan), "NaN"),
])
def test_invalid_animations_are_refused(names, fps, weights, message) -> None:
    with pytest.raises(AnimationError, match=message):
        Animation(names, fps, weights)


def test_clamp_policy() -> None:
    w = np.linspace(-0.5, 1.5, 52)[None, :].repeat(3, axis=0)
    assert Animation(ARKIT_NAMES, 30, w).weights.min() == 0.0
    assert Animation(ARKIT_NAMES, 30, w).weights.max() == 1.0
    with pytest.raises(AnimationError, match=r"must lie in \[0.0, 1.0\]"):
        Animation(ARKIT_NAMES, 30, w, strict=True)
    unbounded = Animation(ARKIT_NAMES, 30, w, channels=VALUES, strict=True)
    assert unbounded.weights.min() == -0.5


@pytest.mark.parametrize("fps", FPS)
def test_resampling_an_hour_keeps_phase(fps: float) -> None:
    """A channel equal to time itself must read the right time at every target frame, to the end."""
    src_fps, seconds = 60.0, 3600
    t = np.arange(int(src_fps * seconds)) / src_fps
    anim = Animation(["t"], src_fps, (t / seconds)[:, None], channels=VALUES)
    out = anim.resample(fps)
    assert out.num_frames == round(seconds * fps)
    expected = np.arange(out.num_frames) / fps / seconds
    last_valid = t[-1] / seconds  # beyond the last source frame the value holds
    err = np.abs(out.weights[:, 0] - np.minimum(expected, last_valid)) * seconds
    assert err.max() < 1e-3  # seconds, after an hour


def test_resampling_preserves_shape_of_motion() -> None:
    anim = random_animation(60, 600)
    there_and_back = anim.resample(24).resample(60)
    assert there_and_back.num_frames == anim.num_frames
    smooth = Animation(ARKIT_NAMES, 60, np.sin(np.arange(600) / 20)[:, None].repeat(52, 1) * 0.5 + 0.5)
    np.testing.assert_allclose(smooth.resample(24).resample(60).weights[:-3],
                               smooth.weights[:-3], atol=0.01)


@pytest.mark.parametrize("fps", FPS)
@pytest.mark.parametrize("suffix", [".json", ".csv", ".npz"])
def test_round_trip(tmp_path: Path, fps: float, suffix: str) -> None:
    anim = random_animation(fps, 97)
    back = Animation.load(anim.save(tmp_path / f"anim{suffix}"))
    assert back.names == ARKIT_NAMES and back.fps == pytest.approx(fps, abs=1e-9)
    np.testing.assert_allclose(back.weights, anim.weights, atol=1e-5)


def test_live_link_face_layout(tmp_path: Path) -> None:
    path = random_animation(30, 45).save(tmp_path / "take.csv")
    with path.open() as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert header[:4] == ["Timecode", "BlendShapeCount", "EyeBlinkLeft", "EyeLookDownLeft"]
    assert header[2 + 52 - 1] == "TongueOut" and tuple(header[-9:]) == ROTATION_NAMES
    assert len(rows) == 46 and all(r[1] == "61" and len(r) == len(header) for r in rows[1:])
    assert rows[1][0] == "00:00:00:00.000" and rows[32][0] == "00:00:01:01.000"


def test_live_link_csv_needs_arkit_channels(tmp_path: Path) -> None:
    flame = Animation(["Exp000", "Exp001"], 30, np.zeros((5, 2)), channels=FLAME)
    with pytest.raises(AnimationError, match="52 ARKit"):
        flame.save(tmp_path / "f.csv")
    assert Animation.load(flame.save(tmp_path / "f.json")).names == ("Exp000", "Exp001")


@pytest.mark.parametrize("name, content", [
    ("broken.json", '{"format": "talkface.animation", "names": ["a"], "fps": 30'),
    ("other.json", '{"hello": 1}'),
    ("bad.csv", "just,some,columns\n1,2,3\n"),
    ("bad.npz", "not a zip file"),
    ("anim.bvh", "HIERARCHY"),
])
def test_unreadable_files(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(AnimationError):
        Animation.load(path)


def test_out_of_range_file_is_refused(tmp_path: Path) -> None:
    path = random_animation(30, 10).save(tmp_path / "a.json")
    doc = json.loads(path.read_text())
    doc["frames"][0][0] = 7.0
    path.write_text(json.dumps(doc))
    with pytest.raises(AnimationError, match="must lie in"):
        Animation.load(path)


@pytest.mark.parametrize("value, shown", [(10**40, "10000000000000000000000000000000000000000"),
                                          (1e300, "1e+300")])
def test_numbers_beyond_float32_are_not_called_nan(tmp_path: Path, value, shown) -> None:
    """Integer (or float64) weights too large for float32 became inf in the cast and were
    reported as "NaN or infinite"; the message now shows the value and where it is."""
    weights = np.zeros((3, 2), dtype=object)
    weights[1, 1] = value
    with pytest.raises(AnimationError, match=rf"weights hold {re.escape(shown)} at \(1, 1\), beyond "
                                             r"float32's range"):
        Animation(["a", "b"], 24.0, weights, channels=VALUES)
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"format": "talkface.animation", "version": 2, "fps": 24,
                                "channels": "values", "names": ["a", "b"],
                                "frames": [[0, 0], [0, value]]}))
    with pytest.raises(AnimationError, match=f"weights hold {re.escape(shown)} at"):
        Animation.load(path)
    with pytest.raises(AnimationError, match=r"NaN or infinite values \(first at \(1, 0\)\)"):
        Animation(["a"], 24.0, np.array([[0.0], [np.nan]]), channels=VALUES)
    with pytest.raises(AnimationError, match="weights must be numbers"):
        Animation(["a"], 24.0, [["x"]], channels=VALUES)
