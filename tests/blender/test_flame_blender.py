"""FLAME in Blender (headless bpy, each scenario in a fresh Blender in a subprocess): create a
FLAME head from a model file, detect it as a FLAME rig, key a FLAME animation onto it, and check
the deformed mesh Blender evaluates against FLAME's own formula (expressions + jaw correctives +
linear blend skinning about the jaw joint)."""
from __future__ import annotations

import textwrap

import pytest

from fixtures.blender import require_bpy, run_inline

_PRELUDE = """
from blender_addon import apply, compat, flame_head, flame_rig, head_rig
RESULT["rest"] = ["TalkFace: rest"] if compat.SHAPE_KEY_DEFAULT != 0.0 else []  # see hold_rest
from talkface_core.flame.rotations import rotation_matrices
from talkface_core.animation import Animation
from talkface_core.blendshapes import ARKIT_INDEX, ARKIT_NAMES
from talkface_core.flame.model import load_flame
from talkface_core.flame.mapping import arkit_to_flame
from fixtures.flame_synthetic import write_synthetic_flame

model_path = write_synthetic_flame({model!r})
model = load_flame(model_path)

def arkit_anim(frames=12):
    w = np.zeros((frames, 52), np.float32)
    w[:, ARKIT_INDEX["jawOpen"]] = np.linspace(0, 1, frames)
    w[:, ARKIT_INDEX["mouthSmileLeft"]] = 0.6
    w[:, ARKIT_INDEX["eyeBlinkRight"]] = np.linspace(1, 0, frames)
    return Animation(ARKIT_NAMES, 24.0, w)

def evaluated(obj):
    dg = bpy.context.evaluated_depsgraph_get()
    ev = obj.evaluated_get(dg)
    me = ev.to_mesh()
    co = np.empty(len(me.vertices) * 3)
    me.vertices.foreach_get("co", co)
    ev.to_mesh_clear()
    return co.reshape(-1, 3)

def flame_forward(coeffs):
    # FLAME with only the jaw posed: expressions and the jaw's pose correctives on the template,
    # then linear blend skinning about the jaw joint (written out here, independent of the add-on).
    rot = rotation_matrices(coeffs[None, -3:])[0]
    posed = (model.v_template + model.exprdirs @ coeffs[:-3]
             + model.posedirs[:, :, 9:18] @ (rot - np.eye(3)).ravel())
    rel = posed - model.joints()[2]
    return posed + model.weights[:, 2, None] * (rel @ rot.T - rel)
"""

_KEY_AND_EVALUATE = """
head = flame_head.create(bpy.context, model)
result = dict(is_flame=flame_rig.is_flame_rig(head),
              keys=len(flame_rig.expression_keys(head)),
              groups=[g.name for g in head.vertex_groups],
              bones=[b.name for b in head.parent.data.bones],
              model_prop=flame_rig.model_path(head) == str(model_path))
mapped = arkit_to_flame(arkit_anim(), model_path)
clip = scene.talkface.clips.add()
clip.name, clip.filepath, clip.frame_start = "hello", {wav!r}, 5
skipped = apply.apply_result(scene, head, clip, mapped)
result["skipped"] = skipped.skipped
errors, jaw_angles = [], []
for i in (0, 6, 11):
    scene.frame_set(5 + i)
    got = evaluated(head)
    want = flame_forward(mapped.weights[i].astype(np.float64))
    errors.append(float(np.abs(got - want).max()))
    jaw_angles.append(float(mapped.weights[i, -3]))
result["errors"], result["jaw_x"] = errors, jaw_angles
result["scale"] = float(np.abs(model.v_template).max())
key_tracks = [t.name for t in head.data.shape_keys.animation_data.nla_tracks]
arm_tracks = [t.name for t in head.parent.animation_data.nla_tracks]
result["tracks"] = [key_tracks, arm_tracks]
# Generating the clip again replaces its actions instead of stacking new tracks.
apply.apply_result(scene, head, clip, mapped)
result["tracks_again"] = [len(head.data.shape_keys.animation_data.nla_tracks),
                          len(head.parent.animation_data.nla_tracks)]
result["frame_end"] = scene.frame_end
RESULT.update(result)
"""

