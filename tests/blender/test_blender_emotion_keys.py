"""Emotion keys in Blender, headless: keys edited as the panel edits them drive the result, move
with the clip, are refused clearly when they cannot work, Read from voice fills them and undo
brings the old ones back, the action carries them, and an FBX export keeps the curves."""
from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

from fixtures.blender import require_bpy, run_inline, run_session
from fixtures.emotion_study import load_study
from talkface_core.blendshapes import indices
from talkface_core.emotion_timeline import EmotionTimeline

FPS = 24
START = 10
KEY_FRAMES = (0, 36, 72)           # offsets from the clip's start: 0 s, 1.5 s, 3 s
FBX_NAMES = ["mouthSmileLeft", "browInnerUp", "browDownLeft", "cheekSquintLeft", "mouthFrownRight"]

_SCRIPT = """
from talkface_core.blendshapes import ARKIT_NAMES
from blender_addon import panels

class Layout:
    # Stands in for UILayout: every prop and operator the panel draws must exist.
    drawn = []
    def row(self, **kw): return self
    def column(self, **kw): return self
    def box(self): return self
    def label(self, **kw): pass
    def prop(self, data, name, **kw):
        assert name in data.bl_rna.properties, name
        self.drawn.append(name)
    def operator(self, idname, **kw):
        assert hasattr(getattr(bpy.ops, idname.split(".")[0]), idname.split(".")[1]), idname
        self.drawn.append(idname)
        return self
    def template_list(self, *args, **kw): self.drawn.append(args[0])

def played(first, last):
    # What the NLA plays on the head, frame by frame: (frames, 52) in ARKit order.
    key = bpy.data.objects[HEAD].data.shape_keys
    out = []
    for frame in range(first, last + 1):
        scene.frame_set(frame)
        out.append([key.key_blocks[n].value for n in ARKIT_NAMES])
    return out

def clip():
    return scene.talkface.clips[0]

def generate():
    return sorted(bpy.ops.talkface.generate("EXEC_DEFAULT", True, scope="SELECTED"))

def add_key_at(frame, **values):
    scene.frame_set(frame)
    bpy.ops.talkface.emotion_key_add()
    key = clip().emotion_keys[clip().emotion_key_index]
    for name, value in values.items():
        setattr(key, name, value)
    return key

bpy.ops.talkface.demo_head()
HEAD = scene.talkface.target.name
bpy.ops.talkface.clip_add(filepath=SPEECH)
c = clip()
c.frame_start, c.blink, c.smoothing = START, False, 0.0
n = N_FRAMES
last = START + n - 1

# The simple mode first: one emotion for the clip, and the constant runs the keys ease between.
for emotion, intensity in (("neutral", 0.3), ("happy", 0.9), ("sad", 0.8)):
    c.emotion, c.intensity = emotion, intensity
    generate()
    RESULT[f"constant_{emotion}"] = played(START, last)
c.emotion, c.intensity = "neutral", 0.3

# Keys as the panel makes them: Add key at playhead, then edit the active key.
layout = Layout()
panels._draw_emotion_keys(layout, c)
RESULT["drawn_off"] = list(Layout.drawn)
add_key_at(START + KEY_FRAMES[0])
add_key_at(START + KEY_FRAMES[2], emotion="sad", intensity=0.8)
add_key_at(START + KEY_FRAMES[1], emotion="happy", intensity=0.9)   # lands between: list stays in order
Layout.drawn = []
panels._draw_emotion_keys(layout, c)
RESULT["drawn_on"] = list(Layout.drawn)
RESULT["key_list"] = [[k.frame, k.scene_frame, k.emotion, round(k.intensity, 3)] for k in c.emotion_keys]
RESULT["row"] = panels.emotion_keys.summary(c)
RESULT["generate"] = generate()
RESULT["keyed"] = played(START, last)
action = next(a for a in bpy.data.actions if a.get("talkface_clip") == c.uid)
RESULT["action_timeline"] = action.get("talkface_emotion_timeline")

# Per-key editing drives the result: the happy key becomes a blend of happy and sad.
key = c.emotion_keys[1]
key.blend_with, key.blend = "sad", 0.5
generate()
RESULT["edited"] = played(START, last)

# The keys move with the clip.
key.blend_with = "NONE"
c.frame_start = START + 20
RESULT["moved_scene_frames"] = [k.scene_frame for k in c.emotion_keys]
generate()
RESULT["moved"] = played(START + 20, last + 20)
c.frame_start = START
c.emotion_keys[2].scene_frame = START + 80     # the list's Frame field edits the offset
RESULT["offset_after_edit"] = c.emotion_keys[2].frame
c.emotion_keys[2].frame = KEY_FRAMES[2]

# Keys that cannot work are refused with the clip and the key named; nothing changes.
actions_before = sorted(a.name for a in bpy.data.actions)
messages = {}
for name, change in (("same_frame", lambda: setattr(c.emotion_keys[2], "frame", KEY_FRAMES[1])),
                     ("after_clip", lambda: setattr(c.emotion_keys[2], "frame", n + 48))):
    change()
    try:
        generate()
        messages[name] = None
    except RuntimeError as exc:
        messages[name] = str(exc)
    c.emotion_keys[2].frame = KEY_FRAMES[2]
scene.frame_set(START - 5)
try:
    bpy.ops.talkface.emotion_key_add()
    messages["before_clip"] = None
except RuntimeError as exc:
    messages["before_clip"] = str(exc)
RESULT["messages"] = messages
RESULT["actions_unchanged"] = sorted(a.name for a in bpy.data.actions) == actions_before

# Read from voice replaces the keys; undo brings the animator's keys back.
bpy.ops.ed.undo_push(message="before read")
before = [[k.frame, k.emotion, k.intensity] for k in c.emotion_keys]
RESULT["read"] = sorted(bpy.ops.talkface.emotion_read("EXEC_DEFAULT", True, max_keys=2, min_segment=1.0))
RESULT["read_keys"] = [[k.frame, k.emotion, k.intensity] for k in clip().emotion_keys]
bpy.ops.ed.undo()
scene = bpy.context.scene   # undo reloads the file's data
RESULT["before_read"] = before
RESULT["after_undo"] = [[k.frame, k.emotion, k.intensity] for k in clip().emotion_keys]

# Export: the keyed animation as FBX.
generate()
bpy.ops.talkface.export_fbx(filepath=FBX)
RESULT["fbx_frames"] = list(range(START, last + 1, 2))
RESULT["fbx_values"] = {str(f): dict(zip(ARKIT_NAMES, v))
                        for f, v in zip(range(START, last + 1, 2), played(START, last)[::2])}
"""


