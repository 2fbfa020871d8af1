"""Settings talkface keeps in the .blend: the clips and target on the scene, the channel -> shape
key mapping on the rig object, and the device preference in the add-on preferences."""
from __future__ import annotations

import uuid

import bpy
from bpy.props import (BoolProperty, CollectionProperty, EnumProperty, FloatProperty, IntProperty,
                       PointerProperty, StringProperty)

from talkface_core.emotion_timeline import DEFAULT_TRANSITION_S, MAX_TRANSITION_S
from talkface_core.emotions import EMOTIONS

ADDON_ID = __package__.rpartition(".")[0] or __package__  # the extension's package: bl_ext.<repo>.talkface

KEY_EMOTION_ITEMS = [(e, e.capitalize(), f"{e.capitalize()} expression") for e in EMOTIONS]
EMOTION_ITEMS = KEY_EMOTION_ITEMS + [("auto", "Auto", "Read the emotion from the voice itself")]
BLEND_ITEMS = [("NONE", "No blend", "This key shows one emotion")] + KEY_EMOTION_ITEMS


def _new_clip_id() -> str:
    return uuid.uuid4().hex[:12]


def _owner_clip(key):
    """The clip whose emotion_keys hold `key` (scene.talkface.clips[i])."""
    return key.id_data.path_resolve(key.path_from_id().rpartition(".emotion_keys[")[0])


def _get_scene_frame(key) -> int:
    return _owner_clip(key).frame_start + key.frame


def _set_scene_frame(key, value: int) -> None:
    key.frame = max(0, value - _owner_clip(key).frame_start)


class TalkFaceEmotionKey(bpy.types.PropertyGroup):
    frame: IntProperty(name="Offset", min=0, default=0,
                       description="Frames after the clip's start: stored this way, the key moves "
                                   "with the clip")
    scene_frame: IntProperty(name="Frame", get=_get_scene_frame, set=_set_scene_frame,
                             description="The key's frame in the scene (clip start + offset)")
    emotion: EnumProperty(name="Emotion", items=KEY_EMOTION_ITEMS, default="neutral")
    blend_with: EnumProperty(name="Blend with", items=BLEND_ITEMS, default="NONE",
                             description="A second emotion mixed into this key")
    blend: FloatProperty(name="Blend", min=0.0, max=1.0, default=0.5, subtype="FACTOR",
                         description="Share of the second emotion (the first gets the rest)")
    intensity: FloatProperty(name="Intensity", min=0.0, max=1.0, default=0.5, subtype="FACTOR")


class TalkFaceClip(bpy.types.PropertyGroup):
    uid: StringProperty(name="Id", description="Links the clip to its action and sound strip")
    filepath: StringProperty(name="Audio", subtype="FILE_PATH",
                             description="Speech recording (wav, flac, ogg, mp3)")
    # Not negative: the scene's range, which grows to hold every clip, cannot start below 0.
    frame_start: IntProperty(name="Start frame", default=1, min=0)
    emotion: EnumProperty(name="Emotion", items=EMOTION_ITEMS, default="neutral")
    intensity: FloatProperty(name="Intensity", min=0.0, max=1.0, default=0.5, subtype="FACTOR")
    style: IntProperty(name="Style", min=0, max=63, default=0,
                       description="Speaking style id of the model")
    smoothing: FloatProperty(name="Smoothing", min=0.0, max=1.0, default=0.5, subtype="FACTOR",
                             description="Temporal smoothing of the generated curves")
    blink: BoolProperty(name="Blinks", default=True, description="Add natural eye blinks")
    use_emotion_keys: BoolProperty(
        name="Use emotion keys", default=False,
        description="Let the emotion change within the clip at its keys (off: one emotion and "
                    "intensity for the whole clip)")
    emotion_keys: CollectionProperty(type=TalkFaceEmotionKey)
    emotion_key_index: IntProperty(name="Active emotion key", default=0)
    emotion_transition: FloatProperty(name="Transition", min=0.0, max=MAX_TRANSITION_S,
                                      default=DEFAULT_TRANSITION_S, unit="TIME_ABSOLUTE",
                                      description="Seconds the face takes to ease from one key to the next")
    blink_rate: FloatProperty(name="Blink rate", min=0.0, max=60.0, default=26.0,
                              description="Blinks a minute (26: in conversation, 17: at rest)")
    blink_amount: FloatProperty(name="Blink amount", min=0.0, max=1.0, default=1.0, subtype="FACTOR",
                                description="How far the lids close in a blink")
    gaze: FloatProperty(name="Gaze", min=0.0, max=2.0, default=1.0,
                        description="Eye movement: saccades, looking away and back (0 = still eyes)")
    head_motion: FloatProperty(name="Head motion", min=0.0, max=2.0, default=1.0,
                               description="Head nods and turns from the voice (0 = still head)")
    upper_face: FloatProperty(name="Upper face", min=0.0, max=2.0, default=1.0,
                              description="Brow raises on accents, cheeks with smiles, the jaw's "
                                          "sideways drift (0 = off)")
    seed: IntProperty(name="Seed", min=0, default=0,
                      description="Seed of gaze, blinks and head postures (mixed with the audio, "
                                  "so every clip moves its own way)")

    def ensure_uid(self) -> str:
        if not self.uid:
            self.uid = _new_clip_id()
        return self.uid