_NOT_FLAME = """
bpy.ops.mesh.primitive_cube_add()
cube = bpy.context.active_object
cube.shape_key_add(name="Basis")
for n in ("jawOpen", "Exp000"):
    cube.shape_key_add(name=n)
head = flame_head.create(bpy.context, model)
def described(output):
    return None if output is None else dict(model=str(output.model), landmarks=output.landmarks and str(output.landmarks))

options = described(flame_rig.flame_output(head))
setattr(head, flame_rig.LANDMARKS_PROP, str(model_path.parent / "missing_embedding.npy"))
try:
    flame_rig.flame_output(head)
    missing = None
except ValueError as exc:
    missing = str(exc)
lmk = model_path.parent / "landmark_embedding.npy"
np.save(lmk, np.zeros(3))
setattr(head, flame_rig.LANDMARKS_PROP, str(lmk))
RESULT.update(cube=flame_rig.is_flame_rig(cube), options=options, missing=missing,
              with_landmarks=described(flame_rig.flame_output(head)),
              cube_options=described(flame_rig.flame_output(cube)))
"""


_OPERATORS = """
import talkface_core
calls = []

def fake_generate(audio, request, *, progress=None, cancel=None):
    # Stands in for the network (no checkpoint in tests): ARKit out, mapped like generate() does.
    flame = request.flame
    calls.append(dict(flame_model=flame and str(flame.model)))
    anim = Animation(ARKIT_NAMES, request.fps, arkit_anim(20).weights)
    return arkit_to_flame(anim, flame.model) if flame else anim

talkface_core.generate = fake_generate
assert bpy.ops.talkface.flame_head(filepath=str(model_path)) == {{"FINISHED"}}
head = head_rig.resolve_mesh(scene.talkface.target)
clip = scene.talkface.clips.add()
clip.name, clip.filepath, clip.frame_start = "line1", {wav!r}, 10
state = bpy.ops.talkface.generate("EXEC_DEFAULT", scope="ALL")
key = head.data.shape_keys
scene.frame_set(10 + 19)
result = dict(state=sorted(state), calls=calls, name=head.name,
              key_tracks=[t.name for t in key.animation_data.nla_tracks],
              arm_tracks=[t.name for t in head.parent.animation_data.nla_tracks],
              jaw=head.parent.pose.bones["jaw"].rotation_euler[0],
              exp0=key.key_blocks["Exp000"].value)
# FBX: the baked file carries the expression curves and the jaw bone's rotation.
fbx = {fbx!r}
assert bpy.ops.talkface.export_fbx(filepath=fbx) == {{"FINISHED"}}
from blender_addon import compat
before = set(bpy.data.actions)
bpy.ops.import_scene.fbx(filepath=fbx)
paths = {{fc.data_path for a in set(bpy.data.actions) - before for fc in compat.action_fcurves(a)}}
result["fbx_exp"] = any("Exp000" in p for p in paths)
result["fbx_jaw"] = any('bones["jaw"]' in p for p in paths)
setattr(head, flame_rig.MODEL_PROP, "")
try:
    bpy.ops.talkface.generate("EXEC_DEFAULT", scope="ALL")
except RuntimeError as exc:  # bpy.ops raises the operator's error report
    result["without_model"] = str(exc)
RESULT.update(result)
"""

_DETECT = """
class Layout:
    # Records what a panel draws: draw() needs a layout, which headless Blender has none of.
    def __init__(self):
        self.labels = []
    def label(self, text="", **_kwargs):
        self.labels.append(text)
    def __getattr__(self, _name):
        return lambda *args, **kwargs: self

def drawn(panel):
    fake = type("Panel", (), {"layout": Layout()})()
    panel.draw(fake, bpy.context)
    return fake.layout.labels

from blender_addon import flame_ui, panels
head = flame_head.create(bpy.context, model)
scene.talkface.target = head
result = dict(state=sorted(bpy.ops.talkface.detect_rig()), map=len(head.talkface_map),
              mapping_panel=drawn(panels.TALKFACE_PT_mapping),
              flame_panel=drawn(flame_ui.TALKFACE_PT_flame))
# Without the jaw bone, FLAME's jaw correctives alone still make it a FLAME rig.
bpy.data.objects.remove(head.parent)
result["no_bone"] = flame_rig.describe(head) if flame_rig.is_flame_rig(head) else None
RESULT.update(result)
"""


