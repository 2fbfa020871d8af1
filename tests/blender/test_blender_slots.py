"""The actions the keyframe writers make, on the Action API of the running Blender: on 4.4+
(layered actions) exactly one slot of the animated datablock's type, no "Legacy Slot", bound on
the clip's NLA strip, which plays it; on 4.2/4.3 a plain action with the right id_root (5.0 has
no id_root: there the slot alone says which datablock type plays the action)."""
from __future__ import annotations

import textwrap

import pytest

from fixtures.blender import require_bpy, run_inline

_SCRIPT = """
from blender_addon import apply, compat, flame_head, flame_rig
from talkface_core.animation import Animation
from talkface_core.blendshapes import ARKIT_NAMES
from talkface_core.flame.model import load_flame
from talkface_core.flame.mapping import arkit_to_flame
from fixtures.flame_synthetic import write_synthetic_flame

def id_type(action):
    # What the action animates: its (one) slot's type on layered actions, else its id_root.
    return action.slots[0].target_id_type if compat.LAYERED_ACTIONS else action.id_root

def describe(action, owner):
    # The action's slots, and what the NLA strip that plays it on `owner` is bound to.
    strips = [s for t in owner.animation_data.nla_tracks for s in t.strips if s.action == action]
    out = dict(id_type=id_type(action), strips=len(strips), layered=compat.LAYERED_ACTIONS)
    if compat.LAYERED_ACTIONS:
        out["slots"] = [dict(identifier=s.identifier, name=s.name_display, type=s.target_id_type,
                             users=[u.name for u in s.users()]) for s in action.slots]
        out["strip_slot"] = strips[0].action_slot.identifier if strips[0].action_slot else None
    return out

# ARKit: a mesh with three of the 52 keys, keyed through the same path as Generate lipsync.
bpy.ops.mesh.primitive_cube_add()
cube = bpy.context.active_object
cube.shape_key_add(name="Basis")
for name in ("jawOpen", "mouthClose", "eyeBlinkLeft"):
    cube.shape_key_add(name=name).value = 0.7  # a static value the NLA replaces where no clip plays
weights = np.zeros((30, 52), np.float32)
weights[:, ARKIT_NAMES.index("jawOpen")] = np.linspace(0.0, 1.0, 30)
weights[:, ARKIT_NAMES.index("eyeBlinkLeft")] = 0.25
clip = scene.talkface.clips.add()
clip.name, clip.filepath, clip.frame_start = "hello", "//missing.wav", 11
key = cube.data.shape_keys
for _ in range(2):  # the second time regenerates: the new action must be just as clean
    apply.apply_result(scene, cube, clip, Animation(ARKIT_NAMES, 24.0, weights))
action = next(a for a in bpy.data.actions if a.get("talkface_clip") == clip.uid)
RESULT["arkit"] = describe(action, key)
RESULT["key_name"] = key.name
RESULT["clip_actions"] = sum(a.get("talkface_clip") == clip.uid for a in bpy.data.actions)
RESULT["rest_expected"] = compat.SHAPE_KEY_DEFAULT != 0.0
RESULT["key_tracks"] = [t.name for t in key.animation_data.nla_tracks]
played = {}
for frame in (5, 11, 20, 40, 41):
    scene.frame_set(frame)
    played[frame] = [key.key_blocks[n].value for n in ("jawOpen", "eyeBlinkLeft")]
RESULT["played"] = played
RESULT["expected_jaw_20"] = float(weights[9, ARKIT_NAMES.index("jawOpen")])

# FLAME: the expression action on the Key and the jaw bone's action on the armature.
model = load_flame(write_synthetic_flame(MODEL))
head = flame_head.create(bpy.context, model)
w = np.zeros((12, 52), np.float32)
w[:, ARKIT_NAMES.index("jawOpen")] = np.linspace(0.0, 1.0, 12)
anim = arkit_to_flame(Animation(ARKIT_NAMES, 24.0, w), model)
apply.apply_result(scene, head, clip, anim)
tagged = [a for a in bpy.data.actions if a.get("talkface_clip") == clip.uid]
RESULT["flame_key"] = describe(next(a for a in tagged if id_type(a) == "KEY"), head.data.shape_keys)
RESULT["flame_jaw"] = describe(next(a for a in tagged if id_type(a) == "OBJECT"), head.parent)
scene.frame_set(11 + 11)
RESULT["jaw_angle"] = head.parent.pose.bones["jaw"].rotation_euler[0]
RESULT["flame_owners"] = [head.data.shape_keys.name, head.parent.name]
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> dict:
    require_bpy()
    model = tmp_path_factory.mktemp("flame") / "generic_model.npz"
    return run_inline(f"MODEL = {str(model)!r}\n" + textwrap.dedent(_SCRIPT))


def _check_one_slot(action: dict, id_type: str, owner: str) -> None:
    assert action["id_type"] == id_type and action["strips"] == 1
    if not action["layered"]:
        return  # Blender 4.2/4.3: no slots; id_root is what ties the action to its datablock
    assert len(action["slots"]) == 1, action["slots"]
    slot = action["slots"][0]
    assert slot["type"] == id_type and "legacy" not in slot["name"].lower()
    assert action["strip_slot"] == slot["identifier"]  # the NLA strip plays this slot
    assert slot["users"] == [owner]


def test_arkit_action_has_one_key_slot_bound_on_its_strip(result: dict) -> None:
    _check_one_slot(result["arkit"], "KEY", result["key_name"])
    assert result["clip_actions"] == 1, "regenerating left the old action behind"
    # Where a shape key's default is not 0 (Blender 5.0), a rest track sits below the clip's.
    rest = ["TalkFace: rest"] if result["rest_expected"] else []
    assert result["key_tracks"] == [*rest, "TalkFace: hello"]


def test_nla_strip_plays_the_slot(result: dict) -> None:
    played = result["played"]
    assert played["11"] == pytest.approx([0.0, 0.25], abs=1e-6)
    assert played["20"] == pytest.approx([result["expected_jaw_20"], 0.25], abs=1e-6)
    assert played["40"] == pytest.approx([1.0, 0.25], abs=1e-6)
    # Outside the clip: no hold of its first/last pose, and not the 1.0 default of Blender 5.0.
    assert played["5"] == pytest.approx([0.0, 0.0], abs=1e-6)
    assert played["41"] == pytest.approx([0.0, 0.0], abs=1e-6)


def test_flame_actions_have_one_slot_each(result: dict) -> None:
    key_name, armature_name = result["flame_owners"]
    _check_one_slot(result["flame_key"], "KEY", key_name)
    _check_one_slot(result["flame_jaw"], "OBJECT", armature_name)
    assert result["jaw_angle"] > 0.3, "the jaw bone's strip plays its slot"
