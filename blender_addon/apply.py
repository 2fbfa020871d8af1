"""A generated Animation into the scene: resampled to the scene's frame rate here (the one place),
then keyed by its channel set (ARKit weights onto mapped shape keys, FLAME onto a FLAME rig) and
its head/eye rotations onto the rig (head_bones.py), placed on the NLA at the clip's start frame,
with the clip's sound. The emotion keys it was made
with go on its action(s) as a custom property (JSON), so they travel with the .blend.

All or nothing per clip: everything that can fail (the sound's channel, the curves, the actions)
is settled before the clip's previous animation is replaced."""
from __future__ import annotations

import json
from dataclasses import dataclass

import bpy

from talkface_core.animation import FLAME, Animation

from . import flame_rig, head_bones, head_rig, keyframes, placement
from .clip_requests import scene_fps

EMOTION_TIMELINE = "talkface_emotion_timeline"   # custom property on the clip's actions


@dataclass(frozen=True)
class Applied:
    """What became of a clip: the channels the rig could not take, and why it has no sound strip
    (None when it has one)."""

    skipped: list[str]
    no_sound: str | None


def at_scene_fps(anim: Animation, scene: bpy.types.Scene) -> Animation:
    fps = scene_fps(scene)
    return anim if abs(anim.fps - fps) <= 1e-9 else anim.resample(fps)


def apply_result(scene: bpy.types.Scene, mesh: bpy.types.Object, clip, anim: Animation,
                 audio: str | None = None) -> Applied:
    """Write the clip's action(s), NLA strip(s) and sound strip (of `audio`, the file that was
    animated; default: the clip's file)."""
    anim = at_scene_fps(anim, scene)
    start, uid = clip.frame_start, clip.ensure_uid()
    end = start + anim.num_frames - 1
    channel = placement.free_sound_channel(scene, uid, start, end)
    if anim.channels == FLAME:
        plans, skipped = flame_rig.clip_plans(mesh, clip.name, anim)
    else:
        plans, skipped = _shape_key_plans(mesh, clip.name, anim)
    head = head_bones.clip_plan(scene.talkface, mesh, clip.name, anim)
    actions = keyframes.write_actions(plans + ([head] if head else []), start)
    head_action = actions.pop() if head else None
    timeline = None if anim.emotion_timeline is None else json.dumps(anim.emotion_timeline.to_dict())
    for plan, action in zip(plans, actions):
        if plan.id_type == "KEY":
            placement.hold_rest(plan.owner, [c.data_path for c in plan.curves])
        if timeline is not None:
            action[EMOTION_TIMELINE] = timeline
        placement.place_clip_action(plan.owner, action, uid, f"TalkFace: {clip.name}", start, end)
    head_bones.place(mesh, uid, clip.name, head, head_action, start, end)
    no_sound = placement.place_clip_sound(scene, audio or bpy.path.abspath(clip.filepath), uid,
                                          clip.name, start, channel)
    placement.extend_scene_range(scene, start, end)
    return Applied(skipped, no_sound)


def _shape_key_plans(mesh: bpy.types.Object, name: str, anim: Animation
                     ) -> tuple[list[keyframes.ActionPlan], list[str]]:
    if not len(mesh.talkface_map):
        head_rig.detect(mesh, mesh, anim.names)
    mapping = head_rig.mapping_of(mesh, anim.names)
    key = mesh.data.shape_keys
    curves = keyframes.shape_key_curves(key, anim.names, anim.weights, mapping)
    skipped = [c for c, targets in mapping.items() if not any(t in key.key_blocks for t in targets)]
    return [keyframes.ActionPlan(f"TF {name}", key, "KEY", curves)], skipped
