"""The demo head at the poses the engine really produces on speech: the lower front teeth never
come through the lower lip (the head's shapes mixed as Blender mixes them, without Blender)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial import cKDTree

from fixtures.speech import espeak
from talkface_core.assets.demo_head import DemoHead, load
from talkface_core.blendshapes import ARKIT_NAMES

SPEECH = ("Bob bought a map, then we watched the blue moon rise over the papers. "
          "Oh, how awful! Peter picked a peck of purple plums.")
CLEARANCE = 0.002  # metres the lower incisors stay behind the lip and chin in front of them


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    from talkface_core import generate

    wav = espeak(tmp_path_factory.mktemp("demo_speech") / "speech.wav", SPEECH)
    anim = generate(wav, device="cpu")
    assert list(anim.names) == list(ARKIT_NAMES)
    return anim.weights


def behind_the_lip(head: DemoHead, pose: np.ndarray) -> float:
    """The least distance (metres, along the face's forward axis -Y) by which a lower front tooth
    lies behind the soft tissue the jaw carries (lower lip, chin) in front of it: for every
    incisor vertex, the most forward tissue vertex within 3 mm of it across (X) and in height (Z).
    Negative: a tooth pokes through."""
    v = head.vertices
    jaw = np.linalg.norm(head.delta("jawOpen"), axis=1)
    tissue = np.union1d(head.part_vertices("lips"), head.part_vertices("skin"))
    tissue = tissue[jaw[tissue] > 0.3 * jaw.max()]
    teeth = head.part_vertices("teeth")
    incisors = teeth[(jaw[teeth] > 0) & (np.abs(v[teeth, 0]) < 0.012)]
    columns = cKDTree(pose[tissue][:, [0, 2]]).query_ball_point(pose[incisors][:, [0, 2]], 0.003)
    gaps = [pose[i, 1] - pose[tissue[c], 1].min() for i, c in zip(incisors, columns) if c]
    return float(min(gaps))


def test_the_speech_reaches_the_extreme_mouth_poses(weights: np.ndarray) -> None:
    peak = dict(zip(ARKIT_NAMES, weights.max(axis=0)))
    assert peak["jawOpen"] > 0.4 and peak["mouthClose"] > 0.2
    assert max(peak["mouthFunnel"], peak["mouthPucker"]) > 0.3 and peak["mouthRollLower"] > 0.3


def test_lower_incisors_stay_behind_the_lower_lip_in_every_frame(weights: np.ndarray) -> None:
    head = load()
    deltas = np.stack([head.delta(name) for name in ARKIT_NAMES])
    clearance = np.array([behind_the_lip(head, head.vertices + np.tensordot(w, deltas, axes=1))
                          for w in weights])
    worst = int(clearance.argmin())
    pose = {n: round(float(x), 2) for n, x in zip(ARKIT_NAMES, weights[worst]) if x > 0.05}
    assert clearance.min() > CLEARANCE, f"frame {worst}: {clearance.min() * 1000:.1f} mm at {pose}"
    at_jaw_peak = clearance[weights[:, ARKIT_NAMES.index("jawOpen")].argmax()]
    assert at_jaw_peak > CLEARANCE


def test_the_measure_sees_a_tooth_through_the_lip() -> None:
    """The check can fail: pushed 15 mm forward, the lower teeth come through the lip."""
    head = load()
    jaw = np.linalg.norm(head.delta("jawOpen"), axis=1)
    pose = head.vertices.copy()
    teeth = head.part_vertices("teeth")
    pose[teeth[jaw[teeth] > 0], 1] -= 0.015
    assert behind_the_lip(head, pose) < 0 < behind_the_lip(head, head.vertices)
