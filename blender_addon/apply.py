"""A generated Animation into the scene: resampled to the scene's frame rate here (the one place),
then keyed by its channel set (ARKit weights onto mapped shape keys, FLAME onto a FLAME rig) and
its head/eye rotations onto the rig (head_bones.py), placed on the NLA at the clip's start frame,
with the clip's sound."""
from __future__ import annotations

import bpy

from talkface_core.animation import FLAME, Animation

from . import flame_rig, head_bones, head_rig, keyframes, placement
from .clip_requests import scene_fps


def at_scene_fps(anim: Animation, scene: bpy.types.Scene) -> Animation:
    fps = scene_fps(scene)
    return anim if abs(anim.fps - fps) <= 1e-9 else anim.resample(fps)


def apply_result(scene: bpy.types.Scene, mesh: bpy.types.Object, clip, anim: Animation) -> list[str]:
    """Write the clip's action(s), NLA strip(s) and sound strip; returns the channels skipped."""
    anim = at_scene_fps(anim, scene)
    start = clip.frame_start
    end = start + anim.num_frames - 1
    if anim.channels == FLAME:
        skipped = flame_rig.key_clip(mesh, clip, anim)
    else:
        skipped = _key_shape_keys(mesh, clip, anim)
    head_bones.key_clip(scene, mesh, clip, anim)
    placement.place_clip_sound(scene, bpy.path.abspath(clip.filepath), clip.uid, clip.name, start)
    placement.extend_scene_range(scene, start, end)
    return skipped


def _key_shape_keys(mesh: bpy.types.Object, clip, anim: Animation) -> list[str]:
    if not len(mesh.talkface_map):
        head_rig.detect(mesh, mesh, anim.names)
    mapping = head_rig.mapping_of(mesh, anim.names)
    key = mesh.data.shape_keys
    start = clip.frame_start
    curves = keyframes.shape_key_curves(key, anim.names, anim.weights, mapping)
    action = keyframes.write_action(f"TF {clip.name}", "KEY", curves, start)
    placement.place_clip_action(key, action, clip.ensure_uid(), f"TalkFace: {clip.name}", start,
                                start + anim.num_frames - 1)
    return [c for c, targets in mapping.items() if not any(t in key.key_blocks for t in targets)]
