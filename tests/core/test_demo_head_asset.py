"""The demo head asset (talkface_core/assets), read without Blender: its parts, and that every
ARKit key moves what it should and nothing else."""
from __future__ import annotations

import numpy as np
import pytest

from talkface_core.assets import ict_shapes
from talkface_core.assets.demo_head import ASSET, PARTS, DemoHead, load
from talkface_core.blendshapes import ARKIT_NAMES

MM = 0.001


@pytest.fixture(scope="module")
def head() -> DemoHead:
    return load()


def regions(head: DemoHead) -> dict[str, np.ndarray]:
    """Vertex sets the tests reason about, found from the parts and the rest geometry."""
    v = head.vertices
    ball = np.concatenate([head.part_vertices(p) for p in ("sclera", "cornea", "iris", "pupil")])
    teeth = head.part_vertices("teeth")
    jaw = np.linalg.norm(head.delta("jawOpen"), axis=1)
    skin = head.part_vertices("skin")
    return {"eye_left": ball[v[ball, 0] > 0], "eye_right": ball[v[ball, 0] < 0],
            "lower_teeth": teeth[jaw[teeth] > 0], "upper_teeth": teeth[jaw[teeth] == 0],
            "tongue": head.part_vertices("tongue"), "gums": head.part_vertices("gums"),
            # the crown, and the back of the skull above the neck
            "scalp": skin[(v[skin, 2] > 0.13) | ((v[skin, 1] > 0.05) & (v[skin, 2] > -0.03))]}


def moved(head: DemoHead, name: str) -> np.ndarray:
    return np.linalg.norm(head.delta(name), axis=1)


def test_asset_is_compact_complete_and_carries_its_license(head: DemoHead) -> None:
    assert ASSET.stat().st_size < 4_000_000
    assert head.vertices.shape == (26719, 3) and len(head.totals) == 26384
    assert head.totals.sum() == len(head.loops) and head.loops.max() < len(head.vertices)
    assert list(head.keys) == list(ARKIT_NAMES)
    assert set(np.unique(head.parts)) == set(range(len(PARTS)))  # every material is used
    notice = (ASSET.parent / "LICENSE-ICT-FaceKit.txt").read_text()
    assert "MIT License" in notice
    assert "Copyright (c) 2020 USC Institute for Creative Technologies" in notice


def test_head_stands_in_blender_axes_at_human_size(head: DemoHead) -> None:
    v = head.vertices
    assert 0.3 < np.ptp(v[:, 2]) < 0.4  # metres, head and neck, Z up
    nose = v[np.argmin(v[:, 1])]  # the face looks towards -Y: the nose tip is the most forward
    eyes = v[head.part_vertices("iris")]
    assert abs(nose[0]) < 0.005 and eyes[:, 2].mean() > nose[2] > v[list(head.lip_pair), 2].mean()


def test_parts_sit_where_a_face_has_them(head: DemoHead) -> None:
    v = head.vertices
    r = regions(head)
    mouth = v[list(head.lip_pair)].mean(axis=0)
    lips = v[head.part_vertices("lips")]
    assert np.linalg.norm(lips - mouth, axis=1).max() < 0.035 and np.ptp(lips[:, 0]) > 0.04
    for side in ("eye_left", "eye_right"):
        ball = r[side]
        centre = v[ball].mean(axis=0)
        iris = np.intersect1d(ball, head.part_vertices("iris"))
        pupil = np.intersect1d(ball, head.part_vertices("pupil"))
        cornea = np.intersect1d(ball, head.part_vertices("cornea"))
        front = v[iris][v[iris, 1] < v[iris, 1].min() + 0.001]  # the iris disc
        assert 0.025 < abs(centre[0]) < 0.04  # eyes 5 to 8 cm apart
        # iris ring in front of the eyeball, the cornea's clear dome in front of the iris
        assert front[:, 1].mean() < centre[1] - 0.008
        assert v[cornea, 1].min() < front[:, 1].min() - 0.001
        ring = np.linalg.norm((front - front.mean(axis=0))[:, [0, 2]], axis=1)
        assert 0.004 < ring.max() < 0.008  # a 12 mm iris
        assert len(pupil) > 0
    assert v[r["upper_teeth"], 2].min() > v[r["lower_teeth"], 2].min()
    # the tongue lies behind the lower front teeth, above the floor of the mouth
    assert v[r["tongue"], 1].min() > v[r["lower_teeth"], 1].min()
    assert np.isin(r["tongue"], r["gums"]).mean() < 0.1
    # eyebrows: a shade on the skin above each eye, nowhere else
    brow = np.nonzero(head.brows > 0.5)[0]
    assert np.isin(brow, head.part_vertices("skin")).all()
    eyes_z = v[head.part_vertices("iris"), 2].mean()
    assert 0.01 < (v[brow, 2] - eyes_z).min() and (v[brow, 2] - eyes_z).max() < 0.03
    assert (v[brow, 0] > 0).sum() == (v[brow, 0] < 0).sum() > 30