@pytest.fixture(scope="module")
def study():
    return load_study()


@pytest.fixture(scope="module")
def session(tmp_path_factory, speech_wav) -> dict:
    require_bpy()
    import soundfile as sf

    tmp = tmp_path_factory.mktemp("emotion_keys")
    n_frames = int(sf.info(speech_wav).duration * FPS)
    fbx = tmp / "export" / "head.fbx"
    prelude = (f"SPEECH = {str(speech_wav)!r}\nFBX = {str(fbx)!r}\nSTART = {START}\n"
               f"N_FRAMES = {n_frames}\nKEY_FRAMES = {KEY_FRAMES!r}\n")
    result = run_inline(prelude + textwrap.dedent(_SCRIPT), timeout=400)
    result["fbx"] = fbx
    result["tmp"] = tmp
    return result


def _arr(session: dict, name: str) -> np.ndarray:
    return np.array(session[name], dtype=np.float64)


def test_the_panel_draws_the_keys_and_their_buttons(session):
    assert session["drawn_off"] == ["use_emotion_keys"]   # simple mode: just the toggle
    for name in ("TALKFACE_UL_emotion_keys", "talkface.emotion_key_add", "talkface.emotion_read",
                 "talkface.emotion_key_remove", "blend_with", "intensity", "emotion_transition"):
        assert name in session["drawn_on"]