def _run(script: str) -> dict:
    return run_inline(textwrap.dedent(script))


@pytest.fixture()
def prelude(tmp_path) -> str:
    require_bpy()
    return textwrap.dedent(_PRELUDE).format(model=str(tmp_path / "generic_model.npz"))


def test_flame_head_keyed_matches_flame_formula(tmp_path, prelude, speech_wav):
    result = _run(prelude + textwrap.dedent(_KEY_AND_EVALUATE.format(wav=str(speech_wav))))
    assert result["is_flame"] and result["keys"] == 100 and result["model_prop"]
    assert result["groups"] == result["bones"] == ["root", "neck", "jaw", "left_eye", "right_eye"]
    assert result["skipped"] == []
    assert max(result["jaw_x"]) > 0.3, "jawOpen at 1 opens the jaw by ~0.45 rad"
    # Blender's shape keys + armature reproduce FLAME's formula to float32 precision.
    assert max(result["errors"]) < 1e-5 * result["scale"] + 1e-6, result["errors"]
    assert result["tracks"] == [[*result["rest"], "TalkFace: hello"], ["TalkFace: hello"]]
    assert result["tracks_again"] == [len(result["rest"]) + 1, 1]
    assert result["frame_end"] >= 5 + 11


def test_detection_and_generate_options(prelude):
    result = _run(prelude + textwrap.dedent(_NOT_FLAME))
    assert result["cube"] is False and result["cube_options"] is None
    assert result["options"]["model"].endswith("generic_model.npz")
    assert result["options"]["landmarks"] is None
    assert "file not found" in result["missing"] and "missing_embedding.npy" in result["missing"]
    assert result["with_landmarks"]["landmarks"].endswith("landmark_embedding.npy")


def test_detect_rig_reports_a_flame_rig(prelude):
    """Detect rig on a FLAME head says it is one, instead of "Mapped 0 of 52 channels"."""
    result = _run(prelude + textwrap.dedent(_DETECT))
    assert result["state"] == ["FINISHED"] and result["map"] == 0
    assert "Info: FLAME rig: 100 expression keys + jaw bone" in result["_output"]
    assert "Mapped 0" not in result["_output"] and "will be skipped" not in result["_output"]
    assert result["mapping_panel"] == ["FLAME rig: 100 expression keys + jaw bone"]
    assert "FLAME rig: 100 expression keys + jaw bone" in result["flame_panel"]
    assert result["no_bone"] == "FLAME rig: 100 expression keys + jaw correctives"


def test_generate_operator_on_flame_head(tmp_path, prelude, speech_wav):
    """The add-on end to end on a FLAME head made by "Create FLAME head from model file":
    Generate asks for FLAME output with the head's model file and keys expressions and jaw."""
    script = _OPERATORS.format(wav=str(speech_wav), fbx=str(tmp_path / "flame.fbx"))
    result = _run(prelude + textwrap.dedent(script))
    assert result["state"] == ["FINISHED"]
    assert result["calls"][0]["flame_model"].endswith("generic_model.npz")
    assert result["name"] == "FLAME-generic_model"
    assert result["key_tracks"] == [*result["rest"], "TalkFace: line1"]
    assert result["arm_tracks"] == ["TalkFace: line1"]
    assert result["jaw"] > 0.3 and result["exp0"] != 0.0
    assert result["fbx_exp"] and result["fbx_jaw"], "FBX carries expression and jaw curves"
    assert "choose its FLAME model file" in result["without_model"]