class TalkFaceMapItem(bpy.types.PropertyGroup):
    channel: StringProperty(name="Channel", description="Animation channel (ARKit name)")
    target: StringProperty(name="Shape key", description="Shape key the channel drives; empty: skipped")


def _is_mesh(_self, obj: bpy.types.Object) -> bool:
    return obj.type in {"MESH", "ARMATURE"}


class TalkFaceScene(bpy.types.PropertyGroup):
    target: PointerProperty(name="Target", type=bpy.types.Object, poll=_is_mesh,
                            description="Head mesh with shape keys (or its armature)")
    clips: CollectionProperty(type=TalkFaceClip)
    clip_index: IntProperty(name="Active clip", default=0)
    map_index: IntProperty(default=0)
    head_rotation: EnumProperty(name="Head rotation", default="BONE", items=[
        ("BONE", "Head bone", "Key the head rotation on a bone of the target's armature (none "
                              "without an armature)"),
        ("OBJECT", "Head object", "Key the head rotation on the head mesh object itself (its "
                                  "rotation as it is now, turned by the head motion)"),
        ("OFF", "Off", "Do not key head rotation (it stays in exported JSON/CSV files)")])
    head_bone: StringProperty(name="Head bone",
                              description="Bone that turns the head; empty: a bone named like "
                                          "head, else neck")
    eye_bones: BoolProperty(name="Eye bones", default=False,
                            description="Also key the eye rotations on bones named like eye.L / "
                                        "eye.R (for rigs whose eyes are bones, not shape keys)")


class TalkFacePreferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_ID

    device: EnumProperty(name="Device", default="auto", items=[
        ("auto", "Auto", "An NVIDIA GPU when PyTorch with CUDA is available, else the CPU"),
        ("cpu", "CPU", "Always run on the CPU (built in, no extra packages needed)"),
        ("cuda", "CUDA", "NVIDIA GPU (needs a CUDA build of PyTorch, see 'Extra Python packages')")])
    packages_path: StringProperty(
        name="Extra Python packages", subtype="DIR_PATH",
        description="Optional: a site-packages folder holding a CUDA build of PyTorch for "
                    "Blender's Python, for GPU generation. CPU generation needs nothing extra")

    def draw(self, _context) -> None:
        self.layout.prop(self, "device")
        self.layout.prop(self, "packages_path")


class TalkFaceProgress(bpy.types.PropertyGroup):
    running: BoolProperty(default=False)
    factor: FloatProperty(default=0.0, min=0.0, max=1.0)
    text: StringProperty(default="")


def preferences(context) -> TalkFacePreferences | None:
    addon = context.preferences.addons.get(ADDON_ID)
    return addon.preferences if addon else None


_register_classes, _unregister_classes = bpy.utils.register_classes_factory(
    (TalkFaceEmotionKey, TalkFaceClip, TalkFaceMapItem, TalkFaceScene, TalkFacePreferences,
     TalkFaceProgress))


def register() -> None:
    _register_classes()
    bpy.types.Scene.talkface = PointerProperty(type=TalkFaceScene)
    bpy.types.Object.talkface_map = CollectionProperty(type=TalkFaceMapItem)
    bpy.types.WindowManager.talkface_progress = PointerProperty(type=TalkFaceProgress)


def unregister() -> None:
    del bpy.types.WindowManager.talkface_progress
    del bpy.types.Object.talkface_map
    del bpy.types.Scene.talkface
    _unregister_classes()