def test_keys_added_at_the_playhead_stay_in_time_order(session):
    assert session["key_list"] == [[0, START, "neutral", 0.3], [36, START + 36, "happy", 0.9],
                                   [72, START + 72, "sad", 0.8]]
    assert session["row"] == f"neutral {START} > happy {START + 36} > sad {START + 72}"
    assert session["generate"] == ["FINISHED"]
    timeline = EmotionTimeline.from_dict(json.loads(session["action_timeline"]))
    assert [(k.time_s, k.emotion) for k in timeline.keys] == [(0.0, "neutral"), (1.5, "happy"), (3.0, "sad")]
    assert [k.intensity for k in timeline.keys] == pytest.approx([0.3, 0.9, 0.8], abs=1e-6)


def test_keys_drive_the_result_and_changes_land_on_their_frames(session, study):
    keyed = _arr(session, "keyed")
    runs = [_arr(session, f"constant_{e}") for e in ("neutral", "happy", "sad")]
    for k, offset in ((1, KEY_FRAMES[1]), (2, KEY_FRAMES[2])):
        p = study.progress(keyed, runs[k - 1], runs[k])
        assert abs(study.midpoint(p, FPS, offset / FPS) - offset / FPS) <= 0.1
    smile = indices(("mouthSmileLeft", "mouthSmileRight"))
    happy_span = slice(KEY_FRAMES[1] + 8, KEY_FRAMES[2] - 8)
    assert keyed[happy_span, smile].mean() > keyed[:KEY_FRAMES[1] - 8, smile].mean() + 0.05


def test_editing_a_key_changes_only_its_stretch(session, study):
    keyed, edited = _arr(session, "keyed"), _arr(session, "edited")
    happy, sad = _arr(session, "constant_happy"), _arr(session, "constant_sad")
    span = slice(KEY_FRAMES[1] + 8, KEY_FRAMES[2] - 8)
    # Now a 50/50 blend of happy and sad there: between the two, and unlike happy alone.
    assert study.blend_outside(edited[span], happy[span], sad[span]) < 2e-3
    assert np.abs(edited[span] - keyed[span]).max() > 0.05
    assert np.abs(edited[:KEY_FRAMES[1] - 12] - keyed[:KEY_FRAMES[1] - 12]).max() < 1e-3


def test_keys_move_with_the_clip(session):
    assert session["moved_scene_frames"] == [START + 20 + f for f in KEY_FRAMES]
    assert np.abs(_arr(session, "moved") - _arr(session, "keyed")).max() < 1e-4
    assert session["offset_after_edit"] == 80


def test_keys_that_cannot_work_are_refused_clearly(session):
    messages = session["messages"]
    assert "emotion key at frame" in messages["same_frame"] and "same frame" in messages["same_frame"]
    assert "outside the clip" in messages["after_clip"] and "sad at" in messages["after_clip"]
    assert "before clip" in messages["before_clip"]
    assert session["actions_unchanged"]


def test_read_from_voice_fills_the_keys_and_undo_restores_them(session):
    assert session["read"] == ["FINISHED"]
    read = session["read_keys"]
    assert 1 <= len(read) <= 2 and read[0][0] == 0
    assert read != session["before_read"]
    assert session["after_undo"] == session["before_read"]


def test_fbx_keeps_the_emotion_curves(session):
    imported = run_session("fbx_import.py", session["tmp"], fbx=session["fbx"], names=FBX_NAMES,
                           frames=session["fbx_frames"])["import"]
    assert "error" not in imported, imported.get("error")
    for frame, values in session["fbx_values"].items():
        for name in FBX_NAMES:
            assert imported["values"][frame][name] == pytest.approx(values[name], abs=2e-3), (frame, name)
    smile = [session["fbx_values"][str(f)]["mouthSmileLeft"] for f in session["fbx_frames"]]
    assert max(smile) - min(smile) > 0.05   # the emotion really changes over the exported clip
