"""Head and eye rotations in Blender: the head bone (found by name or chosen), eye bones, the
object when asked, in the rig's own rotation modes, added to the animator's own animation."""
from __future__ import annotations

import pytest
from fixtures.blender import require_bpy, run_inline

# A head mesh (with shape keys) parented to an armature: a spine, a neck, a head, eyes; the rig
# stands turned a quarter turn and the head bone rests tilted, so no frame is the world's.
SETUP = """
from talkface_core.animation import Animation
from talkface_core.blendshapes import ARKIT_NAMES
from blender_addon import apply, compat, head_bones
bpy.ops.mesh.primitive_uv_sphere_add()
mesh = bpy.context.object
mesh.shape_key_add(name="Basis")
for n in ARKIT_NAMES:
    mesh.shape_key_add(name=n)
rig = bpy.data.objects.new("Rig", bpy.data.armatures.new("Rig"))
scene.collection.objects.link(rig)
rig.rotation_euler = (0.0, 0.0, 1.5707963)
bpy.context.view_layer.objects.active = rig
bpy.ops.object.mode_set(mode="EDIT")
bones = rig.data.edit_bones
spine = bones.new("spine"); spine.head, spine.tail = (0, 0, 0), (0, 0, 1)
neck = bones.new("DEF-neck"); neck.head, neck.tail = (0, 0, 1), (0, 0.1, 1.3); neck.parent = spine
head = bones.new("head"); head.head, head.tail = (0, 0.1, 1.3), (0, 0.3, 1.7); head.parent = neck
top = bones.new("headTop_End"); top.head, top.tail = (0, 0.3, 1.7), (0, 0.3, 1.8); top.parent = head
for side, x in (("L", 0.1), ("R", -0.1)):
    eye = bones.new(f"eye.{side}"); eye.head, eye.tail = (x, -0.2, 1.5), (x, -0.3, 1.5); eye.parent = head
    lid = bones.new(f"eyelid.{side}"); lid.head, lid.tail = (x, -0.2, 1.6), (x, -0.3, 1.6); lid.parent = head
bpy.ops.object.mode_set(mode="OBJECT")
mesh.parent = rig
scene.talkface.target = mesh
import tempfile, soundfile
wav = tempfile.mkdtemp() + "/a.wav"
soundfile.write(wav, np.zeros(1600, np.float32), 16000)
bpy.ops.talkface.clip_add(filepath=wav)
clip = scene.talkface.clips[0]
clip.frame_start = 1
n = 48
rot = np.zeros((n, 9), np.float32)
rot[:, 0] = np.linspace(0, 10, n)      # HeadYaw: turn to the character's left
rot[:, 1] = 5.0                        # HeadPitch: chin down
rot[:, 2] = -3.0                       # HeadRoll
rot[:, 3] = rot[:, 6] = 12.0           # eyes to the character's left
from talkface_core.animation.channels import ROTATION_NAMES
anim = Animation(ARKIT_NAMES, 24.0, np.zeros((n, 52)), rotation_names=ROTATION_NAMES, rotations=rot)

def world_of(bone_name, frame):
    scene.frame_set(frame)
    m = rig.matrix_world @ rig.pose.bones[bone_name].matrix
    rest = rig.matrix_world @ rig.data.bones[bone_name].matrix_local
    return np.array(m.to_3x3()) @ np.array(rest.to_3x3()).T     # world rotation from rest

def expected(frame, names):
    i = frame - 1
    return head_bones.world_rotations(anim.rotations[i:i + 1, [ROTATION_NAMES.index(k) for k in names]])[0]
"""


@pytest.fixture(scope="module", autouse=True)
def _bpy():
    require_bpy()


