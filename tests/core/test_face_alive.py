"""The whole face through generate() and `talkface generate`: the new options, rotations in the
Live Link Face CSV, and no layer adding more jitter than real faces have."""
from __future__ import annotations

import numpy as np
import pytest

from talkface_core import GenerationRequest, generate
from talkface_core.animation import Animation
from talkface_core.animation.channels import ROTATION_NAMES
from talkface_core.blendshapes import ARKIT_NAMES
from talkface_core.cli import main
from talkface_core.request import RequestError
from talkface_core.training.realism import read_clips

# The channels the post-processing layers write (the network's lips are measured elsewhere).
LAYER_CHANNELS = tuple(n for n in ARKIT_NAMES if n.startswith(("eye", "brow", "cheek", "nose"))) + (
    "jawLeft", "jawRight", "mouthLeft", "mouthRight")


@pytest.mark.parametrize("option, value", [("gaze", -0.1), ("head_motion", 2.5), ("upper_face", "1"),
                                           ("blink_rate", 61), ("blink_amount", 1.5),
                                           ("gaze", float("nan"))])
def test_bad_face_options_are_refused_by_name(option, value):
    with pytest.raises(RequestError, match=option):
        GenerationRequest(**{option: value})


def test_rotations_reach_the_live_link_csv(speech_wav, tmp_path):
    out = tmp_path / "face.csv"
    assert main(["generate", str(speech_wav), "-o", str(out), "--fps", "30", "--quiet"]) == 0
    anim = Animation.load(out)
    assert anim.rotation_names == ROTATION_NAMES
    rot = dict(zip(anim.rotation_names, anim.rotations.T))
    for name in ("HeadPitch", "LeftEyeYaw", "LeftEyePitch", "RightEyeYaw"):
        assert rot[name].std() > 0.05, name                 # degrees: they really move
    assert np.abs(rot["HeadYaw"]).max() + np.abs(rot["HeadRoll"]).max() > 0.1   # a posture
    assert np.array_equal(rot["LeftEyeYaw"] != 0, rot["RightEyeYaw"] != 0)
    still = tmp_path / "still.csv"
    assert main(["generate", str(speech_wav), "-o", str(still), "--fps", "30", "--quiet",
                 "--head-motion", "0", "--gaze", "0", "--upper-face", "0", "--no-blinks"]) == 0
    calm = Animation.load(still)
    assert not calm.rotations.any()                          # a still head, still eyes
    assert calm.channel("browInnerUp").max() < anim.channel("browInnerUp").max()
    looks = [i for i, n in enumerate(ARKIT_NAMES) if n.startswith("eyeLook")]
    assert calm.weights[:, looks].sum() < 0.5 * anim.weights[:, looks].sum()


def test_cli_refuses_a_bad_amount_before_writing(speech_wav, tmp_path, capsys):
    out = tmp_path / "x.csv"
    assert main(["generate", str(speech_wav), "-o", str(out), "--gaze", "3", "--quiet"]) == 2
    assert "gaze must be in [0, 2]" in capsys.readouterr().err and not out.exists()


def test_two_clips_move_their_own_way(speech_wav, other_speech_wav):
    a = generate(speech_wav, fps=30.0)
    b = generate(other_speech_wav, fps=30.0)
    n = min(a.num_frames, b.num_frames)
    assert not np.allclose(a.rotations[:n], b.rotations[:n])
    again = generate(speech_wav, fps=30.0)
    assert np.array_equal(again.rotations, a.rotations) and np.array_equal(again.weights, a.weights)


def test_layers_jitter_no_more_than_real_faces(speech_wav, shared_data):
    folder = shared_data / "talkvid"
    if not folder.is_dir():
        pytest.skip(f"no talkvid clips in {folder}")
    clips = [c for c in read_clips(folder) if c.fps == 25.0]
    cols = [ARKIT_NAMES.index(n) for n in LAYER_CHANNELS]
    real = np.mean([np.abs(np.diff(c.weights, 2, axis=0)).mean(axis=0) for c in clips], axis=0)
    tracked = np.array([c.weights.std(axis=0) for c in clips]).max(axis=0) > 1e-3
    anim = generate(speech_wav, fps=25.0, emotion="happy", intensity=0.8)
    ours = np.abs(np.diff(anim.weights.astype(np.float64), 2, axis=0)).mean(axis=0)
    over = [ARKIT_NAMES[i] for i in cols if tracked[i] and ours[i] > real[i]]
    assert not over, {n: (round(ours[ARKIT_NAMES.index(n)], 4), round(real[ARKIT_NAMES.index(n)], 4))
                      for n in over}
