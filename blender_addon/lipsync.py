"""From a clip's settings to generate() arguments, and from the generated Animation to the scene."""
from __future__ import annotations

import os

import bpy

from . import flame_rig, keyframes, placement, rig
from .generation import Request


def scene_fps(scene: bpy.types.Scene) -> float:
    return scene.render.fps / scene.render.fps_base


def clip_request(clip, scene: bpy.types.Scene, device: str) -> Request:
    """generate() arguments for a clip; ValueError with a readable message for a bad clip."""
    path = bpy.path.abspath(clip.filepath)
    if not clip.filepath or not os.path.isfile(path):
        raise ValueError(f'Clip "{clip.name}": audio file not found: {path or "(none chosen)"}')
    return Request(clip_id=clip.ensure_uid(), label=clip.name, audio=path, kwargs=dict(
        emotion=clip.emotion, intensity=clip.intensity, style=clip.style, fps=scene_fps(scene),
        device=device, smoothing=clip.smoothing, blinks=clip.blink))


def check_target(target: bpy.types.Object | None) -> bpy.types.Object:
    """The mesh to animate, or ValueError saying what is wrong with the target."""
    mesh = rig.resolve_mesh(target)
    if mesh is None:
        raise ValueError("Pick a target head mesh (or press Create demo head)")
    if not rig.shape_key_names(mesh):
        raise ValueError(f'"{mesh.name}" has no shape keys: talkface animates shape keys '
                         "(ARKit-52 names or similar). Add them, or press Create demo head")
    return mesh


def apply_result(scene: bpy.types.Scene, mesh: bpy.types.Object, clip, anim) -> list[str]:
    """Write the clip's action, NLA strip and sound strip; returns the channels skipped."""
    if flame_rig.is_flame_animation(anim):  # FLAME output: expression keys and the jaw bone
        return flame_rig.apply_result(scene, mesh, clip, anim)
    fps = scene_fps(scene)
    if abs(anim.fps - fps) > 1e-9:
        anim = anim.resample(fps)
    if not len(mesh.talkface_map):
        rig.detect(mesh, mesh, anim.names)
    mapping = rig.mapping_of(mesh, anim.names)
    key = mesh.data.shape_keys
    start = clip.frame_start
    action = keyframes.write_action(key, f"TF {clip.name}", anim.names, anim.weights, start, mapping)
    end = start + anim.num_frames - 1
    placement.place_clip_action(key, action, clip.ensure_uid(), f"TalkFace: {clip.name}", start, end)
    placement.place_clip_sound(scene, bpy.path.abspath(clip.filepath), clip.uid, clip.name, start)
    placement.extend_scene_range(scene, start, end)
    return [c for c, targets in mapping.items()
            if not any(t in key.key_blocks for t in targets)]