def test_head_bone_found_by_name_and_keyed_in_its_own_mode() -> None:
    result = run_inline(SETUP + """
RESULT["found"] = head_bones.head_bone(rig)
RESULT["eyes"] = head_bones.eye_bones(rig)
rig.pose.bones["head"].rotation_mode = "QUATERNION"
# The animator's own head pose, on an NLA track of theirs (below the ones talkface adds).
import mathutils
mine = mathutils.Quaternion((1, 0, 0), 0.3)
action = bpy.data.actions.new("animator")
rig.animation_data_create().action = action
rig.pose.bones["head"].rotation_quaternion = mine
rig.keyframe_insert('pose.bones["head"].rotation_quaternion', frame=1)
theirs = rig.animation_data.nla_tracks.new()
theirs.strips.new("animator", 1, action)
rig.animation_data.action = None
apply.apply_result(scene, mesh, clip, anim)
scene.frame_set(24)
combined = rig.pose.bones["head"].rotation_quaternion.copy()
theirs.mute = True
err = [float(np.abs(world_of("head", f) - expected(f, head_bones.HEAD)).max()) for f in (1, 24, 48)]
RESULT["head_err"] = err
paths = [fc.data_path for t in rig.animation_data.nla_tracks for fc in compat.action_fcurves(t.strips[0].action)]
RESULT["keyed"] = sorted({p.split('"')[1] for p in paths})
RESULT["mode"] = rig.pose.bones["head"].rotation_mode
RESULT["blend"] = rig.animation_data.nla_tracks[-1].strips[0].blend_type
scene.frame_set(24)
ours = rig.pose.bones["head"].rotation_quaternion.copy()
RESULT["combined_err"] = float(np.abs(np.array(combined) - np.array(mine @ ours)).max())
RESULT["animator_actions"] = [a.name for a in bpy.data.actions if a.name == "animator"]
""")
    assert result["found"] == "head"
    assert result["eyes"] == {"Left": "eye.L", "Right": "eye.R"}
    assert max(result["head_err"]) < 1e-3, result["head_err"]
    assert result["mode"] == "QUATERNION" and result["blend"] == "COMBINE"
    assert result["keyed"] == ["head"]        # eye bones are keyed only when asked
    assert result["combined_err"] < 1e-4 and result["animator_actions"] == ["animator"]


def test_eye_bones_when_asked_and_a_chosen_neck() -> None:
    result = run_inline(SETUP + """
scene.talkface.eye_bones = True
scene.talkface.head_bone = "DEF-neck"
apply.apply_result(scene, mesh, clip, anim)
# The eyes turn on top of the neck's turn: compare each bone's pose rotation with its own share.
def pose_world(bone_name, frame):
    scene.frame_set(frame)
    pb = rig.pose.bones[bone_name]
    c = np.array((rig.matrix_world @ rig.data.bones[bone_name].matrix_local).to_3x3())
    c /= np.linalg.norm(c, axis=0)
    return c @ np.array(pb.matrix_basis.to_3x3()) @ c.T
RESULT["neck_err"] = float(np.abs(pose_world("DEF-neck", 30) - expected(30, head_bones.HEAD)).max())
RESULT["eye_err"] = float(np.abs(pose_world("eye.L", 30) - expected(30, head_bones.EYES["Left"])).max())
RESULT["head_untouched"] = rig.pose.bones["head"].rotation_quaternion[0]
RESULT["lid_untouched"] = list(rig.pose.bones["eyelid.L"].rotation_quaternion)
""")
    assert result["neck_err"] < 1e-3 and result["eye_err"] < 1e-3
    assert result["head_untouched"] == pytest.approx(1.0)
    assert result["lid_untouched"] == pytest.approx([1, 0, 0, 0])


def test_object_mode_turns_the_mesh_and_off_removes_the_clip_head_action() -> None:
    result = run_inline(SETUP + """
mesh.parent = None
mesh.rotation_euler = (1.5707963, 0.0, 0.0)       # a Y-up head stood up, as the ICT head is
scene.talkface.head_rotation = "BONE"
apply.apply_result(scene, mesh, clip, anim)       # no armature parent now: nothing to key
RESULT["bone_without_armature"] = mesh.animation_data is not None and len(mesh.animation_data.nla_tracks)
scene.talkface.head_rotation = "OBJECT"
bpy.context.view_layer.update()                   # matrix_world is stale until then
rest = np.array(mesh.matrix_world.to_3x3())
apply.apply_result(scene, mesh, clip, anim)
scene.frame_set(40)
turned = np.array(mesh.matrix_world.to_3x3()) @ rest.T
RESULT["object_err"] = float(np.abs(turned - expected(40, head_bones.HEAD)).max())
RESULT["tracks"] = [t.name for t in mesh.animation_data.nla_tracks]
scene.talkface.head_rotation = "OFF"
apply.apply_result(scene, mesh, clip, anim)
RESULT["tracks_off"] = [t.name for t in mesh.animation_data.nla_tracks if t.strips]
RESULT["describe"] = head_bones.describe(scene.talkface, mesh)
""")
    assert not result["bone_without_armature"]
    assert result["object_err"] < 1e-3
    assert result["tracks"] == ["TalkFace: a head"]          # the clip is named after its file
    assert result["tracks_off"] == []
    assert "off" in result["describe"]


def test_clip_face_controls_reach_the_request() -> None:
    result = run_inline(SETUP + """
from blender_addon import clip_requests
clip.gaze, clip.head_motion, clip.upper_face = 0.3, 0.0, 1.7
clip.blink_rate, clip.blink_amount, clip.seed = 12.0, 0.6, 42
r = clip_requests.clip_request(clip, scene, "cpu", mesh).request
RESULT["request"] = [r.gaze, r.head_motion, r.upper_face, r.blink_rate, r.blink_amount, r.seed]
""")
    assert result["request"] == pytest.approx([0.3, 0.0, 1.7, 12.0, 0.6, 42])