def test_eye_look_keys_turn_the_eyeballs_rigidly(head: DemoHead) -> None:
    v = head.vertices
    r = regions(head)
    for name in ARKIT_NAMES:
        if not name.startswith("eyeLook"):
            continue
        side = "eye_left" if name.endswith("Left") else "eye_right"
        other = "eye_right" if side == "eye_left" else "eye_left"
        look = name[7:].removesuffix("Left").removesuffix("Right")
        ball, after = r[side], head.pose({name: 1.0})
        assert moved(head, name)[ball].max() > 5 * MM, name
        assert moved(head, name)[r[other]].max() == 0, name
        # a rotation about one centre: pairwise distances kept (shape keys move in straight lines,
        # so only at weight 1, where the rotation is exact)
        pairs = ball[::37]
        before_d = np.linalg.norm(v[pairs][:, None] - v[pairs][None], axis=2)
        after_d = np.linalg.norm(after[pairs][:, None] - after[pairs][None], axis=2)
        assert np.abs(after_d - before_d).max() < 0.05 * MM, name
        pupil = np.intersect1d(ball, head.part_vertices("pupil"))
        centre = v[ball].mean(axis=0)  # the ball is symmetric enough about its centre
        gaze_before = v[pupil].mean(axis=0) - centre
        gaze_after = after[pupil].mean(axis=0) - after[ball].mean(axis=0)
        turn = gaze_after - gaze_before
        outwards = np.sign(v[ball, 0].mean())
        expected = {"Up": (2, 1), "Down": (2, -1), "Out": (0, outwards), "In": (0, -outwards)}[look]
        assert np.sign(turn[expected[0]]) == expected[1], (name, turn)
        angle = np.degrees(np.arccos(gaze_before @ gaze_after
                                     / np.linalg.norm(gaze_before) / np.linalg.norm(gaze_after)))
        assert abs(angle - ict_shapes.GAZE_DEGREES[look]) < 3, (name, angle)


def test_every_key_moves_only_what_it_should(head: DemoHead) -> None:
    r = regions(head)
    inside = np.concatenate([r["lower_teeth"], r["upper_teeth"], r["tongue"], r["gums"]])
    for name in ARKIT_NAMES:
        move = moved(head, name)
        assert move.max() > 1 * MM, f"{name} barely moves"
        assert move[r["scalp"]].max() < 0.25 * MM, f"{name} moves the scalp"
        assert move[r["upper_teeth"]].max() == 0, f"{name} moves the upper teeth"
        if not name.startswith("eyeLook"):
            assert move[np.concatenate([r["eye_left"], r["eye_right"]])].max() == 0, name
        if not name.startswith(("jaw", "tongue")):
            assert move[inside].max() == 0, f"{name} moves inside the mouth"
        if name.endswith(("Left", "Right")) and not name.startswith(("jaw", "mouthLeft", "mouthRight")):
            x = head.vertices[:, 0] * np.sign(0.5 - name.endswith("Right"))
            assert (move * (x > 0)).sum() > 4 * (move * (x < 0)).sum(), f"{name} moves the wrong side"
    jaw = moved(head, "jawOpen")
    assert jaw[r["lower_teeth"]].min() > 10 * MM and jaw[r["tongue"]].min() > 2 * MM
    tongue = moved(head, "tongueOut")
    assert np.count_nonzero(tongue) == np.count_nonzero(tongue[r["tongue"]])  # the tongue alone


def test_tongue_out_comes_out_between_the_teeth_past_the_lips(head: DemoHead) -> None:
    r = regions(head)
    pose = head.pose({"jawOpen": 0.3, "tongueOut": 1.0})
    tip = pose[r["tongue"]][np.argmin(pose[r["tongue"], 1])]
    lips = pose[head.part_vertices("lips")]
    assert tip[1] < lips[:, 1].min() - 5 * MM  # in front of the lips
    upper, lower = (pose[t][np.abs(pose[t, 0]) < 0.012] for t in (r["upper_teeth"], r["lower_teeth"]))
    out = r["tongue"][pose[r["tongue"], 1] < lower[:, 1].min()]  # the part out of the mouth
    # between the edges of the lower and the upper front teeth
    assert lower[:, 2].max() - 2 * MM < pose[out, 2].mean() < upper[:, 2].min() + 2 * MM
    assert abs(tip[0]) < 2 * MM
